"""The shape of a name after its head: how far an open name runs, and the branch, level and
place written after a unit ("chi nhánh Khu vực 10", "tỉnh Lâm Đồng", "các xã, phường")."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from kttt_extract.ruleset import RuleSet

_DASH = regex.compile(r"(?<=\w)\s+-\s*(?=\w)|(?<=\w)\s*-\s+(?=\w)")
_TOKEN = regex.compile(r"[\p{L}\p{M}\d&/]+(?:[-.'][\p{L}\p{M}\d&]+)*|[^\s\p{L}\p{M}\d]")
_SPACE = regex.compile(r"[ \t]*")
_NUMBER = regex.compile(r"\s+(?:\d+|[ivxl]+)$", regex.IGNORECASE)
MAX_LOWER = 8
MAX_TOKENS = 14
MAX_PLACE = 4
PERSON_WORDS = 3  # a title, a unit, then three capitalised words or more: a person's name
TITLE_WINDOW = 60


def _match_end(rules: RuleSet, rule_id: str, text: str, pos: int, end: int | None = None
               ) -> int:
    """End of a match of rule `rule_id` at `pos`, or -1."""
    pattern = rules.get(rule_id).regex
    if pattern is None:
        return -1
    m = pattern.match(text, pos, len(text) if end is None else end, timeout=1.0)
    return m.end() if m else -1


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper()


def standalone(head: str, rules: RuleSet) -> bool:
    """A head that names a unit by itself: an abbreviation (UBND) or a listed one (Huyện ủy)."""
    pattern = rules.get("agency.standalone-heads").regex
    return head.isupper() or bool(pattern and pattern.fullmatch(head, timeout=1.0))


def extend(text: str, start: int, head_end: int, rules: RuleSet, limit: int) -> int:
    """Where an open name started at `start` by a head ending at `head_end` stops: at
    punctuation, a stop word, too many lower-case words, or a word after level and place."""
    end = head_end
    after_level = False
    lower = 0
    limit = min(limit, _line_end(text, head_end))
    tokens = list(_TOKEN.finditer(text, head_end, limit))
    joiners = rules.get("agency.name-joiners").regex
    for i, m in enumerate(tokens[:MAX_TOKENS]):
        tok = m.group()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        level_end = _match_end(rules, "agency.levels", text, m.start())
        # a head that cannot stand alone takes at least one word: "Quỹ hỗ trợ ..."
        may_stop = i > 0 or not tok[:1].isalpha() or standalone(text[start:head_end], rules)
        if level_end < 0 and may_stop and _match_end(rules, "agency.stop", text, m.start()) >= 0:
            break
        if tok in ("-", "–") or (joiners is not None and joiners.fullmatch(tok)):
            if (after_level or nxt is None or not _is_cap(nxt.group())
                    or _match_end(rules, "agency.heads", text, nxt.start()) >= 0
                    or starts_title(text, nxt.start(), rules)):
                break
            continue
        if not tok[:1].isalnum():
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


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl


def level_value(word: str, rules: RuleSet) -> str | None:
    """The level a level word names ("tỉnh": province, "Khu vực 10": region), or None."""
    table = rules.table("agency.level-values")
    key = " ".join(word.casefold().split())
    value = table.get(key) or table.get(_NUMBER.sub("", key))
    return value or None


@dataclass(frozen=True)
class Tail:
    """What is written after a unit's name: branch and level words as they go into the name,
    where they end, the level, and whether a place name may follow."""

    words: tuple[str, ...]
    end: int
    level: str | None
    placed: bool


def levels_at(text: str, pos: int, limit: int, rules: RuleSet) -> Tail:
    """The branch and level written at `pos`: "chi nhánh tỉnh", "các xã, phường" (written
    "các xã"), "các cấp" (read, written as nothing)."""
    words: list[str] = []
    cur = _SPACE.match(text, pos, limit).end()  # type: ignore[union-attr]
    branch = _match_end(rules, "agency.branch-words", text, cur, limit)
    if branch >= 0:
        words.append(" ".join(text[cur:branch].casefold().split()))
        cur = _SPACE.match(text, branch, limit).end()  # type: ignore[union-attr]
    plural = rules.get("agency.plural-levels")
    m = plural.regex.match(text, cur, limit, timeout=1.0) if plural.regex is not None else None
    if m is not None:
        name = plural.lookup.get(" ".join(m.group("level").casefold().split()), "")
        level = level_value(name, rules) if name else None
        return Tail((*words, name) if name else tuple(words), m.end(), level, False)
    level_end = _match_end(rules, "agency.levels", text, cur, limit)
    if level_end < 0:
        return Tail(tuple(words), branch if words else pos, None, False)
    word = " ".join(text[cur:level_end].split())
    word = rules.table("agency.level-names").get(word.casefold(), word)
    return Tail((*words, word), level_end, level_value(word, rules), True)


def place_after(text: str, pos: int, limit: int, rules: RuleSet, name_start: int
                ) -> tuple[str | None, int]:
    """The place name written at `pos` (capitalised words), and where it ends; None for a
    person's name after a titled unit ("Chủ tịch UBND tỉnh Hồ Văn Mười")."""
    words: list[regex.Match[str]] = []
    for m in _TOKEN.finditer(text, pos, limit):
        tok = m.group()
        if (not tok[:1].isupper() or not tok[:1].isalpha() or len(words) >= MAX_PLACE
                or text[words[-1].end() if words else pos:m.start()].strip()
                or _match_end(rules, "agency.heads", text, m.start()) >= 0):
            break
        words.append(m)
    if not words:
        return None, pos
    if len(words) >= PERSON_WORDS and _titled(text, name_start, rules) and _surname(
            words[0].group(), rules):
        return None, pos
    return " ".join(w.group() for w in words), words[-1].end()


def _titled(text: str, start: int, rules: RuleSet) -> bool:
    return title_before(text, max(0, start - TITLE_WINDOW), start, rules) is not None


def title_before(text: str, lo: int, start: int, rules: RuleSet) -> int | None:
    """Where a head title written just before `start` begins ("Giám đốc Sở X", "Chủ tịch UBND
    các xã"), or None."""
    titles = rules.get("agency.head-titles").regex
    link = rules.get("agency.title-link").regex
    if titles is None or link is None:
        return None
    for m in titles.finditer(text, lo, start, overlapped=True, timeout=1.0):
        if link.fullmatch(text, m.end(), start):
            return m.start()
    return None


def starts_title(text: str, pos: int, rules: RuleSet) -> bool:
    """Whether a head title starts at `pos` ("... và Thủ trưởng các sở")."""
    titles = rules.get("agency.head-titles").regex
    return bool(titles and titles.match(text, pos, timeout=1.0))


def in_title(text: str, lo: int, start: int, rules: RuleSet) -> bool:
    """Whether the name at `start` is part of a law's title ("Luật Tổ chức Chính phủ")."""
    pattern = rules.get("agency.in-titles").regex
    return bool(pattern and pattern.search(text, max(lo, start - TITLE_WINDOW), start,
                                           timeout=1.0))


def _surname(word: str, rules: RuleSet) -> bool:
    pattern = rules.get("agency.surnames").regex
    return bool(pattern and pattern.fullmatch(word, timeout=1.0))


def level_of(surface: str, rules: RuleSet) -> tuple[str | None, str | None]:
    """The level and place written in an open name ("Phòng Kinh tế huyện Tam Đường")."""
    pattern = rules.get("agency.levels").regex
    if pattern is None:
        return None, None
    found = list(pattern.finditer(surface, timeout=1.0))
    if not found:
        return None, None
    last = found[-1]
    place = " ".join(surface[last.end():].split()) or None
    if place is not None and not all(w[:1].isupper() for w in place.split()):
        place = None
    return level_value(last.group(), rules), place


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
