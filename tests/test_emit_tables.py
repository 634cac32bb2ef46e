"""Readable tables: names, dates and figures in place of ids; CSV and XLSX read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kttt_extract.emit import formats, readable
from kttt_extract.emit.readable import Names, deadline_label, number_vi, target_label
from kttt_extract.emit.sheets import Sheet, csv_bytes, xlsx_bytes
from kttt_extract.emit.xlsx import column_letter
from kttt_extract.extractors.numbers import parse_number
from kttt_extract.model import Notice
from tests.result_factory import make_result


def _rows(table: readable.TableName) -> list[dict[str, object]]:
    result = make_result()
    names = [c.name for c in (*readable.DOC_COLUMNS, *readable.COLUMNS[table])]
    return [dict(zip(names, row, strict=True)) for row in readable.doc_rows(table, result)]


def test_task_rows_name_agencies_and_dates_not_ids() -> None:
    first, second = _rows("tasks")
    assert first["lead"] == "Sở Nông nghiệp và Phát triển nông thôn"
    assert first["support"] == "Sở Tài chính"
    assert first["due"] == dt.date(2025, 12, 15)
    assert first["by_when"] == "2025-12-15"
    assert first["targets"] == "hợp tác xã: 50 hợp tác xã (2025)"
    assert first["product"] == "Quyết định thành lập"
    assert first["page"] == 1 and first["section"] == "II NHIỆM VỤ"
    assert second["report_to"] == "Sở Nông nghiệp và Phát triển nông thôn"
    assert second["by_when"] == "hàng năm" and second["due"] is None
    assert first["doc_date"] == dt.date(2025, 1, 20) and first["path"] == "kh-12.pdf"


def test_deadline_and_target_rows_name_the_lead_of_their_task() -> None:
    d1, d2 = _rows("deadlines")
    assert (d1["date"], d1["lead"], d1["page"]) == (dt.date(2025, 12, 15),
                                                    "Sở Nông nghiệp và Phát triển nông thôn", 1)
    assert d2["lead"] == "Ủy ban nhân dân cấp huyện" and d2["date"] is None
    (t1,) = _rows("targets")
    assert (t1["value"], t1["unit"], t1["year"], t1["lead"]) == (
        50, "hợp tác xã", 2025, "Sở Nông nghiệp và Phát triển nông thôn")


def test_agency_rows_count_roles_and_pages() -> None:
    sn = _rows("agencies")[0]
    assert sn["roles"] == "lead 1; report_to 1"
    assert (sn["mentions"], sn["tasks_led"], sn["pages"]) == (2, 1, "1, 2")


def test_labels() -> None:
    result = make_result()
    names = Names(result)
    assert deadline_label(names.deadline["d1"]) == "2025-12-15"
    assert deadline_label(names.deadline["d2"]) == "hàng năm"
    pct = result.targets[0].model_copy(update={"value": 62.5, "unit": "%", "comparator": "gte",
                                               "indicator": "xã đạt chuẩn", "year": 2030})
    assert target_label(pct) == "xã đạt chuẩn: ≥ 62,5% (2030)"
    ranged = pct.model_copy(update={"value": 10, "value_max": 15, "comparator": "range",
                                    "unit": "tổ hợp tác", "year": None,
                                    "recurrence": "yearly"})
    assert target_label(ranged) == "xã đạt chuẩn: 10–15 tổ hợp tác (hàng năm)"


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False).map(lambda x: round(x, 3)))
def test_numbers_are_written_as_the_documents_write_them(value: float) -> None:
    assert abs(parse_number(number_vi(value)) - value) < 1e-6


def test_csv_has_bom_header_dates_and_no_formulas() -> None:
    rows = [["=cmd()", dt.date(2025, 3, 31), None, True, 5]]
    data = csv_bytes(readable.column_spec("a b:date c d:bool e:number"), rows)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed == [["a", "b", "c", "d", "e"], ["'=cmd()", "2025-03-31", "", "true", "5"]]


def test_xlsx_has_frozen_header_filters_widths_and_date_cells(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "plan.xlsx"
    path.write_bytes(formats.workbook([make_result(), make_result(path="kh-13.pdf")]))
    book = load_workbook(path)
    assert book.sheetnames == ["tasks", "targets", "deadlines", "agencies", "warnings"]
    tasks = book["tasks"]
    header = [c.value for c in tasks[1]]
    assert header == [c.name for c in (*readable.DOC_COLUMNS, *readable.COLUMNS["tasks"])]
    assert tasks.freeze_panes == "A2"
    last = column_letter(len(header))
    assert tasks.auto_filter.ref == f"A1:{last}5"  # a header and two tasks of two documents
    assert tasks.column_dimensions["A"].width == 30
    due = tasks.cell(row=2, column=header.index("due") + 1)
    assert due.is_date and due.value.date() == dt.date(2025, 12, 15)
    assert due.number_format == "yyyy-mm-dd"
    assert tasks.cell(row=2, column=header.index("lead") + 1).value == (
        "Sở Nông nghiệp và Phát triển nông thôn")
    assert [r[0].value for r in tasks.iter_rows(min_row=2)] == ["kh-12.pdf"] * 2 + ["kh-13.pdf"] * 2
    assert tasks.cell(row=1, column=1).font.bold


def test_xlsx_keeps_formula_text_as_text_and_is_byte_stable(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sheet = lambda: Sheet("t", readable.column_spec("a"), [["=1+1"], ["@SUM(A1)"]])  # noqa: E731
    data = xlsx_bytes([sheet()])
    assert data == xlsx_bytes([sheet()])
    (tmp_path / "t.xlsx").write_bytes(data)
    cells = [r[0] for r in load_workbook(tmp_path / "t.xlsx")["t"].iter_rows(min_row=2)]
    assert [(c.value, c.data_type) for c in cells] == [("=1+1", "s"), ("@SUM(A1)", "s")]


def test_warnings_sheet_lists_each_documents_warnings(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    noted = make_result(warnings=(Notice(code="ocr", message="text came from OCR"),))
    (tmp_path / "w.xlsx").write_bytes(formats.workbook([noted]))
    rows = list(load_workbook(tmp_path / "w.xlsx")["warnings"].iter_rows(values_only=True))
    assert rows[1][0] == "kh-12.pdf" and rows[1][-2:] == ("ocr", "text came from OCR")


def test_csv_parts_join_into_one_table() -> None:
    first = formats.csv_part(make_result(), "deadlines", first=True)
    more = formats.csv_part(make_result(path="kh-13.pdf"), "deadlines", first=False)
    parsed = list(csv.reader(io.StringIO((first + more).decode("utf-8-sig"))))
    assert parsed[0][:6] == ["path", "doc_kind", "doc_number", "doc_issuer", "doc_date", "id"]
    assert [r[0] for r in parsed[1:]] == ["kh-12.pdf", "kh-12.pdf", "kh-13.pdf", "kh-13.pdf"]


def test_markdown_tables_escape_pipes_and_name_agencies() -> None:
    from kttt_extract.emit.markdown import render

    md = render(make_result(warnings=(Notice(code="x", message="a | b"),)))
    assert "## Tasks (2)" in md and "> **x**: a \\| b" in md
    row = next(line for line in md.splitlines() if line.startswith("| Sở Nông nghiệp"))
    assert "| Sở Nông nghiệp và Phát triển nông thôn | Sở Tài chính |" in row
    assert "2025-12-15" in row and row.endswith("| 1 |")


def _read_back(tmp_path: Path, rows: list[list[object]]) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    columns = readable.column_spec(" ".join(f"c{i}" for i in range(max(map(len, rows)))))
    (tmp_path / "r.xlsx").write_bytes(xlsx_bytes([Sheet("t", columns, rows)]))  # type: ignore[arg-type]
    return list(load_workbook(tmp_path / "r.xlsx")["t"].iter_rows(min_row=2, values_only=True))


def test_xlsx_rows_keep_text_numbers_and_dates_as_openpyxl_reads_them(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["a & b < c > d", "  lề  ", "dòng 1\r\ndòng 2", "x\x00y\x1fz", "#N/A", "-3", ""],
        [True, False, 7, -2.5, 1e20, float("nan"), None],
        [dt.date(2030, 12, 31), dt.datetime(2025, 1, 2, 12, 0), dt.date(1900, 2, 1)],
        ["x" * 40000],
    ]
    got = _read_back(tmp_path, rows)
    assert got[0] == ("a & b < c > d", "  lề  ", "dòng 1\r\ndòng 2", "xyz", "#N/A", "-3", None)
    assert got[1] == (True, False, 7, -2.5, 1e20, None, None)
    assert got[2][:3] == (dt.datetime(2030, 12, 31), dt.datetime(2025, 1, 2, 12, 0),
                          dt.datetime(1900, 2, 1))
    assert got[3][0] == "x" * 32767


@given(st.lists(st.lists(st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.dates(min_value=dt.date(1900, 3, 1)), st.none()),
    min_size=1, max_size=5), min_size=1, max_size=4))
def test_xlsx_rows_read_back_as_written(rows: list[list[object]]) -> None:
    import tempfile

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def expected(value: object) -> object:
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value) or None
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())
        return value

    with tempfile.TemporaryDirectory() as tmp:
        got = _read_back(Path(tmp), rows)
    width = max(map(len, rows))
    want = [tuple(expected(v) for v in row) + (None,) * (width - len(row)) for row in rows]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()  # the reader ends a sheet at its last cell ("" is a cell)
        want.pop()
    assert got == want


def _calc() -> str | None:
    """soffice, when LibreOffice's spreadsheet (Calc) is installed beside it."""
    import shutil

    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        return None
    return program if (Path(program).resolve().parent / "libscdlo.so").exists() else None


@pytest.mark.skipif(_calc() is None, reason="LibreOffice Calc is not installed")
def test_libreoffice_reads_the_workbook(tmp_path: Path) -> None:
    import subprocess

    rows: list[list[object]] = [["a & b", 7, dt.date(2030, 12, 31), True, "=1+1", ""],
                                ["  lề  ", -2.5, None, False, "#N/A", "x"]]
    columns = readable.column_spec("text number date flag formula last")
    (tmp_path / "t.xlsx").write_bytes(xlsx_bytes([Sheet("t", columns, rows)]))  # type: ignore[arg-type]
    subprocess.run([_calc() or "soffice", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
                    "--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76",
                    "--outdir", str(tmp_path), str(tmp_path / "t.xlsx")],
                   check=True, capture_output=True, timeout=180)
    got = list(csv.reader(io.StringIO((tmp_path / "t.csv").read_text(encoding="utf-8"))))
    assert got == [["text", "number", "date", "flag", "formula", "last"],
                   ["a & b", "7", "2030-12-31", "TRUE", "=1+1", ""],
                   ["  lề  ", "-2.5", "", "FALSE", "#N/A", "x"]]
