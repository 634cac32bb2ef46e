"""NormText + section rules -> the section tree, flattened with parent ids."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from kttt_extract.model import NormText, Para, Section, SectionKind
from kttt_extract.regions import Region, work_regions
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Bound, Family, Pattern, Slots
from kttt_extract.ruleset.vocab import Emit

_HEADING_END = regex.compile(r":|\.(?=\s+\p{Lu})|\.$")
MAX_HEADING = 1000


class NumberingEmit(Emit):
    """A numbering rule's rank (lower ranks hold higher ones); `rank_by_dots` adds one per dot
    of the number (2.1.3 is two below 2); `needs_kind` takes a heading only with a kind word."""

    rank: int
    rank_by_dots: bool = False
    needs_kind: bool = False


class KindEmit(Emit):
    """The kind of section a kind word gives."""

    kind: SectionKind


class SectionRules(Slots):
    stage = "the sections reader"
    numbering = Family("sections", NumberingEmit, marker="rank", groups=("num", "title"))
    kinds = Family("sections", KindEmit, marker="kind")
    lead_words = Pattern("kind.lead-words")
    requests = Pattern("kind.requests")


@dataclass(frozen=True)
class Heading:
    """A paragraph recognised as a heading, before it is placed in the tree."""

    para: Para
    number: str | None
    heading: str
    rank: int
    kind: SectionKind | None
    rule: str
    kind_rule: str | None


def _rank(rule: Bound[NumberingEmit], number: str | None) -> int:
    base = rule.emit.rank
    if number and rule.emit.rank_by_dots:
        return base + number.count(".")
    return base


def find_kind(title: str, rules: RuleSet) -> tuple[SectionKind | None, str | None]:
    """The kind named by a heading: the earliest kind word at its start, or anywhere in capitals."""
    caps = title.upper() == title
    own = SectionRules.of(rules)
    if not caps and own.requests.match(title, timeout=1.0):
        return None, None  # "Yêu cầu Sở X lập ...": a request, an item of work
    best: tuple[int, SectionKind, str] | None = None
    for rule in own.kinds:
        m = rule.regex.search(title, timeout=1.0)
        if m is None:
            continue
        lead = title[: m.start()].strip(" .,-–:*")
        if (caps or not lead or own.lead_words.fullmatch(lead, timeout=1.0)) and (
                best is None or m.start() < best[0]):
            best = (m.start(), rule.emit.kind, rule.id)
    return (best[1], best[2]) if best else (None, None)


def _short(title: str) -> str:
    m = _HEADING_END.search(title)
    head = title[: m.start()] if m else title
    return head.strip(" .:;,/")[:MAX_HEADING].rstrip()


def match_heading(para: Para, line: str, rules: RuleSet) -> Heading | None:
    """The heading a paragraph opens, if any numbering rule (or a kind word in capitals) fits."""
    if para.kind in ("table_row", "note"):
        return None
    for rule in SectionRules.of(rules).numbering:
        m = rule.regex.match(line, timeout=1.0)
        if m is None:
            continue
        groups = m.groupdict()
        number = groups.get("num")
        title = (groups.get("title") or "").strip()
        kind, kind_rule = find_kind(_short(title), rules)
        if rule.emit.needs_kind and kind is None:
            continue
        return Heading(para, number, _short(title), _rank(rule, number), kind, rule.id, kind_rule)
    return None


def segment(norm: NormText, rules: RuleSet, regions: Sequence[Region]) -> list[Section]:
    """Find headings in the body and in each appendix (each with a tree of its own) and nest
    them by rank; spans run to the next heading of equal or lower rank, or the region's end."""
    sections: list[Section] = []
    for region in work_regions(regions):
        heads = [
            h
            for p in (norm.paras[i] for i in region.paras)
            if (h := match_heading(p, norm.text[p.span[0]:p.span[1]], rules)) is not None
        ]
        sections += _tree(heads, region.span[1] + 1, len(sections))
    return sections


def _tree(heads: Sequence[Heading], end: int, first: int) -> list[Section]:
    sections: list[Section] = []
    stack: list[tuple[int, int]] = []  # (rank, index into sections)
    for i, h in enumerate(heads):
        while stack and stack[-1][0] >= h.rank:
            stack.pop()
        parent = sections[stack[-1][1]] if stack else None
        kind: SectionKind = h.kind or (parent.kind if parent else "other")
        stop = end
        for later in heads[i + 1 :]:
            if later.rank <= h.rank:
                stop = later.para.span[0]
                break
        sections.append(
            Section(id=f"s{first + i + 1}", number=h.number, heading=h.heading, kind=kind,
                    level=len(stack) + 1, parent=parent.id if parent else None,
                    span=(h.para.span[0], max(stop - 1, h.para.span[1])), rule=h.rule,
                    kind_rule=h.kind_rule)
        )
        stack.append((h.rank, i))
    return sections


class SectionIndex:
    """Answers "which section holds this offset" for the extractors; parents by index."""

    def __init__(self, sections: Sequence[Section]) -> None:
        self.sections = list(sections)
        self._starts = [s.span[0] for s in self.sections]
        by_id = {s.id: i for i, s in enumerate(self.sections)}
        self.parents: list[int | None] = [by_id.get(s.parent) if s.parent else None
                                          for s in self.sections]

    def _innermost(self, pos: int) -> int | None:
        i: int | None = bisect_right(self._starts, pos) - 1
        while i is not None and i >= 0:
            if self.sections[i].span[0] <= pos <= self.sections[i].span[1]:
                return i
            i = self.parents[i]
        return None

    def innermost(self, pos: int) -> Section | None:
        i = self._innermost(pos)
        return self.sections[i] if i is not None else None

    def id_at(self, pos: int) -> str | None:
        s = self.innermost(pos)
        return s.id if s else None

    def chain(self, pos: int) -> list[Section]:
        """Innermost first, then its ancestors."""
        out: list[Section] = []
        found = self._innermost(pos)
        while found is not None:
            out.append(self.sections[found])
            found = self.parents[found]
        return out
