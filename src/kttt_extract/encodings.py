"""Legacy Vietnamese font encodings (TCVN3/ABC, VNI) to Unicode NFC.

A document typed in `.VnTime` or `VNI-Times` stores its letters at byte values that Word keeps
as Windows-1252 characters ("Céng hßa x· héi"). The conversion tables are rule data
(`rules/encodings.yaml`, bytes written 0xNN) of the rule set in force; a `Codec` turns them
into character maps (built once per rule set), recognises an encoding by font name or, for text
without fonts, by the share of characters typical of it, and converts. Soft hyphens are never
stripped first: TCVN3 0xAD is the letter ư.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import regex

from kttt_extract.model import Block
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Slots, Table, Words
from kttt_extract.ruleset.vocab import Listing, Shaped, free_text

Encoding = Literal["tcvn3", "vni"]
NAMES: dict[Encoding, str] = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI"}
TCVN3_CAPITALS_SUFFIX = "H"  # `.VnTimeH`: a TCVN3 font that draws every letter as a capital

MIN_MARKERS = 2  # fewer characters typical of an encoding: too little to tell
MIN_MARKER_SHARE = 0.02  # ... or fewer than this share of the letters
TCVN3_BLOCK_SHARE = 0.1  # TCVN3 text: this share of its markers fall in 0xA1-0xBF (à á ã ạ ...)
VNI_SHARE = 0.8  # VNI text: nearly all of its markers are VNI characters
SAMPLE = 200_000  # characters looked at to recognise an encoding

_MARKS = {"acute": "\u0301", "grave": "\u0300", "hook": "\u0309", "tilde": "\u0303",
          "dot": "\u0323", "circumflex": "\u0302", "breve": "\u0306"}
_BASES = "aeiouyAEIOUYơƠưƯ"
_TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
# Vietnamese letters with their tone (and shape) marks, in both cases
VIETNAMESE = frozenset(
    unicodedata.normalize("NFC", base + tone)
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY" for tone in _TONES
) | frozenset("đĐ")
_LATIN1_VIETNAMESE = frozenset(ch for ch in VIETNAMESE if ord(ch) < 0x100)
# letters only Unicode Vietnamese has (never a legacy byte read as Windows-1252), and the
# combining tone marks of decomposed (NFD) text
_REAL = (frozenset(ch for ch in VIETNAMESE if ord(ch) >= 0x100)
         | frozenset(_TONES[1:]) | frozenset("\u0302\u0306\u031b"))
_BYTE = Shaped(r"0x[0-9A-Fa-f]{2}", "a byte written 0xNN")


class EncodingRules(Slots):
    stage = "the legacy encodings reader"
    tcvn3 = Table("encoding.tcvn3", free_text, keys=_BYTE, raw=True)
    tcvn3_fonts = Words("encoding.tcvn3")
    vni = Table("encoding.vni", free_text, keys=_BYTE, raw=True)
    vni_fonts = Words("encoding.vni")
    vni_marks = Table("encoding.vni-marks", Listing(tuple(_MARKS)), keys=_BYTE, raw=True)


def _byte_chars(key: str) -> set[str]:
    """The characters a table key `0xNN` shows as: Windows-1252 (Word) and Latin-1 readings."""
    byte = bytes([int(key, 16)])
    chars = {byte.decode("latin-1")}
    with contextlib.suppress(UnicodeDecodeError):
        chars.add(byte.decode("cp1252"))
    return chars


@dataclass(frozen=True)
class Tables:
    """The conversion data of `rules/encodings.yaml`, as character maps."""

    tcvn3: dict[str, str]  # character -> letter
    vni_letters: dict[str, str]  # character -> letter
    vni_marks: dict[str, str]  # character -> combining marks it adds to the vowel before it
    fonts: dict[Encoding, tuple[str, ...]]  # font-name prefixes
    tcvn3_markers: frozenset[str]  # characters of TCVN3 text that Unicode Vietnamese never has
    vni_markers: frozenset[str]  # ... of VNI text


def _char_map(table: Mapping[str, str]) -> dict[str, str]:
    return {ch: v for key, v in table.items() for ch in _byte_chars(key)}


def build_tables(rules: EncodingRules) -> Tables:
    """Character maps from the encodings rules."""
    marks = {ch: "".join(_MARKS[name] for name in v.split())
             for key, v in rules.vni_marks.items() for ch in _byte_chars(key)}
    tcvn3 = _char_map(rules.tcvn3)
    letters = _char_map(rules.vni)
    return Tables(
        tcvn3=tcvn3, vni_letters=letters, vni_marks=marks,
        fonts={"tcvn3": rules.tcvn3_fonts, "vni": rules.vni_fonts},
        tcvn3_markers=frozenset(tcvn3) - _LATIN1_VIETNAMESE,
        vni_markers=(frozenset(letters) | frozenset(marks)) - _LATIN1_VIETNAMESE,
    )


@dataclass
class _Counts:
    letters: int = 0
    real: int = 0  # Unicode-only Vietnamese letters and tone marks
    tcvn3: int = 0  # TCVN3 markers inside words
    block: int = 0  # ... of them in 0xA1-0xBF, where no other encoding puts letters
    vni: int = 0  # VNI markers inside words
    vni_pairs: int = 0  # a vowel followed by a VNI mark that no Vietnamese letter is


@dataclass(frozen=True)
class _Patterns:
    marker: regex.Pattern[str]  # a marker character inside a word
    vni_pair: regex.Pattern[str]  # a VNI marker mark after a vowel
    vni_compose: regex.Pattern[str]  # a vowel and the VNI mark after it
    real: regex.Pattern[str]
    letter: regex.Pattern[str]


def _chars(chars: Iterable[str]) -> str:
    return "".join(regex.escape(ch) for ch in sorted(chars))


def _patterns(t: Tables) -> _Patterns:
    m = _chars(t.tcvn3_markers | t.vni_markers)
    return _Patterns(
        marker=regex.compile(rf"[{m}](?=[\p{{L}}{m}])|(?<=[\p{{L}}{m}])[{m}]"),
        vni_pair=regex.compile(rf"(?<=[{_BASES}])[{_chars(t.vni_markers & set(t.vni_marks))}]"),
        vni_compose=regex.compile(f"([{_BASES}])([{_chars(t.vni_marks)}])"),
        real=regex.compile(f"[{_chars(_REAL)}]"),
        letter=regex.compile(r"\p{L}"),
    )


@dataclass(frozen=True)
class Codec:
    """Recognising and converting legacy encodings with the tables of one rule set."""

    tables: Tables
    patterns: _Patterns

    @classmethod
    def of(cls, rules: RuleSet) -> Codec:
        """The codec of a rule set, built on first use and kept with it."""
        return rules.built("encodings.codec", cls.build)

    @classmethod
    def build(cls, rules: RuleSet) -> Codec:
        tables = build_tables(EncodingRules.of(rules))
        return cls(tables, _patterns(tables))

    # ----------------------------------------------------------------------- recognising

    def font_encoding(self, font: str | None) -> Encoding | None:
        """The encoding a font name gives away: a listed prefix followed by a capital letter."""
        if not font:
            return None
        for encoding, prefixes in self.tables.fonts.items():
            for prefix in prefixes:
                rest = font[len(prefix):]
                if font.startswith(prefix) and rest[:1].isupper():
                    return encoding
        return None

    def capitals_font(self, font: str | None) -> bool:
        """A TCVN3 font that draws capitals only (`.VnTimeH`, `VnArialH,Bold`)."""
        if self.font_encoding(font) != "tcvn3" or font is None:
            return False
        return font.split(",")[0].strip().endswith(TCVN3_CAPITALS_SUFFIX)

    def has_unicode_vietnamese(self, text: str) -> bool:
        """Whether `text` holds letters (or tone marks) that only Unicode Vietnamese has."""
        return self.patterns.real.search(text) is not None

    def _count(self, text: str) -> _Counts:
        """Counts over the first SAMPLE characters (a document keeps one encoding)."""
        sample = text[:SAMPLE]
        pats, t = self.patterns, self.tables
        counts = _Counts(letters=len(pats.letter.findall(sample)),
                         real=len(pats.real.findall(sample)),
                         vni_pairs=len(pats.vni_pair.findall(sample)))
        for ch, n in Counter(pats.marker.findall(sample)).items():
            if ch in t.tcvn3_markers:
                counts.tcvn3 += n
                counts.block += n if "\xa1" <= ch <= "\xbf" else 0
            if ch in t.vni_markers:
                counts.vni += n
        return counts

    def detect(self, text: str) -> Encoding | None:
        """The legacy encoding `text` (without font names) is in, from its characters, or None.

        TCVN3 text is full of 0xA1-0xBF characters (µ ¸ · ¹ ¶ for à á ã ạ ả, ¨ © ª « ¬ for ă â
        ê ô ơ), which VNI never uses; VNI text is ASCII and VNI's own characters, with marks
        following vowels ("oä"). Text with as many Unicode-only Vietnamese letters as legacy
        characters is taken to be Unicode; characters typical of an encoding only count inside
        words.
        """
        c = self._count(text)
        found = max(c.tcvn3, c.vni)
        if found < MIN_MARKERS or found < MIN_MARKER_SHARE * c.letters or c.real >= found:
            return None
        if c.block and c.block >= TCVN3_BLOCK_SHARE * c.tcvn3:
            return "tcvn3"
        if not c.block and c.vni >= VNI_SHARE * c.tcvn3 and c.vni_pairs:
            return "vni"
        return None

    # ----------------------------------------------------------------------- converting

    def _vni_compose(self, match: regex.Match[str]) -> str:
        base, mark = match.group(1), match.group(2)
        letter = unicodedata.normalize("NFC", base + self.tables.vni_marks[mark])
        return letter if letter in VIETNAMESE else match.group(0)

    def convert(self, text: str, encoding: Encoding, *, capitals: bool = False) -> str:
        """`text` read in `encoding`, as Unicode NFC (all capitals when the font draws only
        those)."""
        t = self.tables
        if encoding == "tcvn3":
            out = "".join(t.tcvn3.get(ch, ch) for ch in text)
        else:
            out = "".join(t.vni_letters.get(ch, ch) for ch in text)
            out = self.patterns.vni_compose.sub(self._vni_compose, out)
        if capitals:
            out = out.upper()
        return unicodedata.normalize("NFC", out)

    def convert_run(self, text: str, font: str | None) -> str:
        """A run of text in `font`: converted when the font is a legacy one and the run holds
        no Unicode-only Vietnamese (someone typed Unicode into an old document), else as is."""
        encoding = self.font_encoding(font)
        if encoding is None or not text or self.has_unicode_vietnamese(text):
            return text
        return self.convert(text, encoding, capitals=self.capitals_font(font))

    def convert_lines(self, text: str, encoding: Encoding) -> str:
        """Convert every line of `text` except those already in Unicode Vietnamese."""
        lines = text.split("\n")
        return "\n".join(line if self.has_unicode_vietnamese(line)
                         else self.convert(line, encoding) for line in lines)

    def fix_blocks(self, blocks: Sequence[Block]) -> tuple[list[Block], Encoding | None]:
        """Blocks with legacy text converted: by each block's font when a loader knows it (a
        PDF's lines), else by the statistics of the whole text. Returns the encoding met."""
        met: Encoding | None = None
        fixed: list[Block] = []
        guessed = self.detect("\n".join(b.text for b in blocks if not b.hints.font))
        for block in blocks:
            encoding = self.font_encoding(block.hints.font) if block.hints.font else guessed
            if encoding is None or self.has_unicode_vietnamese(block.text):
                fixed.append(block)
                continue
            capitals = self.capitals_font(block.hints.font)
            cells = tuple(c.model_copy(update={"text": self.convert(c.text, encoding,
                                                                    capitals=capitals)})
                          for c in block.cells)
            fixed.append(block.model_copy(update={
                "text": self.convert(block.text, encoding, capitals=capitals), "cells": cells}))
            met = met or encoding
        return fixed, met
