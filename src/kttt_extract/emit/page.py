"""The shell of a self-contained HTML page: styles and script inline, tabbed tables that sort
and filter, warnings on top, and a Content-Security-Policy that lets only the page's own script
run (its hash), so nothing a document holds can run even if it reached the markup.

Every value goes through `html.escape`; the data the script reads sits in a JSON block with `<`,
`>` and `&` written as `\\u003c` ..., so no text can close that block.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from typing import Any

Value = str | int | float | None


@dataclass(frozen=True)
class Row:
    """A table row: its cells (shown as text), the element id it jumps to, sort keys."""

    cells: tuple[Value, ...]
    goto: str | None = None
    sort: dict[int, Value] = field(default_factory=dict)  # column -> key, where text won't do


@dataclass(frozen=True)
class Table:
    key: str  # the tab's id
    label: str
    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    numeric: frozenset[int] = frozenset()  # columns aligned right (pages, values)


def asset(name: str) -> str:
    """A file shipped beside this module (the page's styles and script)."""
    return resources.files("kttt_extract.emit").joinpath("assets", name).read_text("utf-8")


def json_block(data: Any) -> str:
    """JSON safe inside a `<script type="application/json">` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def text(value: Value) -> str:
    return "" if value is None else escape(str(value))


def without_empty_columns(table: Table) -> Table:
    """The table less the columns empty in every row (the first column always stays)."""
    if not table.rows:
        return table
    keep = [i for i in range(len(table.headers))
            if i == 0 or any(r.cells[i] not in (None, "") for r in table.rows)]
    if len(keep) == len(table.headers):
        return table
    where = {old: new for new, old in enumerate(keep)}
    rows = tuple(Row(tuple(r.cells[i] for i in keep), r.goto,
                     {where[i]: v for i, v in r.sort.items() if i in where}) for r in table.rows)
    return Table(table.key, table.label, tuple(table.headers[i] for i in keep), rows,
                 frozenset(where[i] for i in table.numeric if i in where))


def table_html(table: Table, *, shown: bool) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.headers)
    body = "\n".join(_row_html(table, row) for row in table.rows)
    hidden = "" if shown else " hidden"
    empty = "" if table.rows else '<p class="empty">none found</p>'
    return (f'<section class="panel" id="panel-{escape(table.key)}" role="tabpanel"{hidden}>'
            f'<div class="tools"><input class="filter" type="search" '
            f'placeholder="filter {escape(table.label.lower())}…" '
            f'aria-label="filter {escape(table.label.lower())}"><span class="count"></span>'
            f'</div><table class="data" data-table="{escape(table.key)}"><thead><tr>{head}'
            f"</tr></thead><tbody>\n{body}\n</tbody></table>{empty}</section>")


def _row_html(table: Table, row: Row) -> str:
    cells = []
    for i, value in enumerate(row.cells):
        attrs = ' class="num"' if i in table.numeric else ""
        if i in row.sort:
            attrs += f' data-v="{text(row.sort[i])}"'
        inner = text(value)
        if i == 0 and row.goto:
            inner = f'<a class="goto" href="#{escape(row.goto)}">{inner or "→"}</a>'
        cells.append(f"<td{attrs}>{inner}</td>")
    goto = f' data-goto="{escape(row.goto)}"' if row.goto else ""
    return f"<tr{goto}>{''.join(cells)}</tr>"


def tabs_html(tables: Sequence[Table]) -> str:
    buttons = "".join(
        f'<button type="button" role="tab" data-tab="{escape(t.key)}" '
        f'aria-selected="{"true" if i == 0 else "false"}">{escape(t.label)} ({len(t.rows)})'
        f"</button>" for i, t in enumerate(tables))
    panels = "\n".join(table_html(without_empty_columns(t), shown=i == 0)
                        for i, t in enumerate(tables))
    return f'<nav class="tabs" role="tablist">{buttons}</nav>\n{panels}'


def warnings_html(warnings: Sequence[tuple[str, str]]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li><code>{escape(code)}</code> {escape(message)}</li>"
                    for code, message in warnings)
    return (f'<section class="warnings" role="alert"><h2>Warnings ({len(warnings)})</h2>'
            f"<ul>{items}</ul></section>")


def document(title: str, header: str, body: str, data: Any) -> bytes:
    """The whole page: `header` and `body` are markup made by the callers, already escaped."""
    script = asset("review.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
              "img-src data:; base-uri 'none'; form-action 'none'")
    page = (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="kttt">\n'
        f"<title>{escape(title)}</title>\n<style>\n{asset('review.css')}</style>\n</head>\n"
        f"<body>\n{header}\n{body}\n"
        '<div id="pop" class="pop" role="tooltip" hidden></div>\n'
        f'<script type="application/json" id="kttt-data">{json_block(data)}</script>\n'
        f"<script>{script}</script>\n</body>\n</html>\n")
    return page.encode("utf-8")
