"""The registry of organisations (`registry` rules) compiled into a matcher, once per rule set.

Each registry rule is one kind of body: its `words` are canonical names (with `emit.head`, the
head followed by each word: "Sở" + "Tài chính"), its `table` maps other spellings and
abbreviations to a canonical name. A name is matched as a sequence of words, whatever the case
and the tone placement, across line breaks, and whether its parts are joined by a comma, a dash,
"&", "và" or a space: "Sở Văn hóa – Thể thao và Du lịch" and "Sở Văn hóa, Thể thao và Du lịch"
are one name. Forms holding an abbreviation in capitals ("Sở KH-CN", "NHCSXH") are matched as
written. The words of every rule with a head also serve to expand elliptical lists ("các sở:
Tài chính, Xây dựng").
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args, overload

import regex

from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Family, Pattern, Slots
from kttt_extract.ruleset.vocab import Emit
from kttt_extract.textnorm import fold_tones

_WORD = regex.compile(r"[\p{L}\p{M}\d]+")
_GAP = regex.compile(r"\s*[,&/\-]?\s*")  # what may join two words of a name
_BOUND = regex.compile(r"[&/\-]")  # a name does not start after these (a document number)
_TAIL = regex.compile(r"(?:&|[/\-][\p{L}\d])")  # nor end before these
JOINER = "và"
_STRETCH = 16_384  # characters of text whose words are listed at once (memory stays small)
END = ""  # the key that ends a name in a trie node

Trie = dict[str, Any]
Level = Literal["central", "region", "province", "district", "commune"]
LEVELS: tuple[Level, ...] = get_args(Level)


class RegistryEmit(Emit):
    """What a registry rule gives its names: `head` (the kind word before each word), `kind`,
    `level`, `needs: level` (only with a level word after it), `place: direct` (a place name
    may follow without a level word)."""

    head: str | None = None
    kind: str | None = None
    level: Level | None = None
    needs: Literal["level"] | None = None
    place: Literal["direct"] | None = None


class RegistryRules(Slots):
    stage = "the registry of organisations"
    bodies = Family("registry", RegistryEmit)
    sub_unit_heads = Pattern("agency.sub-unit-heads")


def name_key(text: str) -> str:
    """A name reduced to its words, tone-folded and casefolded, without "và"."""
    return " ".join(w for w in _WORD.findall(fold_tones(text).casefold()) if w != JOINER)


def _is_abbreviation(word: str) -> bool:
    return sum(1 for c in word if c.isupper()) >= 2 and not any(c.islower() for c in word)


@dataclass(frozen=True)
class Entry:
    """One organisation of the registry."""

    name: str
    kind: str
    level: str | None
    rule: str
    capital: bool = False  # the first letter must be written as a capital
    needs_level: bool = False  # taken only with a level word after it ("Thanh tra tỉnh")
    place_direct: bool = False  # a place name may follow without a level word
    head: str | None = None  # the head of a composed name ("Sở")
    parent: str | None = None  # the registry name it ends with ("Văn phòng Ủy ban nhân dân")


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    entry: Entry


@dataclass
class Sectors:
    """The words that follow one head, for elliptical lists ("các sở: Tài chính, Xây dựng")."""

    head: str
    trie: Trie = field(default_factory=dict)  # casefolded words -> ... -> END: entry


@dataclass
class Registry:
    by_name: dict[str, Entry]  # canonical name -> entry
    entries: dict[str, Entry] = field(default_factory=dict)  # name_key of every form -> entry
    plain: Trie = field(default_factory=dict)  # forms in words, casefolded
    marked: Trie = field(default_factory=dict)  # forms with an abbreviation, as written
    sectors: dict[str, Sectors] = field(default_factory=dict)  # casefolded head -> its words

    @classmethod
    def build(cls, rules: RuleSet) -> Registry:
        """Compile every `registry` rule of the rule set."""
        by_name: dict[str, Entry] = {}
        forms: list[tuple[str, str]] = []  # (form, canonical name)
        sector_words: list[tuple[str, Entry]] = []
        bodies = RegistryRules.of(rules).bodies
        for bound in bodies:
            for word, entry in entries_of(bound.id, bound.rule.words, bound.emit,
                                          bound.rule.case_sensitive):
                by_name.setdefault(entry.name, entry)
                forms.append((entry.name, entry.name))
                if entry.head:
                    sector_words.append((word, entry))
        for bound in bodies:
            forms.extend((f, t) for f, t in bound.rule.table.items() if t in by_name)
        registry = cls({n: _with_parent(e, by_name, rules) for n, e in by_name.items()})
        for form, name in forms:
            entry = registry.by_name[name]
            registry.entries[name_key(form)] = entry
            words = _words(form)
            marked = any(_is_abbreviation(w) for w in words)
            _insert(registry.marked if marked else registry.plain,
                    words if marked else [w.casefold() for w in words], entry)
        for word, entry in sector_words:
            head = (entry.head or "").casefold()
            sectors = registry.sectors.setdefault(head, Sectors(entry.head or head))
            _insert(sectors.trie, [w.casefold() for w in _words(word)],
                    registry.by_name[entry.name])
        return registry

    def lookup(self, name: str) -> Entry | None:
        """The entry a written name stands for, or None."""
        return self.entries.get(name_key(name))

    def index(self, text: str, start: int = 0, end: int | None = None) -> TextWords:
        """The words of `text[start:end]` (all of it by default), read once for every span of
        it that `find` and the list readers look at."""
        found = TextWords.read(text, start, len(text) if end is None else end)
        found.openers = [i for i, (w, f) in enumerate(zip(found.texts, found.folded, strict=True))
                         if self.opens(w, f)]
        return found

    def opens(self, word: str, folded: str) -> bool:
        """Whether a registry name may start with this word (as written, and casefolded)."""
        return folded in self.plain or word in self.marked

    def find(self, text: str, start: int, end: int, index: TextWords | None = None
             ) -> Iterator[Hit]:
        """Registry names in `text[start:end]` (normalised text: tones folded), in text order,
        the longest where they overlap; `index` holds the words of a text around the span."""
        words = (index or self.index(text, start, end)).view(start, end)
        i = 0
        for k in words.openers(self):
            first = words[k]
            if k < i or (first.start != 0 and _BOUND.match(text, first.start - 1)):
                continue
            hit = self.match_words(text, words, k)
            if hit is None:
                continue
            yield hit
            i = max(k, words.first_at(hit.end))  # past the words that start inside the name

    def match_words(self, text: str, words: Sequence[Word], i: int) -> Hit | None:
        """The longest registry name that starts at word `i`."""
        word = words[i]  # a trie without the first word finds nothing: not walked
        found = [h for h in (walk(text, words, i, self.plain, folded=True)
                             if word.folded in self.plain else None,
                             walk(text, words, i, self.marked, folded=False)
                             if word.text in self.marked else None) if h is not None]
        if not found:
            return None
        hit = max(found, key=lambda h: h.end)
        if hit.entry.capital and not text[hit.start].isupper():
            return None
        return hit


class Word(NamedTuple):
    start: int
    end: int
    text: str
    folded: str  # casefolded


@dataclass
class TextWords:
    """The words of a stretch of a text, read once; `view` gives those of any span inside it,
    as the word pattern finds them in that span alone (a word the span's edge cuts is cut).

    Kept small, for a document of thousands of pages: positions in arrays of machine integers,
    and each distinct word (as written, and casefolded) one string shared by its occurrences;
    the matches are read one at a time, never held together."""

    text: str
    starts: array[int]
    ends: array[int]
    texts: list[str]
    folded: list[str]  # casefolded
    openers: list[int] = field(default_factory=list)  # words a registry name may start with

    @classmethod
    def read(cls, text: str, start: int, end: int) -> TextWords:
        """The words of `text[start:end]`, a stretch of lines at a time: each word is found
        again from where the one before it ends, which is where it starts (only non-word
        characters stand between them)."""
        starts, ends = array("q"), array("q")
        texts: list[str] = []
        folded: list[str] = []
        shared: dict[str, tuple[str, str]] = {}  # word -> (the one copy kept, its casefold)
        find = text.find
        lo = start
        while lo < end:
            nl = text.find("\n", lo + _STRETCH, end)  # no word runs over a line end
            hi = end if nl < 0 else nl
            pos = lo
            for word in _WORD.findall(text, lo, hi):
                pos = find(word, pos)
                starts.append(pos)
                pos += len(word)
                ends.append(pos)
                kept = shared.get(word)
                if kept is None:
                    kept = shared[word] = (word, word.casefold())
                texts.append(kept[0])
                folded.append(kept[1])
            lo = hi
        return cls(text, starts, ends, texts, folded)

    def view(self, start: int, end: int) -> WordView:
        """The words of `text[start:end]` (a span inside the one read)."""
        lo = bisect_right(self.ends, start)  # the first word that ends after `start`
        hi = bisect_left(self.starts, end) if start < end else lo  # those that start before end
        return WordView(self, start, end, lo, max(lo, hi))


class WordView(Sequence[Word]):
    """The words of one span of a TextWords, made as they are looked at."""

    def __init__(self, words: TextWords, start: int, end: int, lo: int, hi: int) -> None:
        self.words, self.start, self.end, self.lo, self.hi = words, start, end, lo, hi

    def __len__(self) -> int:
        return self.hi - self.lo

    @overload
    def __getitem__(self, i: int) -> Word: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[Word]: ...

    def __getitem__(self, i: int | slice) -> Word | Sequence[Word]:
        if isinstance(i, slice):
            return [self[k] for k in range(len(self))[i]]
        k = self.lo + i
        if not self.lo <= k < self.hi:
            raise IndexError(i)
        own = self.words
        a, b = own.starts[k], own.ends[k]
        if a >= self.start and b <= self.end:
            return Word(a, b, own.texts[k], own.folded[k])
        a, b = max(a, self.start), min(b, self.end)
        return Word(a, b, own.text[a:b], own.text[a:b].casefold())

    def first_at(self, pos: int) -> int:
        """The first word (in the view) that starts at or after `pos`, else len(self) (a cut
        first word starts at the view's start)."""
        starts = self.words.starts
        if self.hi == self.lo or max(starts[self.lo], self.start) >= pos:
            return 0
        return bisect_left(starts, pos, self.lo + 1, self.hi) - self.lo

    def openers(self, registry: Registry) -> Iterator[int]:
        """Positions (in the view) of the words a registry name may start with."""
        # the edge words may be cut by the span: looked at as they are; the others were marked
        # when the text was read
        first = [0] if len(self) and self._opens(0, registry) else []
        own = self.words.openers
        inner = (k - self.lo for k in own[bisect_left(own, self.lo + 1):
                                          bisect_left(own, self.hi - 1)])
        last = [len(self) - 1] if len(self) > 1 and self._opens(len(self) - 1, registry) else []
        yield from first
        yield from inner
        yield from last

    def _opens(self, i: int, registry: Registry) -> bool:
        word = self[i]
        return registry.opens(word.text, word.folded)


def walk(text: str, words: Sequence[Word], i: int, trie: Trie, *, folded: bool) -> Hit | None:
    """The longest name of `trie` made of `words[i:]`, each joined to the next by a space, a
    comma, a dash, "&" or "và" (a "và" of the text may also be left out of the name)."""
    node, best, prev = trie, None, None
    for j in range(i, len(words)):
        word = words[j]
        if prev is not None:
            gap = text[prev.end:word.start]
            abbr_dot = gap.startswith(".") and _is_abbreviation(prev.text)
            if gap != " " and not _GAP.fullmatch(gap[1:] if abbr_dot else gap):
                break
        if word.folded == JOINER and prev is not None:
            prev = word
            continue
        nxt = node.get(word.folded if folded else word.text)
        if nxt is None:
            break
        node, prev = nxt, word
        if END in node and not _TAIL.match(text, word.end):
            best = Hit(words[i].start, word.end, node[END])
    return best


def _words(form: str) -> list[str]:
    return [w for w in _WORD.findall(fold_tones(form)) if w.casefold() != JOINER]


def _insert(trie: Trie, words: list[str], entry: Entry) -> None:
    node = trie
    for word in words:
        node = node.setdefault(word, {})
    node.setdefault(END, entry)


def entries_of(rule_id: str, words: Iterable[str], emit: RegistryEmit, capital: bool
               ) -> Iterator[tuple[str, Entry]]:
    """(word, entry) for every word of a registry rule."""
    head = emit.head
    for word in words:
        name = f"{head} {word}" if head else word
        kind = str(emit.kind or name.casefold())
        yield word, Entry(name, kind, emit.level, rule_id, capital, emit.needs == "level",
                          emit.place == "direct", head)


def _with_parent(entry: Entry, by_name: dict[str, Entry], rules: RuleSet) -> Entry:
    """The entry with `parent` set when it is a sub-unit named with its body ("Văn phòng Chính
    phủ": Chính phủ)."""
    sub = RegistryRules.of(rules).sub_unit_heads
    if not sub.match(fold_tones(entry.name)):
        return entry
    for other in sorted(by_name, key=len, reverse=True):
        if (other != entry.name and entry.name.endswith(" " + other)
                and not by_name[other].needs_level):  # "Cục Thuế" is not a unit of "Thuế"
            return Entry(entry.name, entry.kind, entry.level, entry.rule, entry.capital,
                         entry.needs_level, entry.place_direct, entry.head, other)
    return entry


def registry_of(rules: RuleSet) -> Registry:
    """The registry of a rule set, compiled on first use and kept with the rule set."""
    return rules.built("agency.registry", Registry.build)
