"""Agencies: unit names found from head words, canonical names, and roles from cue words.

A name starts at a head word (`agency.heads`) or a full name (`agency.names`) and runs on over
capitalised words, abbreviations and a few lowercase words, until punctuation, a stop word
(`agency.stop`), or a level word followed by anything but a place name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.model import Agency, Mention, Role
from kttt_extract.ruleset import RuleSet

_TOKEN = regex.compile(r"[\p{L}\p{M}\d&/]+(?:[-.][\p{L}\p{M}\d&]+)*|[^\s\p{L}\p{M}\d]")
_DASH = regex.compile(r"(?<=\w)\s+-\s*(?=\w)|(?<=\w)\s*-\s+(?=\w)")
MAX_LOWER = 8
MAX_TOKENS = 14
ROLE_ORDER: tuple[Role, ...] = ("lead", "report_to", "support", "monitor", "requested", "mentioned")


@dataclass(frozen=True)
class Found:
    """A name in the text, before mentions are grouped into agencies."""

    start: int
    end: int
    name: str
    rule: str
    group: bool = False


def _fullmatch(rules: RuleSet, rule_id: str, text: str) -> bool:
    pattern = rules.get(rule_id).regex
    return bool(pattern and pattern.fullmatch(text, timeout=1.0))


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper()


def _starts(rule_id: str, rules: RuleSet, text: str, pos: int) -> int:
    """End of a match of rule `rule_id` at `pos`, or -1."""
    pattern = rules.get(rule_id).regex
    if pattern is None:
        return -1
    m = pattern.match(text, pos, timeout=1.0)
    return m.end() if m else -1


def _extend(text: str, start: int, head_end: int, rules: RuleSet, limit: int,
            complete: bool = False) -> int:
    """Where a name opened at `start` by a head ending at `head_end` stops; a `complete` name
    (from the full-name list) takes only a level and a place after it."""
    end = head_end
    after_level = False
    lower = 0
    tokens = list(_TOKEN.finditer(text, head_end, limit))
    for i, m in enumerate(tokens[:MAX_TOKENS]):
        tok = m.group()
        nxt = tokens[i + 1].group() if i + 1 < len(tokens) else ""
        level_end = _starts("agency.levels", rules, text, m.start())
        # a head that cannot stand alone takes at least one word: "Quỹ hỗ trợ ..."
        stop = (complete or i > 0 or not tok[:1].isalpha()
                or _standalone(text[start:head_end], rules))
        if level_end < 0 and stop and _starts("agency.stop", rules, text, m.start()) >= 0:
            break
        if tok in ("-", "–") or _fullmatch(rules, "agency.name-joiners", tok):
            if after_level or not _is_cap(nxt) or _starts("agency.heads", rules, text,
                                                          tokens[i + 1].start()) >= 0:
                break
            continue
        if not (tok[:1].isalnum()):
            break
        if level_end >= 0 and not _is_cap(tok):
            after_level = True
            end = max(end, level_end)
            continue
        if m.start() < end:
            continue  # inside a multi-word level already consumed
        if after_level and not _is_cap(tok):
            break
        if not _is_cap(tok):
            lower += 1
            if lower > MAX_LOWER:
                break
        end = m.end()
    return end


def find_names(ctx_text: str, start: int, end: int, rules: RuleSet) -> list[Found]:
    """Agency names and groups in `ctx_text[start:end]`, in text order, not overlapping."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for rule_id, group in (("agency.groups", True), ("agency.names", False)):
        pattern = rules.get(rule_id).regex
        if pattern is None:
            continue
        for m in pattern.finditer(ctx_text, start, end, timeout=5.0):
            a, b = m.span()
            if not group and _starts("agency.not-names", rules, ctx_text, a) >= 0:
                continue
            if group:
                b = a + len(_trailing(rules).sub("", m.group()))
                if _starts("agency.not-groups", rules, ctx_text[a:b], 0) >= 0:
                    continue
            else:
                b = _extend(ctx_text, a, b, rules, end, complete=True)
            if free(a, b):
                found.append(Found(a, b, ctx_text[a:b], rule_id, group))
                taken.append((a, b))
    heads = rules.get("agency.heads").regex
    if heads is not None:
        for m in heads.finditer(ctx_text, start, end, timeout=5.0):
            a = m.start()
            if not free(a, m.end()) or _starts("agency.not-names", rules, ctx_text, a) >= 0:
                continue
            if a > 0 and ctx_text[a - 1] in "-/&":  # inside a document number: 784-UBND-KTN
                continue
            b = _extend(ctx_text, a, m.end(), rules, end)
            if b == m.end() and not _standalone(m.group(), rules):
                continue
            found.append(Found(a, b, ctx_text[a:b].rstrip(" -"), "agency.heads"))
            taken.append((a, b))
    return sorted(found, key=lambda f: f.start)


def _trailing(rules: RuleSet) -> regex.Pattern[str]:
    pattern = rules.get("agency.group-trailing").regex
    assert pattern is not None
    return pattern


def _standalone(head: str, rules: RuleSet) -> bool:
    """A head that names a unit by itself: an abbreviation (UBND) or a listed one (Huyện ủy)."""
    return head.isupper() or _fullmatch(rules, "agency.standalone-heads", head)


def canonical(surface: str, rules: RuleSet) -> str:
    """The canonical name: abbreviations expanded, variants unified, a one-level unit's bare
    level word dropped."""
    name = _DASH.sub(" - ", " ".join(surface.split())).strip(" ,;:.-")
    abbr = rules.get("agency.abbreviations")
    if abbr.regex is not None:
        name = abbr.regex.sub(lambda m: abbr.lookup.get(m.group().casefold(), m.group()), name)
    single = rules.get("agency.single-level-heads").regex
    levels = rules.get("agency.levels").regex
    if single is not None and levels is not None and single.match(name):
        last = list(levels.finditer(name))
        if last and last[-1].end() == len(name) and last[-1].start() > 0:
            name = name[: last[-1].start()].rstrip()
    var = rules.get("agency.variants")
    if var.regex is not None:  # a field name spelt another way, at the end of the name only
        found = [m for m in var.regex.finditer(name) if m.end() == len(name)]
        if found:
            m = found[-1]
            name = name[: m.start()] + var.lookup.get(m.group().casefold(), m.group())
    return name[:1].upper() + name[1:] if name else name


def _group_name(name: str, rules: RuleSet) -> str:
    """A group's canonical name from the group-name table ("cấp ủy đảng" is "Các cấp ủy
    đảng")."""
    table = rules.table("agency.group-names")
    name = table.get(" ".join(name.casefold().split()), name)
    return name[:1].upper() + name[1:]


def _key(name: str) -> str:
    return " ".join(name.casefold().replace(" - ", "-").split())


def _role_hits(text: str, start: int, end: int, names: list[Found], rules: RuleSet
               ) -> Iterator[tuple[Found, Role, str]]:
    """(name, role, rule id) for every cue that points at a name in this paragraph."""
    first_gap, chain = rules.get("role.gap").regex, rules.get("role.chain").regex
    assert first_gap is not None and chain is not None
    for rule in rules.of("roles"):
        scope = rule.rule.emit.get("scope")
        if rule.regex is None or scope not in ("before", "after"):
            continue
        role: Role = rule.rule.emit["role"]
        for m in rule.regex.finditer(text, start, end, timeout=2.0):
            if scope == "before":
                prev = [n for n in names if n.end <= m.start()
                        and len(text[n.end:m.start()].strip(" ,")) == 0]
                if prev:
                    yield prev[-1], role, rule.id
                continue
            cursor = m.end()
            for n in (n for n in names if n.start >= m.end()):
                gap = text[cursor:n.start]
                pattern = first_gap if cursor == m.end() else chain
                if len(gap) > 40 or not pattern.match(gap):
                    break
                yield n, role, rule.id
                cursor = n.end


def _item_heads(ctx: Context, start: int, names: list[Found]) -> list[Found]:
    """The names that open a numbered item or bullet under a tasks/implementation heading
    ("1.2. Phòng X, Trung tâm Y: ..." gives both)."""
    first = _item_head(ctx, start, names)
    if first is None:
        return []
    heads = [first]
    for n in names[names.index(first) + 1:]:
        chain = ctx.rules.get("role.chain").regex
        if chain is None or not chain.match(ctx.text[heads[-1].end:n.start]):
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
    return first if first.start == start + (marker.end() if marker else 0) else None


def extract(ctx: Context) -> list[Agency]:
    """Agencies of the body with every mention and its role."""
    rules = ctx.rules
    by_key: dict[str, tuple[list[str], list[Mention], bool]] = {}
    displays: dict[str, list[str]] = {}
    order: list[str] = []
    for para in ctx.body_paras():
        a, b = para.span
        names = find_names(ctx.text, a, b, rules)
        roles: dict[Found, tuple[Role, str]] = {}
        for head in _item_heads(ctx, a, names):
            roles[head] = ("lead", "role.item-head")
        for name, role, rule_id in _role_hits(ctx.text, a, b, names, rules):
            old = roles.get(name)
            # an explicit cue beats the same role read from position alone
            if (old is None or ROLE_ORDER.index(role) < ROLE_ORDER.index(old[0])
                    or (role == old[0] and old[1] == "role.item-head")):
                roles[name] = (role, rule_id)
        for n in names:
            display = canonical(n.name, rules)
            if n.group:
                display = _group_name(display, rules)
            key = _key(display)
            if key not in by_key:
                by_key[key] = ([], [], n.group)
                order.append(key)
            aliases, mentions, _ = by_key[key]
            displays.setdefault(key, []).append(display)
            if n.name not in aliases:
                aliases.append(n.name)
            role, role_rule = roles.get(n, ("mentioned", None))
            mentions.append(Mention(span=(n.start, n.end), section=ctx.section_id(n.start),
                                    role=role, rule=n.rule, role_rule=role_rule))
    out = []
    for i, key in enumerate(order, 1):
        aliases, mentions, group = by_key[key]
        names_seen = displays[key]
        best = max(names_seen, key=names_seen.count)
        out.append(Agency(id=f"a{i}", name=best, aliases=tuple(aliases),
                          mentions=tuple(mentions), group=group))
    return out
