"""NormText -> the regions of a document: header (letterhead), title, body, closing (Nơi nhận and
the signature block) and each appendix (PHỤ LỤC, its title, its own numbering and tables).

The words are rule data (`sections.yaml`, ids `region.*` and `body.*`); this module only decides
where each region starts, from the first paragraph that opens it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import regex

from kttt_extract.model import NormText, Para, Span
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Slots
from kttt_extract.textnorm import all_caps

RegionKind = Literal["header", "title", "body", "closing", "appendix"]
HEADER_SCAN = 40  # the letterhead and the title sit in the first paragraphs
MAX_TITLE_LINES = 6
MAX_APPENDIX_TITLE_LINES = 4
MAX_HEADER_LINE_WORDS = 14


@dataclass(frozen=True)
class Region:
    """A stretch of whole paragraphs: `paras` indexes into `NormText.paras`, `span` into text."""

    kind: RegionKind
    span: Span
    paras: range
    title: str | None = None  # an appendix's title lines
    number: str | None = None  # an appendix's number as written ("I", "2")
    title_paras: range = range(0)  # the paragraphs of that title


class RegionRules(Slots):
    stage = "the regions reader"
    title = Pattern("body.start-title")
    letter = Pattern("body.start-letter")
    header_line = Pattern("region.header-line")
    preamble = Pattern("body.start-preamble")
    addressees = Pattern("meta.addressees")
    heading = Pattern("region.heading")
    end = Pattern("body.end")
    signature = Pattern("region.signature")
    appendix = Pattern("region.appendix", required=("num", "title"))


def _line(norm: NormText, para: Para) -> str:
    return norm.text[para.span[0]:para.span[1]]


def _matches(norm: NormText, para: Para, pattern: regex.Pattern[str]) -> bool:
    return bool(pattern.match(norm.text, para.span[0], para.span[1], timeout=1.0))


def _title_index(norm: NormText, rules: RegionRules) -> int | None:
    """The paragraph that opens the title: the kind line ("KẾ HOẠCH") or a letter's "V/v"."""
    kinds = [rules.title, rules.letter]
    for i, para in enumerate(norm.paras[:HEADER_SCAN]):
        if para.kind == "table_row":
            continue
        if any(_matches(norm, para, p) for p in kinds):
            return i
    return None


def _header_prefix(norm: NormText, rules: RegionRules) -> int:
    """Without a title line: the letterhead lines at the top (capitals, motto, number, place
    and date), kept only when a strong cue (motto, number, place and date) is among them."""
    cue = rules.header_line
    end, strong = 0, False
    for i, para in enumerate(norm.paras[:HEADER_SCAN]):
        line = _line(norm, para)
        if _matches(norm, para, cue):
            end, strong = i + 1, True
        elif (all_caps(line) and len(line.split()) <= MAX_HEADER_LINE_WORDS
              and not regex.match(r"[IVXLC]+\s*[.\-)]|\d", line)):
            end = i + 1
        else:
            break
    return end if strong else 0


def _title_end(norm: NormText, rules: RegionRules, start: int, stop: int) -> int:
    """The first paragraph after the title lines (and a letter's addressee block)."""
    openers = [rules.preamble]
    addressees = rules.addressees
    headings = rules.heading
    i = start + 1
    lines = 0
    while i < stop:
        para = norm.paras[i]
        line = _line(norm, para)
        if _matches(norm, para, addressees):
            i = _addressee_end(norm, i, stop)
            break
        opener = lines > 0 and any(_matches(norm, para, p) for p in openers)
        if (opener or _matches(norm, para, headings)
                or para.kind == "table_row" or lines >= MAX_TITLE_LINES
                or (lines > 0 and len(line.split()) > 40 and not all_caps(line))):
            break
        lines += 1
        i += 1
    return i


def _addressee_end(norm: NormText, start: int, stop: int) -> int:
    """After "Kính gửi:" and its dashed list (or its one line)."""
    i = start + 1
    while i < stop and _line(norm, norm.paras[i]).startswith(("-", "+", "•")):
        i += 1
    return i


def _closing_start(norm: NormText, rules: RegionRules, lo: int) -> int | None:
    """Where the recipients list or the signature block begins."""
    ends = [rules.end, rules.signature]
    for i in range(lo + 1, len(norm.paras)):
        if any(_matches(norm, norm.paras[i], p) for p in ends):
            return i
    return None


def _appendix_starts(norm: NormText, rules: RegionRules, lo: int) -> list[int]:
    pattern = rules.appendix
    return [i for i in range(lo, len(norm.paras))
            if norm.paras[i].kind != "table_row" and _matches(norm, norm.paras[i], pattern)]


def _appendix(norm: NormText, rules: RegionRules, start: int, stop: int) -> Region:
    pattern = rules.appendix
    first = norm.paras[start]
    m = pattern.match(norm.text, first.span[0], first.span[1])
    number = m.group("num") if m and m.group("num") else None
    title: list[str] = [m.group("title").strip()] if m and m.group("title").strip() else []
    i = start + 1
    heading = rules.heading
    while i < stop and i - start <= MAX_APPENDIX_TITLE_LINES:
        para = norm.paras[i]
        line = _line(norm, para)
        if para.kind == "table_row" or _matches(norm, para, heading):
            break
        if not (all_caps(line) or line.startswith("(")):
            break
        title.append(line.strip("() "))
        i += 1
    span = (first.span[0], norm.paras[stop - 1].span[1])
    return Region("appendix", span, range(start, stop), " ".join(title) or None, number,
                  range(start, i))


def _region(norm: NormText, kind: RegionKind, lo: int, hi: int) -> Region | None:
    if hi <= lo:
        return None
    return Region(kind, (norm.paras[lo].span[0], norm.paras[hi - 1].span[1]), range(lo, hi))


def find_regions(norm: NormText, ruleset: RuleSet) -> tuple[Region, ...]:
    """The regions in text order; together they cover every paragraph once."""
    n = len(norm.paras)
    if n == 0:
        return ()
    rules = RegionRules.of(ruleset)
    title = _title_index(norm, rules)
    header_end = title if title is not None else _header_prefix(norm, rules)
    body_start = (_title_end(norm, rules, title, n) if title is not None else header_end)
    closing = _closing_start(norm, rules, body_start)
    appendix_from = closing if closing is not None else body_start + 1
    appendices = _appendix_starts(norm, rules, appendix_from)
    body_end = closing if closing is not None else (appendices[0] if appendices else n)
    closing_end = appendices[0] if appendices else n
    found: list[Region | None] = [
        _region(norm, "header", 0, header_end),
        _region(norm, "title", header_end, body_start) if title is not None else None,
        _region(norm, "body", body_start, body_end),
        _region(norm, "closing", body_end, closing_end) if closing is not None else None,
    ]
    bounds = [*appendices, n]
    found += [_appendix(norm, rules, a, b) for a, b in itertools.pairwise(bounds)]
    return tuple(r for r in found if r is not None)


def work_regions(regions: Sequence[Region]) -> list[Region]:
    """The regions whose paragraphs hand out work: the body and the appendices."""
    return [r for r in regions if r.kind in ("body", "appendix")]


__all__ = ["Region", "RegionKind", "find_regions", "work_regions"]
