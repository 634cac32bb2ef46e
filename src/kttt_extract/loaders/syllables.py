"""Vietnamese written syllables: is a word one, and which valid syllable is nearest to it.

The inventory is rule data (`rules/ocr.yaml`): `ocr.syllable` is the grammar of a syllable
without its tone (onset and rhyme, with the spelling rules), `ocr.checked-rhyme` the rhymes that
take only the sắc and nặng tones, `ocr.letter-variants` the letters that differ by a mark, and
`ocr.common-syllables` breaks ties. Everything works on NFC text; a word is judged in lower case.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import regex

from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Rule, Slots, Table, Words
from kttt_extract.ruleset.vocab import Emit, free_text
from kttt_extract.textnorm import fold_tones

TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining marks)
MAX_VARIANTS = 4096  # words with more letter combinations than this are not corrected


class CheckedEmit(Emit):
    """The tones a checked rhyme (ending in p, t, c, ch) may take."""

    tones: str = ""


class SyllableRules(Slots):
    stage = "the syllable judge"
    syllable = Pattern("ocr.syllable")
    checked = Rule("ocr.checked-rhyme", CheckedEmit)
    variants = Table("ocr.letter-variants", free_text, raw=True)
    common = Words("ocr.common-syllables")


@dataclass(frozen=True)
class Lexicon:
    """The syllable inventory and the correction tables of one rule set."""

    syllable: regex.Pattern[str]
    checked: regex.Pattern[str]
    checked_tones: str
    variants: dict[str, str]
    common: frozenset[str]

    @classmethod
    def of(cls, rules: RuleSet) -> Lexicon:
        """The lexicon of a rule set, built on first use and kept with it."""
        return rules.built("ocr.lexicon", cls.from_rules)

    @classmethod
    def from_rules(cls, rules: RuleSet) -> Lexicon:
        own = SyllableRules.of(rules)
        return cls(syllable=own.syllable, checked=own.checked.regex,
                   checked_tones=own.checked.emit.tones, variants=dict(own.variants),
                   common=frozenset(fold_tones(w).lower() for w in own.common))

    def is_syllable(self, word: str) -> bool:
        """True when `word` (any case, NFC) is a well-formed Vietnamese syllable."""
        split = split_tone(word.lower())
        if split is None:
            return False
        base, tone = split
        if not self.syllable.match(base):
            return False
        if self.checked_tones and self.checked.search(base):
            return tone != "" and tone in self.checked_tones
        return True

    def nearest(self, word: str) -> str | None:
        """The one valid syllable nearest to `word` by its marks (a tone, a letter's mark), or
        None when `word` is valid, too far, or two candidates tie and the common list does not
        decide. The case of each letter is kept."""
        lower = word.lower()
        if self.is_syllable(lower):
            return None
        found = [c for c in self._one_mark_away(lower) if self.is_syllable(c)]
        if len(set(found)) > 1:
            found = [c for c in found if fold_tones(c) in self.common]
        choices = set(found)
        if len(choices) != 1:
            return None
        return _same_case(choices.pop(), word)

    def _one_mark_away(self, lower: str) -> Iterator[str]:
        """Words that differ from `lower` by one change: its tone (added, dropped or another),
        or one letter's mark (a for â, ê for e, ...) keeping the tone."""
        split = split_tone(lower)
        if split is None:
            return
        base, tone = split
        for other in ("", *TONES):
            if other != tone:
                yield with_tone(base, other)
        for i, ch in enumerate(base):
            for alt in self.variants.get(ch, ""):
                yield with_tone(base[:i] + alt + base[i + 1:], tone)


def split_tone(word: str) -> tuple[str, str] | None:
    """(the word without its tone mark, the mark or ""), or None for two tone marks."""
    decomposed = unicodedata.normalize("NFD", word)
    marks = [ch for ch in decomposed if ch in TONES]
    if len(marks) > 1:
        return None
    base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONES))
    return base, (marks[0] if marks else "")


_VOWELS = "aăâeêioôơuưy"


def with_tone(base: str, tone: str) -> str:
    """`base` (no tone) with `tone` on the vowel the modern spelling puts it on."""
    if not tone:
        return base
    at = _tone_position(base)
    if at < 0:
        return base
    return unicodedata.normalize("NFC", base[:at + 1] + tone + base[at + 1:])


def _tone_position(base: str) -> int:
    """Index of the vowel that carries the tone: a vowel with a mark (ơ, ê, ...) first, else
    the second of two vowels followed by a consonant or of oa/oe/uy (hòa, thủy: the first),
    else the first; `qu` and `gi` lend their u and i to the onset."""
    start = 2 if base.startswith(("qu", "gi")) and len(base) > 2 and base[2] in _VOWELS else 0
    vowels = [i for i in range(start, len(base)) if base[i] in _VOWELS]
    if not vowels:
        return -1
    for i in vowels:
        if base[i] in "ăâêôơư":
            return i if not (base[i] == "ư" and i + 1 in vowels and base[i + 1] == "ơ") else i + 1
    if len(vowels) >= 2 and vowels[-1] < len(base) - 1:
        return vowels[1]
    if len(vowels) == 3:
        return vowels[1]
    return vowels[0]


def _same_case(word: str, like: str) -> str:
    """`word` with the case of `like`, letter by letter (an all-capital word stays so)."""
    if like.isupper():
        return word.upper()
    return "".join(a.upper() if b.isupper() else a for a, b in
                   itertools.zip_longest(word, like[:len(word)], fillvalue=""))
