"""Agencies: names found in each paragraph of the body (`agency_names`), canonical names, the
role of every mention (`agency_roles`), mentions grouped into agencies.

A short name a document gives a unit ("(sau đây gọi tắt là Ban Chỉ đạo)") is the same agency;
names that differ otherwise stay apart ("Ủy ban nhân dân tỉnh", "... tỉnh Lâm Đồng").
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import regex

from kttt_extract.extractors.agency_names import Found, find_names
from kttt_extract.extractors.agency_roles import (
    ROLE_ORDER,
    Cues,
    RoleRules,
    list_cue,
    list_openers,
    resolve,
    role_hits,
)
from kttt_extract.extractors.agency_shapes import canonical
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.registry import TextWords, registry_of
from kttt_extract.model import Agency, Mention, Role
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Slots, Table
from kttt_extract.ruleset.vocab import free_text

__all__ = ["ROLE_ORDER", "Found", "canonical", "extract", "find_names"]


class AgencyRules(Slots):
    stage = "the agencies stage"
    group_names = Table("agency.group-names", free_text)
    short_names = Pattern("agency.short-names")


def _group_name(name: str, rules: RuleSet) -> str:
    """A group's canonical name from the group-name table ("cấp ủy đảng" is "Các cấp ủy
    đảng")."""
    table = AgencyRules.of(rules).group_names
    name = table.get(" ".join(name.casefold().split()), name)
    return name[:1].upper() + name[1:]


def _key(name: str) -> str:
    return " ".join(name.casefold().replace(" - ", "-").split())


def _item_heads(ctx: Context, start: int, names: list[Found]) -> list[Found]:
    """The names that open a numbered item or bullet under a tasks/implementation heading
    ("1.2. Phòng X, Trung tâm Y: ..." gives both)."""
    first = _item_head(ctx, start, names)
    if first is None:
        return []
    heads = [first]
    chain = RoleRules.of(ctx.rules).chain
    for n in names[names.index(first) + 1:]:
        if not chain.match(ctx.text[heads[-1].end:n.first]):
            break
        heads.append(n)
    return heads


def _item_head(ctx: Context, start: int, names: list[Found]) -> Found | None:
    """The name that opens a numbered item or bullet under a tasks/implementation heading."""
    if start < ctx.preamble_start:
        return None
    chain = ctx.index.chain(start)
    kinds = {s.kind for s in chain}
    has_task_sections = any(s.kind in ("tasks", "implementation") for s in ctx.sections)
    if has_task_sections and not kinds & {"tasks", "implementation"}:
        return None
    if not names:
        return None
    line = ctx.text[start:start + 12]
    marker = regex.match(r"^(?:[IVXL]+[.\-)]|\d{1,2}(?:\.\d{1,2})*[.)]?|\p{Ll}\)|[-+•])\s*", line)
    first = names[0]
    opens = first.start if first.titled and not marker else first.first
    return first if opens == start + (marker.end() if marker else 0) else None


@dataclass
class _Entry:
    """The mentions of one agency, and what each said about it."""

    group: bool
    aliases: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)


class _Book:
    """Mentions grouped by canonical name, in order of first mention."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.entries: dict[str, _Entry] = {}
        self.short: dict[str, tuple[str, str]] = {}  # short name's key -> full name's key, name

    def display(self, n: Found) -> str:
        name = n.canon or canonical(n.name, self.rules)
        return _group_name(name, self.rules) if n.group else name

    def add(self, n: Found, role: tuple[Role, str] | None, section: str | None,
            page: int | None) -> None:
        display = self.display(n)
        key = _key(display)
        if key in self.short:
            key, display = self.short[key]
        entry = self.entries.setdefault(key, _Entry(n.group))
        entry.names.append(display)
        entry.found.append(n)
        if n.name not in entry.aliases:
            entry.aliases.append(n.name)
        got: Role = role[0] if role is not None else "mentioned"
        entry.mentions.append(Mention(span=(n.start, n.end), section=section, role=got,
                                      rule=n.rule, role_rule=role[1] if role else None,
                                      page=page))

    def alias(self, short: Found, full: Found) -> None:
        """`short` is the name the document gives `full` from here on."""
        name = self.display(full)
        self.short.setdefault(_key(self.display(short)), (_key(name), name))

    def agencies(self) -> list[Agency]:
        out = []
        for i, entry in enumerate(self.entries.values(), 1):
            best = max(entry.names, key=Counter(entry.names).__getitem__)
            out.append(Agency(
                id=f"a{i}", name=best, aliases=tuple(entry.aliases), mentions=tuple(entry.mentions),
                group=entry.group, kind=_most(f.kind for f in entry.found),
                level=_most(f.level for f in entry.found),
                place=_most(f.place for f in entry.found),
                parent=_most(f.parent for f in entry.found)))
        return out


def _most(values: object) -> str | None:
    seen = Counter(v for v in values if v)  # type: ignore[attr-defined]
    return seen.most_common(1)[0][0] if seen else None


def _short_names(ctx: Context, names: list[Found], book: _Book) -> None:
    """Names the document declares short for the one before ("(sau đây gọi tắt là X)")."""
    cue = AgencyRules.of(ctx.rules).short_names
    for prev, n in itertools.pairwise(names):
        if cue.fullmatch(ctx.text, prev.end, n.first, timeout=1.0):
            book.alias(n, prev)


@dataclass
class _Span:
    """Paragraphs read as one for roles: a name that runs over a line break joins them."""

    start: int
    end: int
    page: int | None
    names: list[Found] = field(default_factory=list)


def _spans(ctx: Context, index: TextWords) -> Iterator[_Span]:
    """The paragraphs of the body with their names, joined where a name crosses a break."""
    reached = -1
    cur: _Span | None = None
    for para in ctx.body_paras():
        a, b = para.span
        names = [n for n in find_names(ctx.text, a, b, ctx.rules, index) if n.start >= reached]
        reached = max([reached, *(n.end for n in names)])
        if cur is None:
            cur = _Span(a, b, para.page)
        cur.end = b
        cur.names.extend(names)
        if not (names and names[-1].end > b):
            yield cur
            cur = None
    if cur is not None:
        yield cur


def _roles(ctx: Context, span: _Span, pending: tuple[Role, str] | None, cues: Cues
           ) -> dict[Found, tuple[Role, str]]:
    """The role of each name of a paragraph."""
    a, b, names = span.start, span.end, span.names
    item_head = RoleRules.of(ctx.rules).item_head
    given: dict[Found, tuple[Role, str]] = {
        head: (item_head.emit.role, item_head.id) for head in _item_heads(ctx, a, names)}
    if pending is not None:
        for n in list_openers(ctx.text, a, b, names, ctx.rules) or ():
            given[n] = pending
    return resolve(list(role_hits(ctx.text, a, b, names, ctx.rules, cues)), given)


ADDRESSEE_RULE = "meta.addressees"


def extract(ctx: Context) -> list[Agency]:
    """Agencies of the body with every mention and its role."""
    book = _Book(ctx.rules)
    cues = Cues.of(ctx.rules)
    pending: tuple[Role, str] | None = None
    index = registry_of(ctx.rules).index(ctx.text)  # the words, read once for every paragraph
    for para in ctx.addressee_paras():  # the units a letter is sent to are asked to act
        for n in find_names(ctx.text, *para.span, ctx.rules, index):
            book.add(n, ("requested", ADDRESSEE_RULE), ctx.section_id(n.start), para.page)
    for span in _spans(ctx, index):
        a, b, names = span.start, span.end, span.names
        if pending is not None and list_openers(ctx.text, a, b, names, ctx.rules) is None:
            pending = None
        roles = _roles(ctx, span, pending, cues) if names else {}  # no name, no role to read
        pending = list_cue(ctx.text, a, b, cues) or pending
        _short_names(ctx, names, book)
        for n in names:
            book.add(n, roles.get(n), ctx.section_id(n.start), span.page)
    return book.agencies()
