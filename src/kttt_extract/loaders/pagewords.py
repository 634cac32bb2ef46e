"""Lines that are only a page number (`2`, `- 3 -`, `Trang 4`, `Trang 2/10`), from the words
of the rule set in force: the words before a page number (`layout.page-number-words`) and the
words between a page number and the count of pages (`layout.page-of-words`)."""

from __future__ import annotations

from collections.abc import Iterable

import regex

from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Slots, Words
from kttt_extract.textnorm import fold_tones


class PageRules(Slots):
    stage = "the page furniture reader"
    before = Words("layout.page-number-words")
    count = Words("layout.page-of-words")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(regex.escape(w) for w in sorted(words, key=len, reverse=True)) or "(?!)"


def ocr_page_number(rules: RuleSet) -> regex.Pattern[str]:
    """A line of an OCR page that is only a page number (read on tone-folded text)."""
    cue = _alternation(fold_tones(w) for w in PageRules.of(rules).before)
    return regex.compile(rf"^(?:{cue})?\s*[-–(]?\s*\d{{1,4}}\s*[-–)]?$", regex.IGNORECASE)


def pdf_page_number(rules: RuleSet) -> regex.Pattern[str]:
    """A line of a PDF's text layer that is only a page number, the number in group 1."""
    own = PageRules.of(rules)
    before, of = _alternation(own.before), _alternation(own.count)
    return regex.compile(rf"^(?:{before})?\s*[-–—(\[]?\s*(\d{{1,4}})\s*(?:(?:/|{of})\s*\d{{1,4}})?"
                         r"\s*[-–—)\]]?$", regex.IGNORECASE)
