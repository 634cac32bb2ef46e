"""Targets read from target tables (the cells of `table_row` paragraphs, by grid column).

A table is a target table when a header row names its indicator column ("Chỉ tiêu", "Nội
dung") or unit column ("Đơn vị tính", "ĐVT") and has year columns ("2025 | 2030", "Năm 2025",
"Kế hoạch năm 2030"; the years may sit in a second header row). Every number in a year column
of the rows below is a target of that year, for the row's indicator, in the row's unit. The
words are rule data (`rules/tables.yaml`): header words, and the words of a figure cell (range
word, multipliers, "trở lên") and of a unit cell (percent, money, multiple, per year).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.extractors.numbers import NUMBER_PATTERN, parse_number, scale
from kttt_extract.extractors.targets import COMPARATORS, METRICS
from kttt_extract.model import Comparator, Metric, Para, Target
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Slots, Table, Words
from kttt_extract.ruleset.vocab import Choice, free_text, number
from kttt_extract.textnorm import fold_tones

MAX_HEADER_WORDS = 8
_YEAR = regex.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_PERIOD = regex.compile(r"(?<!\d)((?:19|20)\d\d)\s*[-/]\s*((?:19|20)\d\d)(?!\d)")
_SYMBOLS: dict[str, Comparator] = {"≥": "gte", ">=": "gte", ">": "gt", "≤": "lte", "<=": "lte",
                                   "<": "lt", "~": "approx", "≈": "approx"}
_STT = regex.compile(r"^(?:[IVXLC]+|\d{1,3}|\p{Ll})[.)]?$")


def _fold(text: str) -> str:
    """Text as rule table keys are: tone-folded, casefolded, one space between words."""
    return " ".join(fold_tones(text).casefold().split())


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first, any run of spaces between their words
    (never matching when there are no words)."""
    alts = [r"\s+".join(regex.escape(part) for part in word.split())
            for word in sorted(words, key=len, reverse=True)]
    return "|".join(alts) or "(?!)"


class TableRules(Slots):
    stage = "the target tables reader"
    table = Pattern("target.table")  # a header cell that names the indicator column
    unit_column = Pattern("target.table-unit")
    past = Pattern("target.table-past")
    multipliers = Table("number.multipliers", number)
    after = Table("target.table-comparators", Choice(COMPARATORS))
    ranges = Words("target.table-range-words")
    money_multipliers = Table("target.table-multipliers", free_text)
    currencies = Table("target.table-money-units", free_text)
    comparators = Table("target.comparators", Choice(COMPARATORS))
    percent = Words("target.table-percent-units")
    yearly = Words("target.table-yearly-units")
    multiple = Table("target.table-multiple-units", free_text)
    units = Table("target.units", Choice(METRICS))


RULE = TableRules.table.rule_id


@dataclass(frozen=True)
class CellWords:
    """The words of figure cells and unit cells, from the rules; built once per document."""

    value: regex.Pattern[str]  # a figure cell: comparator, number(s), %, multiplier, "trở lên"
    money: regex.Pattern[str]  # a money unit cell: multiplier then currency
    comparators: Mapping[str, Comparator]  # target.comparators: words before a figure
    after: Mapping[str, Comparator]  # target.table-comparators: words after a figure
    multipliers: Mapping[str, str]  # number.multipliers: word -> factor
    money_multipliers: Mapping[str, str]  # target.table-multipliers: as written -> number word
    currencies: Mapping[str, str]  # target.table-money-units: as written -> unit
    percent: frozenset[str]  # target.table-percent-units, folded
    yearly: tuple[str, ...]  # target.table-yearly-units, folded, without spaces
    multiple: Mapping[str, str]  # target.table-multiple-units: as written -> unit
    units: Mapping[str, Metric]  # target.units: counted nouns -> metric

    @classmethod
    def of(cls, rules: RuleSet) -> CellWords:
        """The cell words of a rule set, compiled on first use and kept with it."""
        return rules.built("target.cell-words", cls.build)

    @classmethod
    def build(cls, rules: RuleSet) -> CellWords:
        r = TableRules.of(rules)
        multipliers, after, money_multipliers = r.multipliers, r.after, r.money_multipliers
        ranges = [_fold(w) for w in r.ranges]
        currencies = r.currencies
        value = regex.compile(
            rf"""^(?P<cmp>[≥≤<>~≈]=?|\p{{L}}+(?:\s+\p{{L}}+)?)?\s*
            (?P<v>{NUMBER_PATTERN})(?:\s*(?:-|{_alternation(ranges)})\s*(?P<v2>{NUMBER_PATTERN}))?
            \s*(?P<pct>%)?\s*(?P<mult>{_alternation(multipliers)})?
            \s*(?P<tail>{_alternation(after)})?$""",
            regex.VERBOSE | regex.IGNORECASE,
        )
        money = regex.compile(rf"""^(?P<mult>{_alternation(money_multipliers)})?\s*
                                  (?P<cur>{_alternation(currencies)})(?!\p{{L}})""",
                              regex.VERBOSE | regex.IGNORECASE)
        return cls(
            value=value, money=money, comparators=r.comparators, after=after,
            multipliers=multipliers, money_multipliers=money_multipliers, currencies=currencies,
            percent=frozenset(_fold(w) for w in r.percent),
            yearly=tuple(_fold(w).replace(" ", "") for w in r.yearly),
            multiple=r.multiple, units=r.units,
        )


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


def cells(text: str, para: Para) -> list[Cell]:
    """The cells of a table row by grid column: a cell wider than one column takes its first,
    the others are left empty."""
    width = max((c.col + c.width for c in para.cells), default=0)
    out = [Cell("", para.span[0], para.span[0]) for _ in range(width)]
    for c in para.cells:
        out[c.col] = Cell(text[c.span[0]:c.span[1]], c.span[0], c.span[1])
    return out


def _column_word(pattern: regex.Pattern[str], cell: Cell, *, whole: bool) -> bool:
    """Whether a header cell is (`whole`) or holds one of the words of `pattern`."""
    text = cell.text.strip(" .:*()")
    if not text:
        return False
    found = pattern.fullmatch if whole else pattern.search
    return found(text, timeout=1.0) is not None


def _year_of(ctx: Context, cell: Cell) -> tuple[int, tuple[int, int] | None] | None:
    """The horizon year a header cell names, and its period; None for other or past columns."""
    past = TableRules.of(ctx.rules).past
    if past.search(cell.text, timeout=1.0):
        return None
    period = _PERIOD.search(cell.text)
    if period:
        return int(period.group(2)), (int(period.group(1)), int(period.group(2)))
    years = _YEAR.findall(cell.text)
    return (int(years[-1]), None) if len(years) == 1 else None


def header(ctx: Context, row: list[Cell], words: CellWords) -> Header:
    """The column roles a row announces (empty when it is no header row)."""
    found = Header()
    rules = TableRules.of(ctx.rules)
    for i, cell in enumerate(row):
        if len(cell.text.split()) > MAX_HEADER_WORDS:
            continue  # a header cell is a label, not a sentence
        if _YEAR.search(cell.text) and parse_cell(cell.text, words) is None:
            year = _year_of(ctx, cell)
            if year is not None:
                found.years[i] = year
        elif found.unit is None and _column_word(rules.unit_column, cell, whole=True):
            found.unit = i  # whole cell: "Đơn vị chủ trì" heads a column of agencies
        elif found.indicator is None and _column_word(rules.table, cell, whole=False):
            found.indicator = i
    return found


def _is_header(h: Header) -> bool:
    return h.indicator is not None or h.unit is not None


@dataclass(frozen=True)
class Figure:
    comparator: Comparator
    value: float
    value_max: float | None
    percent: bool
    multiplier: str | None


def parse_cell(text: str, words: CellWords) -> Figure | None:
    """A cell holding only a figure: "95", "≥ 95%", "10 - 12", "trên 1.500", "15 tỷ"; a bare
    year is no figure."""
    m = words.value.match(fold_tones(text.strip()))
    if m is None:
        return None
    word = _fold(m.group("cmp") or "")
    if word and word not in _SYMBOLS and word not in words.comparators:
        return None
    if not word and m.group("v2") is None and _YEAR.fullmatch(m.group("v")):
        return None
    comparator: Comparator = "eq"
    if m.group("v2"):
        comparator = "range"
    elif word:
        comparator = _SYMBOLS.get(word) or words.comparators[word]
    elif m.group("tail"):
        comparator = words.after[_fold(m.group("tail"))]
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


def unit_of(words: CellWords, written: str, percent: bool) -> Unit:
    """Metric and unit of a row from its unit cell: %, money in đồng, lần, counted nouns."""
    text = " ".join(written.split())
    low = _fold(text)
    yearly = any(w in low.replace(" ", "") for w in words.yearly)
    if percent or low.startswith("%") or low in words.percent:
        return Unit("growth_rate" if yearly else "percent", "%", yearly=yearly)
    money = words.money.match(low)
    if money:
        mult = words.money_multipliers.get(_fold(money.group("mult") or ""))
        factor = scale(1.0, mult, words.multipliers)
        return Unit("money", words.currencies[_fold(money.group("cur"))], factor, yearly)
    if low in words.multiple:
        return Unit("multiple", words.multiple[low])
    if not text:
        return Unit("other", None)
    known = words.units.get(low)
    metric: Metric = "other" if "/" in low else "count"
    return Unit(known if known in ("count", "other") else metric, text)


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


def _target(ctx: Context, words: CellWords, row: list[Cell], head: Header,
            indicator: str | None, col: int, span: tuple[int, int]) -> Target | None:
    """The target in column `col` of a data row, if that cell holds a figure."""
    cell = row[col]
    figure = parse_cell(cell.text, words)
    if figure is None:
        return None
    written = row[head.unit].text if head.unit is not None and head.unit < len(row) else ""
    unit = unit_of(words, written, figure.percent)
    multipliers = words.multipliers
    value = scale(figure.value, figure.multiplier, multipliers) * unit.factor
    value_max = (scale(figure.value_max, figure.multiplier, multipliers) * unit.factor
                 if figure.value_max is not None else None)
    year, period = head.years[col]
    return Target(
        id="t0", text=ctx.text[span[0]:span[1]], span=(cell.start, cell.end),
        section=ctx.section_id(cell.start), rule=RULE, indicator=indicator, metric=unit.metric,
        value=value, value_max=value_max, unit=unit.unit, comparator=figure.comparator,
        year=year, period=period, recurrence="yearly" if unit.yearly else None,
    )


def _table_targets(ctx: Context, words: CellWords, table: list[Para]) -> list[Target]:
    """Targets of one table: header rows set the columns, the rows below give the figures."""
    out: list[Target] = []
    head: Header | None = None
    previous: str | None = None
    after_header = False
    for para in table:
        row = cells(ctx.text, para)
        found = header(ctx, row, words)
        if _is_header(found) and (head is None or not head.years or found.years):
            head, previous = found, None  # once years are known, only a row with years is
            after_header = True  # a new header: an indicator may say "chỉ tiêu" or "tiêu chí"
            continue
        if head is not None and not head.years and found.years and after_header:
            head.years = found.years  # the years in a second header row, right below
            after_header = False
            continue
        after_header = False
        if head is None or not head.years:
            continue
        indicator = _indicator(row, head, previous)
        previous = indicator
        for col in (c for c in sorted(head.years) if c < len(row)):
            if target := _target(ctx, words, row, head, indicator, col, para.span):
                out.append(target)
    return out


def extract(ctx: Context) -> list[Target]:
    """Targets of the target tables of the body, in text order."""
    out: list[Target] = []
    words = CellWords.of(ctx.rules)
    for table in ctx.table_rows():
        out += _table_targets(ctx, words, table)
    return [t.model_copy(update={"id": f"t{i}"}) for i, t in enumerate(out, 1)]


def merge(found: Sequence[Target], from_tables: Sequence[Target]) -> list[Target]:
    """Targets of the text and of the tables together in text order, renumbered t1..tn; a text
    target that overlaps a table cell read here is left out (the cell says it better)."""
    cells_read = [t.span for t in from_tables]
    kept = [t for t in found
            if not any(t.span[0] < end and start < t.span[1] for start, end in cells_read)]
    both = sorted([*kept, *from_tables], key=lambda t: t.span)
    return [t.model_copy(update={"id": f"t{i}"}) for i, t in enumerate(both, 1)]
