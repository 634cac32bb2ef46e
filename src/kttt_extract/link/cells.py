"""Deadlines that only the structure shows: a bare year or a span of years in the time column of
an assignment table ("2025", "2025 - 2030"), which in prose would be no deadline."""

from __future__ import annotations

from collections.abc import Sequence

from kttt_extract.extractors.context import Context
from kttt_extract.link.columns import Columns
from kttt_extract.link.index import Found
from kttt_extract.link.tables import TableReader
from kttt_extract.model import Deadline
from kttt_extract.ruleset.slots import Pattern, Slots


class CellRules(Slots):
    stage = "the time cells of task tables"
    when = Pattern("task.when-cell", required=("y1", "y2"))


RULE = CellRules.when.rule_id


def when_cell_deadlines(ctx: Context, deadlines: Sequence[Deadline]) -> list[Deadline]:
    """`deadlines` with those of the time cells that no deadline rule read, renumbered in text
    order."""
    pattern = CellRules.of(ctx.rules).when
    reader = TableReader(ctx, Found((), deadlines, ()), Columns.of(ctx.rules))
    extra: list[Deadline] = []
    for rows in ctx.table_rows():
        for _, cells in reader.rows(rows):
            when = cells.get("when")
            if when is None or reader.found.deadline_ids(*when.span):
                continue
            m = pattern.fullmatch(ctx.text, when.span[0], when.span[1], timeout=1.0)  # stripped
            if m is None:
                continue
            y1, y2 = int(m.group("y1")), m.group("y2")
            fields = ({"kind": "period", "period": (y1, int(y2))} if y2
                      else {"kind": "by", "date": f"{y1}-12-31"})
            extra.append(Deadline(id="d0", text=m.group().strip(), span=when.span,
                                  section=ctx.section_id(when.span[0]), rule=RULE, **fields))
    if not extra:
        return list(deadlines)
    merged = sorted([*deadlines, *extra], key=lambda d: d.span)
    return [d.model_copy(update={"id": f"d{i}"}) for i, d in enumerate(merged, 1)]


__all__ = ["when_cell_deadlines"]
