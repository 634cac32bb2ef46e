"""PDF text layer: pypdfium2 reads it (fast, column order kept), one block per line.

Page numbers and running headers/footers are dropped here, because no engine does it; bold
and centred lines become hints for the section finder. pdfplumber, 40 to 90 times slower, reads
only the pages that draw enough lines to hold a ruled table (`pdf_tables`); their rows replace
the text lines inside each table. Each page's text layer is judged (textlayer.py); scans and
broken fonts go to the optional OCR loader page by page (pdfroute.py).
"""

from __future__ import annotations

import ctypes
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import regex

from kttt_extract import encodings
from kttt_extract.errors import EncryptedPdf, UnreadableInput
from kttt_extract.loaders import LoadOptions, pdfannots, pdflimits, pdfroute, sha256
from kttt_extract.loaders.pagewords import pdf_page_number
from kttt_extract.loaders.pdf_tables import PdfTable, may_hold_table, read_tables
from kttt_extract.loaders.textlayer import PageText, needs_image_cover
from kttt_extract.model import Block, Hints, Loaded, Notice, Signature, Source, SourceFormat
from kttt_extract.textnorm import nfc

FURNITURE_LINES = 2  # how many lines at the top and at the bottom may be running furniture
FURNITURE_BAND = 0.15  # ... and only within this share of the page height from its edge
REPEAT_SHARE = 0.6  # a line repeated on this share of pages (at least 2) is a running header
Y_TOLERANCE = 6.0  # points; a running header may move this much between pages

_LINE_END = regex.compile(r"\r\n|\r|\n")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")  # re: a plain class, faster
_DIGITS = regex.compile(r"\d+")
_SUBSET = regex.compile(r"^[A-Z]{6}\+")
_BOLD_NAME = regex.compile(r"bold|black|heavy|semibold|demi", regex.IGNORECASE)
_FORCE_BOLD = 1 << 18  # PDF font descriptor flag
_DAMAGED_HINT = "the file is truncated or corrupt; save or download it again"
_PDFIUM_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "cannot open file",
    pdfium_c.FPDF_ERR_FORMAT: "bad PDF structure",
    pdfium_c.FPDF_ERR_PAGE: "page not found or content error",
}


@dataclass(frozen=True, slots=True)
class _Line:
    """A line of a page's text layer with what its characters told us about its layout."""

    text: str
    x0: float | None = None  # left edge of its first character, PDF points
    x1: float | None = None  # right edge of its last character
    y: float | None = None  # baseline of its first character (PDF y grows upwards)
    bold: bool = False
    font: str | None = None
    start: int = -1  # where its raw text starts and ends in the text page's text
    end: int = -1
    stamp: bool = False  # holds text drawn by an annotation (an e-signature stamp)


@dataclass(frozen=True, slots=True)
class _Page:
    number: int  # 1-based
    width: float
    bottom: float  # page box in the coordinates of its characters (y grows upwards)
    top: float
    lines: tuple[_Line, ...]
    raw: str = ""  # the text layer as pdfium gives it, for the judge
    image_cover: float = 0.0  # share of the page under images, measured when its text is thin
    ruled: bool = False  # its drawing has enough paths to hold a ruled table


def load(data: bytes, path: str, options: LoadOptions, fmt: SourceFormat) -> Loaded:
    """Read the text layer of a PDF: one `hard_wrapped` paragraph block per line. Pages whose
    text layer fails the judge (scans, broken fonts) go to OCR as `options.ocr` says."""
    pdflimits.check(data, path, options)  # pages and inflated streams, before pdfium reads
    pages, counted = _read_document(data, path, options.password)
    signatures, unread = _signatures(data, options.password, counted) if counted else ((), ())
    dropped = _furniture(pages, pdf_page_number(options.ruleset()))
    ruled = read_tables(data, options.password, [p.number for p in pages if p.ruled])
    codec = encodings.Codec.of(options.ruleset())
    blocks, legacy = codec.fix_blocks(_blocks(pages, dropped, _frame(pages), ruled))
    judged = [PageText(number=p.number, text=p.raw, lines=len(p.lines), height=p.top - p.bottom,
                       image_cover=p.image_cover) for p in pages]
    routed = pdfroute.route(data, path, options, judged, blocks)
    warnings = (*routed.warnings, *unread)
    if b"%%EOF" not in data[-4096:]:
        warnings = (*warnings, Notice(code="pdf-truncated", message="the PDF has no %%EOF end "
                                      "marker: it may be truncated"))
    if legacy is not None:  # lines typed in .VnTime or VNI-Times fonts, read by font name
        warnings = (*warnings, Notice(code="legacy-encoding",
                                      message=f"text in the {encodings.NAMES[legacy]} "
                                              "encoding converted to Unicode"))
    source = Source(path=path, format="pdf", sha256=sha256(data), pages=len(pages),
                    ocr=routed.ocr, ocr_pages=routed.ocr_pages)
    return Loaded(source=source, blocks=routed.blocks, warnings=warnings, signatures=signatures)


def _signatures(data: bytes, password: str | None, counted: int
                ) -> tuple[tuple[Signature, ...], tuple[Notice, ...]]:
    """The signatures (pdfium counted `counted` signature fields with a value) and notices of
    what could not be read."""
    from kttt_extract.loaders import pdfsig

    found, unread = pdfsig.signatures(data, password)
    if len(found) < counted and not unread:
        unread.append(Notice(code="signature-unreadable",
                             message=f"{counted - len(found)} of {counted} signatures cannot be "
                                     "read"))
    return tuple(found), tuple(unread)


# --------------------------------------------------------------------------- reading


def _open(data: bytes, path: str, password: str | None) -> Any:
    """Open with pypdfium2, turning its failures into our typed errors."""
    try:
        return pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedPdf("encrypted PDF", path=path, hint="pass --password") from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise EncryptedPdf("encrypted PDF with an unsupported security handler", path=path,
                               hint="remove the protection in the application that made it"
                               ) from None
        reason = _PDFIUM_ERRORS.get(code, "unknown error")
        raise UnreadableInput(f"damaged PDF: {reason}", path=path, hint=_DAMAGED_HINT) from None


def _read_document(data: bytes, path: str, password: str | None) -> tuple[list[_Page], int]:
    """Every page's lines and how many signatures the PDF has; pages and text pages are closed
    as we go to bound memory."""
    doc = _open(data, path, password)
    try:
        count = len(doc)
        if count == 0:
            raise UnreadableInput("damaged PDF: no pages", path=path, hint=_DAMAGED_HINT)
        pages = [_read_page(doc, index, path) for index in range(count)]
        return pages, max(0, int(pdfium_c.FPDF_GetSignatureCount(doc)))
    finally:
        doc.close()


def _read_page(doc: Any, index: int, path: str) -> _Page:
    try:
        page = doc[index]
    except pdfium.PdfiumError:
        raise UnreadableInput(f"damaged PDF: page {index + 1} cannot be read", path=path,
                              hint=_DAMAGED_HINT) from None
    try:
        left, bottom, right, top = page.get_bbox()
        ruled = may_hold_table(page)
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
            lines = tuple(_lines(textpage, text))
            if pdfium_c.FPDFPage_GetAnnotCount(page):  # the only cost for other pages
                lines = _stamped(doc, page, index, textpage, text, lines)
        finally:
            textpage.close()
        thin = PageText(number=index + 1, text="", lines=len(lines), height=float(top - bottom))
        cover = pdfroute.image_cover(page) if needs_image_cover(thin) else 0.0
    except pdfium.PdfiumError:
        raise UnreadableInput(f"damaged PDF: text of page {index + 1} cannot be read",
                              path=path, hint=_DAMAGED_HINT) from None
    finally:
        page.close()
    return _Page(number=index + 1, width=float(right - left), bottom=float(bottom),
                 top=float(top), lines=lines, raw=text, image_cover=cover, ruled=ruled)


def _lines(textpage: Any, text: str) -> list[_Line]:
    """Split a page's text into lines and read each line's position and font."""
    out: list[_Line] = []
    chars = _Chars(textpage)
    start = 0
    for match in [*_LINE_END.finditer(text), None]:
        end = match.start() if match else len(text)
        raw = text[start:end]
        if raw.strip():
            out.append(_measure(chars, raw, start, end))
        start = match.end() if match else end
    return out


def _stamped(doc: Any, page: Any, index: int, textpage: Any, text: str,
             lines: tuple[_Line, ...]) -> tuple[_Line, ...]:
    """The lines with the text of annotation appearances (e-signature stamps) merged in where
    it stands. Stamp text in empty space becomes a line of its own in reading order; stamp
    text printed over the body goes after the page's lines, where it splits no paragraph."""
    found = pdfannots.pieces(doc, page, index)
    if not found:
        return lines
    refs = [pdfannots.LineRef(line.start, line.end, line.y) for line in lines]
    placed = pdfannots.place(textpage, text, refs, found)
    out = [replace(line, text=_clean(placed.merged[i]), stamp=True) if i in placed.merged
           else line for i, line in enumerate(lines)]
    for piece in placed.beside + placed.over:
        box = piece.box
        at = len(out) if piece in placed.over else next(
            (k for k, line in enumerate(out) if line.y is not None and line.y < box.bottom),
            len(out))
        out.insert(at, _Line(text=_clean(piece.text), x0=box.left, x1=box.right, y=box.bottom,
                             stamp=True))
    return tuple(out)


def _clean(raw: str) -> str:
    return nfc(_CONTROL.sub("", raw.replace("\ufffe", "-"))).strip()


def _measure(chars: _Chars, raw: str, start: int, end: int) -> _Line:
    """Position and boldness of a line from its first, middle and last visible characters."""
    head = len(raw) - len(raw.lstrip())
    tail = len(raw.rstrip()) - 1
    middle = (head + tail) // 2
    if raw[middle].isspace():  # a space between words: take the letter before it
        middle -= 1
    index = chars.index
    probes = (index(start + head), index(start + middle), index(start + tail))
    text = _clean(raw)
    if min(probes) < 0:
        return _Line(text=text, start=start, end=end)
    first, _, last = probes
    found = [chars.font(p) for p in probes]
    return _Line(text=text, x0=chars.box(first)[0], x1=chars.box(last)[2],
                 y=chars.baseline(first), bold=all(bold for _, bold in found),
                 font=found[0][0], start=start, end=end)


class _Chars:
    """Where single characters of one text page are, their font name (subset prefix removed)
    and whether it is bold: C calls on the page's handle through buffers made once a page; a
    page uses few fonts, so each name is parsed once."""

    def __init__(self, textpage: Any) -> None:
        self.raw = textpage.raw
        self.box_out = tuple(ctypes.c_double() for _ in range(4))  # left, right, bottom, top
        self.origin = (ctypes.c_double(), ctypes.c_double())
        self.buf = ctypes.create_string_buffer(128)
        self.flags = ctypes.c_int()
        self.known: dict[tuple[bytes, int], tuple[str | None, bool]] = {}

    def index(self, text_index: int) -> int:  # of a position in the page's text; < 0: none
        return int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(self.raw, text_index))

    def box(self, index: int) -> tuple[float, float, float, float]:
        """Left, bottom, right and top of a character's tight box."""
        left, right, bottom, top = self.box_out
        if not pdfium_c.FPDFText_GetCharBox(self.raw, index, left, right, bottom, top):
            raise pdfium.PdfiumError("Failed to get charbox.")
        return float(left.value), float(bottom.value), float(right.value), float(top.value)

    def baseline(self, index: int) -> float:
        pdfium_c.FPDFText_GetCharOrigin(self.raw, index, *map(ctypes.byref, self.origin))
        return float(self.origin[1].value)

    def font(self, index: int) -> tuple[str | None, bool]:
        size = pdfium_c.FPDFText_GetFontInfo(self.raw, index, self.buf, len(self.buf),
                                             ctypes.byref(self.flags))
        if size <= 0:
            return None, False
        # a name longer than the buffer is not written: read as no name, as a fresh buffer would
        key = (self.buf.value if size <= len(self.buf) else b"", self.flags.value)
        found = self.known.get(key)
        if found is None:
            name = _SUBSET.sub("", key[0].decode("utf-8", errors="replace"))
            bold = bool(key[1] & _FORCE_BOLD) or bool(_BOLD_NAME.search(name))
            found = self.known[key] = (name or None, bold)
        return found


# --------------------------------------------------------------------------- page furniture


def _edges(page: _Page) -> list[tuple[int, str]]:
    """Lines that may be running furniture: the few nearest the top and the bottom of a page,
    inside the outer band of its height; returned as (line index, zone)."""
    placed = sorted((i for i, line in enumerate(page.lines) if line.y is not None),
                    key=lambda i: -(page.lines[i].y or 0.0))
    band = (page.top - page.bottom) * FURNITURE_BAND
    top = [i for i in placed[:FURNITURE_LINES] if (page.lines[i].y or 0.0) > page.top - band]
    bottom = [i for i in placed[-FURNITURE_LINES:]
              if (page.lines[i].y or 0.0) < page.bottom + band and i not in top]
    return [(i, "top") for i in top] + [(i, "bottom") for i in bottom]


def _is_page_number(line: _Line, pages: int, pattern: regex.Pattern[str]) -> bool:
    match = pattern.match(line.text)
    return match is not None and int(match.group(1)) <= pages + 10


def _furniture(pages: list[_Page], page_number: regex.Pattern[str]) -> set[tuple[int, int]]:
    """(page index, line index) of page numbers and running headers/footers."""
    dropped: set[tuple[int, int]] = set()
    repeats: dict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)
    for p, page in enumerate(pages):
        edges = _edges(page)
        for i, zone in edges:
            line = page.lines[i]
            if _is_page_number(line, len(pages), page_number):
                dropped.add((p, i))
            repeats[(zone, _DIGITS.sub("0", line.text))].append((p, i, line.y or 0.0))
    needed = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    for hits in repeats.values():
        middle = statistics.median(y for _, _, y in hits)
        near = [(p, i) for p, i, y in hits if abs(y - middle) <= Y_TOLERANCE]
        if len({p for p, _ in near}) >= needed:
            dropped.update(near)
    return dropped


# --------------------------------------------------------------------------- blocks


def _frame(pages: list[_Page]) -> tuple[float, float]:
    """Left and right edges of the text area: the 5th percentile of line starts, and the 95th
    of line ends or the page width less the left margin, whichever is further right."""
    lefts = sorted(line.x0 for p in pages for line in p.lines if line.x0 is not None)
    rights = sorted(line.x1 for p in pages for line in p.lines if line.x1 is not None)
    if not lefts or not rights:
        return 0.0, 0.0
    left = lefts[len(lefts) // 20]
    width = statistics.median(p.width for p in pages)
    return left, max(rights[len(rights) * 19 // 20], width - left)


def _centered(line: _Line, frame: tuple[float, float]) -> bool:
    """Centre near the frame's centre and clearly indented on both sides."""
    left, right = frame
    width = right - left
    if line.x0 is None or line.x1 is None or width <= 0:
        return False
    indent = width * 0.08
    off_centre = abs((line.x0 + line.x1) / 2 - (left + right) / 2)
    return off_centre <= max(width * 0.03, 6.0) and line.x0 - left >= indent and (
        right - line.x1 >= indent)


def _blocks(pages: list[_Page], dropped: set[tuple[int, int]], frame: tuple[float, float],
            ruled: Sequence[PdfTable] = ()) -> list[Block]:
    """One block per line; the lines inside a ruled table give way to its rows. A table that
    goes on over a page break (nothing but the break between its parts, the same columns) keeps
    one table index, so that its header names the columns of both parts."""
    blocks: list[Block] = []
    placed: dict[int, int] = {}  # ruled table -> table index
    for p, page in enumerate(pages):
        if p:
            blocks.append(Block(kind="page_break", text="", page=page.number))
        here = [(t, table) for t, table in enumerate(ruled) if table.page == page.number]
        for i, line in enumerate(page.lines):
            top = page.top - line.y if line.y is not None else None
            inside = next((t for t, table in here if table.holds(line.x0, top)), None)
            if inside is not None:
                if inside not in placed:
                    placed[inside] = _table_index(blocks, ruled[inside], placed)
                    _add_rows(blocks, _table_blocks(ruled[inside], placed[inside], page.number))
                continue
            if (p, i) in dropped or not line.text:
                continue
            hints = Hints(bold=line.bold, centered=_centered(line, frame), hard_wrapped=True,
                          font=line.font, stamp=line.stamp)
            blocks.append(Block(kind="paragraph", text=line.text, page=page.number, hints=hints))
    return blocks


def _table_index(blocks: list[Block], table: PdfTable, placed: dict[int, int]) -> int:
    """The index of the table just before the page break when `table` continues it, else a
    new one."""
    last = next((b for b in reversed(blocks) if b.kind != "page_break"), None)
    if (last is not None and last.kind == "table_row" and last.table is not None
            and blocks[-1].kind == "page_break"
            and sum(c.width for c in last.cells) == sum(c.width for c in table.rows[0])):
        return last.table
    return max(placed.values(), default=-1) + 1


def _add_rows(blocks: list[Block], rows: list[Block]) -> None:
    """Add a table's rows. When the table goes on from before a page break, its header row
    repeated at the top of the page is kept as a row (the reader skips repeated headers), and a
    row with no number just after it is the rest of the row split by the break: it is joined to
    that row, cell by cell."""
    i = next((k for k in range(len(blocks) - 1, -1, -1) if blocks[k].kind != "page_break"), -1)
    last = blocks[i] if i >= 0 else None
    if not rows or last is None or last.table != rows[0].table:
        blocks += rows
        return
    head = next((b for b in blocks if b.kind == "table_row" and b.table == last.table), None)
    skip = 1 if head is not None and _texts(rows[0]) == _texts(head) else 0
    first = rows[skip] if skip < len(rows) else None
    if first is not None and not first.cells[0].text.strip() and len(first.cells) == len(
            last.cells):
        cells = tuple(a.model_copy(update={"text": "\n".join(t for t in (a.text, b.text) if t)})
                      for a, b in zip(last.cells, first.cells, strict=True))
        blocks[i] = last.model_copy(update={"cells": cells,
                                            "text": " | ".join(c.text for c in cells)})
        rows = rows[:skip] + rows[skip + 1:]
    blocks += rows


def _texts(block: Block) -> list[str]:
    return [" ".join(c.text.split()) for c in block.cells]


def _table_blocks(table: PdfTable, index: int, page: int) -> list[Block]:
    return [Block(kind="table_row", text=" | ".join(c.text for c in row), cells=row,
                  table=index, page=page) for row in table.rows]
