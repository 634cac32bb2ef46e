"""Roll-up tables over many documents' JSON: targets.csv, deadlines.csv, tasks.csv, rollup.xlsx.

Rows are read from the JSON each document was written as (not from a run's memory), so a resumed
batch rolls up the files it skipped too. They are the readable rows of emit/readable.py: dates,
agency names and figures in place of ids, and each item's page. Output is byte-stable: the same
documents give byte-identical files (see emit/sheets.py for the CSV and the streaming workbook).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kttt_extract.emit import readable
from kttt_extract.emit.readable import Cell, TableName

TABLES: tuple[TableName, ...] = ("targets", "deadlines", "tasks")
DOC_COLUMNS = tuple(c.name for c in readable.DOC_COLUMNS)
XLSX = "rollup.xlsx"


def item_columns(table: TableName) -> tuple[str, ...]:
    """Item columns of a table, after the document columns."""
    return tuple(c.name for c in readable.COLUMNS[table])


def table_rows(table: TableName, doc: dict[str, Any]) -> Iterator[list[Cell]]:
    """One row per item of `table` in a document's JSON: document columns, then item columns.
    A document that is not a result of this version raises ValueError."""
    from kttt_extract.model import Result

    yield from readable.doc_rows(table, Result.model_validate(doc))


class Rollup:
    """Rows of every table, gathered a document at a time, then rendered as files."""

    def __init__(self) -> None:
        self.rows: dict[TableName, list[list[Cell]]] = {t: [] for t in TABLES}

    def add(self, doc: dict[str, Any]) -> None:
        """Append a document's rows; a malformed document raises ValueError (or KeyError,
        TypeError) and adds nothing; the caller reports it."""
        from kttt_extract.model import Result

        result = Result.model_validate(doc)
        for table in TABLES:
            self.rows[table].extend(readable.doc_rows(table, result))

    def files(self) -> Iterator[tuple[str, bytes]]:
        """(file name, content) for each CSV and then the workbook, each made when asked for."""
        from kttt_extract.emit.sheets import Sheet, csv_bytes, xlsx_bytes

        columns = {t: (*readable.DOC_COLUMNS, *readable.COLUMNS[t]) for t in TABLES}
        for table in TABLES:
            yield f"{table}.csv", csv_bytes(columns[table], self.rows[table])
        yield XLSX, xlsx_bytes(Sheet(t, columns[t], self.rows[t]) for t in TABLES)
