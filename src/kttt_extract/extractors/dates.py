"""Calendar helpers for deadlines: last days of months, quarters, halves; ISO strings."""

from __future__ import annotations

import calendar
import datetime as dt

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def quarter_number(token: str) -> int:
    """`I`..`IV` or `1`..`4` -> 1..4; ValueError otherwise."""
    t = token.strip().casefold()
    if t in _ROMAN:
        return _ROMAN[t]
    if t.isdigit() and 1 <= int(t) <= 4:
        return int(t)
    raise ValueError(f"not a quarter: {token!r}")


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def quarter_end(year: int, quarter: int) -> dt.date:
    return month_end(year, quarter * 3)


def iso_day(year: int, month: int, day: int) -> str | None:
    """ISO date, or None when the day does not exist (31/2)."""
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def full_year(token: str) -> int:
    """`23` -> 2023, `2023` -> 2023."""
    y = int(token)
    return 2000 + y if y < 100 else y


def duration(amount: int, unit: str) -> str:
    """ISO 8601 duration from an amount and a unit letter D, W, M or Y."""
    return f"P{amount}{unit}"
