"""The shape of a name after its head: how far an open name runs, and the branch, level and
place written after a unit ("chi nhánh Khu vực 10", "tỉnh Lâm Đồng", "các xã, phường")."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from kttt_extract.extractors.registry import LEVELS
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Matcher, Pattern, Slots, Table
from kttt_extract.ruleset.vocab import Choice, free_text

_DASH = regex.compile(r"(?<=\w)\s+-\s*(?=\w)|(?<=\w)\s*-\s+(?=\w)")
_TOKEN = regex.compile(r"[\p{L}\p{M}\d&/]+(?:[-.'][\p{L}\p{M}\d&]+)*|[^\s\p{L}\p{M}\d]")
_SPACE = regex.compile(r"[ \t]*")
_NUMBER = regex.compile(r"\s+(?:\d+|[ivxl]+)$", regex.IGNORECASE)
MAX_LOWER = 8
OPEN_QUOTES = ("“", '"', "«")
QUOTED_MAX = 120  # a title in quotes inside a name: Phong trào “Toàn dân đoàn kết ...”
_CLOSE = regex.compile(r'[”"»]')
MAX_TOKENS = 14
MAX_PLACE = 4
PERSON_WORDS = 3  # a title, a unit, then three capitalised words or more: a person's name
TITLE_WINDOW = 60


class ShapeRules(Slots):
    stage = "the agency names reader"
    heads = Pattern("agency.heads")
    stop = Pattern("agency.stop")
    standalone = Pattern("agency.standalone-heads")
    joiners = Pattern("agency.name-joiners")
    levels = Pattern("agency.levels")
    branch_words = Pattern("agency.branch-words")
    plural_levels = Matcher("agency.plural-levels", free_text, required=("level",))
    level_values = Table("agency.level-values", Choice(LEVELS))
    head_titles = Pattern("agency.head-titles")
    title_link = Pattern("agency.title-link")
    in_titles = Pattern("agency.in-titles")
    surnames = Pattern("agency.surnames")
    abbreviations = Matcher("agency.abbreviations", free_text)
    single_level = Pattern("agency.single-level-heads")
    variants = Matcher("agency.variants", free_text)
    level_names = Table("agency.level-names", free_text)


def _match_end(pattern: regex.Pattern[str], text: str, pos: int, end: int | None = None) -> int:
    """End of a match of `pattern` at `pos`, or -1."""
    m = pattern.match(text, pos, len(text) if end is None else end, timeout=1.0)
    return m.end() if m else -1


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper()


def standalone(head: str, rules: RuleSet) -> bool:
    """A head that names a unit by itself: an abbreviation (UBND) or a listed one (Huyện ủy)."""
    pattern = ShapeRules.of(rules).standalone
    return head.isupper() or bool(pattern.fullmatch(head, timeout=1.0))


def extend(text: str, start: int, head_end: int, rules: RuleSet, limit: int) -> int:
    """Where an open name started at `start` by a head ending at `head_end` stops: at
    punctuation, a stop word, too many lower-case words, or a word after level and place."""
    end = head_end
    after_level = False
    lower = 0
    limit = min(limit, _line_end(text, head_end))
    tokens = list(_TOKEN.finditer(text, head_end, limit))
    shapes = ShapeRules.of(rules)
    joiners = shapes.joiners
    quoted_to = -1
    counted = 0
    for i, m in enumerate(tokens):
        if m.start() < quoted_to:
            continue  # inside a quoted title the name holds: its words do not count
        counted += 1
        if counted > MAX_TOKENS:
            break
        tok = m.group()
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        level_end = _match_end(shapes.levels, text, m.start())
        # a head that cannot stand alone takes at least one word: "Quỹ hỗ trợ ..."
        may_stop = i > 0 or not tok[:1].isalpha() or standalone(text[start:head_end], rules)
        if level_end < 0 and may_stop and _match_end(shapes.stop, text, m.start()) >= 0:
            break
        if i > 0 and _is_cap(tok) and (close := _quoted_title(text, tokens, i, limit)) > 0:
            end = quoted_to = close  # a movement or programme named in quotes: Phong trào “...”
            continue
        if tok in ("-", "–") or joiners.fullmatch(tok):
            if (after_level or nxt is None or not _is_cap(nxt.group())
                    or _match_end(shapes.heads, text, nxt.start()) >= 0
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


def _quoted_title(text: str, tokens: list[regex.Match[str]], i: int, limit: int) -> int:
    """Where a title in quotes ends when tokens[i] opens one ("Phong trào “Toàn dân ...”",
    "Cuộc vận động “...”": up to three words, then a quote closed on the line), or -1."""
    for j in range(i + 1, min(i + 4, len(tokens))):
        tok = tokens[j].group()
        if tok in OPEN_QUOTES:
            return _quote_end(text, tokens[j].end(), limit)
        if not tok[:1].isalpha():
            return -1
    return -1


def _quote_end(text: str, pos: int, limit: int) -> int:
    """The end of the closing quote of a title opened before `pos`, within `limit` and
    QUOTED_MAX characters, or -1."""
    m = _CLOSE.search(text, pos, min(limit, pos + QUOTED_MAX))
    return m.end() if m and m.start() > pos else -1


def _line_end(text: str, pos: int) -> int:
    nl = text.find("\n", pos)
    return len(text) if nl < 0 else nl


def level_value(word: str, rules: RuleSet) -> str | None:
    """The level a level word names ("tỉnh": province, "Khu vực 10": region), or None."""
    table = ShapeRules.of(rules).level_values
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
    shapes = ShapeRules.of(rules)
    cur = _SPACE.match(text, pos, limit).end()  # type: ignore[union-attr]
    branch = _match_end(shapes.branch_words, text, cur, limit)
    if branch >= 0:
        words.append(" ".join(text[cur:branch].casefold().split()))
        cur = _SPACE.match(text, branch, limit).end()  # type: ignore[union-attr]
    plural = shapes.plural_levels
    m = plural.regex.match(text, cur, limit, timeout=1.0)
    if m is not None:
        name = plural.table.get(" ".join(m.group("level").casefold().split()), "")
        level = level_value(name, rules) if name else None
        return Tail((*words, name) if name else tuple(words), m.end(), level, False)
    level_end = _match_end(shapes.levels, text, cur, limit)
    if level_end < 0:
        return Tail(tuple(words), branch if words else pos, None, False)
    word = " ".join(text[cur:level_end].split())
    word = shapes.level_names.get(word.casefold(), word)
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
                or _match_end(ShapeRules.of(rules).heads, text, m.start()) >= 0):
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
    shapes = ShapeRules.of(rules)
    titles, link = shapes.head_titles, shapes.title_link
    for m in titles.finditer(text, lo, start, overlapped=True, timeout=1.0):
        if link.fullmatch(text, m.end(), start):
            return m.start()
    return None


def starts_title(text: str, pos: int, rules: RuleSet) -> bool:
    """Whether a head title starts at `pos` ("... và Thủ trưởng các sở")."""
    return bool(ShapeRules.of(rules).head_titles.match(text, pos, timeout=1.0))


def in_title(text: str, lo: int, start: int, rules: RuleSet) -> bool:
    """Whether the name at `start` is part of a law's title ("Luật Tổ chức Chính phủ")."""
    pattern = ShapeRules.of(rules).in_titles
    return bool(pattern.search(text, max(lo, start - TITLE_WINDOW), start, timeout=1.0))


def _surname(word: str, rules: RuleSet) -> bool:
    return bool(ShapeRules.of(rules).surnames.fullmatch(word, timeout=1.0))


def level_of(surface: str, rules: RuleSet) -> tuple[str | None, str | None]:
    """The level and place written in an open name ("Phòng Kinh tế huyện Tam Đường")."""
    found = list(ShapeRules.of(rules).levels.finditer(surface, timeout=1.0))
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
    shapes = ShapeRules.of(rules)
    abbr = shapes.abbreviations
    name = abbr.regex.sub(lambda m: abbr.table.get(m.group().casefold(), m.group()), name)
    if shapes.single_level.match(name):
        last = list(shapes.levels.finditer(name))
        if last and last[-1].end() == len(name) and last[-1].start() > 0:
            name = name[: last[-1].start()].rstrip()
    var = shapes.variants  # a field name spelt another way, at the end of the name only
    found = [m for m in var.regex.finditer(name) if m.end() == len(name)]
    if found:
        m = found[-1]
        name = name[: m.start()] + var.table.get(m.group().casefold(), m.group())
    return name[:1].upper() + name[1:] if name else name
