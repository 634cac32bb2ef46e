"""Character-level Vietnamese text normalisation shared by the normaliser and the rule compiler.

Every function here that rewrites text keeps the length of an NFC string unchanged, so that
offsets survive.
"""

from __future__ import annotations

import re
import unicodedata

import regex

# Tone on the first vowel of an open "oa", "oe", "uy" syllable (Ủy, hòa, thủy), the placement of
# official documents: "Uỷ"/"hoà"/"thuỷ" fold to it. "qu" is a consonant: "quý" keeps its tone.
_TONE_MOVE = regex.compile(
    r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?![\p{L}\p{M}])"
)

_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Letters a, e, y written with one tone (à, ẻ, ý, ...) and anything else whose decomposition
# puts a tone right after one of them: where _TONE_MOVE can match, the text shows one of these
# (or a bare a, e, y and a combining tone) after o or u, followed by no letter or mark.
# (they sit in Latin-1 and in Latin Extended Additional: only those blocks are looked through)
_TONED = "".join(c for c in map(chr, [*range(0xC0, 0x100), *range(0x1E00, 0x1F00)])
                 if len(d := unicodedata.normalize("NFD", c)) > 1 and d[0] in "aAeEyY"
                 and d[1] in _TONES)
_MAY_MOVE = regex.compile(rf"[oOuU](?:[aAeEyY][{_TONES}]|[{_TONED}])(?![\p{{L}}\p{{M}}])")

_CHAR_MAP = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\ufffe": "-",  # pypdfium2's soft line-end hyphen
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
        "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2007": " ", "\u2009": " ",
        "\u202f": " ", "\u3000": " ", "\t": " ", "\u200b": " ", "\ufeff": " ",
        "\u2026": "…",
    }
)
# any character _CHAR_MAP changes: most lines hold none, and `re` finds that out many times
# faster than `str.translate` walks a non-ASCII line
_UNIFIABLE = re.compile("[" + re.escape("".join(map(chr, _CHAR_MAP))) + "]")
_ASCII_LOWER = re.compile("[a-z]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold_tones(text: str) -> str:
    """NFC with one tone-mark placement; `Uỷ ban` and `Ủy ban` come out the same."""
    if text.isascii():
        return text
    if not _MAY_MOVE.search(text):  # no tone to move: NFC of the decomposed text is NFC
        return unicodedata.normalize("NFC", text)
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _TONE_MOVE.sub(r"\1\3\2", decomposed))


def unify_chars(text: str) -> str:
    """One form for dashes, quotes and spaces (length-preserving)."""
    return text.translate(_CHAR_MAP) if _UNIFIABLE.search(text) else text


def all_caps(text: str, min_letters: int = 2) -> bool:
    """Whether `text` has at least `min_letters` letters and every one is a capital (a heading,
    a letterhead line); other characters do not count."""
    if _ASCII_LOWER.search(text):  # most lines: a lower-case letter, found at C speed
        return False
    letters = "".join(filter(str.isalpha, text))
    # str.isupper of the letters rules out a lower-case one at C speed; each letter is then
    # checked (a letter without case, such as "ª", is no capital either)
    return len(letters) >= min_letters and letters.isupper() and all(map(str.isupper, letters))
