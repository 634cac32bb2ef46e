"""Target tables: DOCX tables and Markdown pipe tables give one target per figure of a year
column, with the row's indicator and unit, spans on the cell text, ids in text order."""

from __future__ import annotations

import io
from typing import Any

import pytest

from kttt_extract.extractors.tables import CellWords, parse_cell
from kttt_extract.loaders import load_bytes
from kttt_extract.model import Result
from kttt_extract.pipeline import extract_loaded, extract_text
from kttt_extract.ruleset import RuleSet

HEADER = ["STT", "Chỉ tiêu", "Đơn vị tính", "Thực hiện năm 2020", "Năm 2025", "Năm 2030"]
ROWS = [
    ["1", "Tỷ lệ hợp tác xã hoạt động hiệu quả", "%", "60", "80", "≥ 95"],
    ["2", "Số hợp tác xã thành lập mới", "Hợp tác xã", "8", "10 - 12", "trên 15"],
    ["3", "Vốn điều lệ của Quỹ hỗ trợ", "tỷ đồng", "5", "10", "1,5"],
    ["4", "Thu nhập bình quân của thành viên", "triệu đồng/người/năm", "30", "45", "60"],
    ["5", "Diện tích trồng rừng", "ha", "100", "200", "x"],
]
INTRO = ["KẾ HOẠCH", "II. MỤC TIÊU", "Phấn đấu đến năm 2030 có 50 hợp tác xã; các chỉ tiêu cụ thể:"]
AFTER = "III. TỔ CHỨC THỰC HIỆN"
EXPECTED = [  # indicator, metric, value, value_max, unit, comparator, year, recurrence
    ("Tỷ lệ hợp tác xã hoạt động hiệu quả", "percent", 80, None, "%", "eq", 2025, None),
    ("Tỷ lệ hợp tác xã hoạt động hiệu quả", "percent", 95, None, "%", "gte", 2030, None),
    ("Số hợp tác xã thành lập mới", "count", 10, 12, "Hợp tác xã", "range", 2025, None),
    ("Số hợp tác xã thành lập mới", "count", 15, None, "Hợp tác xã", "gt", 2030, None),
    ("Vốn điều lệ của Quỹ hỗ trợ", "money", 10e9, None, "đồng", "eq", 2025, None),
    ("Vốn điều lệ của Quỹ hỗ trợ", "money", 1.5e9, None, "đồng", "eq", 2030, None),
    ("Thu nhập bình quân của thành viên", "money", 45e6, None, "đồng", "eq", 2025, "yearly"),
    ("Thu nhập bình quân của thành viên", "money", 60e6, None, "đồng", "eq", 2030, "yearly"),
    ("Diện tích trồng rừng", "other", 200, None, "ha", "eq", 2025, None),
]


def _docx(header: list[list[str]] | None = None, rows: list[list[str]] = ROWS) -> bytes:
    from docx import Document

    doc = Document()
    for line in INTRO:
        doc.add_paragraph(line)
    heads = header or [HEADER]
    table = doc.add_table(rows=len(heads) + len(rows), cols=len(heads[-1]))
    for r, values in enumerate([*heads, *rows]):
        for c, value in enumerate(values):
            table.rows[r].cells[c].text = value
    doc.add_paragraph(AFTER)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _markdown(header: list[str] = HEADER, rows: list[list[str]] = ROWS) -> str:
    lines = [*INTRO, "", "| " + " | ".join(header) + " |",
             "|" + "|".join(":---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join([*lines, "", AFTER, ""])


def _table_targets(result: Result) -> list[tuple[Any, ...]]:
    return [(t.indicator, t.metric, t.value, t.value_max, t.unit, t.comparator, t.year,
             t.recurrence) for t in result.targets if t.rule == "target.table"]


def test_docx_table(rules: RuleSet) -> None:
    result = extract_loaded(load_bytes(_docx(), "plan.docx"), rules)
    assert _table_targets(result) == EXPECTED


def test_markdown_table_gives_the_same_targets(rules: RuleSet) -> None:
    docx = extract_loaded(load_bytes(_docx(), "plan.docx"), rules)
    md = extract_text(_markdown(), rules=rules)
    assert _table_targets(md) == _table_targets(docx)


def test_markdown_rows_are_table_rows() -> None:
    blocks = load_bytes(_markdown().encode(), "plan.md").blocks
    rows = [b for b in blocks if b.kind == "table_row"]
    assert [tuple(c.text for c in b.cells) for b in rows] == [tuple(HEADER),
                                                              *(tuple(r) for r in ROWS)]
    assert rows[0].text == " | ".join(HEADER)


def test_escaped_pipe_and_rule_row() -> None:
    blocks = load_bytes(b"| a \\| b | c |\n|:--:|---:|\n| 1 | 2 |\n| not a row\n", "t.md").blocks
    assert [(b.kind, tuple(c.text for c in b.cells), b.table) for b in blocks] == [
        ("table_row", ("a | b", "c"), 0), ("table_row", ("1", "2"), 0), ("paragraph", (), None)]


def test_spans_point_at_the_cell_text(rules: RuleSet) -> None:
    result = extract_loaded(load_bytes(_docx(), "plan.docx"), rules)
    assert result.text is not None
    cells = [result.text[t.span[0]:t.span[1]] for t in result.targets if t.rule == "target.table"]
    assert cells == ["80", "≥ 95", "10 - 12", "trên 15", "10", "1,5", "45", "60", "200"]
    for t in result.targets:
        if t.rule == "target.table":
            assert result.text[t.span[0]:t.span[1]] in t.text
            assert t.section is not None


def test_ids_follow_the_text_with_text_targets_first(rules: RuleSet) -> None:
    result = extract_text(_markdown(), rules=rules)
    assert [t.id for t in result.targets] == [f"t{i}" for i in range(1, len(result.targets) + 1)]
    assert result.targets[0].rule == "target.count" and result.targets[0].value == 50
    assert [t.span for t in result.targets] == sorted(t.span for t in result.targets)
    linked = {x for task in result.tasks for x in task.targets}
    assert linked <= {t.id for t in result.targets}


def test_two_header_rows_with_merged_cells(rules: RuleSet) -> None:
    from docx import Document

    doc = Document()
    for line in INTRO:
        doc.add_paragraph(line)
    table = doc.add_table(rows=4, cols=4)
    top = table.rows[0].cells
    top[0].text, top[1].text, top[2].text = "Chỉ tiêu", "ĐVT", "Mục tiêu"
    top[2].merge(top[3])  # "Mục tiêu" spans both year columns
    top[0].merge(table.rows[1].cells[0])  # the header cells span both header rows
    top[1].merge(table.rows[1].cells[1])
    table.rows[1].cells[2].text, table.rows[1].cells[3].text = "2025", "2030"
    for r, row in enumerate([["Tỷ lệ hộ nghèo", "%", "3", "1,5"],
                             ["Số xã đạt chuẩn nông thôn mới", "xã", "8", "12"]], start=2):
        for c, value in enumerate(row):
            table.rows[r].cells[c].text = value
    doc.add_paragraph(AFTER)
    buf = io.BytesIO()
    doc.save(buf)
    result = extract_loaded(load_bytes(buf.getvalue(), "merged.docx"), rules)
    assert [(t.indicator, t.value, t.unit, t.year) for t in result.targets
            if t.rule == "target.table"] == [
        ("Tỷ lệ hộ nghèo", 3, "%", 2025), ("Tỷ lệ hộ nghèo", 1.5, "%", 2030),
        ("Số xã đạt chuẩn nông thôn mới", 8, "xã", 2025),
        ("Số xã đạt chuẩn nông thôn mới", 12, "xã", 2030)]


def test_indicator_that_names_a_header_word_is_a_data_row(rules: RuleSet) -> None:
    text = _markdown(["Chỉ tiêu", "ĐVT", "2025", "2030"],
                     [["Số xã đạt 19 tiêu chí", "xã", "8", "12"],
                      ["Tỷ lệ hoàn thành chỉ tiêu", "%", "90", "100"]])
    assert [(t.indicator, t.value, t.year) for t in extract_text(text, rules=rules).targets
            if t.rule == "target.table"] == [
        ("Số xã đạt 19 tiêu chí", 8, 2025), ("Số xã đạt 19 tiêu chí", 12, 2030),
        ("Tỷ lệ hoàn thành chỉ tiêu", 90, 2025), ("Tỷ lệ hoàn thành chỉ tiêu", 100, 2030)]


def test_period_column(rules: RuleSet) -> None:
    text = _markdown(["Chỉ tiêu", "ĐVT", "Giai đoạn 2021-2025"],
                     [["Số lao động", "người", "1.500"]])
    [target] = [t for t in extract_text(text, rules=rules).targets if t.rule == "target.table"]
    assert (target.value, target.unit, target.year, target.period) == (
        1500, "người", 2025, (2021, 2025))


@pytest.mark.parametrize("text", [
    _markdown(["STT", "Nội dung", "Cơ quan chủ trì", "Thời gian"],
              [["1", "Tuyên truyền", "Phòng Nội vụ", "Quý I/2024"]]),
    _markdown(["Chỉ tiêu", "ĐVT", "Thực hiện năm 2020", "Ước thực hiện 2024"],
              [["Số hợp tác xã", "HTX", "25", "31"]]),
    _markdown(["Kỳ", "2025", "2030"], [["Số lần", "2", "3"]]),
    _markdown(["Đơn vị chủ trì", "Năm 2025"], [["Phòng Nội vụ", "2"]]),
])
def test_tables_that_hold_no_targets(text: str, rules: RuleSet) -> None:
    assert not [t for t in extract_text(text, rules=rules).targets if t.rule == "target.table"]


@pytest.mark.parametrize(("cell", "expected"), [
    ("95", ("eq", 95, None, False)), ("≥ 95%", ("gte", 95, None, True)),
    ("10 - 12", ("range", 10, 12, False)), ("trên 1.500", ("gt", 1500, None, False)),
    ("khoảng 1,5", ("approx", 1.5, None, False)), ("20 trở lên", ("gte", 20, None, False)),
    ("2025", None), ("Năm 2025", None), ("x", None), ("-", None), ("Đạt chuẩn", None),
    ("Quý I/2024", None), ("95.5", None),
])
def test_parse_cell(cell: str, expected: tuple[Any, ...] | None, rules: RuleSet) -> None:
    figure = parse_cell(cell, CellWords.of(rules))
    got = None if figure is None else (figure.comparator, figure.value, figure.value_max,
                                       figure.percent)
    assert got == expected
