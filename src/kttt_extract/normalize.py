"""Blocks -> NormText: one paragraph per line, NFC, one tone placement, one dash/quote/space
form, PDF hard line breaks re-joined, and a map from every character back to its block."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex

from kttt_extract.model import Block, Cell, CellSpan, NormText, Para
from kttt_extract.ruleset.slots import Pattern, Slots
from kttt_extract.textnorm import all_caps, fold_tones, unify_chars

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
CELL_JOIN = " | "  # between the cells of a table row in the normalised text
MAX_FRAME_ROWS = 6  # a letterhead or signature table is small
MAX_FRAME_COLUMNS = 3
CAPS_LETTERS = 3  # letters a line needs, all capitals, to read as a capitalised heading line


@dataclass(frozen=True)
class Layout:
    """The page cues the normaliser reads, from the layout rules."""

    openers: regex.Pattern[str] | None = None  # words that open a paragraph ("Căn cứ")
    frame: regex.Pattern[str] | None = None  # a cell of a letterhead or signature table


class LayoutRules(Slots):
    stage = "the normaliser"
    openers = Pattern("layout.paragraph-openers")
    frame = Pattern("layout.frame-cells")

    def layout(self) -> Layout:
        return Layout(openers=self.openers, frame=self.frame)


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


def continues(prev: str, line: str, block: Block, width: int,
              openers: regex.Pattern[str] | None = None) -> bool:
    """Whether `line` carries on the paragraph whose last line is `prev`; `openers` matches
    words that open a paragraph in this genre ("Căn cứ", "Nơi nhận"), from the layout rules."""
    caps, prev_caps = all_caps(line, CAPS_LETTERS), all_caps(prev, CAPS_LETTERS)
    if caps and prev_caps and _MARKER.match(prev) and not _MARKER.match(line):
        return not prev.endswith((".", ":", ";"))  # a heading broken over two lines
    if caps or prev_caps or _MARKER.match(line):
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


def normalize(blocks: Sequence[Block], layout: Layout | None = None) -> NormText:
    """Assemble paragraphs from blocks; every Para span is one line of the result. A table row
    is one line of its cells joined by `CELL_JOIN`; the tables that only lay out a letterhead or
    a signature block ("frames") give one paragraph per line of each cell instead."""
    lay = layout or Layout()
    out = _Builder()
    paras: list[Para] = []
    width = _line_width(blocks)
    frames = _frame_tables(blocks, lay.frame)
    done = set(frames)
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

    def newline() -> None:
        if paras or out.length:
            out.insert("\n")

    for index, block in enumerate(blocks):
        if block.kind == "page_break":
            page = block.page
            continue
        if block.kind == "table_row":
            close()
            if block.table in frames:
                rows = frames.pop(block.table, [])  # the whole frame at its first row
                paras += _frame(out, rows, page, newline)
            elif block.table in done:
                continue
            elif (row := _row(out, block, index, page, newline)) is not None:
                paras.append(row)
            continue
        pieces = clean_line(block.text)
        if not pieces:
            continue
        line = "".join(p for p, _ in pieces)
        joinable = block.kind == "paragraph" and block.number is None
        prev_ok = cur is not None and (
            cur.first_block.kind == "paragraph"
            or (cur.first_block.kind == "heading"
                and (line[0].islower() or all_caps(line, CAPS_LETTERS))))
        if cur is not None and joinable and prev_ok and continues(
            cur.last_line, line, block, width, lay.openers
        ):
            glue = "" if _split_word(cur.last_line) else " "
            out.insert(glue)
            cur.last_line = line
        else:
            close()
            newline()
            cur = _Open(out.length, _with_page(block, page), index, line)
            out.insert(_prefix(block))
        for piece, offset in pieces:
            out.copy(piece, index, offset)
    close()
    return NormText.model_construct(text="".join(out.parts), paras=tuple(paras),
                                    origin=tuple(out.runs))


def _cell_lines(cell: Cell) -> list[list[tuple[str, int]]]:
    """The cleaned pieces of each non-empty line of a cell, offsets into the row's text."""
    out: list[list[tuple[str, int]]] = []
    pos = 0
    for line in cell.text.split("\n"):
        pieces = clean_line(line)
        if pieces:
            out.append([(p, o + pos) for p, o in pieces])
        pos += len(line) + 1
    return out


def _cell_offsets(block: Block) -> list[int]:
    """Where each cell's text starts in the block's text (cells joined by " | ")."""
    starts, pos = [], 0
    for cell in block.cells:
        starts.append(pos)
        pos += len(cell.text) + len(CELL_JOIN)
    return starts


def _row(out: _Builder, block: Block, index: int, page: int | None, newline: Callable[[], None]
         ) -> Para | None:
    """One line for a data table row: its cells joined by `CELL_JOIN`, each cell's span kept."""
    cells = block.cells or (Cell(text=block.text),)
    if not any(c.text.strip() for c in cells):
        return None
    newline()
    start = out.length
    spans: list[CellSpan] = []
    offsets = _cell_offsets(block) if block.cells else [0]
    for i, (cell, base) in enumerate(zip(cells, offsets, strict=True)):
        if i:
            out.insert(CELL_JOIN)
        cell_start = out.length
        for j, line in enumerate(_cell_lines(cell)):
            if j:
                out.insert(" ")
            for piece, offset in line:
                out.copy(piece, index, base + offset)
        spans.append(CellSpan(span=(cell_start, out.length), col=cell.col, width=cell.width,
                              merged=cell.merged))
    return Para(span=(start, out.length), kind="table_row", page=block.page or page, block=index,
                hints=block.hints, cells=tuple(spans), table=block.table)


def _frame(out: _Builder, rows: list[tuple[int, Block]], page: int | None,
           newline: Callable[[], None]) -> list[Para]:
    """The lines of a frame table as paragraphs, column after column (the recipients, then the
    signature block; the issuer and number, then the motto and the date)."""
    cells = sorted(((cell.col, r, i, base, cell, block)
                    for r, (i, block) in enumerate(rows)
                    for cell, base in zip(block.cells, _cell_offsets(block), strict=True)),
                   key=lambda x: (x[0], x[1]))
    paras: list[Para] = []
    for _, _, index, base, cell, block in cells:
        for line in _cell_lines(cell):
            newline()
            start = out.length
            for piece, offset in line:
                out.copy(piece, index, base + offset)
            paras.append(Para(span=(start, out.length), kind="paragraph",
                              page=block.page or page, block=index, hints=block.hints))
    return paras


def _frame_tables(blocks: Sequence[Block], frame: regex.Pattern[str] | None
                  ) -> dict[int, list[tuple[int, Block]]]:
    """The tables that lay out a letterhead or a signature block, with their rows: small, a few
    columns, and a cell that opens with a frame cue (motto, "Số:", "Nơi nhận", "TM.")."""
    rows: dict[int, list[tuple[int, Block]]] = {}
    for i, b in enumerate(blocks):
        if b.kind == "table_row" and b.table is not None:
            rows.setdefault(b.table, []).append((i, b))
    if frame is None:
        return {}
    return {t: rs for t, rs in rows.items()
            if len(rs) <= MAX_FRAME_ROWS
            and all(sum(c.width for c in r.cells) <= MAX_FRAME_COLUMNS for _, r in rs)
            and any(frame.search(line.strip()) for _, r in rs for c in r.cells
                    for line in c.text.split("\n"))}


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


__all__ = ["CELL_JOIN", "Layout", "clean_line", "continues", "locate", "normalize"]
