"""A workbook written as SpreadsheetML a row at a time: the roll-up tables' XLSX.

What the tables need is small and fixed: sheets of text, numbers, true/false and dates, a bold
header row that stays in view, column widths and a filter over the rows. That part of the format
is written here, because a batch's parent process writes every row of its roll-up workbook while
its workers convert documents: openpyxl took about 20 times as long per cell and 0.15-0.2 s to
import, which kept two jobs from running twice as fast as one (issue 17). Files are read back by
openpyxl and LibreOffice in the test suite.

Each sheet's rows go to a temporary file as they come (in memory while small), in any order
between sheets; `save` writes the package with fixed zip dates, so the same rows give
byte-identical files. Text is always an inline string: text a spreadsheet would run as a formula
or show as an error value stays text, characters XML cannot hold are dropped, and a cell keeps
at most 32,767 characters. Empty text is a blank cell; None leaves its cell out. Rows past
Excel's limit are dropped (the CSV keeps them).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from kttt_extract.emit.readable import Cell, Column

EXCEL_ROWS = 1_048_576
MAX_TEXT = 32767  # characters in a cell
MAX_NAME = 31  # characters in a sheet name
ROWS_SPOOL_BYTES = 4 * 1024 * 1024  # a sheet's rows past this go to a temporary file
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
BOLD, DATE = 1, 2  # the cell styles of styles.xml below
EPOCH = dt.datetime(1899, 12, 30)  # day 0 of the 1900 date system, as spreadsheets count
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = (
    f'{HEAD}<styleSheet xmlns="{MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')

# characters XML 1.0 cannot hold; lone surrogates are replaced when the row is encoded
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def column_letter(index: int) -> str:
    """`A` for 1, `AA` for 27."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class _Sheet:
    """A sheet being written: its name and columns, its rows so far as XML, how many rows it
    has with the header, and the column letters its rows have used."""

    name: str
    columns: tuple[Column, ...]
    body: IO[bytes]
    rows: int = 1
    letters: list[str] = field(default_factory=list)

    def filtered(self, mark: str = "") -> str:
        """The range its filter covers, the header and every row (`mark` "$": absolute)."""
        last = column_letter(max(1, len(self.columns)))
        return f"{mark}A{mark}1:{mark}{last}{mark}{self.rows}"


class StreamedBook:
    """A workbook written a row at a time, never holding its rows in memory, saved byte-stable
    by `save`; `discard` drops it. A sheet's header is its columns' names."""

    def __init__(self) -> None:
        self.sheets: dict[str, _Sheet] = {}

    def add_sheet(self, name: str, columns: Sequence[Column]) -> None:
        """A sheet, after those added before it."""
        body = tempfile.SpooledTemporaryFile(max_size=ROWS_SPOOL_BYTES)  # noqa: SIM115  # closed by save or discard
        sheet = self.sheets[name] = _Sheet(name[:MAX_NAME], tuple(columns), body)
        sheet.letters = [column_letter(i) for i in range(1, len(columns) + 1)]

    def append(self, name: str, row: Sequence[Cell]) -> None:
        """One row of a sheet."""
        sheet = self.sheets[name]
        if sheet.rows >= EXCEL_ROWS:
            return
        sheet.rows += 1
        while len(sheet.letters) < len(row):
            sheet.letters.append(column_letter(len(sheet.letters) + 1))
        sheet.body.write(row_xml(row, sheet.rows, sheet.letters))

    def discard(self) -> None:
        for sheet in self.sheets.values():
            sheet.body.close()
        self.sheets.clear()

    def save(self, out: BinaryIO) -> None:
        """The workbook as an XLSX package into `out`; the book is spent."""
        sheets = list(self.sheets.values())
        try:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
                for part, text in _parts(sheets):
                    package.writestr(zipfile.ZipInfo(part, ZIP_DATE), text.encode("utf-8"),
                                     zipfile.ZIP_DEFLATED)
                for i, sheet in enumerate(sheets, start=1):
                    _write_sheet(package, f"xl/worksheets/sheet{i}.xml", sheet, first=i == 1)
        finally:
            self.discard()


def row_xml(row: Sequence[Cell], r: int, letters: Sequence[str], style: int = 0) -> bytes:
    """Row `r` as SpreadsheetML (cells in `style` where it is not 0; dates always as dates)."""
    s = f' s="{style}"' if style else ""
    parts = [f'<row r="{r}">']
    for letter, value in zip(letters, row, strict=False):
        if value is None:
            continue
        if isinstance(value, str):
            parts.append(_text(f"{letter}{r}", value, s))
        elif isinstance(value, bool):
            parts.append(f'<c r="{letter}{r}"{s} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            if math.isfinite(value):
                parts.append(f'<c r="{letter}{r}"{s}><v>{value!r}</v></c>')
        else:
            parts.append(f'<c r="{letter}{r}" s="{DATE}"><v>{day_number(value)}</v></c>')
    parts.append("</row>")
    return "".join(parts).encode("utf-8", "replace")


def _text(ref: str, value: str, s: str) -> str:
    if _NOT_XML.search(value):
        value = _NOT_XML.sub("", value)
    value = value[:MAX_TEXT]
    if not value:
        return f'<c r="{ref}"{s}/>'  # a blank cell, as an empty text reads back
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'


def day_number(value: dt.date) -> str:
    """A date (or a date and time) as the spreadsheet's serial day number. Days before
    1900-03-01 count one more, as spreadsheets count them (they hold a 29 February 1900)."""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    delta = moment.replace(tzinfo=None) - EPOCH
    days = delta.days - (1 if 0 < delta.days <= 60 else 0)
    if not (delta.seconds or delta.microseconds):
        return str(days)
    return repr(days + (delta.seconds + delta.microseconds / 1e6) / 86400)


def _parts(sheets: list[_Sheet]) -> list[tuple[str, str]]:
    """The package's parts other than the sheets: content types, relationships, the workbook
    (with each sheet's filter as Excel names it) and the styles."""
    n = len(sheets)
    types = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                    f'ContentType="{TYPE}.worksheet+xml"/>' for i in range(1, n + 1))
    listed = "".join(f'<sheet name="{_attr(s.name)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, s in enumerate(sheets, start=1))
    filters = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{_escape(_quoted(s.name))}!{s.filtered('$')}"
        "</definedName>" for i, s in enumerate(sheets))
    links = "".join(f'<Relationship Id="rId{i}" Type="{OFFICE}/relationships/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
    return [
        ("[Content_Types].xml",
         f'{HEAD}<Types xmlns="{PACKAGE}/content-types">'
         f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
         f'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
         f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
         f'<Override PartName="/xl/styles.xml" ContentType="{TYPE}.styles+xml"/>{types}</Types>'),
        ("_rels/.rels",
         f'{HEAD}<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
         f'Type="{OFFICE}/relationships/officeDocument" Target="xl/workbook.xml"/>'
         "</Relationships>"),
        ("xl/workbook.xml",
         f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}/relationships">'
         f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{listed}</sheets>'
         + (f"<definedNames>{filters}</definedNames>" if filters else "") + "</workbook>"),
        ("xl/_rels/workbook.xml.rels",
         f'{HEAD}<Relationships xmlns="{PACKAGE}/relationships">{links}'
         f'<Relationship Id="rId{n + 1}" Type="{OFFICE}/relationships/styles" '
         'Target="styles.xml"/></Relationships>'),
        ("xl/styles.xml", STYLES),
    ]


def _write_sheet(package: zipfile.ZipFile, part: str, sheet: _Sheet, *, first: bool) -> None:
    """A sheet's part: its view (header row frozen), widths, header, rows and filter."""
    widths = "".join(f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
                     for i, c in enumerate(sheet.columns, start=1))
    selected = ' tabSelected="1"' if first else ""
    head = (f'{HEAD}<worksheet xmlns="{MAIN}"><sheetViews><sheetView{selected} '
            'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{widths}</cols>" if widths else "") + "<sheetData>").encode("utf-8")
    header = row_xml([c.name for c in sheet.columns], 1, sheet.letters, BOLD)
    tail = f'</sheetData><autoFilter ref="{sheet.filtered()}"/></worksheet>'.encode()
    rows = sheet.body
    size = rows.seek(0, 2)
    rows.seek(0)
    entry = zipfile.ZipInfo(part, ZIP_DATE)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.file_size = len(head) + len(header) + size + len(tail)  # zip64 if it needs it
    with package.open(entry, "w") as out:
        out.write(head + header)
        shutil.copyfileobj(rows, out, 1 << 20)
        out.write(tail)


def _quoted(name: str) -> str:
    """A sheet name as a formula writes it: in quotes, a quote in it doubled."""
    return "'" + name.replace("'", "''") + "'"


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _attr(text: str) -> str:
    return text.translate(_ATTR_ESCAPES)
