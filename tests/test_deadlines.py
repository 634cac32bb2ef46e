"""Deadlines as the genre writes them: months, days relative to the plan's year, a start and a
duration, rhythms; and the phrases of time that are no deadline (bare "định kỳ", yearly plans,
cited documents' titles, a report's past, the bounds of a reporting period)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kttt_extract import extract_text
from kttt_extract.model import Deadline
from kttt_extract.ruleset import RuleSet


def plan(*body: str, issued: str = "ngày 10 tháng 01 năm 2025",
         title: str = "Cải cách hành chính năm 2025") -> str:
    """A small plan with a header, a title and the given lines under II. NHIỆM VỤ."""
    return "\n".join(["ỦY BAN NHÂN DÂN TỈNH HÀ NAM", "Số: 12/KH-UBND", f"Hà Nam, {issued}",
                      "KẾ HOẠCH", title, "I. MỤC ĐÍCH", "Nâng cao hiệu quả.", "II. NHIỆM VỤ",
                      *body])


def found(rules: RuleSet, *body: str, **kw: str) -> Sequence[Deadline]:
    return extract_text(plan(*body, **kw), rules=rules).deadlines


def keys(deadlines: Sequence[Deadline]) -> list[tuple[object, ...]]:
    return [(d.kind, d.date or d.day or d.period or d.recurrence) for d in deadlines]


@pytest.mark.parametrize(("line", "date"), [
    ("- Hoàn thành trong tháng 8/2025.", "2025-08-31"),
    ("- Tổ chức trong tháng 02 năm 2025.", "2025-02-28"),
    ("- Xây dựng đề án, hoàn thành trước tháng 6 năm 2025.", "2025-05-31"),
    ("- Gửi báo cáo trước 17 giờ 00 phút, ngày 05/12/2025.", "2025-12-05"),
    ("- Yêu cầu đến 30/5/2025 phải bàn giao toàn bộ mặt bằng.", "2025-05-30"),
    ("- Kiểm tra tại Sở Y tế từ ngày 23/3/2025, trong 02 ngày.", "2025-03-24"),
    ("1 | Kiểm tra tại Sở Y tế | 28/4/2025 | 03 ngày", "2025-04-30"),
    ("- Đưa phát thải ròng về 0 vào năm 2050.", "2050-12-31"),
    ("- Đề nghị các sở gửi kết quả về Sở Nội vụ trước ngày 25/12.", "2025-12-25"),
])
def test_dates_the_genre_writes(rules: RuleSet, line: str, date: str) -> None:
    assert keys(found(rules, line)) == [("by", date)]


def test_next_year_counts_from_the_plans_title(rules: RuleSet) -> None:
    got = found(rules, "- Báo cáo năm gửi Sở Nội vụ trước ngày 31/01 năm liền kề.",
                issued="ngày 20 tháng 12 năm 2025", title="Cải cách hành chính năm 2026")
    assert keys(got) == [("by", "2027-01-31")]


def test_next_year_counts_from_the_date_of_issue_without_a_title_year(rules: RuleSet) -> None:
    got = found(rules, "- Gửi báo cáo trước ngày 15 tháng 01 năm sau.",
                title="Cải cách hành chính giai đoạn 2025 - 2030")
    assert ("by", "2026-01-15") in keys(got)


@pytest.mark.parametrize(("line", "kind", "recurrence", "day"), [
    ("- Báo cáo tháng gửi trước ngày 05 của tháng liền kề.", "recurring", "monthly", "---05"),
    ("- Tổng hợp báo cáo chậm nhất trong tháng 6 hằng năm.", "recurring", "yearly", "--06-30"),
    ("- Báo cáo năm: gửi Sở Tài chính trước ngày 15/12;", "recurring", "yearly", "--12-15"),
    ("- Duy trì chế độ họp giao ban định kỳ 02 tuần/lần.", "recurring", None, None),
    ("- Kiểm tra 3 tháng/lần.", "recurring", "quarterly", None),
])
def test_rhythms(rules: RuleSet, line: str, kind: str, recurrence: str | None,
                 day: str | None) -> None:
    assert [(d.kind, d.recurrence, d.day) for d in found(rules, line)] == [(kind, recurrence, day)]


@pytest.mark.parametrize("line", [
    "- Định kỳ báo cáo UBND tỉnh kết quả thực hiện.",
    "- Lồng ghép vào kế hoạch phát triển kinh tế - xã hội 5 năm và hằng năm.",
    "- Bố trí kinh phí trong dự toán ngân sách hằng năm của các sở.",
    "- Tham mưu cấp ủy nhiệm kỳ 2025 - 2030 đưa nội dung vào nghị quyết.",
    "- Vận hành chính thức từ năm 2029.",
    "- Bố trí từ nguồn chi thường xuyên.",
])
def test_phrases_that_are_no_deadline(rules: RuleSet, line: str) -> None:
    assert found(rules, line) == ()


def test_a_list_of_rhythms_gives_each(rules: RuleSet) -> None:
    got = found(rules, "- Định kỳ hằng tháng, quý, năm báo cáo UBND tỉnh.")
    assert [(d.kind, d.recurrence) for d in got] == [
        ("recurring", "monthly"), ("recurring", "quarterly"), ("recurring", "yearly")]


def test_a_start_month_is_no_deadline(rules: RuleSet) -> None:
    assert keys(found(rules, "- Thời gian thực hiện: từ tháng 01/2025 đến tháng 6/2025.")) == [
        ("by", "2025-06-30")]


def test_a_cited_documents_title_gives_no_deadline(rules: RuleSet) -> None:
    got = found(rules, "- Triển khai Quyết định số 7619/QĐ-BCA ngày 08/9/2025 của Bộ trưởng Bộ "
                       "Công an phê duyệt Chương trình phòng, chống ma túy đến năm 2030; báo cáo "
                       "trước ngày 25/3/2026.")
    assert keys(got) == [("by", "2026-03-25")]


def test_the_plans_own_title_gives_its_period(rules: RuleSet) -> None:
    got = found(rules, "- Tổ chức thực hiện.", issued="ngày 24 tháng 11 năm 2016",
                title="Về việc ban hành Kế hoạch thực hiện Nghị quyết số 02/2016/NQ-HĐND ngày "
                      "30/8/2016 của HĐND tỉnh về phát triển kinh tế tập thể giai đoạn 2016-2020")
    assert keys(got) == [("period", (2016, 2020))]


def test_a_reports_past_and_its_bounds_give_no_deadline(rules: RuleSet) -> None:
    got = found(rules, "- Tính đến ngày 30/6/2025 toàn tỉnh có 203 hợp tác xã.",
                "- Trong năm 2024, đã thành lập 10 hợp tác xã.",
                "- Ước đến cuối năm 2025 có 204 hợp tác xã.",
                "- Số liệu tính từ ngày 15/12/2024 đến ngày 14/12/2025.",
                issued="ngày 10 tháng 9 năm 2025")
    assert got == ()


def test_yearly_phrase_in_a_target_clause_is_a_deadline_too(rules: RuleSet) -> None:
    r = extract_text(plan("- Hàng năm thành lập mới từ 10 đến 15 tổ hợp tác."), rules=rules)
    assert [t.recurrence for t in r.targets] == ["yearly"]
    assert [(d.kind, d.recurrence) for d in r.deadlines] == [("recurring", "yearly")]


_DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


@settings(max_examples=25, deadline=None)
@given(_DAYS)
def test_a_named_day_reads_back(rules: RuleSet, day: dt.date) -> None:
    line = f"- Hoàn thành trước ngày {day.day}/{day.month}/{day.year}."
    assert keys(found(rules, line, issued="ngày 01 tháng 01 năm 2000")) == [("by", day.isoformat())]


@settings(max_examples=25, deadline=None)
@given(_DAYS)
def test_a_month_ends_on_its_last_day(rules: RuleSet, day: dt.date) -> None:
    (got,) = found(rules, f"- Hoàn thành trong tháng {day.month}/{day.year}.",
                   issued="ngày 01 tháng 01 năm 2000")
    end = dt.date.fromisoformat(got.date or "")
    assert (end.year, end.month) == (day.year, day.month)
    assert (end + dt.timedelta(days=1)).day == 1


@settings(max_examples=25, deadline=None)
@given(_DAYS, st.integers(min_value=1, max_value=60))
def test_a_start_and_a_duration_end_on_the_last_day(rules: RuleSet, start: dt.date,
                                                    days: int) -> None:
    line = f"1 | Kiểm tra | {start.day}/{start.month}/{start.year} | {days:02d} ngày"
    (got,) = found(rules, line, issued="ngày 01 tháng 01 năm 2000")
    assert got.date == (start + dt.timedelta(days=days - 1)).isoformat()


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=2000, max_value=2098), _DAYS)
def test_next_year_is_the_year_after_the_plans(rules: RuleSet, year: int, day: dt.date) -> None:
    if (day.month, day.day) == (2, 29):
        day = day.replace(day=28)
    got = found(rules, f"- Báo cáo trước ngày {day.day:02d}/{day.month:02d} năm liền kề.",
                issued=f"ngày 05 tháng 01 năm {year}", title=f"Công tác năm {year}")
    assert keys(got) == [("by", dt.date(year + 1, day.month, day.day).isoformat())]
