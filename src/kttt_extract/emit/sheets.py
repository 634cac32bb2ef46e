"""Tables as files: CSV (UTF-8 with a BOM, so Excel reads the Vietnamese) and XLSX.

The workbook is written in openpyxl's streaming (write-only) mode: rows go to the file as they
come, never held as cell objects. Each sheet has its header row frozen, a filter over its
columns, set column widths, and real date cells (shown `yyyy-mm-dd`) where a column holds dates.
Text that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
carriage return; document text and file names can) stays text: in the CSV it gets a leading `'`,
in the workbook its cell is typed as a string. The same rows give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kttt_extract.emit.readable import Cell, Column

EXCEL_ROWS = 1_048_576
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Sheet:
    """One table: its name, its columns and its rows (an iterable, read once)."""

    name: str
    columns: tuple[Column, ...]
    rows: Iterable[Sequence[Cell]]


def csv_cell(value: Cell) -> str | int | float:
    """A value as the CSV writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_bytes(columns: Sequence[Column], rows: Iterable[Sequence[Cell]], *, bom: bool = True
              ) -> bytes:
    """A header line and the rows; `bom` for a file of its own (off for rows appended)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    if columns:
        writer.writerow([c.name for c in columns])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig" if bom else "utf-8")


def column_letter(index: int) -> str:
    """`A` for 1, `AA` for 27."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """A workbook with one sheet per table, made byte-stable (fixed zip and document dates)."""
    import io

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book, sheet)
    buf = io.BytesIO()
    book.save(buf)
    return _stable_zip(buf.getvalue())


def _write_sheet(book: Any, sheet: Sheet) -> None:
    from openpyxl.styles import Font

    ws = book.create_sheet(sheet.name[:31])
    for i, col in enumerate(sheet.columns, start=1):  # widths and panes precede the rows
        ws.column_dimensions[column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    ws.append([_text_cell(ws, c.name, font=bold) for c in sheet.columns])
    count = 1
    for row in sheet.rows:
        if count >= EXCEL_ROWS:  # Excel's limit; the CSV keeps every row
            break
        ws.append([_cell(ws, v) for v in row])
        count += 1
    last = column_letter(max(1, len(sheet.columns)))
    ws.auto_filter.ref = f"A1:{last}{count}"


def _cell(ws: Any, value: Cell) -> Any:
    if isinstance(value, str):
        return _text_cell(ws, value)
    if isinstance(value, dt.date):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


def _text_cell(ws: Any, value: str, font: Any = None) -> Any:
    """A cell typed as text: never run as a formula, illegal XML characters dropped."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:32767])
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _stable_zip(data: bytes) -> bytes:
    import io
    import re
    import zipfile

    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = stamp.sub(rb"\g<1>2000-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
