"""Tasks from assignment tables: one per row (STT | Nhiệm vụ | Chủ trì | Phối hợp | Thời gian |
Sản phẩm | Theo dõi), with the columns found by their header words in any order.

A header row may repeat after a page break; a section row (`I | Cải cách thể chế | | |`) groups
the rows below it and may set their time; a row whose task cell is merged with the one above (or
left empty beside named units) adds its units to the task above; a lead cell that points
elsewhere ("Theo phân công tại ...") names no lead. A target table with a lead column gives
tasks too: its indicator column is the task.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.link.columns import COLUMNS_RULE, Columns, Part
from kttt_extract.link.index import Found
from kttt_extract.model import CellSpan, Para, Role, Span

ROLE_OF: dict[Part, Role] = {"lead": "lead", "support": "support", "monitor": "monitor"}
_GROUP_NUMBER = regex.compile(r"^(?:[IVXLC]{1,6}|[A-ZĐ])[.)]?$")
HEADER_SCAN = 3  # header rows sit at the top of a table
MAX_HEADER_WORDS = 8  # a header cell is a label, not a sentence


@dataclass
class Draft:
    """A task being assembled from a row (and the rows merged into it)."""

    start: int
    end: int
    text: str
    rule: str
    lead: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    monitor: list[str] = field(default_factory=list)
    report_to: list[str] = field(default_factory=list)
    deadlines: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    product: str | None = None


def _header(row: Para, text: str, cols: Columns) -> dict[int, Part]:
    """The part each grid column names, if `row` is a header row."""
    parts: dict[int, Part] = {}
    for cell in row.cells:
        label = text[cell.span[0]:cell.span[1]]
        part = cols.part(label) if 0 < len(label.split()) <= MAX_HEADER_WORDS else None
        if part is not None:
            for col in range(cell.col, cell.col + cell.width):
                parts.setdefault(col, part)
    named = set(parts.values())
    return parts if len(named) >= 2 and named & {"task", "lead"} else {}


def _cells(row: Para, parts: dict[int, Part]) -> dict[Part, CellSpan]:
    """The row's cell for each part (the first that covers a column of that part)."""
    out: dict[Part, CellSpan] = {}
    for cell in row.cells:
        for col in range(cell.col, cell.col + cell.width):
            part = parts.get(col)
            if part is not None and part not in out:
                out[part] = cell
    return out


def _text(ctx: Context, cell: CellSpan | None) -> str:
    return ctx.text[cell.span[0]:cell.span[1]].strip() if cell is not None else ""


@dataclass
class TableReader:
    """Reads the assignment tables of a document into task drafts and the roles of the units
    named in their lead, support and monitor cells."""

    ctx: Context
    found: Found
    cols: Columns
    roles: dict[Span, tuple[Role, str]] = field(default_factory=dict)

    def rows(self, rows: list[Para]) -> Iterator[tuple[Para, dict[Part, CellSpan]]]:
        """The data rows of an assignment table with their cell for each part (none when the
        table has no task and lead columns)."""
        parts: dict[int, Part] = {}
        for i, row in enumerate(rows):
            header = _header(row, self.ctx.text, self.cols)
            if header:  # a second header row refines the first; a later one repeats it
                parts = {**parts, **header} if i < HEADER_SCAN else header
                continue
            if "lead" in parts.values() and "task" in parts.values():
                yield row, _cells(row, parts)

    def read(self, rows: list[Para], context_deadlines: Sequence[str]) -> list[Draft]:
        drafts: list[Draft] = []
        group_deadlines = list(context_deadlines)
        for row, cells in self.rows(rows):
            if self._group_row(cells):
                own = self.found.deadline_ids(row.span[0], row.span[1])
                group_deadlines = list(own) or list(context_deadlines)
                continue
            task_cell = cells.get("task")
            merged = task_cell is None or task_cell.merged or not _text(self.ctx, task_cell)
            if merged and drafts:
                self._add(drafts[-1], row, cells)
                drafts[-1].end = row.span[1]
                continue
            if merged:
                continue
            draft = Draft(row.span[0], row.span[1], _text(self.ctx, task_cell), COLUMNS_RULE)
            self._add(draft, row, cells)
            if not draft.deadlines:
                draft.deadlines = list(group_deadlines)
            drafts.append(draft)
        return drafts

    def _group_row(self, cells: dict[Part, CellSpan]) -> bool:
        """A section row: a title in the task cell, the unit and time cells empty, numbered
        with a Roman numeral or a capital letter (or not at all)."""
        number = _text(self.ctx, cells.get("number"))
        return (bool(_text(self.ctx, cells.get("task")))
                and not any(_text(self.ctx, cells.get(p)) for p in ("lead", "support", "when"))
                and (not number or bool(_GROUP_NUMBER.match(number))))

    def _units(self, cell: CellSpan | None, part: Part) -> list[str]:
        if cell is None or self.cols.points_elsewhere(_text(self.ctx, cell)):
            return []
        hits = self.found.mentions(cell.span[0], cell.span[1])
        for h in hits:
            self.roles[(h.start, h.end)] = (ROLE_OF[part], COLUMNS_RULE)
        return list(dict.fromkeys(h.agency for h in hits))

    def _add(self, draft: Draft, row: Para, cells: dict[Part, CellSpan]) -> None:
        """Add a row's units, times, targets and product to a draft."""
        buckets: tuple[tuple[Part, list[str]], ...] = (
            ("lead", draft.lead), ("support", draft.support), ("monitor", draft.monitor))
        for part, bucket in buckets:
            bucket += [a for a in self._units(cells.get(part), part) if a not in bucket]
        when = cells.get("when")
        own: Sequence[str] = ()
        if when is not None and not self.cols.points_elsewhere(_text(self.ctx, when)):
            own = self.found.deadline_ids(when.span[0], when.span[1])
        if not own:
            task = cells.get("task")
            own = self.found.deadline_ids(*task.span) if task is not None else ()
        draft.deadlines += [d for d in own if d not in draft.deadlines]
        draft.targets += [t for t in self.found.target_ids(row.span[0], row.span[1])
                          if t not in draft.targets]
        product = _text(self.ctx, cells.get("product"))
        if product and draft.product is None:
            draft.product = " ".join(product.split())


__all__ = ["Draft", "TableReader"]
