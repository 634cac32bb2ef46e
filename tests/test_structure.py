"""Issue 11: the document's structure carried, not flattened.

Fixtures are built here (python-docx, Markdown text, fpdf2): a letterhead table, a signature block
in the same row as Nơi nhận, an appendix assignment table with a section row, a task cell merged
over two sub-rows, a header row repeated as after a page break and a lead cell that points
elsewhere; label lines; a heading that sets the time of its items; flattened one-line headers.
Each test asserts fields and tasks, not text.
"""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from kttt_extract.loaders import load_bytes
from kttt_extract.model import Result, Task
from kttt_extract.pipeline import extract_loaded, extract_text
from kttt_extract.ruleset import RuleSet
from tests.conftest import make_pdf

# --------------------------------------------------------------------------- helpers


def _names(result: Result, ids: tuple[str, ...]) -> list[str]:
    names = {a.id: a.name for a in result.agencies}
    return [names[i] for i in ids]


def _dates(result: Result, ids: tuple[str, ...]) -> list[str | None]:
    by_id = {d.id: d for d in result.deadlines}
    return [by_id[i].date or by_id[i].kind for i in ids]


def _task(result: Result, words: str) -> Task:
    found = [t for t in result.tasks if words in t.text]
    assert len(found) == 1, (words, [t.text for t in result.tasks])
    return found[0]


def _table(doc: Any, rows: list[list[str]]) -> Any:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    return table


def _docx(doc: Any) -> bytes:
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _plan_docx() -> bytes:
    """A provincial plan: letterhead table, body, Nơi nhận beside the signature, appendix."""
    doc = Document()
    _table(doc, [["ỦY BAN NHÂN DÂN\nTỈNH LÂM ĐỒNG",
                  "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"],
                 ["Số: 15/KH-UBND", "Lâm Đồng, ngày 10 tháng 3 năm 2026"]])
    for text in ("KẾ HOẠCH", "Cải cách hành chính năm 2026",
                 "Thực hiện Quyết định số 12/QĐ-UBND ngày 02/01/2026 của UBND tỉnh, UBND tỉnh "
                 "ban hành Kế hoạch như sau:",
                 "I. MỤC ĐÍCH, YÊU CẦU", "Nâng cao chất lượng phục vụ người dân.",
                 "II. TỔ CHỨC THỰC HIỆN",
                 "Các cơ quan thực hiện các nhiệm vụ tại Phụ lục kèm theo Kế hoạch này."):
        doc.add_paragraph(text)
    _table(doc, [["Nơi nhận:\n- Bộ Nội vụ;\n- Sở Y tế;\n- Lưu: VT.",
                  "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\nNguyễn Văn An"]])
    doc.add_paragraph("PHỤ LỤC")
    doc.add_paragraph("PHÂN CÔNG NHIỆM VỤ CẢI CÁCH HÀNH CHÍNH NĂM 2026")
    header = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành",
              "Sản phẩm"]
    table = _table(doc, [
        header,
        ["I", "Cải cách thể chế", "", "", "", ""],
        ["1", "Rà soát văn bản quy phạm pháp luật của tỉnh", "Sở Tư pháp", "Sở Nội vụ",
         "Quý II năm 2026", "Báo cáo rà soát"],
        ["2", "Xây dựng cơ sở dữ liệu thủ tục hành chính", "Sở Khoa học và Công nghệ", "",
         "trước ngày 30/9/2026", "Cơ sở dữ liệu"],
        ["", "", "Văn phòng UBND tỉnh", "", "", ""],
        header,  # repeated as after a page break
        ["3", "Triển khai Đề án 06", "Theo phân công tại Quyết định số 12/QĐ-UBND", "",
         "Năm 2026", ""],
    ])
    table.cell(3, 1).merge(table.cell(4, 1))  # one task over two sub-rows
    table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f"<w:tblHeader {nsdecls('w')}/>"))
    return _docx(doc)


# --------------------------------------------------------------------------- the DOCX plan


def test_letterhead_table_gives_the_header_fields(rules: RuleSet) -> None:
    doc = extract_loaded(load_bytes(_plan_docx(), "plan.docx"), rules).document
    assert (doc.kind, doc.number, doc.date, doc.place) == ("Kế hoạch", "15/KH-UBND",
                                                          "2026-03-10", "Lâm Đồng")
    assert doc.issuer == "Ủy ban nhân dân tỉnh Lâm Đồng"
    assert (doc.signer.name, doc.signer.position) == ("Nguyễn Văn An", "Phó Chủ tịch")
    assert doc.recipients == ("Bộ Nội vụ", "Sở Y tế")


def test_recipients_and_signature_are_never_body(rules: RuleSet) -> None:
    result = extract_loaded(load_bytes(_plan_docx(), "plan.docx"), rules)
    names = [a.name for a in result.agencies]
    assert "Bộ Nội vụ" not in names and "Sở Y tế" not in names


def test_appendix_table_rows_are_tasks(rules: RuleSet) -> None:
    result = extract_loaded(load_bytes(_plan_docx(), "plan.docx"), rules)
    rows = [t for t in result.tasks if t.rule == "task.columns"]
    assert len(rows) == 3  # the section row and the repeated header are no tasks
    first = _task(result, "Rà soát văn bản quy phạm")
    assert _names(result, first.lead) == ["Sở Tư pháp"]
    assert _names(result, first.support) == ["Sở Nội vụ"]
    assert _dates(result, first.deadlines) == ["2026-06-30"]
    assert first.product == "Báo cáo rà soát"


def test_merged_task_cell_is_one_task_with_all_its_leads(rules: RuleSet) -> None:
    result = extract_loaded(load_bytes(_plan_docx(), "plan.docx"), rules)
    merged = _task(result, "Xây dựng cơ sở dữ liệu")
    assert _names(result, merged.lead) == ["Sở Khoa học và Công nghệ",
                                           "Văn phòng Ủy ban nhân dân"]
    assert _dates(result, merged.deadlines) == ["2026-09-30"]


def test_lead_cell_that_points_elsewhere_gives_no_lead(rules: RuleSet) -> None:
    result = extract_loaded(load_bytes(_plan_docx(), "plan.docx"), rules)
    row = _task(result, "Triển khai Đề án 06")
    assert row.lead == ()
    assert _dates(result, row.deadlines) == ["2026-12-31"]  # "Năm 2026" in the time column


def test_lead_cells_give_their_units_the_lead_role(rules: RuleSet) -> None:
    result = extract_loaded(load_bytes(_plan_docx(), "plan.docx"), rules)
    roles = {a.name: {m.role for m in a.mentions} for a in result.agencies}
    assert roles["Sở Tư pháp"] == {"lead"}
    assert roles["Sở Nội vụ"] == {"support"}


# --------------------------------------------------------------------------- text structure

LABELS = """II. NHIỆM VỤ
1. Rà soát thủ tục hành chính trong lĩnh vực đất đai.
Đơn vị chủ trì thực hiện: Sở Nông nghiệp và Môi trường.
Cơ quan phối hợp: Sở Tư pháp.
Thời gian hoàn thành: trước ngày 30/6/2026.
Sản phẩm: Quyết định công bố danh mục thủ tục.
2. Tổ chức tập huấn cho cán bộ một cửa.
Đơn vị chủ trì: Văn phòng UBND tỉnh.
"""


def test_label_lines_belong_to_the_item_above(rules: RuleSet) -> None:
    result = extract_text(LABELS, rules=rules)
    first = _task(result, "Rà soát thủ tục hành chính")
    assert _names(result, first.lead) == ["Sở Nông nghiệp và Môi trường"]
    assert _names(result, first.support) == ["Sở Tư pháp"]
    assert _dates(result, first.deadlines) == ["2026-06-30"]
    assert first.product == "Quyết định công bố danh mục thủ tục."
    second = _task(result, "Tổ chức tập huấn")
    assert _names(result, second.lead) == ["Văn phòng Ủy ban nhân dân"]
    assert len(result.tasks) == 2


HEADING_TIME = """II. NHIỆM VỤ
1. Những việc cần làm ngay trong quý I năm 2026
a) Sở Nội vụ rà soát, sắp xếp bộ máy các cơ quan chuyên môn.
b) Sở Tài chính bố trí kinh phí, hoàn thành trước ngày 15/02/2026.
2. Nhiệm vụ thường xuyên
a) Văn phòng UBND tỉnh theo dõi, đôn đốc việc thực hiện.
"""


def test_heading_sets_the_time_of_its_items(rules: RuleSet) -> None:
    result = extract_text(HEADING_TIME, rules=rules)
    assert _dates(result, _task(result, "rà soát, sắp xếp").deadlines) == ["2026-03-31"]
    assert _dates(result, _task(result, "bố trí kinh phí").deadlines) == ["2026-02-15"]
    assert _dates(result, _task(result, "theo dõi, đôn đốc").deadlines) == ["ongoing"]


INTROS = """III. TỔ CHỨC THỰC HIỆN
1. Về cải cách thể chế
Giao Sở Tư pháp chủ trì, phối hợp với các cơ quan, đơn vị liên quan:
a) Rà soát toàn bộ hệ thống văn bản quy phạm pháp luật của tỉnh.
b) Tham mưu bãi bỏ các văn bản không còn phù hợp.
2. Các sở quản lý chuyên ngành
Giao các sở quản lý chuyên ngành theo lĩnh vực gồm:
- Sở Công Thương (đối với hạ tầng thương mại);
- Sở Văn hóa, Thể thao và Du lịch (đối với hạ tầng văn hóa);
Có trách nhiệm:
a) Thống kê, phân loại tài sản kết cấu hạ tầng thuộc phạm vi quản lý.
"""


def test_intro_gives_its_units_to_the_items_below(rules: RuleSet) -> None:
    result = extract_text(INTROS, rules=rules)
    for words in ("Rà soát toàn bộ hệ thống", "Tham mưu bãi bỏ"):
        assert _names(result, _task(result, words).lead) == ["Sở Tư pháp"]
    listed = _names(result, _task(result, "Thống kê, phân loại").lead)
    assert "Sở Công Thương" in listed
    assert not any(t.text.startswith(("Giao", "Sở Công Thương")) for t in result.tasks)


UNIT_PARAGRAPHS = """IV. TỔ CHỨC THỰC HIỆN
1. Phòng Tài chính - Kế hoạch
Thường xuyên kiểm tra, theo dõi, đôn đốc tình hình thực hiện kế hoạch này.
Tổng hợp các nguồn kinh phí hỗ trợ từ ngân sách nhà nước cho các hợp tác xã.
2. Phòng Kinh tế và Hạ tầng
Tăng cường tuyên truyền các doanh nghiệp, hợp tác xã; thực hiện tốt công tác quản lý đô thị;
thường xuyên phối hợp kiểm tra, ngăn chặn các hành vi buôn lậu.
"""


def test_each_paragraph_under_a_unit_heading_is_a_task(rules: RuleSet) -> None:
    result = extract_text(UNIT_PARAGRAPHS, rules=rules)
    for words in ("Thường xuyên kiểm tra", "Tổng hợp các nguồn kinh phí"):
        assert _names(result, _task(result, words).lead) == ["Phòng Tài chính - Kế hoạch"]
    # a line after a semicolon continues the enumeration: one task, with its rhythm
    task = _task(result, "Tăng cường tuyên truyền")
    assert "ngăn chặn các hành vi buôn lậu" in task.text
    assert _dates(result, task.deadlines) == ["ongoing"]
    assert len(result.tasks) == 3


GROUP_TITLE = """III. TỔ CHỨC THỰC HIỆN
4. Các cơ quan, tổ chức, đơn vị, doanh nghiệp được giao quản lý, sử dụng hoặc khai thác \
tài sản kết cấu hạ tầng
a) Thực hiện quản lý, sử dụng, khai thác tài sản đúng mục đích, đúng công năng.
b) Thực hiện đầy đủ việc lập, quản lý hồ sơ tài sản; kế toán, kiểm kê tài sản.
"""


def test_a_long_title_line_gives_its_group_to_the_items_below(rules: RuleSet) -> None:
    result = extract_text(GROUP_TITLE, rules=rules)
    for words in ("đúng mục đích", "lập, quản lý hồ sơ"):
        assert _names(result, _task(result, words).lead) == [
            "Các cơ quan, tổ chức, đơn vị, doanh nghiệp"]
    assert not any(t.text.startswith("Các cơ quan") for t in result.tasks)


ASKED = """II. NHIỆM VỤ
1. Yêu cầu Sở Xây dựng lập hồ sơ điều chỉnh quy hoạch trước ngày 30/5/2026.
2. Nghiên cứu, vận dụng tối đa các cơ chế chính sách hỗ trợ hợp tác xã. Yêu cầu các sở, \
ngành, địa phương rà soát để có đề xuất cụ thể.
"""


def test_a_request_leads_only_from_the_first_sentence_of_an_item(rules: RuleSet) -> None:
    result = extract_text(ASKED, rules=rules)
    assert _names(result, _task(result, "lập hồ sơ điều chỉnh").lead) == ["Sở Xây dựng"]
    assert not [t for t in result.tasks if "vận dụng tối đa" in t.text]


WEB_PAGE = """Theo đó, Bộ trưởng quyết định giao Cục Văn hóa cơ sở chủ trì tổ chức liên hoan \
vào tháng 7/2013.

Bình luận

* Vui lòng nhập bình luận tiếng Việt có dấu

Tin khác
"""


def test_a_portals_comment_box_is_no_part_of_the_body(rules: RuleSet) -> None:
    result = extract_text(WEB_PAGE, rules=rules)
    assert [_names(result, t.lead) for t in result.tasks] == [["Cục Văn hóa cơ sở"]]
    assert "tổ chức liên hoan" in result.tasks[0].text
    assert not any("Vui lòng" in t.text for t in result.tasks)


def test_excerpt_without_header_starts_at_its_first_line(rules: RuleSet) -> None:
    text = ("Để triển khai Kế hoạch, giao Sở Tài chính chủ trì, phối hợp với Sở Nội vụ bố trí "
            "kinh phí thực hiện trong năm 2026.\nCác sở, ngành triển khai thực hiện.")
    result = extract_text(text, rules=rules)
    task = _task(result, "bố trí kinh phí")
    assert _names(result, task.lead) == ["Sở Tài chính"]
    assert result.document.kind is None and result.document.issuer is None


# --------------------------------------------------------------------------- flattened headers


def test_one_line_two_column_header(rules: RuleSet) -> None:
    text = ("BỘ XÂY DỰNG\nSố: 1074/QĐ-BXD Hà Nội, ngày 29 tháng 6 năm 2026\nQUYẾT ĐỊNH\n"
            "Về việc ban hành Kế hoạch\nBỘ TRƯỞNG BỘ XÂY DỰNG\nCăn cứ Nghị định số "
            "33/2025/NĐ-CP;\nQUYẾT ĐỊNH:\nĐiều 1. Ban hành kèm theo Quyết định này Kế hoạch.")
    doc = extract_text(text, rules=rules).document
    assert (doc.number, doc.place, doc.date, doc.kind) == ("1074/QĐ-BXD", "Hà Nội",
                                                          "2026-06-29", "Quyết định")
    assert doc.issuer == "Bộ Xây dựng"


def test_blank_number_and_day_in_a_flattened_row(rules: RuleSet) -> None:
    text = ("ỦY BAN NHÂN DÂN | CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nTỈNH LÀO CAI | Độc lập - Tự "
            "do - Hạnh phúc\nSố: /KH-UBND | | Lào Cai, ngày tháng năm 2026\nKẾ HOẠCH\n"
            "Chuyển đổi số năm 2026\nI. MỤC TIÊU\nNâng cao hiệu quả.")
    doc = extract_text(text, rules=rules).document
    assert (doc.number, doc.place, doc.date) == (None, "Lào Cai", "2026")
    assert doc.issuer == "Ủy ban nhân dân tỉnh Lào Cai"


def test_prose_never_overrides_the_letterhead(rules: RuleSet) -> None:
    text = ("UBND TỈNH ĐẮK LẮK\nSỞ NỘI VỤ\nSố: 88/SNV-CCHC\nV/v hướng dẫn báo cáo\nKính gửi: "
            "Các sở, ngành\nThực hiện chỉ đạo, Ủy ban nhân dân tỉnh ban hành Kế hoạch số "
            "5/KH-UBND; Sở Nội vụ hướng dẫn như sau:\n1. Các sở báo cáo trước ngày 15/12/2026.")
    doc = extract_text(text, rules=rules).document
    assert doc.issuer == "Sở Nội vụ tỉnh Đắk Lắk"
    assert doc.kind == "Công văn"


def test_pdf_header_on_one_line(rules: RuleSet) -> None:
    data = make_pdf(["ỦY BAN NHÂN DÂN       CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "TỈNH ĐẮK LẮK        Độc lập - Tự do - Hạnh phúc",
                     "Số: 45/KH-UBND        Đắk Lắk, ngày 12 tháng 4 năm 2026",
                     "KẾ HOẠCH", "Phát triển kinh tế tập thể năm 2026",
                     "I. NHIỆM VỤ", "1. Sở Tài chính chủ trì bố trí kinh phí."])
    result = extract_loaded(load_bytes(data, "plan.pdf"), rules)
    doc = result.document
    assert (doc.number, doc.place, doc.date) == ("45/KH-UBND", "Đắk Lắk", "2026-04-12")
    assert doc.issuer == "Ủy ban nhân dân tỉnh Đắk Lắk"
    assert _names(result, _task(result, "bố trí kinh phí").lead) == ["Sở Tài chính"]


def test_items_of_a_paged_input_carry_their_page(rules: RuleSet) -> None:
    filler = [f"{i}. Nội dung tuyên truyền số {i} về kinh tế tập thể." for i in range(1, 50)]
    data = make_pdf(["KẾ HOẠCH", "Tuyên truyền năm 2026", "I. NHIỆM VỤ", *filler,
                     "50. Sở Tài chính chủ trì bố trí kinh phí trước ngày 30/6/2026."])
    result = extract_loaded(load_bytes(data, "plan.pdf"), rules)
    task = _task(result, "bố trí kinh phí")
    assert task.page == 2
    (deadline,) = [d for d in result.deadlines if d.date == "2026-06-30"]
    assert deadline.page == 2
    lead = next(a for a in result.agencies if a.name == "Sở Tài chính")
    assert [m.page for m in lead.mentions] == [2]
    assert extract_text("I. NHIỆM VỤ\n1. Sở Tài chính chủ trì.", rules=rules).tasks[0].page is None


def test_the_plan_printed_to_pdf_gives_the_same_tasks(rules: RuleSet, tmp_path: Path) -> None:
    """Word to PDF by LibreOffice: ruled tables read by their cells, a table and a row split by
    the page break joined again."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    (tmp_path / "plan.docx").write_bytes(_plan_docx())
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "plan.docx")],
                   check=True, capture_output=True, timeout=180)
    pdf = extract_loaded(load_bytes((tmp_path / "plan.pdf").read_bytes(), "plan.pdf"), rules)
    docx = extract_loaded(load_bytes(_plan_docx(), "plan.docx"), rules)

    def rows(result: Result) -> list[tuple[str, list[str], list[str | None], str | None]]:
        return [(t.text, _names(result, t.lead), _dates(result, t.deadlines), t.product)
                for t in result.tasks if t.rule == "task.columns"]

    assert rows(pdf) == rows(docx)
    assert pdf.document.number == "15/KH-UBND"
    assert pdf.document.signer.name == "Nguyễn Văn An"


TARGET_TABLE = """II. MỤC TIÊU
| STT | Chỉ tiêu | Đơn vị tính | Năm 2026 | Cơ quan chủ trì |
|---|---|---|---|---|
| 1 | Tỷ lệ hồ sơ giải quyết trực tuyến | % | 80 | Văn phòng UBND tỉnh |
| 2 | Số hợp tác xã thành lập mới | hợp tác xã | 15 | Sở Tài chính |
"""


def test_target_table_with_a_lead_column_gives_tasks(rules: RuleSet) -> None:
    result = extract_text(TARGET_TABLE, rules=rules)
    task = _task(result, "Số hợp tác xã thành lập mới")
    assert _names(result, task.lead) == ["Sở Tài chính"]
    (target,) = [result_t for result_t in result.targets if result_t.id in task.targets]
    assert (target.value, target.year) == (15, 2026)


def test_label_bullets_after_an_item_are_its_own(rules: RuleSet) -> None:
    text = ("II. NHIỆM VỤ\n1. Xây dựng cơ sở dữ liệu hộ tịch.\n- Chủ trì: Sở Tư pháp.\n"
            "- Phối hợp: Sở Khoa học và Công nghệ.\n- Thời gian: trong quý III năm 2026.\n"
            "2. Tổ chức tập huấn nghiệp vụ.\n- Chủ trì: Sở Nội vụ.\nIII. THỜI GIAN\n"
            "1. Thời gian: sẽ có văn bản thông báo sau.")
    result = extract_text(text, rules=rules)
    first = _task(result, "cơ sở dữ liệu hộ tịch")
    assert _names(result, first.lead) == ["Sở Tư pháp"]
    assert _names(result, first.support) == ["Sở Khoa học và Công nghệ"]
    assert _dates(result, first.deadlines) == ["2026-09-30"]
    assert _names(result, _task(result, "tập huấn nghiệp vụ").lead) == ["Sở Nội vụ"]
    assert len(result.tasks) == 2


def test_target_table_with_a_merged_header_reads_years_by_grid_column(rules: RuleSet) -> None:
    doc = Document()
    doc.add_paragraph("II. MỤC TIÊU")
    table = _table(doc, [["Chỉ tiêu", "Đơn vị tính", "Kế hoạch", ""],
                         ["", "", "2025", "2030"],
                         ["Số hợp tác xã thành lập mới", "hợp tác xã", "10", "15"]])
    table.cell(0, 2).merge(table.cell(0, 3))  # "Kế hoạch" over both years
    table.cell(0, 0).merge(table.cell(1, 0))
    table.cell(0, 1).merge(table.cell(1, 1))
    result = extract_loaded(load_bytes(_docx(doc), "t.docx"), rules)
    assert sorted((t.value, t.year, t.unit) for t in result.targets) == [
        (10, 2025, "hợp tác xã"), (15, 2030, "hợp tác xã")]


def test_a_letters_addressees_are_asked_to_act(rules: RuleSet) -> None:
    text = ("UBND TỈNH LÂM ĐỒNG\nSỞ NỘI VỤ\nSố: 12/SNV-CCHC\nV/v hướng dẫn tự đánh giá\n"
            "Kính gửi:\n- Ban Quản lý các khu công nghiệp;\n- UBND các xã, phường.\n"
            "Thực hiện Quyết định số 820/QĐ-UBND, Sở Nội vụ hướng dẫn như sau:\n"
            "1. Các cơ quan gửi báo cáo trước ngày 15/12/2025.")
    result = extract_text(text, rules=rules)
    roles = {a.name: {m.role for m in a.mentions} for a in result.agencies}
    assert roles["Ban Quản lý các khu công nghiệp"] == {"requested"}
    assert roles["Ủy ban nhân dân các xã"] == {"requested"}
