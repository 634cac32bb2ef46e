"""Result -> a review page: one self-contained HTML file that works offline.

The document's text with every target, deadline, agency mention and task highlighted by kind
(each highlight an element whose `data-item` holds its item's id); hovering or clicking one
shows its values, the rule that found it and its page; side tables of tasks (who, what, by when,
product, monitor), targets, deadlines and agencies with their roles, sortable and filterable,
each row jumping to its place in the text; the warnings on top.
"""

from __future__ import annotations

from html import escape
from typing import Any

from kttt_extract.emit import page
from kttt_extract.emit.marks import Mark, render
from kttt_extract.emit.page import Row, Table
from kttt_extract.emit.readable import (
    Names,
    deadline_label,
    number_vi,
    role_counts,
    target_label,
)
from kttt_extract.model import Agency, Deadline, Result, Target, Task

KINDS = (("task", "tasks"), ("target", "targets"), ("deadline", "deadlines"),
         ("agency", "agency mentions"))
Pairs = list[list[str]]


def marks(result: Result) -> list[Mark]:
    """One mark per target, deadline and task, and one per mention of each agency."""
    out = [Mark(k.id, "task", *k.span, anchor=f"m-{k.id}") for k in result.tasks]
    out += [Mark(t.id, "target", *t.span, anchor=f"m-{t.id}") for t in result.targets]
    out += [Mark(d.id, "deadline", *d.span, anchor=f"m-{d.id}") for d in result.deadlines]
    for a in result.agencies:
        for j, m in enumerate(a.mentions):
            out.append(Mark(a.id, "agency", *m.span, anchor=f"m-{a.id}-{j}",
                            attrs=(("data-role", m.role), ("data-m", str(j)))))
    return out


def _page(value: int | None) -> str:
    return "" if value is None else str(value)


def _common(item: Target | Deadline | Task, names: Names) -> Pairs:
    return [["page", _page(item.page)], ["section", names.section.get(item.section or "", "")],
            ["rule", item.rule], ["id", item.id]]


def _target_info(t: Target, names: Names) -> dict[str, Any]:
    value = number_vi(t.value) + (f" – {number_vi(t.value_max)}" if t.value_max is not None
                                  else "")
    rows = [["indicator", t.indicator or ""], ["comparator", t.comparator], ["value", value],
            ["unit", t.unit or ""], ["metric", t.metric], ["year", _page(t.year)]]
    if t.period:
        rows.append(["period", f"{t.period[0]}–{t.period[1]}"])
    if t.recurrence:
        rows.append(["recurrence", t.recurrence])
    if t.baseline_year:
        rows.append(["baseline year", str(t.baseline_year)])
    if lead := names.lead_of(t.id):
        rows.append(["lead", lead])
    return {"kind": "target", "title": f"Target: {target_label(t)}",
            "rows": rows + _common(t, names)}


def _deadline_info(d: Deadline, names: Names) -> dict[str, Any]:
    rows = [["as written", d.text], ["kind", d.kind], ["date", d.date or ""]]
    for label, value in (("recurrence", d.recurrence), ("day", d.day), ("offset", d.offset),
                         ("anchor", d.anchor)):
        if value:
            rows.append([label, value])
    if d.working_days:
        rows.append(["working days", "yes"])
    if d.period:
        rows.append(["period", f"{d.period[0]}–{d.period[1] or ''}"])
    if lead := names.lead_of(d.id):
        rows.append(["lead", lead])
    return {"kind": "deadline", "title": f"Deadline: {deadline_label(d)}",
            "rows": rows + _common(d, names)}


def _task_info(k: Task, names: Names) -> dict[str, Any]:
    rows = [["lead", names.agencies(k.lead)], ["support", names.agencies(k.support)],
            ["report to", names.agencies(k.report_to)], ["monitor", names.agencies(k.monitor)],
            ["by when", "; ".join(deadline_label(names.deadline[i]) for i in k.deadlines
                                  if i in names.deadline)],
            ["targets", "; ".join(target_label(names.target[i]) for i in k.targets
                                  if i in names.target)],
            ["product", k.product or ""]]
    return {"kind": "task", "title": f"Task: {_short(k.text, 90)}",
            "rows": [r for r in rows if r[1]] + _common(k, names)}


def _agency_info(a: Agency, names: Names) -> dict[str, Any]:
    rows = [["roles", role_counts(a)], ["aliases", "; ".join(a.aliases)]]
    rows += [[k, v] for k, v in (("kind", a.kind), ("level", a.level), ("place", a.place),
                                 ("parent", a.parent)) if v]
    if a.group:
        rows.append(["group", "yes (a generic group, not one organisation)"])
    mentions = [[["this mention", m.role], ["role rule", m.role_rule or ""], ["name rule", m.rule],
                 ["page", _page(m.page)], ["section", names.section.get(m.section or "", "")]]
                for m in a.mentions]
    return {"kind": "agency", "title": f"Agency: {a.name}", "rows": [*rows, ["id", a.id]],
            "mentions": mentions}


def item_data(result: Result, names: Names) -> dict[str, dict[str, Any]]:
    """What the popover shows for each item id, already as label/value text pairs."""
    data = {t.id: _target_info(t, names) for t in result.targets}
    data.update({d.id: _deadline_info(d, names) for d in result.deadlines})
    data.update({k.id: _task_info(k, names) for k in result.tasks})
    data.update({a.id: _agency_info(a, names) for a in result.agencies})
    return data


def _short(text: str, size: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[:size - 1].rstrip() + "…"


def tables(result: Result, names: Names) -> list[Table]:
    """The side tables: tasks first (the responsibility matrix), then targets, deadlines,
    agencies."""
    tasks = tuple(Row((_short(k.text, 240), names.agencies(k.lead),
                       "; ".join(deadline_label(names.deadline[i]) for i in k.deadlines
                                 if i in names.deadline),
                       k.product, names.agencies(k.monitor), names.agencies(k.support),
                       names.agencies(k.report_to), k.page), goto=f"m-{k.id}")
                  for k in result.tasks)
    targets = tuple(Row((t.indicator, target_label(t).removeprefix(f"{t.indicator}: "),
                         t.year, names.lead_of(t.id), _short(t.text, 160), t.page),
                        goto=f"m-{t.id}", sort={1: t.value}) for t in result.targets)
    deadlines = tuple(Row((d.text, d.date, d.kind, d.recurrence, names.lead_of(d.id),
                           _short(names.owner[d.id].text, 120) if d.id in names.owner else None,
                           d.page), goto=f"m-{d.id}") for d in result.deadlines)
    agencies = tuple(Row((a.name, role_counts(a), len(a.mentions),
                          ", ".join(sorted({str(m.page) for m in a.mentions if m.page})),
                          "yes" if a.group else ""),
                         goto=f"m-{a.id}-0" if a.mentions else None) for a in result.agencies)
    return [
        Table("tasks", "Tasks", ("task", "lead", "by when", "product", "monitor", "support",
                                 "report to", "page"), tasks, frozenset({7})),
        Table("targets", "Targets", ("indicator", "figure", "year", "lead", "as written",
                                     "page"), targets, frozenset({2, 5})),
        Table("deadlines", "Deadlines", ("as written", "date", "kind", "recurrence", "lead",
                                         "task", "page"), deadlines, frozenset({6})),
        Table("agencies", "Agencies", ("name", "roles", "mentions", "pages", "group"), agencies,
              frozenset({2})),
    ]


def header(result: Result) -> str:
    doc, src = result.document, result.source
    name = " ".join(x for x in (doc.kind, doc.number) if x) or src.path
    meta = [x for x in (doc.issuer, doc.place, doc.date) if x]
    pages = f", {src.pages} pages" if src.pages else ""
    ocr = ", OCR" if src.ocr else ""
    counts = {"task": len(result.tasks), "target": len(result.targets),
              "deadline": len(result.deadlines),
              "agency": sum(len(a.mentions) for a in result.agencies)}
    legend = "".join(
        f'<label><input type="checkbox" data-kind="{kind}" checked>'
        f'<span class="swatch sw-{kind}"></span>{label} ({counts[kind]})</label>'
        for kind, label in KINDS)
    return (f'<header class="top"><h1>{escape(name)}</h1>'
            + (f'<p class="title">{escape(doc.title)}</p>' if doc.title else "")
            + f'<p class="meta">{escape(" · ".join(meta))}{" · " if meta else ""}'
            f"<code>{escape(src.path)}</code> ({escape(src.format)}{pages}{ocr})</p>"
            f'<div class="legend">{legend}</div></header>')


def review_page(result: Result) -> bytes:
    """The review page of one result (its `text` must be kept)."""
    names = Names(result)
    text = result.text or ""
    body = (page.warnings_html([(w.code, w.message) for w in result.warnings])
            + '\n<main class="split">'
            + f'<article class="doc" id="doc" tabindex="0">{render(text, marks(result))}'
            + ("" if text else '<p class="empty">the text was left out (--no-text)</p>')
            + '</article>\n<aside class="side">' + page.tabs_html(tables(result, names))
            + "</aside></main>")
    title = " ".join(x for x in (result.document.kind, result.document.number) if x)
    return page.document(f"kttt: {title or result.source.path}", header(result), body,
                         {"items": item_data(result, names)})
