"""What every extractor reads: the text, its paragraphs and regions, the sections and the rules."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import regex

from kttt_extract.model import NormText, Notice, Para, Section
from kttt_extract.outline import Node
from kttt_extract.regions import Region
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Slots
from kttt_extract.sections import SectionIndex
from kttt_extract.view import DocView


class ContextRules(Slots):
    stage = "the document context"
    addressees = Pattern("meta.addressees")
    closing = Pattern("body.closing")
    preamble = Pattern("body.start-preamble")


class Matching(Protocol):
    """A rule with a compiled pattern (bound by a stage's slots, or compiled)."""

    @property
    def regex(self) -> regex.Pattern[str]: ...


@dataclass
class Context:
    norm: NormText
    sections: Sequence[Section]
    rules: RuleSet
    index: SectionIndex
    regions: Sequence[Region]
    body_start: int  # the title (kind line or "V/v"), else the body
    body_end: int  # where the closing block (Nơi nhận, signature) begins
    preamble_start: int  # where the work text starts
    closing_start: int  # "Trên đây là ...": the closing paragraph of the body
    windows: tuple[tuple[int, int], ...]  # body and appendices: the text that hands out work
    outline: Sequence[Node] = ()
    tables: Sequence[tuple[int, ...]] = ()  # each table's rows, as indexes into norm.paras
    notices: list[Notice] = field(default_factory=list)
    para_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.para_starts = [p.span[0] for p in self.norm.paras]

    @classmethod
    def build(cls, view: DocView, rules: RuleSet) -> Context:
        norm, sections, regions = view.norm, view.sections, view.regions
        kinds = {r.kind: r for r in regions if r.kind != "appendix"}
        body = kinds.get("body")
        title = kinds.get("title")
        end = body.span[1] + 1 if body else (title.span[1] + 1 if title else 0)
        body_lo = body.span[0] if body else end
        start = title.span[0] if title else body_lo
        own = ContextRules.of(rules)
        preamble = _preamble_start(norm, sections, own.preamble, body_lo, end)
        closing = _first_para(norm, own.closing, preamble, end)
        appendices = tuple((r.span[0], r.span[1] + 1) for r in regions if r.kind == "appendix")
        return cls(norm, sections, rules, SectionIndex(sections), regions, start, end, preamble,
                   end if closing is None else closing, ((start, end), *appendices),
                   view.outline, view.tables)

    @property
    def text(self) -> str:
        return self.norm.text

    def region_of(self, pos: int) -> Region | None:
        return next((r for r in self.regions if r.span[0] <= pos <= r.span[1]), None)

    def table_rows(self) -> list[list[Para]]:
        """The rows of each table of the title, body and appendices."""
        out = []
        for rows in self.tables:
            first = self.norm.paras[rows[0]].span[0]
            if any(lo <= first < hi for lo, hi in self.windows):
                out.append([self.norm.paras[i] for i in rows])
        return out

    def paras_in(self, lo: int, hi: int) -> list[Para]:
        """The paragraphs that start in [lo, hi)."""
        a, b = bisect_left(self.para_starts, lo), bisect_left(self.para_starts, hi)
        return list(self.norm.paras[a:b])

    def paras_of(self, *kinds: str) -> list[Para]:
        """The paragraphs of the regions of these kinds, in text order."""
        return [self.norm.paras[i] for r in self.regions if r.kind in kinds for i in r.paras]

    def body_paras(self) -> Iterator[Para]:
        """Paragraphs of the title, the body and the appendices, without a letter's addressee
        block ("Kính gửi: - ...")."""
        addressees = ContextRules.of(self.rules).addressees
        in_block = False
        for lo, hi in self.windows:
            for p in self.paras_in(lo, hi):
                if p.span[1] > hi:
                    continue
                line = self.text[p.span[0]:p.span[1]]
                if addressees.match(line):
                    in_block = True
                    continue
                if (in_block and line.startswith(("-", "+", "•"))
                        and p.span[0] < self.preamble_start):
                    continue
                in_block = False
                yield p

    def addressee_paras(self) -> list[Para]:
        """A letter's addressee block ("Kính gửi: - Sở X; - Sở Y"): the units it is sent to."""
        addressees = ContextRules.of(self.rules).addressees
        out: list[Para] = []
        for p in self.paras_of("header", "title", "body"):
            line = self.text[p.span[0]:p.span[1]]
            if addressees.match(line):
                out = [p]
            elif out and line.startswith(("-", "+", "•")) and p.span[0] < self.preamble_start:
                out.append(p)
            elif out:
                break
        return out

    def finditer(self, rule: Matching, start: int | None = None, end: int | None = None,
                 overlapped: bool = False) -> Iterator[regex.Match[str]]:
        """Matches of a rule inside the given window, or (no `end`) inside the body and the
        appendices from `start` on."""
        if end is not None:
            lo = self.body_start if start is None else start
            yield from rule.regex.finditer(self.text, lo, end, overlapped=overlapped, timeout=5.0)
            return
        for lo, hi in self.windows:
            lo = max(lo, start or 0)
            if lo < hi:
                yield from rule.regex.finditer(self.text, lo, hi, overlapped=overlapped,
                                               timeout=5.0)

    def section_id(self, pos: int) -> str | None:
        return self.index.id_at(pos)


def _first_para(norm: NormText, pattern: regex.Pattern[str], lo: int, hi: int) -> int | None:
    for para in norm.paras:
        if lo <= para.span[0] < hi and pattern.match(norm.text, para.span[0], para.span[1],
                                                     timeout=1.0):
            return para.span[0]
    return None


def _preamble_start(norm: NormText, sections: Sequence[Section], preamble: regex.Pattern[str],
                    start: int, end: int) -> int:
    """Where the work text starts: the preamble, else the first section, else the body."""
    inside = [s for s in sections if start <= s.span[0] < end]
    limit = inside[0].span[0] if inside else end
    found = _first_para(norm, preamble, start, limit + 1)
    if found is not None:
        return found
    return limit if inside else start
