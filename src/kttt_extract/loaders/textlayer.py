"""Judge a PDF page's text layer: is it Vietnamese text, a scan, or garbage from a broken font?

A page fails when it has (almost) no text, when its text is garbage (control or private-use
characters, `(cid:N)` glyph numbers, U+FFFD, or words that are mostly not Vietnamese syllables:
`Quy ÿӏQK ph·p OXұW` is what a font without a /ToUnicode map gives), or when it is an image with
only a thin text layer over it (the e-signature's `Ký bởi: ...` line over a scanned letter): how
much of the page the text covers counts, not only whether there is text.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import regex

from kttt_extract.loaders.syllables import Lexicon

MIN_CHARS = 20  # fewer visible characters: no text layer
MAX_BAD_SHARE = 0.05  # control, private-use, replacement characters and (cid:N), of visible ones
MIN_WORDS = 8  # fewer words than this are not judged by their syllables
MIN_VALID_SHARE = 0.6  # Vietnamese pages score 0.85-1.0; broken fonts 0.0-0.4
ABBREVIATION_SHARE = 0.25  # all-capital non-syllables (UBND, QĐ) beyond this share count as bad
MAX_WORDS = 250  # words judged per page (enough for a verdict, bounded cost)
THIN_COVER = 0.1  # text lines cover less than this share of the page height ...
IMAGE_COVER = 0.5  # ... and images more than this share of its area: a scan
LINE_HEIGHT = 12.0  # points a line of text is taken to cover

Kind = Literal["ok", "empty", "scan", "garbage"]  # empty: no text and no image

_CID = regex.compile(r"\(cid:\d+\)")
_WORD = regex.compile(r"[\p{L}\p{M}]+")
_ABBREVIATION = regex.compile(r"^[A-ZĐ]{1,6}$")
# control characters that are not white space, private use, surrogates, unassigned, U+FFFD
_BAD = regex.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\p{Co}\p{Cs}\p{Cn}\ufffd]")


@dataclass(frozen=True)
class PageText:
    """What the judge needs to know of a page."""

    number: int  # 1-based
    text: str  # the text layer as read, before any cleaning
    lines: int  # lines of visible text
    height: float  # page height in points
    image_cover: float = 0.0  # share of the page's area under images (0 when not measured)
    words: str | None = None  # the page's text as the loader keeps it (cleaned, converted from
    # legacy fonts, running headers and page numbers left out); `text` when None

    @property
    def kept(self) -> str:
        return self.text if self.words is None else self.words


@dataclass(frozen=True)
class Verdict:
    page: int
    kind: Kind
    valid_share: float | None = None  # share of words that are syllables, when judged

    @property
    def usable(self) -> bool:
        return self.kind == "ok"


def judge(page: PageText, lexicon: Lexicon, seen: dict[str, bool] | None = None) -> Verdict:
    """The verdict on one page's text layer (`seen` caches word verdicts across pages)."""
    kept = page.kept
    cids = sum(len(c) for c in _CID.findall(kept))
    if visible_chars(kept) - cids < MIN_CHARS:
        return Verdict(page.number, "scan" if page.image_cover > 0 else "empty")
    bad = len(_BAD.findall(page.text)) + cids
    if bad > MAX_BAD_SHARE * max(visible_chars(page.text), 1):
        return Verdict(page.number, "garbage")
    share = valid_share(kept, lexicon, seen)
    if share is not None and share < MIN_VALID_SHARE:
        return Verdict(page.number, "garbage", share)
    cover = min(1.0, page.lines * LINE_HEIGHT / page.height) if page.height > 0 else 1.0
    if cover < THIN_COVER and page.image_cover > IMAGE_COVER:
        return Verdict(page.number, "scan", share)
    return Verdict(page.number, "ok", share)


def visible_chars(text: str) -> int:
    return sum(map(len, text.split()))


def needs_image_cover(page: PageText) -> bool:
    """True when the page's text is thin enough that its images decide (measure them)."""
    return page.height > 0 and page.lines * LINE_HEIGHT / page.height < THIN_COVER


def valid_share(text: str, lexicon: Lexicon, seen: dict[str, bool] | None = None
                ) -> float | None:
    """Share of the words of `text` that are Vietnamese syllables (None for too few words).

    All-capital words that are not syllables are abbreviations (UBND, HĐND) and count for
    nothing, unless they pass ABBREVIATION_SHARE of the words: a font whose glyphs map to
    capitals makes whole pages of them."""
    valid = invalid = capitals = 0
    seen = {} if seen is None else seen
    written = Counter(map(regex.Match.group, itertools.islice(_WORD.finditer(text), MAX_WORDS)))
    for raw, count in written.items():  # each word as written judged once
        word = unicodedata.normalize("NFC", raw)
        ok = seen.get(word)
        if ok is None:
            ok = seen[word] = lexicon.is_syllable(word)
        if ok:
            valid += count
        elif _ABBREVIATION.match(word):
            capitals += count
        else:
            invalid += count
    total = valid + invalid + capitals
    if total < MIN_WORDS:
        return None
    excess = max(0.0, capitals - ABBREVIATION_SHARE * total)
    return valid / (valid + invalid + excess) if valid + invalid + excess else None


def page_ranges(pages: Sequence[int]) -> str:
    """`1-6, 9, 11-12` for pages 1 to 6, 9, 11 and 12."""
    out: list[str] = []
    run: list[int] = []
    for page in sorted(set(pages)):
        if run and page == run[-1] + 1:
            run.append(page)
            continue
        if run:
            out.append(_run(run))
        run = [page]
    if run:
        out.append(_run(run))
    return ", ".join(out)


def _run(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


def pages_named(ranges: str) -> str:
    """`page 3` or `pages 1-6, 9` for the output of page_ranges."""
    return f"page {ranges}" if ranges.isdigit() else f"pages {ranges}"
