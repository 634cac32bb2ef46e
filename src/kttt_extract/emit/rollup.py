"""Roll-up tables over many documents' JSON: targets.csv, deadlines.csv, tasks.csv, rollup.xlsx.

Rows are read from the JSON each document was written as (not from a run's memory), so a resumed
batch rolls up the files it skipped too. They are the readable rows of emit/readable.py: dates,
agency names and figures in place of ids, and each item's page. Output is byte-stable: the same
documents give byte-identical files (see emit/sheets.py for the CSV, emit/xlsx.py for the
workbook).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kttt_extract.emit import readable
from kttt_extract.emit.readable import Cell, TableName

if TYPE_CHECKING:
    from kttt_extract.emit.atomic import AtomicFile
    from kttt_extract.emit.xlsx import StreamedBook

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
    """The roll-up files of a batch written as its documents are added, never held whole: the
    rows of each CSV and of each sheet of the workbook go to a file as they come. `commit()`
    puts every table in place (each file whole, the old one or the new), `discard()` leaves the
    old ones as they were. Usable as a context manager that discards on an error."""

    def __init__(self, out_dir: Path) -> None:
        from kttt_extract.emit.sheets import csv_bytes
        from kttt_extract.emit.xlsx import StreamedBook

        self.columns = {t: (*readable.DOC_COLUMNS, *readable.COLUMNS[t]) for t in TABLES}
        self.files: list[AtomicFile] = []
        self.book: StreamedBook | None = None
        try:
            self.csv = {t: self._open(out_dir / f"{t}.csv") for t in TABLES}
            self.xlsx = self._open(out_dir / XLSX)
            for table, out in self.csv.items():
                out.write(csv_bytes(self.columns[table], ()))
            book = self.book = StreamedBook()
            for table in TABLES:
                book.add_sheet(table, self.columns[table])
        except BaseException:
            self.discard()
            raise

    def _open(self, path: Path) -> AtomicFile:
        from kttt_extract.emit.atomic import AtomicFile

        out = AtomicFile(path)
        self.files.append(out)
        return out

    def add(self, doc: dict[str, Any]) -> None:
        """Append a document's rows; a malformed document raises ValueError (or KeyError,
        TypeError) and adds nothing; the caller reports it."""
        from kttt_extract.emit.sheets import csv_bytes
        from kttt_extract.model import Result

        assert self.book is not None, "roll-up tables already committed or discarded"
        result = Result.model_validate(doc)
        rows = {t: list(readable.doc_rows(t, result)) for t in TABLES}
        for table in TABLES:
            self.csv[table].write(csv_bytes((), rows[table], bom=False))
            for row in rows[table]:
                self.book.append(table, row)

    def commit(self) -> None:
        """Every table in place: the CSVs, then the workbook."""
        assert self.book is not None, "roll-up tables already committed or discarded"
        try:
            self.book.save(self.xlsx.file)
            for out in self.files:
                out.commit()
        finally:
            self.discard()

    def discard(self) -> None:
        if self.book is not None:
            self.book.discard()
            self.book = None
        for out in self.files:
            out.discard()

    def __enter__(self) -> Rollup:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.discard()
