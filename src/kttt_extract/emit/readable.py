"""Rows an analyst reads: dates, names and roles in place of ids, and the page of each item.

Every table starts with the document columns; then the item's own columns; the where-from columns
(`section`, `rule`, `span`) come last. Cross-references are written out: a task's agencies by
name, its deadlines by date (or as written, when they have no date) and its targets as figures;
a deadline or target names the agencies that lead the task holding it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from kttt_extract.model import Agency, Deadline, Result, Target, Task

Cell = str | int | float | bool | dt.date | None
Kind = Literal["text", "number", "date", "bool"]
TableName = Literal["targets", "deadlines", "tasks", "agencies"]
TABLE_NAMES: tuple[TableName, ...] = ("targets", "deadlines", "tasks", "agencies")
SEP = "; "


@dataclass(frozen=True)
class Column:
    """A column of a readable table: its header, what it holds and its width in a sheet."""

    name: str
    kind: Kind = "text"
    width: int = 14


def column_spec(spec: str) -> tuple[Column, ...]:
    """Columns from `name:kind:width` words (kind and width optional)."""
    out = []
    for word in spec.split():
        name, *rest = word.split(":")
        kind: Kind = rest[0] if rest and rest[0] else "text"  # type: ignore[assignment]
        width = int(rest[1]) if len(rest) > 1 else 14
        out.append(Column(name, kind, width))
    return tuple(out)


DOC_COLUMNS = column_spec("path::30 doc_kind::14 doc_number::16 doc_issuer::30 doc_date:date:12")
_TAIL = column_spec("section::30 rule::22 span::12")
COLUMNS: dict[TableName, tuple[Column, ...]] = {
    "targets": column_spec("id::6 page:number:6 indicator::40 comparator::10 value:number:12 "
                     "value_max:number:12 unit::12 year:number:8 period::11 recurrence::10 "
                     "baseline_year:number:10 metric::11 text::60 lead::36") + _TAIL,
    "deadlines": column_spec("id::6 page:number:6 date:date:12 text::40 kind::10 recurrence::11 "
                       "day::8 offset::8 anchor::30 working_days:bool:8 period::11 lead::36 "
                       "task::60") + _TAIL,
    "tasks": column_spec("id::6 page:number:6 text::70 lead::36 support::36 report_to::30 "
                   "monitor::30 due:date:12 by_when::30 targets::40 product::30") + _TAIL,
    "agencies": column_spec("id::6 name::44 roles::30 group:bool:8 kind::16 level::10 place::16 "
                      "parent::30 aliases::44 mentions:number:9 tasks_led:number:9 pages::12"),
}

_SYMBOL = {"eq": "", "approx": "~", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "range": ""}


def number_vi(value: float) -> str:
    """A number as Vietnamese writes it: `.` between thousands, `,` before decimals."""
    from kttt_extract.extractors.numbers import format_number

    return ("-" if value < 0 else "") + format_number(abs(value))


def iso_date(text: str | None) -> dt.date | str | None:
    """A full ISO date as a date; a partial one (`2023-02`, `2023`) stays text."""
    if text and len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text


def target_label(t: Target) -> str:
    """`hợp tác xã: ≥ 50% (2030)`: what a person would write in a cell."""
    value = number_vi(t.value)
    if t.value_max is not None:
        value = f"{value}–{number_vi(t.value_max)}"
    symbol = _SYMBOL[t.comparator]
    unit = t.unit or ""
    figure = f"{symbol} {value}".strip() + (unit if unit == "%" else f" {unit}".rstrip())
    when = horizon_label(t.year, t.period, t.recurrence)
    head = f"{t.indicator}: " if t.indicator else ""
    return f"{head}{figure}" + (f" ({when})" if when else "")


def deadline_label(d: Deadline) -> str:
    """The date of a `by` deadline; any other kind as the document wrote it."""
    return d.date if d.kind == "by" and d.date else d.text


def horizon_label(year: int | None, period: tuple[int, int | None] | tuple[int, int] | None,
                  recurrence: str | None) -> str:
    """When a target is aimed at, as a reader writes it: `2025–2030`, `2030`, `hàng năm`."""
    if period is not None:
        return _span_years(period)
    if year:
        return str(year)
    return "hàng năm" if recurrence == "yearly" else ""


def _span_years(period: tuple[int, int | None] | tuple[int, int] | None) -> str:
    if period is None:
        return ""
    start, end = period
    return f"{start}–{end}" if end is not None else f"{start}–"


class Names:
    """Look-ups from ids to what a person reads, for one document."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.agency = {a.id: a.name for a in result.agencies}
        self.deadline = {d.id: d for d in result.deadlines}
        self.target = {t.id: t for t in result.targets}
        self.section = {s.id: _cut(" ".join(x for x in (s.number, s.heading) if x), 100)
                        for s in result.sections}
        self.owner: dict[str, Task] = {}
        for task in result.tasks:
            for ref in (*task.deadlines, *task.targets):
                self.owner.setdefault(ref, task)

    def agencies(self, ids: tuple[str, ...]) -> str:
        return SEP.join(self.agency.get(i, i) for i in ids)

    def lead_of(self, item_id: str) -> str:
        task = self.owner.get(item_id)
        return self.agencies(task.lead) if task else ""

    def where(self, section: str | None, rule: str, span: tuple[int, int]) -> list[Cell]:
        return [self.section.get(section or "", section), rule, f"{span[0]}-{span[1]}"]


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1].rstrip() + "…"


def doc_cells(result: Result) -> list[Cell]:
    doc = result.document
    return [result.source.path, doc.kind, doc.number, doc.issuer, iso_date(doc.date)]


def target_row(t: Target, names: Names) -> list[Cell]:
    return [t.id, t.page, t.indicator, t.comparator, _num(t.value), _num(t.value_max), t.unit,
            t.year, _span_years(t.period) or None, t.recurrence, t.baseline_year, t.metric,
            t.text, names.lead_of(t.id), *names.where(t.section, t.rule, t.span)]


def deadline_row(d: Deadline, names: Names) -> list[Cell]:
    task = names.owner.get(d.id)
    return [d.id, d.page, iso_date(d.date), d.text, d.kind, d.recurrence, d.day, d.offset,
            d.anchor, d.working_days, _span_years(d.period) or None, names.lead_of(d.id),
            task.text if task else None, *names.where(d.section, d.rule, d.span)]


def task_row(k: Task, names: Names) -> list[Cell]:
    dated = sorted(d.date for i in k.deadlines if (d := names.deadline.get(i)) is not None
                   and d.kind == "by" and d.date and len(d.date) == 10)
    whens = SEP.join(deadline_label(names.deadline[i]) for i in k.deadlines
                     if i in names.deadline)
    figures = SEP.join(target_label(names.target[i]) for i in k.targets if i in names.target)
    return [k.id, k.page, k.text, names.agencies(k.lead), names.agencies(k.support),
            names.agencies(k.report_to), names.agencies(k.monitor),
            iso_date(dated[0]) if dated else None, whens, figures, k.product,
            *names.where(k.section, k.rule, k.span)]


def role_counts(agency: Agency) -> str:
    """`lead 3; support 1`: how often each role was given, most frequent first."""
    counts: dict[str, int] = {}
    for m in agency.mentions:
        counts[m.role] = counts.get(m.role, 0) + 1
    return SEP.join(f"{role} {n}" for role, n in sorted(counts.items(), key=lambda x: -x[1]))


def agency_row(a: Agency, names: Names) -> list[Cell]:
    led = sum(a.id in k.lead for k in names.result.tasks)
    pages = sorted({m.page for m in a.mentions if m.page is not None})
    return [a.id, a.name, role_counts(a), a.group, a.kind, a.level, a.place, a.parent,
            SEP.join(a.aliases), len(a.mentions), led, ", ".join(map(str, pages)) or None]


def _num(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def rows(table: TableName, result: Result, names: Names | None = None) -> Iterator[list[Cell]]:
    """The item rows of one table of one document, without the document columns."""
    names = names or Names(result)
    if table == "targets":
        yield from (target_row(t, names) for t in result.targets)
    elif table == "deadlines":
        yield from (deadline_row(d, names) for d in result.deadlines)
    elif table == "tasks":
        yield from (task_row(k, names) for k in result.tasks)
    else:
        yield from (agency_row(a, names) for a in result.agencies)


def doc_rows(table: TableName, result: Result) -> Iterator[list[Cell]]:
    """Rows of one table of one document, each starting with the document columns."""
    head = doc_cells(result)
    for row in rows(table, result):
        yield [*head, *row]
