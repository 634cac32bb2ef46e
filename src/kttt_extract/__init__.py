"""kttt_extract: Vietnamese plan documents to structured targets, deadlines and responsibilities.

The names below load on first use, so that `kttt --help` does not pay for pydantic and regex.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "extract": "kttt_extract.pipeline", "extract_text": "kttt_extract.pipeline",
    "extract_bytes": "kttt_extract.pipeline", "Extractor": "kttt_extract.extractor",
    "clear_rule_cache": "kttt_extract.rulecache",
    "load": "kttt_extract.loaders", "load_rules": "kttt_extract.ruleset",
    "RuleSet": "kttt_extract.ruleset", "KtttError": "kttt_extract.errors",
    "Result": "kttt_extract.model", "Section": "kttt_extract.model",
    "Target": "kttt_extract.model", "Deadline": "kttt_extract.model",
    "Agency": "kttt_extract.model", "Task": "kttt_extract.model",
}

if TYPE_CHECKING:
    from kttt_extract.errors import KtttError
    from kttt_extract.extractor import Extractor
    from kttt_extract.loaders import load
    from kttt_extract.model import Agency, Deadline, Result, Section, Target, Task
    from kttt_extract.pipeline import extract, extract_bytes, extract_text
    from kttt_extract.rulecache import clear_rule_cache
    from kttt_extract.ruleset import RuleSet, load_rules

__all__ = ["Agency", "Deadline", "Extractor", "KtttError", "Result", "RuleSet", "Section",
           "Target", "Task", "__version__", "clear_rule_cache", "extract", "extract_bytes",
           "extract_text", "load", "load_rules"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'kttt_extract' has no attribute {name!r}")
