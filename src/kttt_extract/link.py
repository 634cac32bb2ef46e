"""Tasks: who does what by when. Items under NHIỆM VỤ / TỔ CHỨC THỰC HIỆN (or, in a letter
without such headings, every item of the body), plus sentences with a lead or support cue.

An item runs from its marker to the next marked paragraph. A short item whose marked children
follow directly is a container, not a task; if it names a unit, that unit leads its children.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.model import Agency, Deadline, Para, Role, Target, Task

_MARKER = regex.compile(
    r"^(?:(?P<roman>[IVXL]{1,5})\s*[.\-)]|(?P<num>\d{1,2}(?:\.\d{1,2})*)\s*[.)]?(?=\s)"
    r"|(?P<letter>\p{Ll})\)|(?P<bullet>[-+•*◦▪]))\s*",
    regex.MULTILINE,
)
_SENTENCE = regex.compile(r"(?:[^.!?\n]|\.(?!\s+\p{Lu}|/|\s*$))+(?:[.!?]+/?\.?|$)")
_CLAUSE_START = regex.compile(r"[,;]\s*")
MAX_CONTAINER_WORDS = 15
TASK_KINDS = ("tasks", "implementation")


@dataclass(frozen=True)
class Item:
    start: int
    end: int
    depth: int  # smaller is shallower
    text_start: int  # after the marker


def _depth(m: regex.Match[str]) -> int:
    if m.group("roman"):
        return 0
    if m.group("num"):
        return 1 + m.group("num").count(".")
    return 8 if m.group("letter") else 9


def _items(ctx: Context, paras: Sequence[Para]) -> list[Item]:
    """Marked paragraphs with their extent (up to the next marked paragraph)."""
    marked = []
    for p in paras:
        m = _MARKER.match(ctx.text, p.span[0], p.span[1])
        if m:
            marked.append((p, m))
    items = []
    closing = ctx.closing_start
    for i, (p, m) in enumerate(marked):
        end = marked[i + 1][0].span[0] - 1 if i + 1 < len(marked) else paras[-1].span[1]
        if p.span[0] < closing <= end:
            end = closing - 1
        items.append(Item(p.span[0], max(end, p.span[1]), _depth(m), m.end()))
    return items


def _is_container(ctx: Context, item: Item, nxt: Item | None, has_deadline: bool) -> bool:
    line_end = ctx.text.find("\n", item.start)
    line_end = item.end if line_end < 0 else min(line_end, item.end)
    words = ctx.text[item.text_start:line_end].split()
    if _caps(words):
        return True  # a heading in capitals ("III. TỔ CHỨC THỰC HIỆN") holds work, is none
    directly_followed = nxt is not None and nxt.depth > item.depth and nxt.start <= line_end + 1
    short = len(words) <= MAX_CONTAINER_WORDS or ctx.text[line_end - 1:line_end] == ":"
    return directly_followed and short and not has_deadline


def _caps(words: Sequence[str]) -> bool:
    letters = [c for w in words for c in w if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def _in_task_section(ctx: Context, pos: int, any_task_sections: bool) -> bool:
    if not any_task_sections:
        return pos >= ctx.preamble_start
    return any(s.kind in TASK_KINDS for s in ctx.index.chain(pos))


class _Found:
    """Mentions, deadlines and targets sorted by position, for range look-ups in O(log n)."""

    def __init__(self, targets: Sequence[Target], deadlines: Sequence[Deadline],
                 agencies: Sequence[Agency]) -> None:
        rows = sorted((m.span[0], order, a.id, m.role)
                      for order, a in enumerate(agencies) for m in a.mentions)
        self.mentions = rows
        self.ends = {(m.span[0], a.id): m.span[1] for a in agencies for m in a.mentions}
        self.mention_starts = [r[0] for r in rows]
        self.deadlines = sorted(deadlines, key=lambda d: d.span[0])
        self.deadline_starts = [d.span[0] for d in self.deadlines]
        self.targets = sorted(targets, key=lambda t: t.span[0])
        self.target_starts = [t.span[0] for t in self.targets]

    def _rows(self, lo: int, hi: int) -> list[tuple[int, int, str, Role]]:
        a, b = bisect_left(self.mention_starts, lo), bisect_left(self.mention_starts, hi)
        return self.mentions[a:b]

    def agencies(self, lo: int, hi: int, role: Role) -> list[str]:
        """Ids of agencies with a mention of `role` in [lo, hi), in the agencies' order."""
        found = sorted({(order, aid) for _, order, aid, r in self._rows(lo, hi) if r == role})
        return [aid for _, aid in found]

    def mention_spans(self, lo: int, hi: int) -> list[tuple[int, int]]:
        return [(start, self.ends[start, aid]) for start, _, aid, _ in self._rows(lo, hi)]

    def agency_at(self, pos: int) -> str | None:
        """The agency whose mention starts exactly at `pos` (a unit heading its item)."""
        rows = self._rows(pos, pos + 1)
        return rows[0][2] if rows else None

    def first_actor(self, lo: int, hi: int) -> int | None:
        """Start of the first mention in [lo, hi) that leads, supports or is asked to act."""
        return next((start for start, _, _, role in self._rows(lo, hi)
                     if role in ("lead", "support", "requested")), None)

    def deadline_ids(self, lo: int, hi: int) -> tuple[str, ...]:
        a, b = bisect_left(self.deadline_starts, lo), bisect_left(self.deadline_starts, hi)
        return tuple(d.id for d in self.deadlines[a:b])

    def target_ids(self, lo: int, hi: int) -> tuple[str, ...]:
        a, b = bisect_left(self.target_starts, lo), bisect_left(self.target_starts, hi)
        return tuple(t.id for t in self.targets[a:b])


def _work_start(ctx: Context, item: Item, found: _Found) -> int:
    """Where the work of an item is written: after a first line that only names its units
    ("1. Phòng Tài chính - Kế hoạch" then the text), else right after the marker."""
    line_end = ctx.text.find("\n", item.text_start, item.end)
    if line_end < 0:
        return item.text_start
    line = ctx.text[item.text_start:line_end]
    for start, end in found.mention_spans(item.text_start, line_end):
        line = line.replace(ctx.text[start:end], "")
    return line_end + 1 if not line.strip(" ,;:.-") else item.text_start


def link_tasks(ctx: Context, targets: Sequence[Target], deadlines: Sequence[Deadline],
               agencies: Sequence[Agency]) -> list[Task]:
    """One task per assignment, with lead, support, report_to, deadlines and targets."""
    paras = list(ctx.body_paras())
    if not paras:
        return []
    any_task_sections = any(s.kind in TASK_KINDS for s in ctx.sections)
    items = [i for i in _items(ctx, paras) if _in_task_section(ctx, i.start, any_task_sections)]
    found = _Found(targets, deadlines, agencies)
    tasks: list[Task] = []
    heads: list[tuple[int, str | None]] = []  # container depth, unit leading its children
    covered: list[tuple[int, int]] = []
    for n, item in enumerate(items):
        while heads and heads[-1][0] >= item.depth:
            heads.pop()
        nxt = items[n + 1] if n + 1 < len(items) else None
        has_deadline = bool(found.deadline_ids(item.start, item.end))
        if _is_container(ctx, item, nxt, has_deadline):
            heads.append((item.depth, found.agency_at(item.text_start)))
            covered.append((item.start, item.start + 1))
            continue
        inherited = next((unit for _, unit in reversed(heads) if unit), None)
        text_start = _work_start(ctx, item, found)
        tasks.append(_task(ctx, item.start, item.end, text_start, "task.item", inherited,
                           found, len(tasks) + 1))
        covered.append((item.start, item.end))
    tasks.extend(_sentence_tasks(ctx, covered, found, len(tasks)))
    return tasks


def _task(ctx: Context, start: int, end: int, text_start: int, rule: str, inherited: str | None,
          found: _Found, n: int) -> Task:
    lead = found.agencies(start, end, "lead")
    if not lead and inherited:
        lead = [inherited]
    if not lead:  # "Đề nghị X ...": those asked are the ones who would do the work
        lead = found.agencies(start, end, "requested")
    text = " ".join(ctx.text[text_start:end].split())
    return Task(
        id=f"k{n}", text=text, section=ctx.section_id(start), span=(start, end), rule=rule,
        lead=tuple(lead),
        support=tuple(found.agencies(start, end, "support")),
        report_to=tuple(found.agencies(start, end, "report_to")),
        deadlines=found.deadline_ids(start, end),
        targets=found.target_ids(start, end),
    )


def _clause_start(text: str, lo: int, starts: list[int], first: int) -> int:
    """The sentence start, or the clause holding the first actor when the sentence opens with
    a long preamble ("Trên đây là ..., UBND huyện yêu cầu ...")."""
    start = lo
    if starts and first - lo > 200:
        start = max(s for s in starts if s <= first)
        # back up over the clause's subject: "UBND huyện yêu cầu <actor>"
        comma = text.rfind(",", lo, first)
        start = comma + 1 if comma >= lo else start
    while start < len(text) and text[start] == " ":
        start += 1
    return start


def _covered(spans: list[tuple[int, int]], starts: list[int], pos: int) -> bool:
    """Whether `pos` lies in one of the sorted, disjoint `spans` (whose starts are `starts`)."""
    i = bisect_right(starts, pos) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _sentence_tasks(ctx: Context, covered: list[tuple[int, int]], found: _Found, offset: int
                    ) -> list[Task]:
    """Sentences outside items where a unit is given work ("Giao X chủ trì, phối hợp với Y")."""
    out: list[Task] = []
    spans = sorted(covered)
    span_starts = [s for s, _ in spans]
    for para in ctx.body_paras():
        if para.span[0] < ctx.preamble_start or _covered(spans, span_starts, para.span[0]):
            continue
        for m in _SENTENCE.finditer(ctx.text, para.span[0], para.span[1]):
            lo, hi = m.span()
            first = found.first_actor(lo, hi)
            if first is None:
                continue
            starts = [c.end() for c in _CLAUSE_START.finditer(ctx.text, lo, first)]
            start = _clause_start(ctx.text, lo, starts, first)
            out.append(_task(ctx, start, hi, start, "task.sentence", None, found,
                             offset + len(out) + 1))
    return out
