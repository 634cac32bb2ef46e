"""The parts of an assignment: table columns and label lines named by the same header words
(rule `task.columns`): task, lead, support, monitor, when, product, number, note."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import regex

from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Slots, Table
from kttt_extract.ruleset.vocab import Choice
from kttt_extract.textnorm import fold_tones

Part = Literal["number", "task", "lead", "support", "monitor", "when", "product", "note"]
PARTS: tuple[Part, ...] = ("number", "task", "lead", "support", "monitor", "when", "product",
                           "note")
_LABEL_GAP = regex.compile(r"[^:\n]{0,40}?:\s*")  # "(thực hiện)" between a label word and its colon
_BULLET = regex.compile(r"[-+•*]\s*")


class ColumnRules(Slots):
    stage = "the tasks reader"
    columns = Table("task.columns", Choice(PARTS))
    elsewhere = Pattern("task.points-elsewhere")


COLUMNS_RULE = ColumnRules.columns.rule_id  # the rule of what a table's columns assign


@dataclass(frozen=True)
class Columns:
    """The header words, compiled once per run."""

    words: dict[str, Part]  # folded, casefolded phrase -> part
    pattern: regex.Pattern[str]
    elsewhere: regex.Pattern[str] | None  # a cell that points elsewhere

    @classmethod
    def of(cls, rules: RuleSet) -> Columns:
        """The header words of a rule set, compiled on first use and kept with it."""
        return rules.built("task.columns", cls.build)

    @classmethod
    def build(cls, rules: RuleSet) -> Columns:
        own = ColumnRules.of(rules)
        words: dict[str, Part] = dict(own.columns)
        alternation = "|".join(r"\s+".join(regex.escape(w) for w in key.split())
                               for key in sorted(words, key=len, reverse=True))
        pattern = regex.compile(rf"(?<![\p{{L}}])(?:{alternation or '(?!)'})(?![\p{{L}}])")
        return cls(words, pattern, own.elsewhere)

    def part(self, text: str) -> Part | None:
        """The part a header cell names: its earliest phrase, the longest there."""
        folded = fold_tones(text).casefold()
        m = self.pattern.search(folded)
        if m is None:
            return None
        return self.words.get(" ".join(m.group().split()))

    def label(self, line: str) -> tuple[Part, int] | None:
        """A label line ("Đơn vị chủ trì (thực hiện): X"): its part and where its value starts
        in `line` (after an optional bullet)."""
        lead = _BULLET.match(line)
        pos = lead.end() if lead else 0
        folded = fold_tones(line).casefold()
        m = self.pattern.match(folded, pos)
        if m is None:
            return None
        gap = _LABEL_GAP.match(folded, m.end())
        part = self.words.get(" ".join(m.group().split()))
        if gap is None or part in (None, "task", "number", "note"):
            return None
        return part, gap.end()

    def points_elsewhere(self, text: str) -> bool:
        return bool(self.elsewhere and self.elsewhere.match(text))


__all__ = ["PARTS", "Columns", "Part"]
