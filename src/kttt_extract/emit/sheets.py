"""Tables as files: CSV (UTF-8 with a BOM, so Excel reads the Vietnamese) and XLSX.

The workbook is written in openpyxl's streaming (write-only) mode: rows go to the file as they
come, never held as cell objects. Each sheet has its header row frozen, a filter over its
columns, set column widths, and real date cells (shown `yyyy-mm-dd`) where a column holds dates.
Text that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
carriage return; document text and file names can) stays text: in the CSV it gets a leading `'`,
in the workbook its cell is typed as a string. The same rows give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from kttt_extract.emit.readable import Cell, Column

EXCEL_ROWS = 1_048_576
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
SPOOL_BYTES = 16 * 1024 * 1024  # a workbook larger is assembled in a temporary file


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

    book = StreamedBook()
    for sheet in sheets:
        book.add_sheet(sheet.name, sheet.columns)
        for row in sheet.rows:
            book.append(sheet.name, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class _Written:
    """A sheet being written: its columns and the rows it has, the header included."""

    ws: Any
    width: int
    rows: int = 1


class StreamedBook:
    """A workbook written a row at a time in openpyxl's write-only mode (each sheet's rows go to
    a temporary file as they come, and may come in any order between sheets), saved
    byte-stable by `save`."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)
        self.sheets: dict[str, _Written] = {}

    def add_sheet(self, name: str, columns: Sequence[Column]) -> None:
        """A sheet with its widths, frozen header row and header (these precede the rows)."""
        from openpyxl.styles import Font

        ws = self.book.create_sheet(name[:31])
        for i, col in enumerate(columns, start=1):
            ws.column_dimensions[column_letter(i)].width = col.width
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        ws.append([_text_cell(ws, c.name, font=bold) for c in columns])
        self.sheets[name] = _Written(ws, len(columns))

    def append(self, name: str, row: Sequence[Cell]) -> None:
        """One row of a sheet; rows past Excel's limit are dropped (the CSV keeps them)."""
        sheet = self.sheets[name]
        if sheet.rows < EXCEL_ROWS:
            sheet.ws.append([_cell(sheet.ws, v) for v in row])
            sheet.rows += 1

    def discard(self) -> None:
        """End each sheet's XML without saving the workbook (left open, the streaming writers
        would fail noisily when collected); openpyxl removes its files at exit."""
        for sheet in self.sheets.values():
            with contextlib.suppress(Exception):
                sheet.ws.close()
        self.sheets.clear()

    def save(self, out: BinaryIO) -> None:
        """Each sheet's filter over its rows, then the workbook, its zip made byte-stable."""
        import tempfile

        for sheet in self.sheets.values():
            sheet.ws.auto_filter.ref = f"A1:{column_letter(max(1, sheet.width))}{sheet.rows}"
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as raw:  # on disk when large
            self.book.save(raw)
            self.sheets.clear()
            raw.seek(0)
            _stable_zip(raw, out)


def _cell(ws: Any, value: Cell) -> Any:
    """A value as the workbook takes it: a plain value where openpyxl already writes it as we
    want (text as text, a date as `yyyy-mm-dd`: no cell object, the fast path), a cell made
    here where it would not."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

        if ILLEGAL_CHARACTERS_RE.search(value) or len(value) > 32767 or (
                value.startswith("=") or value in ERROR_CODES):
            return _text_cell(ws, value)  # kept as text: no formula, no error value
        return value
    if isinstance(value, dt.datetime):  # openpyxl would show its time too
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value  # a date: openpyxl's own format for one is DATE_FORMAT


def _text_cell(ws: Any, value: str, font: Any = None) -> Any:
    """A cell typed as text: never run as a formula, illegal XML characters dropped."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:32767])
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _stable_zip(raw: IO[bytes], out: BinaryIO) -> None:
    """The zip `raw` copied entry by entry (streamed: a sheet may be large) with fixed dates."""
    import re
    import shutil
    import zipfile

    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*")
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == "docProps/core.xml":
                body = stamp.sub(rb"\g<1>2000-01-01T00:00:00Z", src.read(info.filename))
                dst.writestr(entry, body)
                continue
            entry.file_size = info.file_size  # zip64 decided as writestr decides it
            with src.open(info) as data, dst.open(entry, "w") as copy:
                shutil.copyfileobj(data, copy, 1 << 20)
