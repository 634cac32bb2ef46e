"""Targets read from target tables (rows of `table_row` paragraphs, cells joined by " | ").

A table is a target table when a header row names its indicator column ("Chỉ tiêu", "Nội
dung") or unit column ("Đơn vị tính", "ĐVT") and has year columns ("2025 | 2030", "Năm 2025",
"Kế hoạch năm 2030"; the years may sit in a second header row). Every number in a year column
of the rows below is a target of that year, for the row's indicator, in the row's unit. The
header words are rule data (`rules/tables.yaml`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from kttt_extract.extract.context import Context
from kttt_extract.extract.numbers import NUMBER_PATTERN, parse_number, scale
from kttt_extract.model import Comparator, Metric, Para, Target

RULE = "target.table"
_SPLIT = regex.compile(r"\|")
_YEAR = regex.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_PERIOD = regex.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-/]\s*((?:19|20)\d\d)(?!\d)")
_SYMBOLS: dict[str, Comparator] = {"≥": "gte", ">=": "gte", ">": "gt", "≤": "lte", "<=": "lte",
                                   "<": "lt", "~": "approx", "≈": "approx"}
_VALUE = regex.compile(
    rf"""^(?P<cmp>[≥≤<>~≈]=?|\p{{L}}+(?:\s+\p{{L}}+)?)?\s*
    (?P<v>{NUMBER_PATTERN})(?:\s*(?:-|đến)\s*(?P<v2>{NUMBER_PATTERN}))?\s*
    (?P<pct>%)?\s*(?P<mult>nghìn|ngàn|triệu|tỷ|tỉ)?\s*(?P<tail>trở\s+lên|trở\s+xuống)?$""",
    regex.VERBOSE | regex.IGNORECASE,
)
_MONEY = regex.compile(r"^(?P<mult>nghìn|ngàn|triệu|tr\.?|tỷ|tỉ)?\s*(?:đồng|đ|VNĐ|VND)(?!\p{L})",
                       regex.IGNORECASE)
_STT = regex.compile(r"^(?:[IVXLC]+|\d{1,3}|[a-zđ])[.)]?$")


@dataclass(frozen=True)
class Cell:
    text: str
    start: int  # the stripped text's span in ctx.text
    end: int


@dataclass
class Header:
    """Column roles of a target table: indexes of the indicator and unit columns, and the year
    (and period, if the column names one) of each year column."""

    indicator: int | None = None
    unit: int | None = None
    years: dict[int, tuple[int, tuple[int, int] | None]] = field(default_factory=dict)


def cells(text: str, lo: int, hi: int) -> list[Cell]:
    """The cells of the row `text[lo:hi]`, split at "|", each stripped, with its span."""
    out: list[Cell] = []
    start = lo
    for m in [*_SPLIT.finditer(text, lo, hi), None]:
        end = m.start() if m else hi
        raw = text[start:end]
        left = start + len(raw) - len(raw.lstrip())
        right = start + len(raw.rstrip())
        out.append(Cell(text[left:right] if right > left else "", left, max(left, right)))
        start = m.end() if m else hi
    return out


def _tables(paras: Sequence[Para]) -> Iterator[list[Para]]:
    """Runs of consecutive table rows."""
    run: list[Para] = []
    for para in paras:
        if para.kind == "table_row":
            run.append(para)
            continue
        if run:
            yield run
        run = []
    if run:
        yield run


def _column_word(ctx: Context, rule_id: str, cell: Cell) -> bool:
    pattern = ctx.rules.get(rule_id).regex
    text = cell.text.strip(" .:*()")
    return bool(pattern and text and pattern.fullmatch(text, timeout=1.0))


def _year_of(ctx: Context, cell: Cell) -> tuple[int, tuple[int, int] | None] | None:
    """The horizon year a header cell names, and its period; None for other or past columns."""
    past = ctx.rules.get("target.table-past").regex
    if past is not None and past.search(cell.text, timeout=1.0):
        return None
    period = _PERIOD.search(cell.text)
    if period:
        return int(period.group(2)), (int(period.group(1)), int(period.group(2)))
    years = _YEAR.findall(cell.text)
    return (int(years[-1]), None) if len(years) == 1 else None


def header(ctx: Context, row: list[Cell]) -> Header:
    """The column roles a row announces (empty when it is no header row)."""
    found = Header()
    comparators = ctx.rules.table("target.comparators")
    for i, cell in enumerate(row):
        if _YEAR.search(cell.text) and parse_cell(cell.text, comparators) is None:
            year = _year_of(ctx, cell)
            if year is not None:
                found.years[i] = year
        elif found.indicator is None and _column_word(ctx, RULE, cell):
            found.indicator = i
        elif found.unit is None and _column_word(ctx, "target.table-unit", cell):
            found.unit = i
    return found


@dataclass(frozen=True)
class Figure:
    comparator: Comparator
    value: float
    value_max: float | None
    percent: bool
    multiplier: str | None


def parse_cell(text: str, comparators: dict[str, str]) -> Figure | None:
    """A cell holding only a figure: "95", "≥ 95%", "10 - 12", "trên 1.500", "15 tỷ"; a bare
    year is no figure."""
    m = _VALUE.match(text.strip())
    if m is None:
        return None
    word = " ".join((m.group("cmp") or "").casefold().split())
    if word and word not in _SYMBOLS and word not in comparators:
        return None
    if not word and m.group("v2") is None and _YEAR.fullmatch(m.group("v")):
        return None
    comparator: Comparator = "eq"
    if m.group("v2"):
        comparator = "range"
    elif word:
        comparator = _SYMBOLS.get(word) or comparators[word]  # type: ignore[assignment]
    elif m.group("tail"):
        comparator = "gte" if "lên" in m.group("tail") else "lte"
    v2 = m.group("v2")
    return Figure(comparator, parse_number(m.group("v")), parse_number(v2) if v2 else None,
                  bool(m.group("pct")), m.group("mult"))


# --------------------------------------------------------------------------- rows to targets


@dataclass(frozen=True)
class Unit:
    metric: Metric
    unit: str | None
    factor: float = 1.0
    yearly: bool = False


def unit_of(ctx: Context, written: str, percent: bool) -> Unit:
    """Metric and unit of a row from its unit cell: %, money in đồng, lần, counted nouns."""
    text = " ".join(written.split())
    low = text.casefold()
    yearly = "/năm" in low.replace(" ", "")
    if percent or low.startswith("%") or low in ("tỷ lệ", "tỷ lệ %", "tỷ lệ (%)", "phần trăm"):
        return Unit("growth_rate" if yearly else "percent", "%", yearly=yearly)
    money = _MONEY.match(low)
    if money:
        mult = (money.group("mult") or "").rstrip(".")
        mult = "triệu" if mult == "tr" else mult
        factor = scale(1.0, mult or None, ctx.rules.table("number.multipliers"))
        return Unit("money", "đồng", factor, yearly)
    if low == "lần":
        return Unit("multiple", "lần")
    if not text:
        return Unit("other", None)
    known = ctx.rules.table("target.units").get(low)
    metric: Metric = "other" if "/" in low else "count"
    return Unit(known if known in ("count", "other") else metric, text)  # type: ignore[arg-type]


def _indicator(row: list[Cell], head: Header, previous: str | None) -> str | None:
    """The row's indicator: its indicator cell, else the first cell of words that is neither a
    row number nor a figure; an empty cell (merged from above) repeats the previous row's."""
    if head.indicator is not None:
        text = row[head.indicator].text if head.indicator < len(row) else ""
        return text or previous
    skip = set(head.years) | {head.unit}
    for i, cell in enumerate(row):
        if i not in skip and cell.text and not _STT.match(cell.text) and regex.search(
                r"\p{L}{2}", cell.text):
            return cell.text
    return previous
