"""Agency names in a span of text (a paragraph, a line, a table cell).

In order: names of the registry (whole, with the level, branch and place written after them),
elliptical lists of a kind of body ("các sở: Tài chính, Xây dựng"), generic groups, then open
shapes that start at a head word (`agency.heads`) and run on over capitalised words. A head-word
name that holds a registry name ("Văn phòng UBND tỉnh", "Ban Tuyên giáo Tỉnh ủy") is one name
with that body as its `parent`, and so is a sub-unit written before its body ("Cục X, Bộ Công
an"). A head title written before a name ("Giám đốc Sở X", "Chủ tịch UBND các xã") opens it:
role cues read through it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

import regex

from kttt_extract.extractors.agency_shapes import (
    TITLE_WINDOW,
    ShapeRules,
    canonical,
    extend,
    in_title,
    level_of,
    levels_at,
    place_after,
    standalone,
    title_before,
)
from kttt_extract.extractors.registry import (
    Hit,
    Registry,
    Sectors,
    TextWords,
    registry_of,
    walk,
)
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Slots, Table
from kttt_extract.ruleset.vocab import free_text

SECTOR_REACH = 120  # characters a sector name may take
_NEXT = regex.compile(r"\s+(\S)")
_JOINED = regex.compile(r"\s*(?:,|;|\bvà)\s*$")  # a list goes on before a name


class NameRules(Slots):
    stage = "the agency names reader"
    not_names = Pattern("agency.not-names")
    plural_heads = Pattern("agency.plural-heads", required=("head",))
    list_joiners = Pattern("agency.list-joiners")
    groups = Pattern("agency.groups")
    group_trailing = Pattern("agency.group-trailing")
    not_groups = Pattern("agency.not-groups")
    proper_heads = Pattern("agency.proper-heads")
    parent_link = Pattern("agency.parent-link")
    sub_units = Table("agency.sub-units", free_text)
    group_of = Pattern("agency.group-of")
    group_joiners = Pattern("agency.group-joiners")


@dataclass(frozen=True)
class Found:
    """A name in the text, before mentions are grouped into agencies."""

    start: int
    end: int
    name: str  # as written
    rule: str
    group: bool = False
    canon: str = ""  # the canonical name ("" until known)
    kind: str | None = None
    level: str | None = None
    place: str | None = None
    parent: str | None = None
    opens: int = -1  # start of a head title or plural word written before it; -1 for none
    titled: bool = False  # `opens` is a head title ("Giám đốc"), not a plural kind ("các sở:")

    @property
    def first(self) -> int:
        """Where the phrase that names it starts (its title, else the name)."""
        return self.opens if self.opens >= 0 else self.start


class _Taken:
    """Disjoint spans already named, sorted, for O(log n) overlap tests."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, a: int, b: int) -> bool:
        i = bisect_right(self.spans, (a, b))
        before = self.spans[i - 1] if i > 0 else None
        after = self.spans[i] if i < len(self.spans) else None
        return (before is None or before[1] <= a) and (after is None or after[0] >= b)

    def add(self, a: int, b: int) -> None:
        self.spans.insert(bisect_right(self.spans, (a, b)), (a, b))

    def remove(self, a: int, b: int) -> None:
        self.spans.remove((a, b))


def find_names(text: str, start: int, end: int, rules: RuleSet,
               index: TextWords | None = None) -> list[Found]:
    """Agency names and groups that start in `text[start:end]`, in text order, not overlapping.

    A registry name may run over one line break past `end` ("Bộ\\nTài chính"). `index` holds
    the words of the text (`Registry.index`), read once for all its paragraphs."""
    registry = registry_of(rules)
    nl = text.find("\n", end + 1)
    reach = len(text) if nl < 0 else nl
    index = index or registry.index(text, start, reach)
    taken = _Taken()
    found: list[Found] = []

    def add(f: Found, lo: int | None = None) -> None:
        found.append(f)
        taken.add(f.start if lo is None else lo, f.end)

    for f in _plural_lists(text, start, end, registry, rules, index):
        if taken.free(f.first, f.end):
            add(f, f.first)
    not_names = NameRules.of(rules).not_names
    for hit in registry.find(text, start, reach, index):
        if hit.start >= end:
            break
        denied = not_names.match(text, hit.start)
        if denied is not None and denied.end() >= hit.end:
            continue  # "Chính phủ nước ngoài" is no body; "Bộ đội Biên phòng" is one
        named = _from_hit(text, hit, rules)
        if named is not None and taken.free(named.start, named.end):
            add(named)
    for f in _continued_lists(text, end, list(found), registry, rules, index):
        if taken.free(f.first, f.end):
            add(f, f.first)
    for f in _groups(text, start, end, rules):
        inner = [n for n in found if f.start < n.first and n.end <= f.end]
        if taken.free(f.start, f.end) or _covers(taken, inner, f.start, f.end):
            for n in inner:  # "cơ quan thuộc Chính phủ": a group, not the Government
                found.remove(n)
                taken.remove(n.first if n.opens >= 0 else n.start, n.end)
            add(f)
    _heads(text, start, end, rules, registry, found, taken)
    found.sort(key=lambda f: f.start)
    found = [f for f in found if not in_title(text, start, f.start, rules)]
    found = _attach_parents(text, _joined_groups(text, _groups_of(text, found, rules), rules),
                            rules)
    return [_titled(text, f, start, rules) for f in found]


def _from_hit(text: str, hit: Hit, rules: RuleSet) -> Found | None:
    """A registry name with what is written after it: a branch, a level, a place."""
    entry = hit.entry
    limit = _line_end(text, hit.end)
    tail = levels_at(text, hit.end, limit, rules)
    if entry.needs_level and tail.level is None and not tail.words:
        return None
    place, end = None, tail.end
    if tail.placed or (entry.place_direct and not tail.words):
        place, end = place_after(text, tail.end, limit, rules, hit.start)
    words = list(tail.words)
    single = ShapeRules.of(rules).single_level
    if tail.placed and not place and tail.level != "region" and single.match(entry.name):
        words = words[:-1]  # a unit of one level only: "Sở Y tế tỉnh" is "Sở Y tế"
    canon = " ".join([entry.name, *words, *([place] if place else [])])
    parent = " ".join([entry.parent, *tail.words]) if entry.parent else None
    return Found(hit.start, end, text[hit.start:end], entry.rule, canon=canon, kind=entry.kind,
                 level=tail.level or entry.level, place=place, parent=parent)


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl


def _plural_lists(text: str, start: int, end: int, registry: Registry, rules: RuleSet,
                  index: TextWords) -> Iterator[Found]:
    """Units of one kind listed by their sector after the kind in the plural ("các sở: Tài
    chính, Xây dựng")."""
    plural = NameRules.of(rules).plural_heads
    for m in plural.finditer(text, start, end, timeout=2.0):
        sectors = registry.sectors.get(m.group("head").casefold())
        if sectors is not None:
            yield from _sector_run(index, m.end(), end, sectors, rules, opens=m.start())


def _continued_lists(text: str, end: int, found: list[Found], registry: Registry,
                     rules: RuleSet, index: TextWords) -> Iterator[Found]:
    """Units of the same kind as a full name, listed after it by their sector alone ("Sở Tài
    chính, Xây dựng")."""
    for f in found:
        entry = registry.by_name.get(f.canon)
        if entry is not None and entry.head and f.end < end:
            sectors = registry.sectors[entry.head.casefold()]
            yield from _sector_run(index, f.end, end, sectors, rules, opens=-1, joined=True)


def _sector_run(index: TextWords, pos: int, end: int, sectors: Sectors, rules: RuleSet, *,
                opens: int, joined: bool = False) -> Iterator[Found]:
    """Sector words joined by commas, semicolons or "và", each one unit of the head's kind."""
    joiner = NameRules.of(rules).list_joiners
    text = index.text
    while pos < end:
        if joined:
            j = joiner.match(text, pos, end)
            if j is None:
                return
            pos = j.end()
        words = index.view(pos, min(end, pos + SECTOR_REACH))
        hit = walk(text, words, 0, sectors.trie, folded=True) if words else None
        if hit is None or hit.start != pos or not text[pos].isupper():
            return
        tail = levels_at(text, hit.end, end, rules)
        if tail.placed and joined:
            return  # "Bộ Tài chính, Công an tỉnh": a local body, not a ministry
        entry = hit.entry
        yield Found(hit.start, hit.end, text[hit.start:hit.end], entry.rule, canon=entry.name,
                    kind=entry.kind, level=tail.level or entry.level, opens=opens)
        pos, opens, joined = hit.end, -1, True


def _groups(text: str, start: int, end: int, rules: RuleSet) -> Iterator[Found]:
    """Generic groups ("các sở, ban, ngành"); "các Ban QLDA ..." names units, not a group."""
    names = NameRules.of(rules)
    trailing, not_groups, plural = names.group_trailing, names.not_groups, names.plural_heads
    for m in names.groups.finditer(text, start, end, timeout=5.0):
        a = m.start()
        b = a + len(trailing.sub("", m.group()))
        if not_groups.match(text[a:b]):
            continue
        if plural.fullmatch(text[a:b] + " ") and _capital_after(text, b):
            continue
        yield Found(a, b, text[a:b], NameRules.groups.rule_id, group=True)


def _proper(head: str, rules: RuleSet) -> bool:
    return bool(NameRules.of(rules).proper_heads.fullmatch(head, timeout=1.0))


def _capital_after(text: str, pos: int) -> bool:
    m = _NEXT.match(text, pos)
    return bool(m and m.group(1).isupper())


def _heads(text: str, start: int, end: int, rules: RuleSet, registry: Registry,
           found: list[Found], taken: _Taken) -> None:
    """Open shapes from head words; a head name that holds registry names absorbs them."""
    heads = ShapeRules.of(rules).heads
    not_names = NameRules.of(rules).not_names
    for m in heads.finditer(text, start, end, timeout=5.0):
        a = m.start()
        if not taken.free(a, m.end()) or not_names.match(text, a):
            continue
        if a > 0 and text[a - 1] in "-/&":  # inside a document number: 784-UBND-KTN
            continue
        if _proper(m.group(), rules) and not _capital_after(text, m.end()):
            continue  # "Thanh tra việc ...": a verb, not "Thanh tra Sở ..."
        b = extend(text, a, m.end(), rules, end)
        b = max([b, *(f.end for f in found if a < f.start < b < f.end)])
        inner = [f for f in found if a < f.start and f.end <= b]
        listed = [f for f in inner if _JOINED.search(text, a, f.start)]
        if listed:  # "Ban X và Công an tỉnh": two names, not a unit of the second
            b = _JOINED.search(text, a, listed[0].start).start()  # type: ignore[union-attr]
            inner = [f for f in inner if f.end <= b]
        if not taken.free(a, b) and not _covers(taken, inner, a, b):
            b = min(f.start for f in found if f.start > a and f.start < b)
            b = len(text[a:b].rstrip(" ,;-")) + a
            inner = []
        if b <= m.end() and not standalone(m.group(), rules):
            continue
        for f in inner:
            found.remove(f)
            taken.remove(f.start, f.end)
        f = _head_found(text, a, b, rules, registry, inner)
        found.append(f)
        taken.add(a, b)


def _covers(taken: _Taken, inner: list[Found], a: int, b: int) -> bool:
    """Whether the only names in [a, b) are `inner` (which a head name may absorb)."""
    spans = [(f.start, f.end) for f in inner]
    return bool(inner) and all(s in spans for s in taken.spans if s[0] < b and s[1] > a)


def _head_found(text: str, a: int, b: int, rules: RuleSet, registry: Registry,
                inner: list[Found]) -> Found:
    surface = text[a:b].rstrip(" -")
    canon = canonical(surface, rules)
    level, place = level_of(surface, rules)
    entry = registry.lookup(canon)
    if entry is not None:
        return Found(a, a + len(surface), surface, entry.rule, canon=entry.name, kind=entry.kind,
                     level=level or entry.level, place=place)
    parent = inner[-1].canon if inner else None
    m = ShapeRules.of(rules).heads.match(surface)
    kind = canonical(m.group(), rules).casefold() if m else None
    return Found(a, a + len(surface), surface, ShapeRules.heads.rule_id, canon=canon, kind=kind,
                 level=inner[-1].level if inner else level, place=place, parent=parent)


def _attach_parents(text: str, found: list[Found], rules: RuleSet) -> list[Found]:
    """A sub-unit written before its body ("Cục X, Bộ Công an") is one name with a parent."""
    names = NameRules.of(rules)
    link, subs = names.parent_link, names.sub_units
    out: list[Found] = []
    for f in found:
        prev = out[-1] if out else None
        if (prev is not None and not prev.group and not f.group
                and prev.kind is not None and f.kind is not None
                and f.kind in _kinds(subs.get(prev.kind, "")) and prev.parent is None
                and link.fullmatch(text[prev.end:f.start])):
            out[-1] = replace(prev, end=f.end, name=text[prev.start:f.end], parent=f.canon)
            continue
        out.append(f)
    return out


def _groups_of(text: str, found: list[Found], rules: RuleSet) -> list[Found]:
    """A group with the body it belongs to is one group ("các cơ quan chuyên môn thuộc UBND
    tỉnh"): the body only qualifies it."""
    link = NameRules.of(rules).group_of
    out: list[Found] = []
    for f in found:
        prev = out[-1] if out else None
        if (prev is not None and prev.group and not f.group
                and link.fullmatch(text[prev.end:f.start])):
            out[-1] = replace(prev, end=f.end, name=text[prev.start:f.end])
            continue
        out.append(f)
    return out


def _joined_groups(text: str, found: list[Found], rules: RuleSet) -> list[Found]:
    """Groups listed one after the other are one group ("các cấp ủy đảng, chính quyền", "các
    địa phương, đơn vị, các ngành, các cấp"): a list of generic nouns names one set of units."""
    joiner = NameRules.of(rules).group_joiners
    out: list[Found] = []
    for f in found:
        prev = out[-1] if out else None
        if (prev is not None and prev.group and f.group
                and joiner.fullmatch(text[prev.end:f.start])):
            out[-1] = replace(prev, end=f.end, name=text[prev.start:f.end])
            continue
        out.append(f)
    return out


def _kinds(listed: str) -> set[str]:
    return {k.strip() for k in listed.split(",") if k.strip()}


def _titled(text: str, f: Found, lo: int, rules: RuleSet) -> Found:
    """The name with `opens` at a head title written just before it ("Giám đốc Sở X")."""
    start = title_before(text, max(lo, f.first - TITLE_WINDOW), f.first, rules)
    return replace(f, opens=start, titled=True) if start is not None else f
