"""A target stated again is one target: the headline of an excerpt, a paragraph printed twice.
The plan's own restatements in other words stay (ANNOTATION: one entry per distinct target)."""

from __future__ import annotations

from kttt_extract.pipeline import extract_text
from kttt_extract.ruleset import RuleSet

EXCERPT = """Tỉnh đặt mục tiêu năm 2025 có trên 15.000 doanh nghiệp

Bí thư Tỉnh ủy vừa ký ban hành Nghị quyết về phát triển doanh nghiệp đến năm 2025.

Tỉnh đặt mục tiêu năm 2025 có trên 15.000 doanh nghiệp.

Đến năm 2025, phấn đấu toàn tỉnh có trên 15.000 doanh nghiệp; hằng năm giải quyết việc làm \
mới trên 20.000 lao động.
"""

PLAN = """ỦY BAN NHÂN DÂN HUYỆN X
Số: 12/KH-UBND
KẾ HOẠCH
Phát triển kinh tế tập thể năm 2025
I. MỤC TIÊU
1. Đến năm 2025, toàn huyện có 50 hợp tác xã.
2. Phấn đấu đến năm 2025 thành lập mới để đạt 50 hợp tác xã trên địa bàn huyện.
"""


def test_an_excerpts_headline_and_its_repeats_are_one_target(rules: RuleSet) -> None:
    result = extract_text(EXCERPT, rules=rules)
    firms = [t for t in result.targets if t.value == 15000]
    assert len(firms) == 1
    assert firms[0].text.startswith("Đến năm 2025") or "phấn đấu" in firms[0].text
    assert [t.value for t in result.targets if t.unit == "lao động"] == [20000]
    assert [t.id for t in result.targets] == [f"t{i}" for i in range(1, len(result.targets) + 1)]


def test_a_plan_keeps_a_figure_it_states_twice_in_other_words(rules: RuleSet) -> None:
    result = extract_text(PLAN, rules=rules)
    assert [t.value for t in result.targets if t.unit == "hợp tác xã"] == [50, 50]
