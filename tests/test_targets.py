"""Targets as the genre writes them: horizons that scope over a list, the year after a figure,
aims against facts, numbers that are names or counts of a list, multipliers on counted nouns."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from kttt_extract import extract_text
from kttt_extract.model import Target
from kttt_extract.ruleset import RuleSet


def plan(*lines: str, title: str = "Phát triển kinh tế tập thể năm 2025",
         heading: str = "II. MỤC TIÊU") -> str:
    """A small plan dated 2025 whose section `heading` holds the given lines."""
    return "\n".join(["ỦY BAN NHÂN DÂN TỈNH HÀ NAM", "Số: 12/KH-UBND",
                      "Hà Nam, ngày 10 tháng 01 năm 2025", "KẾ HOẠCH", title,
                      "I. MỤC ĐÍCH, YÊU CẦU", "Nâng cao hiệu quả.", heading, *lines,
                      "III. TỔ CHỨC THỰC HIỆN", "Giao Sở Tài chính chủ trì."])


def targets(rules: RuleSet, *lines: str, **kw: str) -> Sequence[Target]:
    return extract_text(plan(*lines, **kw), rules=rules).targets


def values(found: Sequence[Target]) -> list[tuple[float, int | None]]:
    return [(t.value, t.year) for t in found]


def test_an_opening_horizon_scopes_over_the_paragraphs_that_follow(rules: RuleSet) -> None:
    found = targets(rules, "Theo đó, đến năm 2027, tối thiểu 80% hồ sơ được xử lý trực tuyến.",
                    "100% văn bản được ký số.", "Trên 50% hoạt động kiểm tra qua môi trường số.")
    assert values(found) == [(80, 2027), (100, 2027), (50, 2027)]


def test_a_colon_heading_horizon_scopes_until_the_next_horizon(rules: RuleSet) -> None:
    found = targets(rules, "Đến năm 2027:", "- Có 50 hợp tác xã.", "- 100% xã có tổ hợp tác.",
                    "Đến năm 2030:", "- Có 70 hợp tác xã.")
    assert values(found) == [(50, 2027), (100, 2027), (70, 2030)]


def test_a_scope_ends_with_its_section(rules: RuleSet) -> None:
    r = extract_text(plan("Đến năm 2027:", "- Có 50 hợp tác xã."), rules=rules)
    body = plan("Đến năm 2027:", "- Có 50 hợp tác xã.").replace(
        "Giao Sở Tài chính chủ trì.", "Giao Sở Tài chính hỗ trợ 20 hợp tác xã.")
    later = extract_text(body, rules=rules).targets
    assert values(r.targets) == [(50, 2027)]
    assert values(later) == [(50, 2027), (20, None)]


def test_a_bullets_own_horizon_does_not_reach_the_next_bullet(rules: RuleSet) -> None:
    found = targets(rules, "- Đến năm 2027, có 50 hợp tác xã.", "- Hàng năm có 2 mô hình mới.")
    assert values(found) == [(50, 2027), (2, None)]


def test_the_year_after_a_figure_and_two_horizons_in_a_sentence(rules: RuleSet) -> None:
    found = targets(rules, "- Tỷ lệ hồ sơ trực tuyến đạt 20% trong năm 2026 và 50% vào năm 2030.",
                    "- Tỷ lệ che phủ rừng đạt 45% vào năm 2030.")
    assert values(found) == [(20, 2026), (50, 2030), (45, 2030)]


@pytest.mark.parametrize(("line", "year"), [
    ("PHẤN ĐẤU NĂM 2026", 2026),
    ("Các chỉ tiêu chủ yếu năm 2026 của tỉnh:", 2026),
])
def test_a_year_an_aim_names_is_a_horizon(rules: RuleSet, line: str, year: int) -> None:
    assert values(targets(rules, line, "- Thu ngân sách đạt 1.200 tỷ đồng.")) == [
        (1_200_000_000_000, year)]


def test_a_year_before_the_plans_is_no_horizon(rules: RuleSet) -> None:
    found = targets(rules, "- Phấn đấu năm 2019 có 60% hợp tác xã khá.", title="Kế hoạch năm 2025")
    assert values(found) == [(60, None)]


@pytest.mark.parametrize("line", [
    "- Tính đến ngày 30/6/2024 toàn tỉnh có 203 hợp tác xã.",
    "- Ước đến cuối năm 2024 có 204 hợp tác xã, đạt 100,5%.",
    "- Hiện nay, có 184 hợp tác xã đang hoạt động.",
    "- Từ đầu năm đến nay, có hơn 350 doanh nghiệp thành lập mới.",
    "- Thành lập mới 3.204 tổ hợp tác, đạt 62,3% kế hoạch năm.",
    "- Lãi bình quân là 200 triệu đồng, đạt 100% kế hoạch.",
    "- Toàn tỉnh đã thành lập mới 10 hợp tác xã.",
    "- Năm 2023 có 29.378 hợp tác xã.",
    "- Doanh thu tăng 12% so với cùng kỳ.",
    "- Cơ sở cai nghiện có công suất tiếp nhận là 288 người.",
])
def test_facts_of_a_report_are_not_targets(rules: RuleSet, line: str) -> None:
    assert targets(rules, line) == ()


def test_an_aim_after_a_fact_in_one_sentence(rules: RuleSet) -> None:
    found = targets(rules, "- Năm 2024 đạt 60%, phấn đấu năm 2025 có 70 hợp tác xã khá.")
    assert values(found) == [(70, 2025)]


def test_figures_under_an_assessment_heading_are_facts(rules: RuleSet) -> None:
    r = extract_text(plan("- Doanh thu của hợp tác xã chiếm hơn 60% tổng doanh thu.",
                          heading="I. TÌNH HÌNH THỰC HIỆN NĂM 2024"), rules=rules)
    assert r.targets == ()


def test_an_aspect_word_inside_a_noun_phrase_is_no_report(rules: RuleSet) -> None:
    found = targets(rules, "- Tỷ lệ lao động đã qua đào tạo đạt 71%.",
                    "- Chỉ đạo thực hiện 100% hồ sơ được giải quyết trực tuyến.")
    assert [t.value for t in found] == [71, 100]


@pytest.mark.parametrize("line", [
    "- Nâng cao hiệu lực của chính quyền địa phương 2 cấp.",
    "- Phát triển theo 6 trụ cột tăng trưởng.",
    "- Các chỉ tiêu kinh tế: 13 chỉ tiêu.",
    "- Hàng hóa trên thị trường gồm 02 loại:",
    "- Thực hiện Chỉ thị 11 của Ban Bí thư.",
    "- Vùng Cảnh sát biển 3 phối hợp tuần tra.",
    "- Làm việc với UBND Phường 2 Bảo Lộc và xã Bảo Lâm 2 để tháo gỡ vướng mắc.",
    "- Giải phóng mặt bằng tại Km186+819 và nút giao.",
    "- Thẩm định chủ trương đầu tư của 02 dự án nêu trên.",
    "- Phổ cập giáo dục mẫu giáo cho trẻ 3 tuổi.",
    "- Báo cáo theo Phụ lục 2 kèm theo.",
])
def test_numbers_that_are_names_or_counts_of_a_list(rules: RuleSet, line: str) -> None:
    assert targets(rules, line) == ()


@pytest.mark.parametrize(("line", "value", "unit"), [
    ("- Cả nước có khoảng 140.000 tổ hợp tác, với 2 triệu thành viên.", 2_000_000, "thành viên"),
    ("- Tạo việc làm cho trên 10 nghìn lao động/mỗi năm.", 10_000, "lao động"),
    ("- Có 7,1 triệu thành viên hợp tác xã.", 7_100_000, "thành viên"),
    ("- Phấn đấu có trên 40/99 xã đạt chuẩn.", 40, "xã"),
])
def test_multipliers_and_shares_on_counted_nouns(rules: RuleSet, line: str, value: float,
                                                 unit: str) -> None:
    found = [t for t in targets(rules, line) if t.unit == unit]
    assert [t.value for t in found] == [value]


def test_money_with_compound_multipliers_and_in_dollars(rules: RuleSet) -> None:
    found = targets(rules, "- Vốn đăng ký đạt 47 nghìn tỷ đồng; xuất khẩu đạt trên 6,1 tỷ USD.")
    assert [(t.value, t.unit, t.comparator) for t in found] == [
        (47_000_000_000_000, "đồng", "eq"), (6_100_000_000, "USD", "gt")]


def test_the_horizon_of_a_dated_aim(rules: RuleSet) -> None:
    found = targets(rules, "- Phấn đấu đến ngày 30/6/2026 hoàn thành tối thiểu 80% khối lượng.",
                    heading="II. NHIỆM VỤ")
    assert [(t.value, t.comparator, t.year) for t in found] == [(80, "gte", 2026)]
