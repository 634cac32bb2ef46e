"""Tasks from the outline: the items, bullets and paragraphs of the parts that hand out work.

A node with children whose own text is a heading, an intro ("Giao Sở X chủ trì, phối hợp ...:")
or a short line is a container: it is no task, and the units it names lead its items, the time it
sets is theirs. Any other node with children is one task with them (`+` sub-bullets belong to
their bullet). A node that only names units (`- Sở Công Thương (đối với ...)`) adds them to its
container. Label lines (`Đơn vị chủ trì: X`, `Thời gian hoàn thành: Y`) belong to the item above.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.link.columns import COLUMNS_RULE, Columns
from kttt_extract.link.index import Found
from kttt_extract.link.sentences import sentence_end, sentences
from kttt_extract.link.tables import ROLE_OF, Draft
from kttt_extract.model import Role, Span
from kttt_extract.outline import Node
from kttt_extract.ruleset.slots import Pattern, Slots

NO_TASK_KINDS = ("purpose", "objectives")
MAX_CONTAINER_WORDS = 15
MAX_TIMING_WORDS = 25
MAX_UNIT_WORDS = 12
MAX_TITLE_WORDS = 3  # "Giám đốc", "Tổng biên tập": a person's title before a unit's name
_ASIDE = regex.compile(r"\([^()]*\)")
_PUNCT = regex.compile(r"[\s,;:.()\-–]+")


class ItemRules(Slots):
    stage = "the tasks reader"
    work = Pattern("task.work-words")
    unit_heading = Pattern("task.unit-heading")


@dataclass
class ItemReader:
    """Turns the outline of the work text into task drafts."""

    ctx: Context
    found: Found
    cols: Columns
    roles: dict[Span, tuple[Role, str]] = field(default_factory=dict)
    covered: list[tuple[int, int]] = field(default_factory=list)
    # what each node inherits (by node index), read once: its segments and drafts all ask
    inherits: dict[int, tuple[tuple[str, ...], ...]] = field(default_factory=dict)

    @property
    def nodes(self) -> Sequence[Node]:
        return self.ctx.outline

    def read(self) -> list[Draft]:
        drafts: list[Draft] = []
        areas = self._task_areas()
        skip_until = -1
        for node in self.nodes:
            if node.start < skip_until or not areas(node):
                continue
            self.covered.append((node.start, node.end))
            if self._only_units(node) or self._label_of(node) or self._heading_only(node):
                continue
            spans = [(node.start, node.end, True)]
            if self._absorbs(node):
                end = skip_until = self._subtree_end(node)  # its sub-bullets are part of it
                self.covered.append((node.start, end))
                spans = [(node.start, end, True)]
            else:
                spans = self._segments(node)
            lo_last, hi_last, inherit_last = spans[-1]
            spans[-1] = (lo_last, self._labels_after(node, hi_last), inherit_last)
            for lo, hi, inherit in spans:
                draft = self._draft(node, lo, hi, inherit=inherit)
                if draft.text and (draft.lead or draft.support or draft.report_to
                                   or draft.monitor):
                    drafts.append(draft)
        return drafts

    def _segments(self, node: Node) -> list[tuple[int, int, bool]]:
        """The node's text cut before each later sentence that gives the lead to another unit
        ("Giao Sở A ... . Giao Sở B ...": two tasks), and, under a unit heading, before each of
        its paragraphs (which take the heading's units: the flag says which parts inherit)."""
        cuts = [node.start]
        leads: set[str] = {"inherited"} if self._inherited(node)[0] else set()
        for i, (a, b) in enumerate(sentences(self.ctx.text, node.text_start, node.end)):
            own = set(self.found.agencies(a, b, "lead"))
            if i and own and leads and not own <= leads:
                cuts.append(a)
                leads = set()
            leads |= own
        paragraphs = set()
        if node.kind == "paragraph" and self._under_unit_heading(node):
            paragraphs = set(self._paragraph_starts(node))  # each one a task of the heading's
        bounds = [*sorted({*cuts, *paragraphs}), node.end]
        return [(a, b, a == node.start or a in paragraphs)
                for a, b in itertools.pairwise(bounds)]

    def _under_unit_heading(self, node: Node) -> bool:
        """Whether the node's parent is a heading that names the units its paragraphs go to
        ("1. Phòng Tài chính - Kế hoạch")."""
        if node.parent is None:
            return False
        up = self.nodes[node.parent]
        return up.kind == "heading" and bool(self._units(up)[0])

    def _paragraph_starts(self, node: Node) -> list[int]:
        """Where the later paragraphs of an unmarked node start, each after a finished
        sentence."""
        out = []
        for para in self.ctx.paras_in(node.start + 1, node.end):
            before = self.ctx.text[node.start:para.span[0]].rstrip()
            if before.endswith((".", "!", "?")) and para.kind != "table_row":
                out.append(para.span[0])
        return out

    # ------------------------------------------------------------------ the parts of the tree

    def _task_areas(self) -> Callable[[Node], bool]:
        """Which nodes may be tasks: those after the preamble whose nearest heading with a kind
        word is not a purpose or objectives heading (a Công văn hands out work under headings
        with no kind word)."""
        body = self._body_region()

        def inside(node: Node) -> bool:
            if node.region == body and node.start < self.ctx.preamble_start:
                return False
            named = next((s for s in self.ctx.index.chain(node.start) if s.kind_rule), None)
            return named is None or named.kind not in NO_TASK_KINDS
        return inside

    def _body_region(self) -> int:
        return next((i for i, r in enumerate(self.ctx.regions) if r.kind == "body"), -1)

    def _own(self, node: Node) -> str:
        return self.ctx.text[node.text_start:node.end]

    def _heading_only(self, node: Node) -> bool:
        """A node whose own text only titles what is under it: a heading, an intro, a short
        line over its items ("3.1. Phòng Nông nghiệp và PTNT:"). A long item with items under
        it is a task of its own as well as their container."""
        if self._absorbs(node):
            return False
        if node.kind in ("heading", "intro"):
            return True
        text = self._own(node).strip()
        return bool(node.children) and (len(text.split()) <= MAX_CONTAINER_WORDS
                                        or text.endswith(":") or self._title_line(node))

    def _title_line(self, node: Node) -> bool:
        """A line that titles the items under it without a sentence of its own ("4. Các cơ
        quan, tổ chức, đơn vị, doanh nghiệp được giao quản lý ... tài sản kết cấu hạ tầng")."""
        text = self._own(node).strip()
        return (bool(node.children) and len(text.split()) <= MAX_TIMING_WORDS
                and not text.endswith((".", ";", "!", "?")))

    def _absorbs(self, node: Node) -> bool:
        """A node whose bullets detail its own work, so that they are part of its task: `+`
        sub-bullets, label lines, or the bullets after a long sentence of work that ends with a
        colon."""
        kids = [self.nodes[c] for c in node.children]
        if not kids or any(k.marker is None for k in kids):
            return False
        if all(k.marker is not None and k.marker.kind == "plus" for k in kids) or all(
                self._label_of(k) for k in kids):
            return True
        text = self._own(node).strip()
        return (text.endswith(":") and len(text.split()) > MAX_TIMING_WORDS
                and all(k.marker is not None and k.marker.kind in ("dash", "plus") for k in kids)
                and bool(self.found.first_actor(node.text_start, node.end)
                         or self.found.mentions(node.text_start, node.text_start + 80)))

    def _only_units(self, node: Node) -> bool:
        """A bullet that only names a unit ("- Sở Văn hóa, Thể thao và Du lịch (đối với hạ
        tầng văn hóa);", "- Giám đốc Sở Nội vụ;"): no work word or time beside its names and
        asides, and it opens with a name and is short, or has hardly a word beside its names."""
        if node.children or node.kind != "item":
            return False
        hits = self.found.mentions(node.text_start, node.end)
        if not hits:
            return False
        rest = self.ctx.text[node.text_start:node.end]
        for h in reversed(hits):
            rest = rest[:h.start - node.text_start] + " " + rest[h.end - node.text_start:]
        rest = _ASIDE.sub(" ", rest)
        work = ItemRules.of(self.ctx.rules).work
        if work.search(rest) or self.found.deadline_ids(node.start, node.end):
            return False
        bare = _ASIDE.sub(" ", self.ctx.text[node.text_start:node.end])
        if hits[0].start <= node.text_start + 1 and len(bare.split()) <= MAX_UNIT_WORDS:
            return True
        return len(_PUNCT.sub(" ", rest).split()) <= MAX_TITLE_WORDS

    def _label_of(self, node: Node) -> bool:
        """A label line of its own ("- Đơn vị chủ trì: Sở X", "1. Thời gian: ...")."""
        line = self.ctx.text[node.text_start:self.ctx.norm.paras[node.para].span[1]]
        return node.kind == "item" and self.cols.label(line) is not None

    def _labels_after(self, node: Node, end: int) -> int:
        """The end of the label lines that follow a node as its siblings, else `end`."""
        for later in self.nodes[node.index + 1:]:
            if later.parent != node.parent or not self._label_of(later):
                break
            end = later.end
        return end

    def _subtree_end(self, node: Node) -> int:
        end = node.end
        for c in node.children:
            end = max(end, self._subtree_end(self.nodes[c]))
        return end

    # ------------------------------------------------------------------ who and when

    def _units(self, node: Node) -> tuple[list[str], list[str]]:
        """The units a container gives its items (leads, supports): those it names as leads or
        asks, else every unit a heading or intro names, with the units listed under it."""
        lo, hi = node.text_start, node.end
        words = len(self._own(node).split())
        lead = self.found.agencies(lo, hi, "lead")
        if not lead and words <= MAX_TIMING_WORDS:  # "Đề nghị X:", not the preamble's request
            lead = self.found.agencies(lo, hi, "requested")
        short = words <= MAX_CONTAINER_WORDS or self._title_line(node)
        if not lead and short and self._names_first(node):
            lead = self.found.agencies(lo, hi, "lead", "requested", "mentioned")
        for c in node.children:
            child = self.nodes[c]
            listed = [self.nodes[g] for g in child.children] if child.kind == "intro" else [child]
            if listed and all(self._only_units(x) for x in listed):
                for x in listed:
                    lead += [a for a in self.found.agencies(x.text_start, x.end, "lead",
                                                            "requested", "mentioned")
                             if a not in lead]
        return lead, self.found.agencies(lo, hi, "support")

    def _names_first(self, node: Node) -> bool:
        """A unit heading: its text opens with a unit's name, or with words that announce one
        ("Trách nhiệm của ...", "Đối với ...")."""
        hits = self.found.mentions(node.text_start, node.end)
        if not hits:
            return False
        start = node.text_start
        lead_in = ItemRules.of(self.ctx.rules).unit_heading
        m = lead_in.match(self.ctx.text, start, node.end)
        return hits[0].start <= (m.end() if m else start) + 1

    def _inherited(self, node: Node) -> tuple[list[str], list[str], list[str]]:
        """Leads, supports and deadlines from the nearest containers above that name them
        (new lists each time: a draft takes them as its own)."""
        if node.index not in self.inherits:
            self.inherits[node.index] = tuple(map(tuple, self._read_inherited(node)))
        lead, support, deadlines = self.inherits[node.index]
        return list(lead), list(support), list(deadlines)

    def _read_inherited(self, node: Node) -> tuple[list[str], list[str], list[str]]:
        lead: list[str] = []
        support: list[str] = []
        deadlines: list[str] = []
        parent = node.parent
        while parent is not None and not (lead and deadlines):
            up = self.nodes[parent]
            if not lead:
                lead, support = self._units(up)
            if not deadlines and self._sets_time(up):
                deadlines = list(self.found.deadline_ids(up.text_start, up.end))
            parent = up.parent
        return lead, support, deadlines

    def _sets_time(self, node: Node) -> bool:
        """A heading or a short container line sets a time for all its items; a long intro
        states a purpose ("Để ... trong năm 2026 ..., yêu cầu ... các nhiệm vụ sau:")."""
        return node.kind in ("heading", "item") or len(self._own(node).split()) <= MAX_TIMING_WORDS

    def _draft(self, node: Node, lo: int, end: int, *, inherit: bool = True) -> Draft:
        text_lo = node.text_start if lo == node.start else lo
        while text_lo < end and self.ctx.text[text_lo] == " ":
            text_lo += 1
        draft = Draft(text_lo if lo != node.start else lo, end,
                      " ".join(self.ctx.text[text_lo:end].split()), "task.item")
        labelled = self._labels(draft, lo, end)
        own_lead = self.found.agencies(lo, end, "lead")
        draft.lead += [a for a in own_lead if a not in draft.lead]
        draft.support += [a for a in self.found.agencies(lo, end, "support")
                          if a not in draft.support]
        draft.report_to = self.found.agencies(lo, end, "report_to")
        draft.monitor += [a for a in self.found.agencies(lo, end, "monitor")
                          if a not in draft.monitor]
        if not labelled:
            draft.deadlines = list(self.found.deadline_ids(lo, end))
        draft.targets = list(self.found.target_ids(lo, end))
        up_lead, up_support, up_deadlines = self._inherited(node) if inherit else ([], [], [])
        if not draft.lead:
            draft.lead = up_lead or self._asked_first(text_lo, end)
            draft.support += [a for a in up_support if a not in draft.support]
        if not draft.deadlines:
            draft.deadlines = up_deadlines
        return draft

    def _asked_first(self, lo: int, hi: int) -> list[str]:
        """The units the item's first sentence asks to act ("Yêu cầu Nhà đầu tư lập hồ sơ
        ..."); a request in a later sentence of a doer-less item is an aside, not its lead."""
        first = sentence_end(self.ctx.text, lo, hi)
        return self.found.agencies(lo, hi if first is None else first, "requested")

    def _labels(self, draft: Draft, lo: int, hi: int) -> bool:
        """Read the label lines inside [lo, hi) into the draft; True when one gave its time."""
        timed = False
        for para in self.ctx.paras_in(lo, hi):
            a, b = para.span
            if para.kind == "table_row":
                continue
            line = self.ctx.text[a:b]
            found = self.cols.label(line)
            if found is None:
                continue
            part, offset = found
            value = (a + offset, b)
            if part in ROLE_OF:
                for h in self.found.mentions(*value):
                    self.roles[(h.start, h.end)] = (ROLE_OF[part], COLUMNS_RULE)
                    bucket = getattr(draft, part)
                    if h.agency not in bucket:
                        bucket.append(h.agency)
            elif part == "when":
                draft.deadlines += list(self.found.deadline_ids(*value))
                timed = bool(draft.deadlines)
            elif part == "product" and draft.product is None:
                draft.product = " ".join(self.ctx.text[value[0]:value[1]].split()) or None
        return timed

__all__ = ["ItemReader"]
