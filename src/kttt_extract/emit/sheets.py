"""Tables as files: CSV (UTF-8 with a BOM, so Excel reads the Vietnamese) and XLSX.

The workbook is written by emit/xlsx.py a row at a time: each sheet has its header row frozen, a
filter over its columns, set column widths, and real date cells (shown `yyyy-mm-dd`).
Text that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
carriage return; document text and file names can) stays text: in the CSV it gets a leading `'`,
in the workbook its cell is typed as a string. The same rows give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kttt_extract.emit.readable import Cell, Column

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """A workbook with one sheet per table, made byte-stable (fixed zip dates)."""
    import io

    from kttt_extract.emit.xlsx import StreamedBook

    book = StreamedBook()
    for sheet in sheets:
        book.add_sheet(sheet.name, sheet.columns)
        for row in sheet.rows:
            book.append(sheet.name, row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
