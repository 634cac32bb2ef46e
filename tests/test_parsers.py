"""Property tests for the number and date parsers (hypothesis)."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kttt_extract.extractors import dates
from kttt_extract.extractors.numbers import format_number, parse_number, scale


@given(st.integers(min_value=0, max_value=10**13))
def test_whole_numbers_round_trip(n: int) -> None:
    assert parse_number(format_number(n)) == n


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=999))
def test_decimals_round_trip(whole: int, frac: int) -> None:
    value = float(f"{whole}.{frac}")
    assert parse_number(format_number(value)) == pytest.approx(value)


@given(st.text(max_size=20))
def test_parse_number_raises_only_value_error(token: str) -> None:
    with contextlib.suppress(ValueError):
        parse_number(token)


@pytest.mark.parametrize(
    ("token", "value"),
    [("1.500", 1500), ("140.000", 140000), ("1,5", 1.5), ("0,5", 0.5), ("02", 2),
     ("29.378", 29378), ("1.234.567", 1234567), ("2,75", 2.75)],
)
def test_vietnamese_numerals(token: str, value: float) -> None:
    assert parse_number(token) == value


@pytest.mark.parametrize("token", ["1.5", "1.50", "12.3456", "1,", ",5", "abc", ""])
def test_not_numerals(token: str) -> None:
    with pytest.raises(ValueError):
        parse_number(token)


def test_scale_with_rule_table() -> None:
    table = {"triệu": "1000000", "tỷ": "1000000000"}
    assert scale(2, "triệu", table) == 2_000_000
    assert scale(15, "tỷ", table) == 15_000_000_000
    assert scale(3, None, table) == 3


@given(st.integers(min_value=1900, max_value=2199), st.integers(min_value=1, max_value=4))
def test_quarter_end_is_last_day(year: int, quarter: int) -> None:
    end = dates.quarter_end(year, quarter)
    assert end.month == quarter * 3
    assert (end + dt.timedelta(days=1)).day == 1


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_iso_day_round_trip(day: dt.date) -> None:
    assert dates.iso_day(day.year, day.month, day.day) == day.isoformat()


def test_iso_day_rejects_impossible() -> None:
    assert dates.iso_day(2023, 2, 31) is None


@pytest.mark.parametrize(("token", "q"), [("I", 1), ("II", 2), ("iii", 3), ("IV", 4), ("2", 2)])
def test_quarter_numbers(token: str, q: int) -> None:
    assert dates.quarter_number(token) == q


@given(st.text(max_size=5))
def test_quarter_number_raises_only_value_error(token: str) -> None:
    with contextlib.suppress(ValueError):
        dates.quarter_number(token)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 1)),
       st.integers(min_value=1, max_value=400))
def test_span_of_days_ends_on_its_last_day(start: dt.date, days: int) -> None:
    end = dates.span_end(start.isoformat(), days, "D")
    assert end is not None
    assert (dt.date.fromisoformat(end) - start).days == days - 1


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 1, 1)),
       st.integers(min_value=1, max_value=36))
def test_span_of_months_ends_the_day_before_the_same_day(start: dt.date, months: int) -> None:
    end = dt.date.fromisoformat(dates.span_end(start.isoformat(), months, "M") or "")
    nxt = end + dt.timedelta(days=1)
    assert (nxt.year * 12 + nxt.month) - (start.year * 12 + start.month) == months
    assert nxt.day == min(start.day, calendar.monthrange(nxt.year, nxt.month)[1])


@given(st.integers(min_value=1901, max_value=2199), st.integers(min_value=1, max_value=12))
def test_month_before_ends_the_day_before_the_first(year: int, month: int) -> None:
    end = dt.date.fromisoformat(dates.month_before_end(year, month))
    assert end + dt.timedelta(days=1) == dt.date(year, month, 1)


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2000, 12, 31)))
def test_yearly_day_round_trip(day: dt.date) -> None:
    assert dates.yearly_day(day.month, day.day) == day.strftime("--%m-%d")


@pytest.mark.parametrize(("month", "day"), [(2, 30), (4, 31), (13, 1), (0, 5)])
def test_yearly_day_rejects_impossible(month: int, day: int) -> None:
    assert dates.yearly_day(month, day) is None


@pytest.mark.parametrize(("month", "day"), [(1, "--01-31"), (2, "--02-28"), (6, "--06-30")])
def test_yearly_month_end(month: int, day: str) -> None:
    assert dates.yearly_month_end(month) == day
