"""kttt_extract: Vietnamese plan documents to structured targets, deadlines and responsibilities."""

from kttt_extract.errors import KtttError
from kttt_extract.loaders import load
from kttt_extract.model import Agency, Deadline, Result, Section, Target, Task
from kttt_extract.pipeline import extract, extract_text
from kttt_extract.ruleset import RuleSet, load_rules

__version__ = "0.1.0"

__all__ = [
    "Agency",
    "Deadline",
    "KtttError",
    "Result",
    "RuleSet",
    "Section",
    "Target",
    "Task",
    "__version__",
    "extract",
    "extract_text",
    "load",
    "load_rules",
]
