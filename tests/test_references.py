"""Citations as the genre writes them: numbers kept whole, kinds from codes, lists, capitals,
laws by name and date, documents named without a number, and subjects of cited documents."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from kttt_extract import extract_text
from kttt_extract.model import Reference
from kttt_extract.ruleset import RuleSet


def plan(*preamble: str, number: str = "12/KH-UBND") -> str:
    """A small plan whose preamble holds the given citation lines."""
    return "\n".join([
        "ỦY BAN NHÂN DÂN TỈNH HÀ NAM",
        f"Số: {number}",
        "Hà Nam, ngày 10 tháng 3 năm 2025",
        "KẾ HOẠCH",
        "Phát triển kinh tế tập thể năm 2025",
        *preamble,
        "I. MỤC TIÊU",
        "- Thành lập mới 10 hợp tác xã.",
    ])


def refs(rules: RuleSet, *lines: str, number: str = "12/KH-UBND") -> Sequence[Reference]:
    return extract_text(plan(*lines, number=number), rules=rules).document.references


def keys(found: Sequence[Reference]) -> list[tuple[str, str | None, str | None]]:
    return [(r.kind, r.number, r.date) for r in found]


@pytest.mark.parametrize(("line", "number"), [
    ("Căn cứ Nghị quyết số 163/2024/QH15 ngày 27/11/2024 của Quốc hội;", "163/2024/QH15"),
    ("Thực hiện Công văn số 3169/TCT06 ngày 02/5/2024 của Tổng cục;", "3169/TCT06"),
    ("Thực hiện Kế hoạch số 68/KH - UBND của UBND tỉnh;", "68/KH-UBND"),
    ("Thực hiện Công văn số 846 /UBND-TH của UBND tỉnh;", "846/UBND-TH"),
])
def test_numbers_are_kept_whole(rules: RuleSet, line: str, number: str) -> None:
    assert [r.number for r in refs(rules, line)] == [number]


@pytest.mark.parametrize(("line", "kind"), [
    ("(tại văn bản số 392/TB-VPCP ngày 24/9/2023 của Văn phòng Chính phủ)", "Thông báo"),
    ("theo văn bản số 15/HD-SNV ngày 03/4/2024 của Sở Nội vụ;", "Hướng dẫn"),
    ("theo văn bản số 846/UBND-TH ngày 03/4/2024 của UBND tỉnh;", "Công văn"),
    ("Căn cứ Phương án số 07/PA-UBND ngày 03/4/2024 của UBND tỉnh;", "Phương án"),
    ("Căn cứ Đề án số 06/ĐA-UBND ngày 03/4/2024 của UBND tỉnh;", "Đề án"),
])
def test_kind_of_a_generic_citation_comes_from_its_code(rules: RuleSet, line: str,
                                                        kind: str) -> None:
    assert [r.kind for r in refs(rules, line)] == [kind]


def test_a_list_under_one_kind_gives_each_number(rules: RuleSet) -> None:
    found = refs(rules, "Căn cứ các Quyết định: số 652/QĐ-TTg ngày 28/5/2022, "
                        "số 147/QĐ-TTg ngày 23/02/2023 của Thủ tướng Chính phủ;")
    assert keys(found) == [("Quyết định", "652/QĐ-TTg", "2022-05-28"),
                           ("Quyết định", "147/QĐ-TTg", "2023-02-23")]


def test_citations_in_capitals(rules: RuleSet) -> None:
    found = refs(rules, "THỰC HIỆN NGHỊ QUYẾT SỐ 68/NQ-CP NGÀY 09/5/2024 CỦA CHÍNH PHỦ;")
    assert keys(found) == [("Nghị quyết", "68/NQ-CP", "2024-05-09")]


def test_second_citation_is_not_swallowed_by_the_first_issuer(rules: RuleSet) -> None:
    found = refs(rules, "Căn cứ Quyết định số 5/QĐ-UBND của UBND tỉnh Hà Nam "
                        "Kế hoạch số 9/KH-UBND ngày 02/01/2025 của UBND tỉnh;")
    assert keys(found) == [("Quyết định", "5/QĐ-UBND", None),
                           ("Kế hoạch", "9/KH-UBND", "2025-01-02")]
    assert found[0].issuer == "Ủy ban nhân dân tỉnh Hà Nam"


@pytest.mark.parametrize(("line", "text", "date"), [
    ("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
     "Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015", "2015-06-19"),
    ("Căn cứ Luật Hợp tác xã năm 2012;", "Luật Hợp tác xã năm 2012", "2012"),
    ("Triển khai Luật thực hiện dân chủ ở cơ sở trên địa bàn;",
     "Luật thực hiện dân chủ ở cơ sở", None),
])
def test_laws_by_name_and_date(rules: RuleSet, line: str, text: str, date: str | None) -> None:
    found = refs(rules, line)
    assert [(r.kind, r.text, r.date) for r in found] == [("Luật", text, date)]


def test_law_with_number_and_commas_in_its_name(rules: RuleSet) -> None:
    found = refs(rules, "Căn cứ Luật Phòng cháy, chữa cháy và cứu nạn, cứu hộ số 55/2024/QH15;")
    assert keys(found) == [("Luật", "55/2024/QH15", None)]


def test_amending_law_is_one_citation(rules: RuleSet) -> None:
    found = refs(rules, "Căn cứ Luật sửa đổi, bổ sung một số điều của Luật Tổ chức Chính phủ "
                        "và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;")
    assert keys(found) == [("Luật", None, "2019-11-22")]


def test_one_law_cited_with_and_without_its_date_is_one_entry(rules: RuleSet) -> None:
    found = refs(rules, "Căn cứ Luật Hợp tác xã năm 2012;", "Thực hiện Luật Hợp tác xã;")
    assert [(r.text, r.date, len(r.spans)) for r in found] == [
        ("Luật Hợp tác xã năm 2012", "2012", 2)]


@pytest.mark.parametrize(("line", "kind", "text"), [
    ("Thực hiện Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIII của Đảng;", "Nghị quyết",
     "Nghị quyết Đại hội đại biểu toàn quốc lần thứ XIII"),
    ("Thực hiện Chiến lược phát triển kinh tế - xã hội 10 năm giai đoạn 2021-2030;",
     "Chiến lược", "Chiến lược phát triển kinh tế - xã hội 10 năm giai đoạn 2021-2030"),
    ("Theo quy định của Điều lệ Đảng;", "Điều lệ", "Điều lệ Đảng"),
])
def test_documents_named_without_a_number(rules: RuleSet, line: str, kind: str,
                                          text: str) -> None:
    assert [(r.kind, r.number, r.text) for r in refs(rules, line)] == [(kind, None, text)]


def test_names_inside_a_cited_documents_subject_are_not_citations(rules: RuleSet) -> None:
    found = refs(rules, "Thực hiện Quyết định số 150/QĐ-TTg ngày 28/01/2022 của Thủ tướng "
                        "Chính phủ về phê duyệt Chiến lược phát triển nông nghiệp giai đoạn "
                        "2021-2030, tầm nhìn đến năm 2050;")
    assert keys(found) == [("Quyết định", "150/QĐ-TTg", "2022-01-28")]


def test_the_documents_own_number_is_not_a_reference(rules: RuleSet) -> None:
    found = refs(rules, "(Kèm theo Kế hoạch số 12/KH-UBND ngày 10/3/2025 của UBND tỉnh)",
                 "Căn cứ Kế hoạch số 7/KH-UBND ngày 10/01/2025 của UBND tỉnh;")
    assert [r.number for r in found] == ["7/KH-UBND"]


@pytest.mark.parametrize("line", [
    "Mời Luật sư tư vấn pháp luật cho hợp tác xã.",
    "Xây dựng chiến lược phát triển doanh nghiệp.",
    "Tổ chức 20 hội nghị ngày 16/6/2022.",
])
def test_no_citation(rules: RuleSet, line: str) -> None:
    assert refs(rules, line) == ()
