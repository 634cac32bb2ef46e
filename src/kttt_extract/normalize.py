"""Blocks -> NormText: one paragraph per line, NFC, one tone placement, one dash/quote/space
form, PDF hard line breaks re-joined, and a map from every character back to its block."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

import regex

from kttt_extract.model import Block, NormText, Para
from kttt_extract.textnorm import fold_tones, unify_chars

# A line that opens a new numbered or bulleted item: "II.", "II-", "1.", "2.1.", "2.1", "a)",
# "-", "+", "•". Numbers of three digits or more are quantities ("1.500 lao động"), not items.
_MARKER = regex.compile(
    r"""^(?:
        [IVXLC]{1,6}\s*[.\-)]
      | \d{1,2}(?:\.\d{1,2})+\.?(?=\s)
      | \d{1,2}[.)](?!\d)
      | \p{Ll}[.)](?=\s)
      | [-+•*◦▪]\s
    )""",
    regex.VERBOSE,
)
_TERMINAL = (".", ":", ";", "!", "?", ".)", ".\"", ";)")
_SPACES = regex.compile(r" {2,}")


@dataclass
class _Builder:
    """Accumulates the normalised text and, run by run, where each piece came from."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    runs: list[tuple[int, int, int, int]] = field(default_factory=list)

    def copy(self, text: str, block: int, offset: int) -> None:
        if text:
            self.runs.append((self.length, self.length + len(text), block, offset))
            self._add(text)

    def insert(self, text: str) -> None:
        self._add(text)

    def _add(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)


@dataclass
class _Open:
    """The paragraph being assembled."""

    start: int
    first_block: Block
    block_index: int
    last_line: str


def clean_line(text: str) -> list[tuple[str, int]]:
    """Unify characters and collapse spaces; returns pieces with their offsets in `text`."""
    unified = fold_tones(unify_chars(text))
    pieces: list[tuple[str, int]] = []
    body_end = len(unified.rstrip())
    pos = len(unified) - len(unified.lstrip())
    stripped_start = pos
    for m in _SPACES.finditer(unified, stripped_start, body_end):
        pieces.append((unified[pos:m.start() + 1], pos))
        pos = m.end()
    pieces.append((unified[pos:body_end], pos))
    return [(s, o) for s, o in pieces if s]


def _line_width(blocks: Sequence[Block]) -> int:
    lengths = sorted(len(b.text.strip()) for b in blocks if b.hints.hard_wrapped)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def _is_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def continues(prev: str, line: str, block: Block, width: int,
              openers: regex.Pattern[str] | None = None) -> bool:
    """Whether `line` carries on the paragraph whose last line is `prev`; `openers` matches
    words that open a paragraph in this genre ("Căn cứ", "Nơi nhận"), from the layout rules."""
    if _is_caps(line) and _is_caps(prev) and _MARKER.match(prev) and not _MARKER.match(line):
        return not prev.endswith((".", ":", ";"))  # a heading broken over two lines
    if _MARKER.match(line) or _is_caps(line) or _is_caps(prev):
        return False
    first = line[0]
    if first.islower() or first.isdigit():  # a marker was ruled out above: "18/3/2002, ..."
        return True
    if not block.hints.hard_wrapped:
        return False
    if prev.endswith(_TERMINAL) or (openers is not None and openers.match(line)):
        return False
    # an uppercase start after a short line: the short line ended its paragraph (a numbered
    # heading line is "short" sooner: it rarely fills the measure)
    ratio = 0.85 if _MARKER.match(prev) else 0.72
    return not (width and len(prev) < ratio * width)


def _prefix(block: Block) -> str:
    if block.number is None:
        return ""
    return block.number + " "


def normalize(blocks: Sequence[Block], openers: regex.Pattern[str] | None = None) -> NormText:
    """Assemble paragraphs from blocks; every Para span is one line of the result."""
    out = _Builder()
    paras: list[Para] = []
    width = _line_width(blocks)
    cur: _Open | None = None
    page: int | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            b = cur.first_block
            paras.append(Para(span=(cur.start, out.length), kind=b.kind, number=b.number,
                              level=b.level, page=b.page, block=cur.block_index,
                              hints=b.hints))
            cur = None

    for index, block in enumerate(blocks):
        if block.kind == "page_break":
            page = block.page
            continue
        pieces = clean_line(block.text)
        if not pieces:
            continue
        line = "".join(p for p, _ in pieces)
        joinable = block.kind == "paragraph" and block.number is None
        prev_ok = cur is not None and (
            cur.first_block.kind == "paragraph"
            or (cur.first_block.kind == "heading" and (line[0].islower() or _is_caps(line))))
        if cur is not None and joinable and prev_ok and continues(
            cur.last_line, line, block, width, openers
        ):
            glue = "" if _split_word(cur.last_line) else " "
            out.insert(glue)
            cur.last_line = line
        else:
            close()
            if paras or out.length:
                out.insert("\n")
            cur = _Open(out.length, _with_page(block, page), index, line)
            out.insert(_prefix(block))
        for piece, offset in pieces:
            out.copy(piece, index, offset)
    close()
    return NormText.model_construct(text="".join(out.parts), paras=tuple(paras),
                                    origin=tuple(out.runs))


def _split_word(prev: str) -> bool:
    """A line ending in a hyphen glued to a letter or digit: `20-` + `NQ/TW`."""
    return len(prev) >= 2 and prev[-1] == "-" and prev[-2].isalnum()


def _with_page(block: Block, page: int | None) -> Block:
    if block.page is None and page is not None:
        return block.model_copy(update={"page": page})
    return block


def locate(norm: NormText, pos: int) -> tuple[int, int] | None:
    """The (block index, offset in that block's text) of character `pos`, or None if inserted."""
    starts = [run[0] for run in norm.origin]
    i = bisect_right(starts, pos) - 1
    if i < 0:
        return None
    start, end, block, offset = norm.origin[i]
    if pos >= end:
        return None
    return block, offset + (pos - start)


__all__ = ["clean_line", "continues", "locate", "normalize"]
