"""Ruled tables of a PDF as table rows with their cells, merged cells resolved.

The text layer reads a table line by line across its columns, which mixes the cells of a row.
On the pages whose drawing has enough lines to hold a table (counted cheaply by the PDF loader),
pdfplumber finds the ruled tables; the loader then replaces the text lines inside each table by
its rows. A cell that pdfplumber leaves empty (None) is covered by a merged cell: by the cell on
its left when that one reaches over its column, else by the cell above.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from kttt_extract.errors import EncryptedPdf, UnreadableInput
from kttt_extract.model import Cell
from kttt_extract.textnorm import nfc

MIN_ROWS = 1  # a table split by a page break may leave one row on the next page
MIN_TABLE_PATHS = 8  # a ruled table of two rows and two columns draws at least this many
MIN_COLUMNS = 2


def may_hold_table(page: Any) -> bool:
    """Whether a pypdfium2 page draws enough lines or boxes (path objects of its own, not of
    its forms) to hold a ruled table: a cheap count that spares pdfplumber the other pages,
    read through pdfium's own calls (no Python object per page object)."""
    count = pdfium_c.FPDFPage_CountObjects(page)
    if count < 0:
        raise pdfium.PdfiumError("Failed to get number of pageobjects.")
    paths = 0
    for i in range(count):
        obj = pdfium_c.FPDFPage_GetObject(page, i)
        if not obj:
            raise pdfium.PdfiumError("Failed to get pageobject.")
        paths += pdfium_c.FPDFPageObj_GetType(obj) == pdfium_c.FPDF_PAGEOBJ_PATH
        if paths >= MIN_TABLE_PATHS:
            return True
    return False


@dataclass(frozen=True)
class PdfTable:
    """A ruled table of one page: its box (points from the page's top-left) and its rows."""

    page: int  # 1-based
    x0: float
    top: float
    x1: float
    bottom: float
    rows: tuple[tuple[Cell, ...], ...]

    def holds(self, x: float | None, top: float | None) -> bool:
        """Whether a text line starting at (x, top) lies inside the table."""
        if x is None or top is None:
            return False
        return self.x0 - 2 <= x <= self.x1 + 2 and self.top - 2 <= top <= self.bottom + 2


def _column_centres(table: Any) -> list[float]:
    return [(col.bbox[0] + col.bbox[2]) / 2 for col in table.columns if col.bbox]


def _rows(table: Any) -> tuple[tuple[Cell, ...], ...]:
    """The rows of a pdfplumber table as cells on its grid."""
    texts = table.extract()
    centres = _column_centres(table)
    rows: list[tuple[Cell, ...]] = []
    for r, (row, values) in enumerate(zip(table.rows, texts, strict=False)):
        cells: list[Cell] = []
        for c, value in enumerate(values):
            box = row.cells[c] if c < len(row.cells) else None
            if box is not None:
                cells.append(Cell(text=nfc(value or ""), col=c))
                continue
            left = next((row.cells[k] for k in range(c - 1, -1, -1) if row.cells[k]), None)
            if cells and left is not None and c < len(centres) and left[2] >= centres[c]:
                cells[-1] = cells[-1].model_copy(update={"width": cells[-1].width + 1})
            elif r > 0:
                cells.append(Cell(text="", col=c, merged=True))
        if any(cell.text for cell in cells):
            rows.append(tuple(cells))
    return tuple(rows)


def read_tables(data: bytes, password: str | None, pages: Sequence[int]) -> list[PdfTable]:
    """The ruled tables of the given 1-based pages."""
    if not pages:
        return []
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    found: list[PdfTable] = []
    try:
        with pdfplumber.open(BytesIO(data), password=password or "", pages=list(pages)) as pdf:
            for page in pdf.pages:
                for table in page.find_tables():
                    rows = _rows(table)
                    if len(rows) >= MIN_ROWS and max(len(r) for r in rows) >= MIN_COLUMNS:
                        x0, top, x1, bottom = table.bbox
                        found.append(PdfTable(page.page_number, float(x0), float(top),
                                              float(x1), float(bottom), rows))
                page.close()
    except (PdfminerException, MalformedPDFException, PSException) as exc:
        cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args else exc
        if isinstance(cause, PDFEncryptionError):
            raise EncryptedPdf("encrypted PDF", hint="pass --password") from None
        raise UnreadableInput("damaged PDF: tables cannot be read",
                              hint="the file is truncated or corrupt") from None
    return found


__all__ = ["PdfTable", "read_tables"]
