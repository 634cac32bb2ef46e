"""Vietnamese post-correction of OCR lines, every repair counted by kind.

In order, on each line:
1. character repairs (`layout.ocr-repairs`: ð for đ) and the `ocr.fix.*` patterns (numbers with
   letters in them, `%` read as `o/o`, `QHI15`, `5,` for a list number, `l` for a Roman I);
2. years out of range in a date repaired by one confusable digit (`năm 7025`: 2025);
3. phrases (`ocr.phrases`) whose letters match but whose marks differ get the phrase's marks
   (`KÉ HOẠCH`, `TÓ CHỨC THỰC HIỆN`, `quôc gia`);
4. a word that is not a Vietnamese syllable becomes the one valid syllable a mark away
   (`QUYÉT`: QUYẾT), when that is unambiguous.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import regex

from kttt_extract.loaders.syllables import TONES, Lexicon
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Family, Rule, Slots, Table, Words
from kttt_extract.ruleset.vocab import Emit, free_text
from kttt_extract.textnorm import fold_tones

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
         "XV", "XVI", "XVII", "XVIII", "XIX", "XX")
_ROMAN_HEAD = regex.compile(r"^(?P<num>(?=[IVXHl1|]*[IVXH])[IVXHl1|]{1,6})(?=[.\-)]\s*\p{Lu})")
_WORD = regex.compile(r"[\p{L}\p{M}]+")


def bare(text: str) -> str:
    """Letters without any mark, in lower case, đ as d: how a phrase is looked up."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class FixEmit(Emit):
    """An OCR repair: its kind (counted in the warning) and the text that replaces a match, or
    a map of the characters to replace in it."""

    kind: str = "text"
    replace: str | dict[str, str]


class YearEmit(Emit):
    """The years a date may name; a year outside them is repaired by one confusable digit."""

    earliest: int
    latest: int


class FixRules(Slots):
    stage = "the OCR post-correction"
    characters = Table("layout.ocr-repairs", free_text, raw=True)
    fixes = Family("layout", FixEmit, marker="replace")
    year = Rule("ocr.year-context", YearEmit, required=("year",))
    phrases = Words("ocr.phrases")
    digits = Table("ocr.digit-confusions", free_text, raw=True)
    roman = Table("ocr.roman-confusions", free_text, raw=True)


@dataclass(frozen=True)
class Fix:
    kind: str
    pattern: regex.Pattern[str]
    replace: str | dict[str, str]

    def apply(self, text: str, counts: Counter[str]) -> str:
        def one(match: regex.Match[str]) -> str:
            found = match.group()
            if isinstance(self.replace, str):
                new = self.replace
            else:
                new = "".join(self.replace.get(ch, ch) for ch in found)
            if new != found:
                counts[self.kind] += 1
            return new

        return self.pattern.sub(one, text)


@dataclass(frozen=True)
class Fixer:
    """The repairs of one rule set."""

    chars: dict[int, str]
    fixes: tuple[Fix, ...]
    year: regex.Pattern[str]
    years: tuple[int, int]
    digits: dict[str, str]
    phrases: dict[tuple[str, ...], tuple[str, ...] | None]  # bare syllables -> phrase (None: two)
    longest: int
    lexicon: Lexicon
    roman: dict[int, str]  # letters read for the I of a Roman numeral (H for II)

    @classmethod
    def from_rules(cls, rules: RuleSet) -> Fixer:
        own = FixRules.of(rules)
        chars: dict[str, str] = {}
        for wrong, right in own.characters.items():
            chars[wrong] = right
            if len(wrong.upper()) == 1:
                chars[wrong.upper()] = right.upper()
        fixes = tuple(Fix(r.emit.kind, r.regex, r.emit.replace) for r in own.fixes)
        phrases: dict[tuple[str, ...], tuple[str, ...] | None] = {}
        for phrase in own.phrases:
            words = tuple(fold_tones(phrase).split())
            key = tuple(bare(w) for w in words)
            phrases[key] = None if key in phrases and phrases[key] != words else words
        return cls(chars=str.maketrans(chars), fixes=fixes, year=own.year.regex,
                   years=(own.year.emit.earliest, own.year.emit.latest),
                   digits=dict(own.digits), phrases=phrases,
                   longest=max((len(k) for k in phrases), default=1),
                   lexicon=Lexicon.of(rules), roman=str.maketrans(dict(own.roman)))

    def line(self, text: str, counts: Counter[str]) -> str:
        """`text` repaired; `counts` gains one per repair, by kind."""
        fixed = text.translate(self.chars)
        if fixed != text:
            counts["character"] += sum(1 for a, b in zip(fixed, text, strict=True) if a != b)
        for fix in self.fixes:
            fixed = fix.apply(fixed, counts)
        fixed = self.year.sub(_counted(self._year, counts, "year"), fixed)
        fixed = self._phrases(fixed, counts)
        return _WORD.sub(_counted(self._syllable, counts, "syllable"), fixed)

    def headings(self, lines: list[str], counts: Counter[str]) -> list[str]:
        """Lines whose Roman heading number breaks the sequence I, II, III, ... and reads as
        the expected one with its confusions (IH. or II. where III. is due) get that number."""
        out: list[str] = []
        last = 0
        for text in lines:
            match = _ROMAN_HEAD.match(text)
            if match is None:
                out.append(text)
                continue
            token = match.group("num")
            value = ROMAN.index(token) + 1 if token in ROMAN else 0
            due = ROMAN[last] if last < len(ROMAN) else ""
            if value in (0, last) and due and _one_i_apart(token.translate(self.roman), due):
                text, value = due + text[match.end():], last + 1
                counts["numbering"] += 1
            last = value or last
            out.append(text)
        return out

    def _year(self, match: regex.Match[str]) -> str:
        year = match.group("year")
        low, high = self.years
        if low <= int(year) <= high:
            return match.group()
        found = {year[:i] + alt + year[i + 1:] for i, digit in enumerate(year)
                 for alt in self.digits.get(digit, "")}
        valid = [y for y in found if low <= int(y) <= high]
        if len(valid) != 1:
            return match.group()
        start = match.start("year") - match.start()
        return match.group()[:start] + valid[0] + match.group()[start + 4:]

    def _syllable(self, match: regex.Match[str]) -> str:
        word = unicodedata.normalize("NFC", match.group())
        return self.lexicon.nearest(word) or word

    def _phrases(self, text: str, counts: Counter[str]) -> str:
        words = list(_WORD.finditer(text))
        out: list[str] = []
        last = i = 0
        while i < len(words):
            for size in range(min(self.longest, len(words) - i), 1, -1):
                run = words[i:i + size]
                if any(run[k + 1].start() - run[k].end() != 1 or
                       text[run[k].end()] != " " for k in range(size - 1)):
                    continue
                key = tuple(bare(w.group()) for w in run)
                phrase = self.phrases.get(key)
                if phrase is None:
                    continue
                written = [unicodedata.normalize("NFC", w.group()) for w in run]
                if [fold_tones(w).lower() for w in written] == list(phrase) or not all(
                        _may_be_misread(w, right) for w, right in zip(written, phrase,
                                                                      strict=True)):
                    i += size - 1
                    break
                for w, right in zip(run, phrase, strict=True):
                    out += [text[last:w.start()], _same_case(right, w.group())]
                    last = w.end()
                counts["phrase"] += 1
                i += size - 1
                break
            i += 1
        out.append(text[last:])
        return "".join(out)


def _one_i_apart(read: str, due: str) -> bool:
    """True when `read` is `due` or differs from it by one I more or less (II for III)."""
    return read == due or (abs(len(read) - len(due)) == 1 and (
        read.replace("I", "", 1) == due or due.replace("I", "", 1) == read))


def _may_be_misread(seen: str, right: str) -> bool:
    """True when OCR can have read `right` as `seen`: marks lost (ế as é or e, đ as d), or a
    tone read as another (TÓ for TỔ); never a tone where the phrase has none (so a correct
    `Trà` is not turned into `tra`) nor a letter's mark it lacks."""
    seen_marks = _marks(seen.lower().replace("đ", "d\u0335"))
    right_marks = _marks(right.replace("đ", "d\u0335"))
    seen_tone = [m for m in seen_marks if m in TONES]
    right_tone = [m for m in right_marks if m in TONES]
    if seen_tone and not right_tone:
        return False
    return all(m in right_marks for m in seen_marks if m not in TONES)


def _marks(word: str) -> list[str]:
    return [ch for ch in unicodedata.normalize("NFD", word) if unicodedata.combining(ch)]


def _counted(fn: Callable[[regex.Match[str]], str], counts: Counter[str], kind: str
             ) -> Callable[[regex.Match[str]], str]:
    def wrapped(match: regex.Match[str]) -> str:
        new = fn(match)
        if new != match.group():
            counts[kind] += 1
        return new

    return wrapped


def _same_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
