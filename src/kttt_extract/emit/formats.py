"""The output formats of `kttt extract`: names, file suffixes, and Result(s) -> bytes.

`json` and `html` are one file per document; `jsonl`, `csv`, `xlsx` and `md` hold any number of
documents in one file (a line, rows or a section each).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from kttt_extract.emit import readable
    from kttt_extract.emit.readable import TableName
    from kttt_extract.model import Result

Format = Literal["json", "jsonl", "csv", "xlsx", "md", "html"]
FORMATS: tuple[Format, ...] = ("json", "jsonl", "csv", "xlsx", "md", "html")
SUFFIXES: dict[str, Format] = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
                               ".csv": "csv", ".xlsx": "xlsx", ".md": "md", ".markdown": "md",
                               ".html": "html", ".htm": "html"}
PER_DOCUMENT: frozenset[Format] = frozenset({"json", "html"})
NEEDS_RESULT: frozenset[Format] = frozenset({"csv", "xlsx"})  # rendered over all documents
WARNING_COLUMNS = "code::22 message::90"


def format_of(path: Path | str) -> Format | None:
    """The format a file name asks for by its suffix, if any."""
    return SUFFIXES.get(Path(path).suffix.lower())


def as_format(name: str) -> Format | None:
    return next((f for f in FORMATS if f == name), None)


def document_bytes(fmt: Format, result: Result, *, pretty: bool = False) -> bytes:
    """One document in a per-document or line format (json, jsonl, md, html)."""
    if fmt == "html":
        from kttt_extract.emit.html import review_page

        return review_page(result)
    if fmt == "md":
        from kttt_extract.emit.markdown import render

        return render(result).encode("utf-8")
    from kttt_extract.emit.json import dumps

    return dumps(result, pretty=pretty and fmt == "json")


def csv_part(result: Result, table: TableName, *, first: bool) -> bytes:
    """Rows of one table of one document; the first part carries the BOM and the header."""
    from kttt_extract.emit import readable
    from kttt_extract.emit.sheets import csv_bytes

    columns = (*readable.DOC_COLUMNS, *readable.COLUMNS[table]) if first else ()
    return csv_bytes(columns, readable.doc_rows(table, result), bom=first)


def workbook(results: Sequence[Result]) -> bytes:
    """A workbook of the documents: a sheet per table (tasks first) and one of warnings."""
    from kttt_extract.emit import readable
    from kttt_extract.emit.sheets import Sheet, xlsx_bytes

    def all_rows(table: TableName) -> list[list[readable.Cell]]:
        return [row for r in results for row in readable.doc_rows(table, r)]

    order: tuple[TableName, ...] = ("tasks", "targets", "deadlines", "agencies")
    sheets = [Sheet(t, (*readable.DOC_COLUMNS, *readable.COLUMNS[t]), all_rows(t))
              for t in order]
    warnings = [[*readable.doc_cells(r), w.code, w.message] for r in results for w in r.warnings]
    sheets.append(Sheet("warnings", (*readable.DOC_COLUMNS,
                                     *readable.column_spec(WARNING_COLUMNS)), warnings))
    return xlsx_bytes(sheets)
