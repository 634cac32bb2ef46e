"""Roll-up tables over many documents' JSON: targets.csv, deadlines.csv, tasks.csv, rollup.xlsx.

Rows are read from the JSON each document was written as (not from a `Result`), so a resumed
batch rolls up the files it skipped too. Output is byte-stable: the same documents give
byte-identical files (CSV in UTF-8 with a BOM for Excel; the workbook with fixed dates).
Text that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
carriage return; document text and file names can) stays text: in the CSV it gets a leading `'`,
in the workbook its cell is typed as a string.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Cell = str | int | float | None
DOC_COLUMNS = ("path", "doc_kind", "doc_number", "doc_issuer", "doc_date")
TABLES = ("targets", "deadlines", "tasks")
XLSX = "rollup.xlsx"
_TAIL = ("section", "rule", "span")
EXCEL_ROWS = 1_048_576
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def item_columns(table: str) -> tuple[str, ...]:
    """Item fields of a table, from the model: id first, where-from fields last."""
    from pydantic import BaseModel

    from kttt_extract.model import Deadline, Target, Task

    models: dict[str, type[BaseModel]] = {"targets": Target, "deadlines": Deadline, "tasks": Task}
    middle = [f for f in models[table].model_fields if f != "id" and f not in _TAIL]
    return ("id", *middle, *_TAIL)


def table_rows(table: str, doc: dict[str, Any]) -> Iterator[list[Cell]]:
    """One row per item of `table` in a document's JSON: document columns, then item fields."""
    meta = doc.get("document") or {}
    head: list[Cell] = [doc["source"]["path"], *(meta.get(k[4:]) for k in DOC_COLUMNS[1:])]
    names = {a["id"]: a["name"] for a in doc.get("agencies", [])}
    for item in doc.get(table, []):
        row = list(head)
        for col in item_columns(table):
            value = item.get(col)
            if table == "tasks" and col in ("lead", "support", "report_to"):
                value = [names.get(v, v) for v in value or []]
            row.append("; ".join(str(v) for v in value) if isinstance(value, list) else value)
        yield row


class Rollup:
    """Rows of every table, gathered a document at a time, then rendered as files."""

    def __init__(self) -> None:
        self.rows: dict[str, list[list[Cell]]] = {t: [] for t in TABLES}

    def add(self, doc: dict[str, Any]) -> None:
        """Append a document's rows. A malformed document raises (KeyError, TypeError, ...)
        and may leave the rows read before the fault; the caller reports it."""
        for table in TABLES:
            self.rows[table].extend(table_rows(table, doc))

    def files(self) -> Iterator[tuple[str, bytes]]:
        """(file name, content) for each CSV and then the workbook, each made when asked for."""
        headers = {t: (*DOC_COLUMNS, *item_columns(t)) for t in TABLES}
        for table in TABLES:
            yield f"{table}.csv", _csv_bytes(headers[table], self.rows[table])
        yield XLSX, _xlsx_bytes(headers, self.rows)


def _csv_bytes(header: tuple[str, ...], rows: list[list[Cell]]) -> bytes:
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")


def _csv_cell(value: Cell) -> Cell:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def _xlsx_bytes(headers: dict[str, tuple[str, ...]], rows: dict[str, list[list[Cell]]]) -> bytes:
    """A workbook with a sheet per table, made byte-stable (fixed zip and document dates)."""
    import io

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for table in TABLES:
        sheet = book.create_sheet(table)
        sheet.append(list(headers[table]))
        for row in rows[table][:EXCEL_ROWS - 1]:  # the CSV keeps every row
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return _stable_zip(buf.getvalue())


def _xlsx_cell(sheet: Any, value: Cell) -> Any:
    """A cell for the write-only sheet: text always typed as a string, never as a formula."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value)[:32767])
    cell.data_type = "s"
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
