"""The report over many documents (a batch's output folder): one workbook and one review page.

Four tables, each row naming its document and page: tasks by agency (who has what, by when),
deadlines by month, targets by horizon and indicator, and the documents themselves. The
documents come already read (`kttt_extract.batch_results.read_folder`).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape

from kttt_extract.emit import page
from kttt_extract.emit.readable import (
    SEP,
    Cell,
    Column,
    Names,
    column_spec,
    deadline_label,
    horizon_label,
    iso_date,
    target_label,
)
from kttt_extract.model import Result, Task

ROLES = ("lead", "support", "report_to", "monitor")
Doc = tuple[str, Result]  # (the document's name in the batch, its result)


@dataclass(frozen=True)
class ReportTable:
    key: str
    label: str
    columns: tuple[Column, ...]
    rows: list[list[Cell]]


def fold(text: str | None) -> str:
    """A sort key that ignores case and tone marks (`Ủy` beside `Uy`)."""
    flat = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in flat if not unicodedata.combining(c)).lower()


# --------------------------------------------------------------------------- tables

TASKS = column_spec("agency::40 role::10 task::70 by_when::28 due:date:12 product::28 "
                    "support::36 document::30 number::16 page:number:6")
DEADLINES = column_spec("month::9 date:date:12 as_written::36 kind::10 recurrence::11 "
                        "lead::36 task::60 document::30 number::16 page:number:6")
TARGETS = column_spec("horizon::10 indicator::44 figure::24 comparator::10 value:number:12 "
                      "value_max:number:12 unit::12 lead::36 as_written::60 document::30 "
                      "number::16 page:number:6")
DOCUMENTS = column_spec("document::36 kind::14 number::16 issuer::36 date:date:12 "
                        "pages:number:7 targets:number:8 deadlines:number:9 agencies:number:9 "
                        "tasks:number:7 warnings::40")


def _due(task: Task, names: Names) -> dt.date | str | None:
    dates = sorted(d.date for i in task.deadlines if (d := names.deadline.get(i)) and
                   d.kind == "by" and d.date)
    return iso_date(dates[0]) if dates else None


def task_rows(docs: Sequence[Doc]) -> list[list[Cell]]:
    """One row per agency and role per task (a task with no agency once, agency empty)."""
    rows: list[tuple[tuple[str, int, str, str, int], list[Cell]]] = []
    for name, result in docs:
        names = Names(result)
        for task in result.tasks:
            whens = SEP.join(deadline_label(names.deadline[i]) for i in task.deadlines
                             if i in names.deadline)
            due = _due(task, names)
            held = [(role, aid) for role in ROLES for aid in getattr(task, role)]
            for role, aid in held or [("", "")]:
                agency = names.agency.get(aid, aid) or None
                row: list[Cell] = [agency, role or None, task.text, whens or None, due,
                                   task.product, names.agencies(task.support) or None, name,
                                   result.document.number, task.page]
                key = (fold(agency) or "\uffff", ROLES.index(role) if role else 9, str(due or
                       "9999"), name, task.span[0])
                rows.append((key, row))
    return [row for _, row in sorted(rows, key=lambda x: x[0])]


def deadline_rows(docs: Sequence[Doc]) -> list[list[Cell]]:
    """One row per deadline, dated ones by date, then the rhythms and the rest."""
    rows: list[tuple[tuple[str, str, int], list[Cell]]] = []
    for name, result in docs:
        names = Names(result)
        for d in result.deadlines:
            task = names.owner.get(d.id)
            month = d.date[:7] if d.date and len(d.date) >= 7 else None
            row: list[Cell] = [month, iso_date(d.date), d.text, d.kind, d.recurrence,
                               names.lead_of(d.id) or None, task.text if task else None, name,
                               result.document.number, d.page]
            rows.append(((d.date or "\uffff", name, d.span[0]), row))
    return [row for _, row in sorted(rows, key=lambda x: x[0])]


def target_rows(docs: Sequence[Doc]) -> list[list[Cell]]:
    """One row per target, by horizon (the year aimed at), then indicator."""
    rows: list[tuple[tuple[str, str, str, int], list[Cell]]] = []
    for name, result in docs:
        names = Names(result)
        for t in result.targets:
            horizon = horizon_label(t.year, t.period, t.recurrence)
            figure = target_label(t).removeprefix(f"{t.indicator}: ")
            value = int(t.value) if t.value.is_integer() else t.value
            top = (int(t.value_max) if t.value_max.is_integer() else t.value_max
                   ) if t.value_max is not None else None
            row: list[Cell] = [horizon or None, t.indicator, figure, t.comparator, value, top,
                               t.unit, names.lead_of(t.id) or None, t.text, name,
                               result.document.number, t.page]
            horizon_key = (horizon[-4:] if horizon[:1].isdigit() else "\uffff" + horizon)
            rows.append(((horizon_key, fold(t.indicator), name, t.span[0]), row))
    return [row for _, row in sorted(rows, key=lambda x: x[0])]


def document_rows(docs: Sequence[Doc]) -> list[list[Cell]]:
    out: list[list[Cell]] = []
    for name, r in docs:
        d = r.document
        out.append([name, d.kind, d.number, d.issuer, iso_date(d.date), r.source.pages,
                    len(r.targets), len(r.deadlines), len(r.agencies), len(r.tasks),
                    SEP.join(sorted({w.code for w in r.warnings})) or None])
    return out


def tables(docs: Sequence[Doc]) -> list[ReportTable]:
    return [
        ReportTable("tasks", "Tasks by agency", TASKS, task_rows(docs)),
        ReportTable("deadlines", "Deadlines by month", DEADLINES, deadline_rows(docs)),
        ReportTable("targets", "Targets by horizon", TARGETS, target_rows(docs)),
        ReportTable("documents", "Documents", DOCUMENTS, document_rows(docs)),
    ]


# --------------------------------------------------------------------------- files


def workbook(report: Sequence[ReportTable]) -> bytes:
    from kttt_extract.emit.sheets import Sheet, xlsx_bytes

    return xlsx_bytes(Sheet(t.key, t.columns, t.rows) for t in report)


def _shown(value: Cell) -> page.Value:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else ""
    return value


def _page_tables(report: Sequence[ReportTable]) -> Iterator[page.Table]:
    for t in report:
        numeric = frozenset(i for i, c in enumerate(t.columns) if c.kind == "number")
        rows = tuple(page.Row(tuple(_shown(v) for v in row)) for row in t.rows)
        yield page.Table(t.key, t.label, tuple(c.name.replace("_", " ") for c in t.columns),
                         rows, numeric)


def review_page(report: Sequence[ReportTable], title: str, problems: Sequence[str]) -> bytes:
    """The page across documents: the same tables, sortable and filterable."""
    count = next((len(t.rows) for t in report if t.key == "documents"), 0)
    header = (f'<header class="top"><h1>{escape(title)}</h1><p class="meta">{count} documents'
              "</p></header>")
    warnings = page.warnings_html([("unreadable", f"{p}: left out") for p in problems])
    body = (f'{warnings}\n<main class="wide"><aside class="side">'
            f"{page.tabs_html(list(_page_tables(report)))}</aside></main>")
    return page.document(f"kttt report: {title}", header, body, {"items": {}})
