"""The outline of the work text: every paragraph of the body and the appendices as a node with
its list marker, its rank and its parent, built once and read by the later stages.

One marker grammar for the whole package (Roman numerals, articles, decimals, letters, dashes,
pluses). Ranks follow the order of Vietnamese administrative writing (I. > 1. > 1.1. > a) > - >
+); a paragraph with no marker continues the item above it, except an intro ("Giao Sở X chủ
trì, phối hợp ...:") that opens the list after it, and a paragraph under a heading, which is a
node of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import regex

from kttt_extract.model import NormText, Section
from kttt_extract.regions import Region, work_regions

MarkerKind = Literal["roman", "article", "decimal", "letter", "dash", "plus"]
NodeKind = Literal["heading", "item", "intro", "paragraph"]

_MARKER = regex.compile(
    r"""(?:
        (?P<roman>[IVXLC]{1,6})\s*[.\-)]
      | (?P<article>Điều)\s+(?P<art>\d{1,3})\s*[.:]
      | (?P<decimal>\d{1,2}(?:\.\d{1,2}){0,4})(?:\s*[.)]|(?=\s+\S)(?<=\.\d{1,2}))
      | (?P<letter>\p{Ll})\s*[).](?=\s)
      | (?P<dash>[-–•*◦▪])(?=\s)
      | (?P<plus>\+)(?=\s)
    )\s*""",
    regex.VERBOSE,
)
RANKS: dict[MarkerKind, float] = {"roman": 1, "article": 1, "decimal": 2, "letter": 6,
                                  "dash": 7, "plus": 8}
HEADING_RANK = 1.0  # an unnumbered heading in capitals
MAX_HEADING_WORDS = 20


@dataclass(frozen=True)
class Marker:
    kind: MarkerKind
    label: str  # as written: "II", "1.2", "a", "-"
    end: int  # where the item's text starts
    rank: float


def marker(text: str, start: int = 0, end: int | None = None) -> Marker | None:
    """The list marker at `text[start:]`, if the paragraph opens with one."""
    m = _MARKER.match(text, start, len(text) if end is None else end)
    if m is None:
        return None
    kind: MarkerKind = next(k for k in RANKS if m.group(k))
    label = m.group("art") if kind == "article" else m.group(kind)
    rank = RANKS[kind]
    if kind == "decimal":
        rank += label.count(".")
    return Marker(kind, label, m.end(), rank)


@dataclass(frozen=True)
class Node:
    """A paragraph of the work text (with the unmarked paragraphs that continue it)."""

    index: int  # position in the outline
    para: int  # index of its first paragraph in NormText.paras
    start: int
    end: int  # the end of its own text: its paragraph and those that continue it
    text_start: int  # after the marker
    kind: NodeKind
    rank: float
    region: int  # index of its region
    marker: Marker | None = None
    parent: int | None = None
    children: tuple[int, ...] = ()

    def own(self, text: str) -> str:
        return text[self.text_start:self.end]


@dataclass
class _Draft:
    para: int
    start: int
    end: int
    text_start: int
    kind: NodeKind
    rank: float
    region: int
    marker: Marker | None
    parent: int | None
    children: list[int] = field(default_factory=list)


def _heading_like(text: str) -> bool:
    """A short title line: capitals, or a few words without a sentence's end."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 3 and all(c.isupper() for c in letters):
        return True
    return len(text.split()) <= MAX_HEADING_WORDS and not text.rstrip().endswith((".", ";"))


def _next_marker(norm: NormText, paras: Sequence[int], i: int) -> Marker | None:
    """The marker of the next paragraph that is not a table row or a note."""
    for j in paras[i + 1:]:
        para = norm.paras[j]
        if para.kind in ("table_row", "note"):
            continue
        return marker(norm.text, para.span[0], para.span[1])
    return None


def _floor(nodes: Sequence[_Draft], stack: Sequence[int]) -> float:
    """The rank of the innermost open heading: an intro opens a list inside it, never above."""
    return next((nodes[i].rank for i in reversed(stack) if nodes[i].kind == "heading"),
                HEADING_RANK)


def _region_nodes(norm: NormText, region: Region, region_index: int, heading_starts: set[int],
                  closing: regex.Pattern[str] | None, nodes: list[_Draft]) -> None:
    stack: list[int] = []  # open nodes, by index into `nodes`
    paras = [i for i in region.paras if i not in region.title_paras]
    for k, i in enumerate(paras):
        para = norm.paras[i]
        if para.kind in ("table_row", "note"):
            continue
        a, b = para.span
        line = norm.text[a:b]
        if closing is not None and closing.match(line):
            break  # "Trên đây là ...": the closing paragraphs are sentences, not items
        mark = marker(norm.text, a, b)
        top = nodes[stack[-1]] if stack else None
        if mark is not None or a in heading_starts:
            rank = mark.rank if mark else HEADING_RANK
            is_heading = a in heading_starts and _heading_like(line[(mark.end - a) if mark else 0:])
            kind: NodeKind = "heading" if is_heading or mark is None else "item"
            text_start = mark.end if mark else a
        elif (line.rstrip().endswith(":") and (nxt := _next_marker(norm, paras, k)) is not None
              and nxt.rank - 0.5 > _floor(nodes, stack)):
            rank, kind, text_start = nxt.rank - 0.5, "intro", a
        elif top is not None and top.kind in ("item", "paragraph"):
            top.end = b  # a paragraph that continues the item above
            continue
        else:
            rank = (top.rank + 0.25) if top is not None else HEADING_RANK + 0.25
            kind, text_start = "paragraph", a
        while stack and nodes[stack[-1]].rank >= rank:
            stack.pop()
        parent = stack[-1] if stack else None
        nodes.append(_Draft(i, a, b, text_start, kind, rank, region_index, mark, parent))
        if parent is not None:
            nodes[parent].children.append(len(nodes) - 1)
        stack.append(len(nodes) - 1)


def build_outline(norm: NormText, regions: Sequence[Region], sections: Sequence[Section],
                  closing: regex.Pattern[str] | None = None) -> tuple[Node, ...]:
    """The outline of the body and of each appendix (each with a tree of its own); `closing`
    matches the paragraph that closes the body ("Trên đây là ...")."""
    heading_starts = {s.span[0] for s in sections}
    drafts: list[_Draft] = []
    for index, region in enumerate(regions):
        if region in work_regions(regions):
            _region_nodes(norm, region, index, heading_starts, closing, drafts)
    return tuple(Node(i, d.para, d.start, d.end, d.text_start, d.kind, d.rank, d.region,
                      d.marker, d.parent, tuple(d.children)) for i, d in enumerate(drafts))


__all__ = ["Marker", "Node", "build_outline", "marker"]
