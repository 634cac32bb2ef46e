"""Roles of agency mentions: who leads, supports, is reported to, asked, follows up, or is only
mentioned (the issuer of a cited document, a proposer, the body that assigns)."""

from __future__ import annotations

import pytest

from kttt_extract.model import Result
from kttt_extract.pipeline import extract_text
from kttt_extract.ruleset import RuleSet


def roles(text: str, rules: RuleSet) -> dict[str, set[str]]:
    """Each agency's name with the roles of its mentions."""
    result: Result = extract_text(text, rules=rules)
    return {a.name: {m.role for m in a.mentions} for a in result.agencies}


def test_the_subject_before_chu_tri_leads_and_its_partners_support(rules: RuleSet) -> None:
    got = roles("Sở Xây dựng chủ trì, phối hợp với Sở Tài chính, Công an tỉnh kiểm tra.", rules)
    assert got["Sở Xây dựng"] == {"lead"}
    assert got["Sở Tài chính"] == got["Công an tỉnh"] == {"support"}


def test_units_chained_before_a_cue_share_it(rules: RuleSet) -> None:
    got = roles("Sở Nội vụ, Sở Tư pháp và Thanh tra tỉnh chủ trì rà soát.", rules)
    assert got == {"Sở Nội vụ": {"lead"}, "Sở Tư pháp": {"lead"}, "Thanh tra tỉnh": {"lead"}}


def test_partners_are_never_read_as_the_subject_of_a_later_cue(rules: RuleSet) -> None:
    got = roles("Chủ trì, phối hợp với Sở Tài chính tham mưu Ủy ban nhân dân tỉnh.", rules)
    assert got == {"Sở Tài chính": {"support"}, "Ủy ban nhân dân tỉnh": {"report_to"}}


def test_the_body_that_assigns_is_not_the_lead(rules: RuleSet) -> None:
    got = roles("Ủy ban nhân dân tỉnh giao Sở Công Thương chủ trì thực hiện.", rules)
    assert got == {"Ủy ban nhân dân tỉnh": {"mentioned"}, "Sở Công Thương": {"lead"}}


def test_the_body_that_directs_another_to_lead_is_not_the_lead(rules: RuleSet) -> None:
    got = roles("Ủy ban nhân dân tỉnh chỉ đạo Bảo hiểm xã hội tỉnh chủ trì, phối hợp với "
                "Sở Y tế triển khai.", rules)
    assert got["Ủy ban nhân dân tỉnh"] == {"mentioned"}
    assert got["Bảo hiểm xã hội tỉnh"] == {"lead"}


def test_a_body_that_directs_its_own_units_leads(rules: RuleSet) -> None:
    got = roles("Bộ Y tế chỉ đạo các bệnh viện tuyến tỉnh tăng cường phòng bệnh.", rules)
    assert got["Bộ Y tế"] == {"lead"}


def test_a_named_head_stands_for_the_unit(rules: RuleSet) -> None:
    got = roles("Giao Giám đốc Sở Nội vụ, Chủ tịch UBND các xã, phường chủ trì thực hiện.", rules)
    assert got["Sở Nội vụ"] == {"lead"}
    assert got["Ủy ban nhân dân các xã"] == {"lead"}


@pytest.mark.parametrize("text", [
    "Theo đề nghị của Giám đốc Sở Tài chính tại Tờ trình số 45/TTr-STC ngày 02/3/2026.",
    "Xét đề nghị của Sở Tài chính, Ủy ban nhân dân tỉnh quyết định.",
])
def test_a_proposer_is_only_mentioned(text: str, rules: RuleSet) -> None:
    assert roles(text, rules)["Sở Tài chính"] == {"mentioned"}


@pytest.mark.parametrize("text", [
    "Thực hiện Quyết định số 12/QĐ-UBND ngày 05/01/2026 của Ủy ban nhân dân tỉnh về việc giao "
    "Sở Y tế chủ trì.",
    "Căn cứ Công văn số 77/BYT-KHTC, ngày 3/2/2026 của Bộ Y tế gửi các tỉnh.",
])
def test_the_issuer_of_a_cited_document_is_only_mentioned(text: str, rules: RuleSet) -> None:
    got = roles(text, rules)
    issuer = "Ủy ban nhân dân tỉnh" if "Ủy ban" in text else "Bộ Y tế"
    assert got[issuer] == {"mentioned"}


@pytest.mark.parametrize(("text", "name"), [
    ("Tổng hợp kết quả, báo cáo Ủy ban nhân dân tỉnh trước ngày 20/12.", "Ủy ban nhân dân tỉnh"),
    ("Gửi báo cáo về Sở Nội vụ (qua Phòng Cải cách hành chính).", "Phòng Cải cách hành chính"),
    ("Sở Tư pháp thẩm định, trình Hội đồng nhân dân tỉnh xem xét.", "Hội đồng nhân dân tỉnh"),
    ("Kiến nghị Bộ Nội vụ sửa đổi quy định.", "Bộ Nội vụ"),
])
def test_units_reported_or_submitted_to(text: str, name: str, rules: RuleSet) -> None:
    assert roles(text, rules)[name] == {"report_to"}


def test_units_that_follow_up_monitor(rules: RuleSet) -> None:
    got = roles("Văn phòng Ủy ban nhân dân tỉnh theo dõi, đôn đốc việc thực hiện.", rules)
    assert got["Văn phòng Ủy ban nhân dân"] == {"monitor"}


def test_de_nghi_heading_an_item_gives_the_lead(rules: RuleSet) -> None:
    got = roles("II. NHIỆM VỤ\n1. Đề nghị Hội Nông dân tỉnh:\n- Vận động hội viên tham gia.\n"
                "2. Đề nghị Sở Tài chính phối hợp bố trí kinh phí.", rules)
    assert got["Hội Nông dân tỉnh"] == {"lead"}
    assert got["Sở Tài chính"] == {"requested"}


def test_members_listed_for_a_body_being_set_up_support_it(rules: RuleSet) -> None:
    got = roles("Điều 1. Thành lập Tổ công tác về dữ liệu gồm các thành viên sau:\n"
                "1. Giám đốc Sở Tư pháp, Tổ trưởng.\n2. Chánh Thanh tra tỉnh.\n"
                "Điều 2. Tổ công tác có nhiệm vụ tham mưu.", rules)
    assert got["Sở Tư pháp"] == {"support"}
    assert got["Thanh tra tỉnh"] == {"support"}


def test_units_listed_after_giao_gom_lead(rules: RuleSet) -> None:
    got = roles("Giao các đơn vị quản lý chuyên ngành gồm:\n- Sở Xây dựng (đối với đô thị);\n"
                "- Sở Y tế (đối với bệnh viện).\nCó trách nhiệm rà soát tài sản.", rules)
    assert got["Sở Xây dựng"] == got["Sở Y tế"] == {"lead"}


def test_the_units_charged_with_executing_a_decision_support_it(rules: RuleSet) -> None:
    got = roles("Điều 3. Chánh Văn phòng UBND tỉnh; Giám đốc các Sở: Tư pháp, Y tế; Chủ tịch "
                "UBND các xã chịu trách nhiệm thi hành Quyết định này.", rules)
    assert got["Văn phòng Ủy ban nhân dân"] == {"support"}
    assert got["Sở Tư pháp"] == got["Sở Y tế"] == {"support"}
    assert got["Ủy ban nhân dân các xã"] == {"support"}


def test_partners_listed_after_a_group_with_bao_gom(rules: RuleSet) -> None:
    got = roles("Chi nhánh Ngân hàng Chính sách xã hội tỉnh chủ trì, phối hợp các sở, ngành "
                "liên quan bao gồm Sở Xây dựng; Sở Y tế tổ chức phổ biến.", rules)
    assert got["Sở Xây dựng"] == got["Sở Y tế"] == {"support"}


def test_a_unit_working_with_others_supports(rules: RuleSet) -> None:
    got = roles("Tòa án nhân dân tỉnh, Viện kiểm sát nhân dân tỉnh tích cực phối hợp thực hiện.",
                rules)
    assert got == {"Tòa án nhân dân tỉnh": {"support"}, "Viện kiểm sát nhân dân tỉnh": {"support"}}


def test_a_name_broken_over_a_line_keeps_its_list_for_roles(rules: RuleSet) -> None:
    got = roles("Điều 3. Chánh Văn phòng UBND tỉnh; Giám đốc Sở Nông nghiệp và\nMôi trường; Chủ "
                "tịch UBND các xã chịu trách nhiệm thi hành Quyết định này.", rules)
    assert got["Sở Nông nghiệp và Môi trường"] == {"support"}
    assert got["Văn phòng Ủy ban nhân dân"] == {"support"}
