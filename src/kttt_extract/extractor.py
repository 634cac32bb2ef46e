"""An explicit extractor: compile the rules once, then read many documents with them.

    from kttt_extract import Extractor
    ex = Extractor(rule_dirs=["my-rules"])
    for path in paths:
        result = ex.extract(path)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from kttt_extract.loaders import LoadOptions
from kttt_extract.model import Result
from kttt_extract.pipeline import extract, extract_bytes, extract_text
from kttt_extract.ruleset import RuleSet, load_rules


class Extractor:
    """Holds one compiled RuleSet (and the loaders' options) for any number of documents."""

    def __init__(self, rule_dirs: Sequence[Path | str] = (), *, rules: RuleSet | None = None,
                 options: LoadOptions | None = None, keep_text: bool = True) -> None:
        self.rules = rules if rules is not None else load_rules(*rule_dirs)
        self.options = replace(options or LoadOptions(), rules=self.rules)
        self.keep_text = keep_text

    def extract(self, path: Path | str) -> Result:
        """The result of one document on disk."""
        return extract(path, rules=self.rules, options=self.options, keep_text=self.keep_text)

    def extract_bytes(self, data: bytes, name: str = "<bytes>") -> Result:
        """The result of a document given as bytes (`name` is its path in the result)."""
        return extract_bytes(data, name, rules=self.rules, options=self.options,
                             keep_text=self.keep_text)

    def extract_text(self, text: str, name: str = "<text>.md") -> Result:
        """The result of a string read as Markdown-dressed text."""
        return extract_text(text, rules=self.rules, name=name)
