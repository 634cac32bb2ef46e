"""Roles of agency mentions from cue words (`roles` rules).

`emit.scope: before` gives the role to the unit written just before the cue and to the units
chained before it ("Sở X, Sở Y chủ trì"); `after` to the units listed right after it ("phối hợp
với X, Y"); `list` to the units that open each item of the list the cue ends with ("gồm các
thành viên sau:", then one member an item). `emit.override: true` wins over every other cue:
the proposer of a document, the issuer of a cited one, the body that assigns. `emit.ends`
asks that the units be followed by that text ("Đề nghị X:" heading an item). A head title or a
plural kind word written before a unit ("Giám đốc Sở X", "các sở:") is read through.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import regex

from kttt_extract.extractors.agency_names import Found
from kttt_extract.model import Role
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Bound, Family, Pattern, Rule, Slots
from kttt_extract.ruleset.vocab import Emit

ROLE_ORDER: tuple[Role, ...] = ("lead", "report_to", "support", "monitor", "requested", "mentioned")
MAX_GAP = 40


class RoleEmit(Emit):
    """What a role cue gives: the role, to whom (`scope`), and how it is read: `gap` names a
    rule for what may stand between the unit and the cue, `ends` what must follow the units,
    `object` marks units that are the object of the cue, `unclaimed` takes only units no `after`
    cue points at, `override` wins over every other cue."""

    refs = ("gap",)
    role: Role
    scope: Literal["before", "after", "list", "item"]
    gap: str | None = None
    ends: str | None = None
    object: bool = False
    unclaimed: bool = False
    override: bool = False


Cue = Bound[RoleEmit]


class RoleRules(Slots):
    stage = "the agency roles reader"
    cues = Family("roles", RoleEmit, marker="role")
    item_head = Rule("role.item-head", RoleEmit)  # a unit heading its own item
    chain = Pattern("role.chain")
    gap = Pattern("role.gap")
    list_item = Pattern("role.list-item")


POSITION_RULE = RoleRules.item_head.rule_id  # a unit heading its own item: lead, unless a cue
#                                              says else


@dataclass(frozen=True)
class RoleHit:
    name: Found
    role: Role
    rule: str
    override: bool = False


@dataclass(frozen=True)
class Cues:
    """The role rules of a rule set, sorted once per document: cues read after or before a
    unit (after first, so that objects are known), and cues that hand a role to a list."""

    inline: tuple[Cue, ...]
    lists: tuple[Cue, ...]

    @classmethod
    def of(cls, rules: RuleSet) -> Cues:
        """The cues of a rule set, sorted on first use and kept with it."""
        return rules.built("role.cues", cls.build)

    @classmethod
    def build(cls, rules: RuleSet) -> Cues:
        roles = RoleRules.of(rules).cues
        inline = [r for r in roles if r.emit.scope in ("before", "after")]
        inline.sort(key=lambda r: r.emit.scope != "after")
        return cls(tuple(inline), tuple(r for r in roles if r.emit.scope == "list"))


def role_hits(text: str, start: int, end: int, names: Sequence[Found], rules: RuleSet,
              cues: Cues) -> Iterator[RoleHit]:
    """Every cue of the paragraph `text[start:end]` that points at one of `names`; a unit that
    is the object of a cue (`emit.object`) is never the subject of another."""
    objects: set[Found] = set()  # the units a cue with `emit.object` points at
    pointed: set[Found] = set()  # the units any `after` cue points at
    for rule in cues.inline:
        emit = rule.emit
        for m in rule.regex.finditer(text, start, end, timeout=2.0):
            if emit.scope == "after":
                chosen = _after(text, m, names, rules, emit.ends)
                pointed.update(chosen)
                if emit.object:
                    objects.update(chosen)
            else:
                skip = pointed if emit.unclaimed else objects
                chosen = [n for n in _before(text, m, names, rules, rule.refs.get("gap"))
                          if n not in skip]
            for n in chosen:
                yield RoleHit(n, emit.role, rule.id, emit.override)


def _before(text: str, m: regex.Match[str], names: Sequence[Found], rules: RuleSet,
            gap_rule: regex.Pattern[str] | None) -> list[Found]:
    """The unit just before the cue and the units chained before it; `gap_rule` matches what
    else may stand between the last unit and the cue."""
    prev = [n for n in names if n.end <= m.start()]
    if not prev:
        return []
    gap = text[prev[-1].end:m.start()]
    if gap.strip(" ,") and (gap_rule is None or not gap_rule.fullmatch(gap)):
        return []
    chain = RoleRules.of(rules).chain
    chosen = [prev[-1]]
    for n in reversed(prev[:-1]):
        gap = text[n.end:chosen[-1].first]
        if len(gap) > MAX_GAP or not chain.match(gap):
            break
        chosen.append(n)
    return chosen


def _after(text: str, m: regex.Match[str], names: Sequence[Found], rules: RuleSet,
           ends: str | None) -> list[Found]:
    """The units listed right after the cue."""
    own = RoleRules.of(rules)
    first_gap, chain = own.gap, own.chain
    chosen: list[Found] = []
    cursor = m.end()
    for n in (n for n in names if n.start >= m.end()):
        gap = text[cursor:max(cursor, n.first)]
        pattern = chain if chosen else first_gap
        if n.first < cursor or len(gap) > MAX_GAP or not pattern.match(gap):
            break
        chosen.append(n)
        cursor = n.end
    if ends and chosen and not text[cursor:cursor + len(ends) + 8].lstrip().startswith(ends):
        return []
    return chosen


def list_cue(text: str, start: int, end: int, cues: Cues) -> tuple[Role, str] | None:
    """The role a paragraph hands to the units of the list it ends with, if it ends with one."""
    for rule in cues.lists:
        if _ends_with(rule, text, start, end):
            return rule.emit.role, rule.id
    return None


def _ends_with(rule: Cue, text: str, start: int, end: int) -> bool:
    last = len(text[start:end].rstrip())  # where the paragraph's text ends, spaces left out
    last = start + last if last else len(text[:start].rstrip())
    return any(m.end() >= last for m in rule.regex.finditer(text, start, end, timeout=1.0))


def list_openers(text: str, start: int, end: int, names: Sequence[Found], rules: RuleSet
                 ) -> list[Found] | None:
    """The units that open a list item (after its marker and a head title), or None when the
    paragraph is not a list item."""
    own = RoleRules.of(rules)
    marker = own.list_item.match(text, start, end, timeout=1.0)
    if marker is None:
        return None
    chain = own.chain
    chosen: list[Found] = []
    cursor = marker.end()
    for n in names:
        if n.first < cursor:
            continue
        gap = text[cursor:n.first]
        if chosen and (len(gap) > MAX_GAP or not chain.match(gap)):
            break
        if not chosen and gap.strip():
            break
        chosen.append(n)
        cursor = n.end
    return chosen


def resolve(hits: Sequence[RoleHit], given: dict[Found, tuple[Role, str]]
            ) -> dict[Found, tuple[Role, str]]:
    """One role per name: an overriding cue, else the first in ROLE_ORDER; an explicit cue
    beats a role read from position alone (`given` by POSITION_RULE)."""
    roles = dict(given)
    overrides: dict[Found, tuple[Role, str]] = {}
    for hit in hits:
        if hit.override:
            overrides.setdefault(hit.name, (hit.role, hit.rule))
            continue
        old = roles.get(hit.name)
        if (old is None or old[1] == POSITION_RULE
                or ROLE_ORDER.index(hit.role) < ROLE_ORDER.index(old[0])):
            roles[hit.name] = (hit.role, hit.rule)
    roles.update(overrides)
    return roles
