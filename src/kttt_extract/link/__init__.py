"""Tasks: who does what by when, from the document's structure (the outline of its items,
assignment tables, label lines) and from sentences with a cue; and the roles that structure gives
the units it names (a Chủ trì column leads, a Phối hợp column supports)."""

from __future__ import annotations

from collections.abc import Sequence

from kttt_extract.extractors.context import Context
from kttt_extract.link.columns import COLUMNS_RULE, Columns
from kttt_extract.link.index import Found
from kttt_extract.link.items import ItemReader
from kttt_extract.link.sentences import sentence_tasks
from kttt_extract.link.tables import Draft, TableReader
from kttt_extract.model import Agency, Deadline, Mention, Role, Span, Target, Task


def link_tasks(ctx: Context, targets: Sequence[Target], deadlines: Sequence[Deadline],
               agencies: Sequence[Agency]) -> tuple[list[Task], list[Agency]]:
    """The tasks of the document in text order, and the agencies with the roles that the
    structure gives them."""
    found = Found(targets, deadlines, agencies)
    cols = Columns.of(ctx.rules)
    items = ItemReader(ctx, found, cols)
    drafts = items.read()
    reader = TableReader(ctx, found, cols)
    for rows in ctx.table_rows():
        drafts += reader.read(rows, _context_deadlines(ctx, found, rows[0].span[0]))
    covered = [*items.covered, *((d.start, d.end) for d in drafts)]
    drafts += sentence_tasks(ctx, list(ctx.body_paras()), covered, found)
    drafts = [_monitor_leads(d) for d in drafts]
    drafts = [d for d in drafts if d.lead or d.rule == COLUMNS_RULE]
    drafts.sort(key=lambda d: (d.start, d.end))
    tasks = [_task(ctx, d, n) for n, d in enumerate(drafts, 1)]
    return tasks, _with_roles(agencies, {**items.roles, **reader.roles})


def _monitor_leads(draft: Draft) -> Draft:
    """A task with no lead whose units only follow up ("Văn phòng UBND tỉnh theo dõi, đôn đốc
    việc thực hiện") is theirs: following up is its work."""
    if not draft.lead and draft.monitor:
        draft.lead, draft.monitor = draft.monitor, []
    return draft


def _context_deadlines(ctx: Context, found: Found, pos: int) -> list[str]:
    """The time a table's appendix title or enclosing heading sets for its rows."""
    region = ctx.region_of(pos)
    if region is not None and region.kind == "appendix" and region.title_paras:
        first = ctx.norm.paras[region.title_paras[0]].span[0]
        last = ctx.norm.paras[region.title_paras[-1]].span[1]
        own = found.deadline_ids(first, last)
        if own:
            return list(own)
    for section in ctx.index.chain(pos):
        line_end = ctx.text.find("\n", section.span[0])
        own = found.deadline_ids(section.span[0], line_end if line_end >= 0 else section.span[1])
        if own:
            return list(own)
    return []


def _task(ctx: Context, d: Draft, n: int) -> Task:
    return Task(
        id=f"k{n}", text=d.text, section=ctx.section_id(d.start), span=(d.start, d.end),
        rule=d.rule, lead=tuple(d.lead), support=tuple(a for a in d.support if a not in d.lead),
        report_to=tuple(d.report_to), monitor=tuple(d.monitor), deadlines=tuple(d.deadlines),
        targets=tuple(d.targets), product=d.product,
    )


def _with_roles(agencies: Sequence[Agency], roles: dict[Span, tuple[Role, str]]
                ) -> list[Agency]:
    """The agencies with the roles the structure gives some of their mentions."""
    if not roles:
        return list(agencies)
    out: list[Agency] = []
    for agency in agencies:
        mentions = tuple(_role(m, roles.get(m.span)) for m in agency.mentions)
        out.append(agency.model_copy(update={"mentions": mentions}))
    return out


def _role(mention: Mention, given: tuple[Role, str] | None) -> Mention:
    if given is None or mention.role == given[0]:
        return mention
    return mention.model_copy(update={"role": given[0], "role_rule": given[1]})


__all__ = ["link_tasks"]
