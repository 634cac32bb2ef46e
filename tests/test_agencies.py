"""Agency names: the registry, open shapes, levels and places, parents, elliptical lists and
the names that are not agencies. Each test builds its own text and asserts canonical names."""

from __future__ import annotations

import pytest

from kttt_extract.extractors.agencies import canonical, find_names
from kttt_extract.model import Agency, Result
from kttt_extract.pipeline import extract_text
from kttt_extract.ruleset import RuleSet


def run(text: str, rules: RuleSet) -> Result:
    return extract_text(text, rules=rules)


def agency(result: Result, name: str) -> Agency:
    found = [a for a in result.agencies if a.name == name]
    assert found, f"{name!r} not in {[a.name for a in result.agencies]}"
    return found[0]


def names(result: Result) -> list[str]:
    return [a.name for a in result.agencies]


def plan(*items: str) -> str:
    """A small plan with the given items under its TỔ CHỨC THỰC HIỆN heading."""
    body = "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))
    return f"KẾ HOẠCH\nThực hiện nhiệm vụ năm 2026\nI. TỔ CHỨC THỰC HIỆN\n{body}\n"


def test_a_name_with_commas_is_held_whole(rules: RuleSet) -> None:
    r = run("Sở Văn hóa, Thể thao và Du lịch chủ trì tổ chức giải chạy.", rules)
    assert names(r) == ["Sở Văn hóa, Thể thao và Du lịch"]


@pytest.mark.parametrize("written", [
    "Sở Văn hóa - Thể thao và Du lịch", "Sở Văn hóa – Thể thao và Du lịch",
    "Sở Văn hóa Thể thao và Du lịch", "Sở Văn hoá, Thể thao và Du lịch",
    "sở văn hóa, thể thao và du lịch", "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"])
def test_one_name_whatever_the_separators_case_and_tone_placement(written: str,
                                                                  rules: RuleSet) -> None:
    r = run(f"Giao {written} chủ trì tổ chức giải chạy.", rules)
    assert names(r) == ["Sở Văn hóa, Thể thao và Du lịch"]


def test_a_name_broken_over_a_line_is_one_name(rules: RuleSet) -> None:
    r = run("Định kỳ báo cáo Ủy ban nhân dân tỉnh, Bộ\nTài chính về kết quả thực hiện.", rules)
    assert "Bộ Tài chính" in names(r)
    assert agency(r, "Bộ Tài chính").aliases == ("Bộ\nTài chính",)


def test_lower_case_writing_of_a_distinctive_name(rules: RuleSet) -> None:
    r = run("Phối hợp với ngân hàng nhà nước Việt Nam chi nhánh tỉnh thực hiện.", rules)
    a = agency(r, "Ngân hàng Nhà nước Việt Nam chi nhánh tỉnh")
    assert (a.level, a.mentions[0].role) == ("province", "support")


def test_common_words_are_not_taken_for_bodies(rules: RuleSet) -> None:
    r = run("Người lao động tham gia bảo hiểm xã hội; thanh tra, kiểm tra việc chi trả; "
            "xây dựng chính phủ số.", rules)
    assert [a.name for a in r.agencies if not a.group] == []


@pytest.mark.parametrize(("written", "name"), [
    ("Sở KH-CN", "Sở Khoa học và Công nghệ"),
    ("Sở KH&ĐT", "Sở Kế hoạch và Đầu tư"),
    ("Phòng NN&PTNT", "Phòng Nông nghiệp và Phát triển nông thôn"),
    ("Ủy ban MTTQVN tỉnh", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh"),
    ("Đoàn TNCS Hồ Chí Minh tỉnh", "Đoàn Thanh niên Cộng sản Hồ Chí Minh tỉnh"),
    ("Chi nhánh NHCSXH tỉnh", "Chi nhánh Ngân hàng Chính sách xã hội tỉnh"),
    ("các Ban QLDA chuyên ngành", "Ban Quản lý dự án chuyên ngành"),
])
def test_abbreviations_are_expanded(written: str, name: str, rules: RuleSet) -> None:
    r = run(f"Giao {written} báo cáo kết quả giải ngân.", rules)
    assert name in names(r)


def test_registry_fields_kind_level_and_place(rules: RuleSet) -> None:
    r = run("Ủy ban nhân dân tỉnh Gia Lai ban hành kế hoạch; Sở Y tế chủ trì.", rules)
    ubnd = agency(r, "Ủy ban nhân dân tỉnh Gia Lai")
    assert (ubnd.kind, ubnd.level, ubnd.place) == ("ủy ban nhân dân", "province", "Gia Lai")
    so = agency(r, "Sở Y tế")
    assert (so.kind, so.level, so.place) == ("sở", "province", None)


def test_levels_keep_units_of_one_kind_apart(rules: RuleSet) -> None:
    r = run("Ủy ban nhân dân tỉnh giao Chủ tịch UBND các xã, phường, đặc khu tổ chức thực "
            "hiện và báo cáo Ủy ban nhân dân tỉnh.", rules)
    commune = agency(r, "Ủy ban nhân dân các xã")
    assert (commune.level, commune.group) == ("commune", False)
    assert agency(r, "Ủy ban nhân dân tỉnh").level == "province"


def test_a_person_after_a_titled_unit_is_not_a_place(rules: RuleSet) -> None:
    r = run("Giao Phó Chủ tịch Ủy ban nhân dân tỉnh Trần Văn Bình chỉ đạo thực hiện.", rules)
    assert "Ủy ban nhân dân tỉnh" in names(r)
    assert agency(r, "Ủy ban nhân dân tỉnh").place is None


def test_a_sub_unit_with_its_parent_is_one_agency(rules: RuleSet) -> None:
    r = run("Cục Quản lý xuất nhập cảnh, Bộ Công an hướng dẫn thủ tục.", rules)
    assert names(r) == ["Cục Quản lý xuất nhập cảnh"]
    assert agency(r, "Cục Quản lý xuất nhập cảnh").parent == "Bộ Công an"


def test_a_sub_unit_named_with_its_body_has_it_as_parent(rules: RuleSet) -> None:
    r = run("Ban Tuyên giáo và Dân vận Huyện ủy chủ trì; Văn phòng UBND tỉnh theo dõi.", rules)
    assert agency(r, "Ban Tuyên giáo và Dân vận Huyện ủy").parent == "Huyện ủy"
    assert agency(r, "Văn phòng Ủy ban nhân dân").parent == "Ủy ban nhân dân tỉnh"


def test_units_of_two_levels_in_a_list_are_not_parent_and_child(rules: RuleSet) -> None:
    r = run("Phòng Tư pháp huyện, Sở Tư pháp hướng dẫn nghiệp vụ.", rules)
    assert names(r) == ["Phòng Tư pháp", "Sở Tư pháp"]
    assert agency(r, "Phòng Tư pháp").parent is None


@pytest.mark.parametrize("text", [
    "Gửi các sở: Nội vụ, Tư pháp, Văn hóa, Thể thao và Du lịch để phối hợp.",
    "Gửi các Sở Nội vụ, Tư pháp và Văn hóa, Thể thao và Du lịch để phối hợp.",
    "Gửi Sở Nội vụ, Tư pháp; Văn hóa, Thể thao và Du lịch để phối hợp.",
])
def test_elliptical_lists_are_expanded(text: str, rules: RuleSet) -> None:
    r = run(text, rules)
    assert [a.name for a in r.agencies if not a.group] == [
        "Sở Nội vụ", "Sở Tư pháp", "Sở Văn hóa, Thể thao và Du lịch"]


def test_an_elliptical_list_of_ministries(rules: RuleSet) -> None:
    r = run(plan("Các Bộ: Công an, Ngoại giao, Ngân hàng Nhà nước Việt Nam\n- Chủ trì xây "
                 "dựng cơ sở dữ liệu."), rules)
    assert [a.name for a in r.agencies if not a.group] == [
        "Bộ Công an", "Bộ Ngoại giao", "Ngân hàng Nhà nước Việt Nam"]


def test_an_elliptical_list_stops_at_a_local_body(rules: RuleSet) -> None:
    r = run("Bộ Tài chính, Công an tỉnh phối hợp kiểm tra.", rules)
    assert names(r) == ["Bộ Tài chính", "Công an tỉnh"]


@pytest.mark.parametrize(("text", "name"), [
    ("Bộ Nông nghiệp và Môi trường xem xét, hướng dẫn.", "Bộ Nông nghiệp và Môi trường"),
    ("Ban Chỉ đạo tích cực tuyên truyền, vận động.", "Ban Chỉ đạo"),
    ("Sở Tài chính trước ngày 15/12 tổng hợp.", "Sở Tài chính"),
    ("Trung tâm Phục vụ hành chính công tiến hành rà soát.", "Trung tâm Phục vụ hành chính công"),
])
def test_verbs_are_not_glued_to_a_name(text: str, name: str, rules: RuleSet) -> None:
    assert names(run(text, rules)) == [name]


@pytest.mark.parametrize("text", [
    "Thực hiện Luật Phòng cháy, chữa cháy và cứu nạn, cứu hộ.",
    "Ban hành Bộ chỉ số đánh giá chuyển đổi số.",
    "Cơ sở cai nghiện ma túy tiếp nhận người nghiện.",
    "Thanh tra việc quản lý, sử dụng đất đai.",
    "Bộ trưởng, Thủ trưởng cơ quan ngang bộ chịu trách nhiệm.",
])
def test_phrases_that_name_no_agency(text: str, rules: RuleSet) -> None:
    assert [a.name for a in run(text, rules).agencies if not a.group] == []


def test_a_short_name_the_document_gives_is_the_same_agency(rules: RuleSet) -> None:
    r = run("Thành lập Ban Chỉ đạo phát triển du lịch tỉnh (sau đây gọi tắt là Ban Chỉ đạo). "
            "Ban Chỉ đạo có nhiệm vụ tham mưu.", rules)
    assert [a.name for a in r.agencies] == ["Ban Chỉ đạo phát triển du lịch tỉnh"]
    assert len(r.agencies[0].mentions) == 3


def test_open_shapes_outside_the_registry(rules: RuleSet) -> None:
    r = run("Tổ công tác đặc biệt của tỉnh, Đoàn kiểm tra liên ngành, Công ty TNHH Minh Phát và "
            "Trung tâm Khuyến nông phối hợp.", rules)
    assert {"Tổ công tác đặc biệt", "Đoàn kiểm tra liên ngành", "Công ty TNHH Minh Phát",
            "Trung tâm Khuyến nông"} <= set(names(r))


def test_find_names_works_on_any_span(rules: RuleSet) -> None:
    """A table cell: the names in a span, none before or after it."""
    row = "Xây dựng quy chế | Sở Tư pháp, Sở Nội vụ | Các sở, ngành | 2026"
    start = row.index("Sở Tư pháp")
    end = row.index(" | Các sở")
    found = find_names(row, start, end, rules)
    assert [f.canon for f in found] == ["Sở Tư pháp", "Sở Nội vụ"]


def test_canonical_keeps_its_contract(rules: RuleSet) -> None:
    assert canonical("Phòng NN&PTNT huyện", rules) == "Phòng Nông nghiệp và Phát triển nông thôn"
    assert canonical("UBND huyện Tam Đường", rules) == "Ủy ban nhân dân huyện Tam Đường"


def test_a_body_named_in_a_law_title_is_no_agency(rules: RuleSet) -> None:
    r = run("Căn cứ Luật Tổ chức Chính phủ ngày 18/02/2025; Chính phủ ban hành Nghị định.", rules)
    assert [len(a.mentions) for a in r.agencies if a.name == "Chính phủ"] == [1]


def test_a_group_that_belongs_to_a_body_is_one_group(rules: RuleSet) -> None:
    r = run("Các cơ quan chuyên môn thuộc UBND tỉnh, Thủ trưởng cơ quan thuộc Chính phủ thực hiện.",
            rules)
    assert [(a.name, a.group) for a in r.agencies] == [
        ("Các cơ quan chuyên môn thuộc Ủy ban nhân dân tỉnh", True),
        ("Cơ quan thuộc Chính phủ", True)]
