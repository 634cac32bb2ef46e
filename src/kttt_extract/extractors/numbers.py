"""Vietnamese numerals: `.` groups thousands, `,` is the decimal mark, leading zeros are dress.

Pure functions; multiplier words ("triệu", "tỷ") come from the `numbers` rules as a table.
"""

from __future__ import annotations

from collections.abc import Mapping

import regex

NUMBER_PATTERN = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_NUMBER = regex.compile(rf"^(?:{NUMBER_PATTERN})$")


def parse_number(token: str) -> float:
    """`1.500` -> 1500, `1,5` -> 1.5, `02` -> 2, `140.000` -> 140000.

    Raises ValueError for anything that is not a Vietnamese numeral.
    """
    token = token.strip()
    if not _NUMBER.match(token):
        raise ValueError(f"not a Vietnamese number: {token!r}")
    whole, _, frac = token.partition(",")
    value = float(whole.replace(".", "") + ("." + frac if frac else ""))
    return value


def format_number(value: float) -> str:
    """The inverse of `parse_number`, as a Vietnamese document would write it."""
    if value < 0:
        raise ValueError("negative numbers are not written this way")
    whole = int(value)
    frac = round(value - whole, 6)
    grouped = f"{whole:,}".replace(",", ".")
    if frac:
        digits = f"{frac:.6f}"[2:].rstrip("0")
        return f"{grouped},{digits}"
    return grouped


def scale(value: float, word: str | None, table: Mapping[str, str]) -> float:
    """Apply multiplier words (`2 triệu` -> 2000000, `47 nghìn tỷ` -> 47e12) from the table."""
    for part in (word or "").casefold().split():
        factor = table.get(part)
        if factor:
            value *= float(factor)
    return value
