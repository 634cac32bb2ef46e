"""Text drawn by annotations (e-signature widgets, stamps, FreeText), put back into page lines.

Government document systems stamp the number and the day into the blank `Số:      /UBND-XD`
and `ngày   tháng 7` of a signed PDF as the appearance of the office's signature widget, which
no text layer holds. pdfium reads it for us: the page is copied into a scratch document, its
own content and every annotation we do not read are removed, the rest is flattened into page
content, and that page's text page gives the stamp characters with Unicode and page positions
(the appearance's BBox-to-Rect mapping and its fonts' ToUnicode handled by pdfium). The caller
asks only for pages whose annotation count is not zero, so other pages pay nothing.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

_READ = frozenset({pdfium_c.FPDF_ANNOT_WIDGET, pdfium_c.FPDF_ANNOT_STAMP,
                   pdfium_c.FPDF_ANNOT_FREETEXT})
_UNSEEN = (pdfium_c.FPDF_ANNOT_FLAG_HIDDEN | pdfium_c.FPDF_ANNOT_FLAG_INVISIBLE
           | pdfium_c.FPDF_ANNOT_FLAG_NOVIEW)
PIECE_GAP = 1.5  # ems: stamp characters further apart on one baseline are separate pieces
SAME_LINE = 0.5  # ems: baselines closer than this are one line
LINE_REACH = 3.0  # ems: a piece beside a line (not over it) joins it within this distance
SPACE_GAP = 0.25  # ems: a wider gap between a piece and its neighbour is a space
OVERPRINT = 0.15  # ems: a piece covering a glyph of a line by more is printed over it


@dataclass(frozen=True, slots=True)
class Box:
    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of stamp text on one baseline, in page coordinates (y grows upwards)."""

    text: str
    box: Box
    size: float  # font size, points

    @property
    def middle(self) -> float:
        return (self.box.bottom + self.box.top) / 2


def _wanted(annot: Any) -> bool:
    """A visible widget, stamp or FreeText annotation with a normal appearance."""
    return (pdfium_c.FPDFAnnot_GetSubtype(annot) in _READ
            and not pdfium_c.FPDFAnnot_GetFlags(annot) & _UNSEEN
            and bool(pdfium_c.FPDFAnnot_HasKey(annot, b"AP")))


def _annotations(page: Any) -> list[bool]:
    """For each annotation of a page, whether its appearance is read."""
    wanted: list[bool] = []
    for i in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, i)
        wanted.append(bool(annot) and _wanted(annot))
        if annot:
            pdfium_c.FPDFPage_CloseAnnot(annot)
    return wanted


def pieces(doc: Any, page: Any, index: int) -> list[Piece]:
    """The text of the page's annotation appearances, as pieces in page coordinates.

    `doc` and `page` are pypdfium2's PdfDocument and the PdfPage at `index`; neither changes.
    """
    if not any(_annotations(page)):
        return []  # links, highlights, notes: nothing to read, no copy made
    scratch = pdfium.PdfDocument.new()
    try:
        scratch.import_pages(doc, [index])
        copy = scratch[0]
        try:
            if not _flatten(copy):
                return []
        finally:
            copy.close()
        copy = scratch[0]  # pdfium wants a flattened page loaded again
        textpage = copy.get_textpage()
        try:
            return _pieces(textpage)
        finally:
            textpage.close()
            copy.close()
    except pdfium.PdfiumError:
        return []
    finally:
        scratch.close()


def _flatten(page: Any) -> bool:
    """Leave only the annotations we read on the page, drop its content, flatten them into it."""
    for i, wanted in reversed(list(enumerate(_annotations(page)))):
        if not wanted:
            pdfium_c.FPDFPage_RemoveAnnot(page, i)
    for i in reversed(range(pdfium_c.FPDFPage_CountObjects(page))):
        obj = pdfium_c.FPDFPage_GetObject(page, i)
        if obj and pdfium_c.FPDFPage_RemoveObject(page, obj):
            pdfium_c.FPDFPageObj_Destroy(obj)
    if not pdfium_c.FPDFPage_GenerateContent(page):
        return False
    return bool(pdfium_c.FPDFPage_Flatten(page, pdfium_c.FLAT_NORMALDISPLAY)
                == pdfium_c.FLATTEN_SUCCESS)


def char_box(textpage: Any, index: int) -> Box:
    """The tight box of character `index` of a text page."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pdfium_c.FPDFText_GetCharBox(textpage, index, ctypes.byref(left), ctypes.byref(right),
                                 ctypes.byref(bottom), ctypes.byref(top))
    return Box(left.value, bottom.value, right.value, top.value)


@dataclass
class _Run:
    text: list[str]
    boxes: list[Box]
    size: float

    def piece(self) -> Piece:
        box = Box(min(b.left for b in self.boxes), min(b.bottom for b in self.boxes),
                  max(b.right for b in self.boxes), max(b.top for b in self.boxes))
        return Piece("".join(self.text).strip(), box, self.size)

    def continued_by(self, box: Box) -> bool:
        last = self.boxes[-1]
        return (abs(box.bottom - last.bottom) <= SAME_LINE * self.size
                and -self.size <= box.left - last.right <= PIECE_GAP * self.size)


def _pieces(textpage: Any) -> list[Piece]:
    """Split the stamp characters into pieces at line ends and at wide gaps."""
    runs: list[_Run] = []
    run: _Run | None = None
    space = False
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        char = "-" if code == 0xFFFE else chr(code)
        if char in "\r\n":
            run, space = None, False
            continue
        if char.isspace() or code == 0 or 0xD800 <= code <= 0xDFFF:
            space = True
            continue
        box = char_box(textpage, i)
        if run is None or not run.continued_by(box):
            size = float(pdfium_c.FPDFText_GetFontSize(textpage, i)) or box.top - box.bottom
            run = _Run([], [], max(size, 1.0))
            runs.append(run)
        elif space:
            run.text.append(" ")
        run.text.append(char)
        run.boxes.append(box)
        space = False
    return [run.piece() for run in runs]


# --------------------------------------------------------------------------- merging


@dataclass(frozen=True, slots=True)
class LineRef:
    """A line of the page's text layer: characters `start:end` of the text page's text."""

    start: int
    end: int
    y: float | None  # baseline of its first character


def _char_boxes(textpage: Any, line: LineRef) -> list[Box | None]:
    """A box per character of the line's text (None for spaces and generated characters)."""
    boxes: list[Box | None] = []
    for t in range(line.start, line.end):
        index = int(pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, t))
        unicode = pdfium_c.FPDFText_GetUnicode(textpage, index) if index >= 0 else 32
        boxes.append(char_box(textpage, index) if not chr(unicode).isspace() else None)
    return boxes


def _distance(piece: Piece, boxes: list[Box | None]) -> float | None:
    """How far the piece lies beside the line (0 inside it); None if it is not at the line's
    height, infinite if it is printed over the line's text (over the body, not in a blank)."""
    placed = [b for b in boxes if b is not None]
    if not placed:
        return None
    reach = SAME_LINE * piece.size
    if not (min(b.bottom for b in placed) - reach <= piece.middle
            <= max(b.top for b in placed) + reach):
        return None
    if any(min(b.right, piece.box.right) - max(b.left, piece.box.left) > OVERPRINT * piece.size
           for b in placed):
        return math.inf
    left, right = min(b.left for b in placed), max(b.right for b in placed)
    return max(0.0, left - piece.box.right, piece.box.left - right)


@dataclass
class Placed:
    """Where the pieces of a page went."""

    merged: dict[int, str]  # line index: its new raw text, stamp text spliced in
    beside: list[Piece]  # on no line: in empty space, a line of their own
    over: list[Piece]  # printed over the text of a line, not into one of its blanks


def place(textpage: Any, text: str, lines: list[LineRef], found: list[Piece]) -> Placed:
    """Merge each piece into the line it sits on, where a blank or the line's end leaves room."""
    boxes: dict[int, list[Box | None]] = {}
    chosen: dict[int, list[Piece]] = {}
    placed = Placed({}, [], [])
    for piece in found:
        best: tuple[float, int] | None = None
        over = False
        for i, line in enumerate(lines):
            if line.y is not None and abs(line.y - piece.box.bottom) > 2 * piece.size:
                continue  # far above or below: not worth measuring
            if i not in boxes:
                boxes[i] = _char_boxes(textpage, line)
            distance = _distance(piece, boxes[i])
            over = over or distance == math.inf
            if distance is not None and distance <= LINE_REACH * piece.size and (
                    best is None or distance < best[0]):
                best = (distance, i)
        if best is not None:
            chosen.setdefault(best[1], []).append(piece)
        else:
            (placed.over if over else placed.beside).append(piece)
    for i, added in chosen.items():
        placed.merged[i] = _splice(text[lines[i].start:lines[i].end], boxes[i], added)
    return placed


def _splice(raw: str, boxes: list[Box | None], added: list[Piece]) -> str:
    """The line's text with each piece inserted where it stands; spaces under a piece go, and
    a piece is set off by one space where a visible gap separates it from its neighbour."""
    tokens: list[tuple[str, Box | None, float | None]] = []  # text, box, piece size
    for char, box in zip(raw, boxes, strict=True):
        tokens.append((char, box, None))
    for piece in sorted(added, key=lambda p: p.box.left):
        centre = (piece.box.left + piece.box.right) / 2
        at = next((k for k, (_, box, size) in enumerate(tokens) if box is not None
                   and (box.left + box.right) / 2 > centre), len(tokens))
        tokens.insert(at, (piece.text, piece.box, piece.size))
    out: list[str] = []
    prev: tuple[Box | None, float | None] | None = None
    space = False
    for token, box, size in tokens:
        if box is None and token.isspace():
            space = True
            continue
        if prev is not None:
            out.append(" " if _gap(prev, (box, size), space) else "")
        out.append(token)
        prev, space = (box, size), False
    return "".join(out)


def _gap(before: tuple[Box | None, float | None], after: tuple[Box | None, float | None],
         space: bool) -> bool:
    """Whether a space separates two tokens; measured where one of them is stamp text."""
    (left, left_size), (right, right_size) = before, after
    size = left_size or right_size
    if size is None or left is None or right is None:
        return space
    return right.left - left.right > SPACE_GAP * size
