"""The horizon year of a target: where each "đến năm 2030" reaches.

A horizon right after a figure is that figure's ("đạt 80% vào năm 2030"; "20% trong năm 2025 và
50% vào năm 2030" gives each its own); else the last one before it in its paragraph, else the
first one later in its sentence. A paragraph that opens with a horizon before any figure
("Đến năm 2030:", "Theo đó, đến năm 2025, ...") scopes over the paragraphs that follow, up to
the end of its section, the next heading or the next such opener. Last, a heading with a horizon
covers its items. Years before the plan's are no horizon ("năm 2022 có ...").
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.ruleset.slots import Pattern, Slots

_SEGMENT_END = regex.compile(r"[,;:.()\n]|\d")  # what separates a figure from a trailing horizon
_SENTENCE_END = regex.compile(r"\.(?=\s+\p{Lu})|\n")
_BULLET = regex.compile(r"\s*(?:[-+•*–]|\(?[\p{Ll}\d]{1,3}[.)])\s")
_YEAR = regex.compile(r"(?:19|20)\d\d")  # every horizon names a year
OPENING_WORDS = 8  # a list opener names its horizon within its first words


@dataclass(frozen=True)
class Scope:
    """A horizon year and the stretch of text it covers."""

    start: int
    end: int
    year: int


class HorizonRules(Slots):
    stage = "the horizons of targets"
    horizon = Pattern("target.horizon", groups=("bare",), required=("y",))
    baseline = Pattern("target.baseline")
    period = Pattern("target.period")


class Horizons:
    """Horizon years of one document, read paragraph by paragraph in text order."""

    def __init__(self, ctx: Context, plan_year: int | None) -> None:
        self.ctx = ctx
        self.plan_year = plan_year
        rules = HorizonRules.of(ctx.rules)
        self.horizon = rules.horizon
        self.baseline = rules.baseline
        self.period = rules.period
        self.scope: Scope | None = None
        self.section_starts = sorted(sec.span[0] for sec in ctx.sections)

    def matches(self, lo: int, hi: int) -> list[regex.Match[str]]:
        """Horizons in [lo, hi): not a base year ("so với năm 2015"), not inside a period; a
        year an aim names ("phấn đấu năm 2026") not before the plan's."""
        text = self.ctx.text
        if _YEAR.search(text, lo, hi) is None:
            return []
        skip = [m.span() for p in (self.baseline, self.period)
                for m in p.finditer(text, lo, hi, timeout=1.0)]
        return [m for m in self.horizon.finditer(text, lo, hi, timeout=1.0)
                if not any(a <= m.start("y") < b for a, b in skip)
                and (self.plan_year is None or not m.groupdict().get("bare")
                     or int(m.group("y")) >= self.plan_year)]

    def enter(self, lo: int, hi: int, first_figure: int | None) -> list[regex.Match[str]]:
        """Read a paragraph: its horizons, and whether it opens a scope for the next ones."""
        found = self.matches(lo, hi)
        if self.scope is not None and lo >= self.scope.end:
            self.scope = None
        if found and self._opens(lo, hi, found[0], first_figure):
            self.scope = Scope(hi, self._scope_end(lo), int(found[-1].group("y")))
        return found

    def _opens(self, lo: int, hi: int, first: regex.Match[str], figure: int | None) -> bool:
        """A paragraph opens a list with its horizon: the horizon comes within its first words
        and before any figure ("Đến năm 2030:", "Theo đó, đến năm 2025, ..."); a bulleted item
        opens one only when it ends with a colon (a bullet's horizon is its own)."""
        text = self.ctx.text
        if figure is not None and figure < first.start():
            return False
        if len(text[lo:first.start()].split()) > OPENING_WORDS:
            return False
        return _BULLET.match(text, lo, hi) is None or text[lo:hi].rstrip().endswith(":")

    def _scope_end(self, pos: int) -> int:
        """The end of the section holding `pos`; outside any, the next heading."""
        inner = self.ctx.index.innermost(pos)
        if inner is not None and inner.span[0] < pos:
            return inner.span[1]
        i = bisect_right(self.section_starts, pos)
        return self.section_starts[i] if i < len(self.section_starts) else self.ctx.body_end

    def year(self, start: int, end: int, lo: int, hi: int,
             found: list[regex.Match[str]]) -> int | None:
        """The horizon of a figure at [start, end) in paragraph [lo, hi) with horizons `found`."""
        text = self.ctx.text
        after = [m for m in found if m.start() >= end]
        if after:
            gap = _SEGMENT_END.search(text, end, after[0].start())
            if gap is None:
                return int(after[0].group("y"))
        before = [m for m in found if m.end() <= start]
        if before:
            return int(before[-1].group("y"))
        stop = _SENTENCE_END.search(text, end, hi)
        in_sentence = [m for m in after if stop is None or m.start() < stop.start()]
        if in_sentence:
            return int(in_sentence[0].group("y"))
        if self.scope is not None and self.scope.start <= start < self.scope.end:
            return self.scope.year
        for section in self.ctx.index.chain(start):
            m = self.horizon.search(section.heading)
            if m:
                return int(m.group("y"))
        return None
