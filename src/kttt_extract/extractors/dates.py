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


def yearly_day(month: int, day: int) -> str | None:
    """`--MM-DD` for a day that comes back each year (29 February allowed); None if none."""
    return f"--{month:02d}-{day:02d}" if iso_day(2000, month, day) else None


def yearly_month_end(month: int) -> str | None:
    """`--MM-DD` for the last day of a month in a common year (`--02-28`)."""
    return f"--{month:02d}-{month_end(2001, month).day:02d}" if 1 <= month <= 12 else None


def month_before_end(year: int, month: int) -> str:
    """The last day before the month named: `trước tháng 6 năm 2025` gives 2025-05-31."""
    return (dt.date(year, month, 1) - dt.timedelta(days=1)).isoformat()


def span_end(start: str, amount: int, unit: str) -> str | None:
    """The last day of a stretch that starts on `start` (ISO) and lasts `amount` units
    (D, W, M; WD counted as days): `23/3/2026 | 02 ngày` ends on 2026-03-24."""
    if amount < 1:
        return None
    first = dt.date.fromisoformat(start)
    if unit.endswith("D") or unit == "W":
        days = amount * (7 if unit == "W" else 1)
        return (first + dt.timedelta(days=days - 1)).isoformat()
    if unit == "M":
        months = first.month - 1 + amount
        year, month = first.year + months // 12, months % 12 + 1
        day = min(first.day, calendar.monthrange(year, month)[1])
        return (dt.date(year, month, day) - dt.timedelta(days=1)).isoformat()
    return None


def partial_iso(groups: dict[str, str | None]) -> str:
    """The date a match names, as precisely as it names it: "2023", "2023-05", "2023-05-12"
    (groups `y`, and `m` and `d` when written)."""
    iso = str(groups["y"])
    if groups.get("m"):
        iso += f"-{int(str(groups['m'])):02d}"
        if groups.get("d"):
            iso += f"-{int(str(groups['d'])):02d}"
    return iso
