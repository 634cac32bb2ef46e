"""The letterhead read by its lines and cells: issuing body, number, place and date.

A letterhead is two columns (the issuer and the number on the left, the national motto and the
place and date on the right) that documents flatten in every way: a table read cell by cell, one
line per column, or both columns on one line. So the header is cut into cells (at " | " and at
the motto), and each field is looked for in any cell; the issuer is the run of capital lines at
the top, its place from a level word ("TỈNH LÂM ĐỒNG"), a sub-unit below its parent ("UBND TỈNH
LÂM ĐỒNG" then "SỞ NỘI VỤ").
"""

from __future__ import annotations

from collections.abc import Sequence

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.model import Para
from kttt_extract.normalize import CELL_JOIN
from kttt_extract.ruleset.slots import Pattern, Slots
from kttt_extract.textnorm import all_caps

_RULE_CHARS = regex.compile(r"[-–_=*.~]{2,}|^\s*[*]\s*$")
MAX_ISSUER_LINES = 4


class LetterheadRules(Slots):
    stage = "the letterhead reader"
    motto = Pattern("meta.motto")
    number = Pattern("meta.number")
    place_date = Pattern("meta.place-date")
    title = Pattern("body.start-title")
    place_levels = Pattern("meta.place-levels")
    issuer_heads = Pattern("meta.issuer-heads")
    committees = Pattern("meta.committees")


def header_cells(ctx: Context, paras: Sequence[Para]) -> list[str]:
    """The header lines cut into cells: at the table join or a lone "|", and around the motto
    phrases (which may be broken over two lines: "CỘNG HÒA XÃ HỘI CHỦ" / "NGHĨA VIỆT NAM")."""
    lines = [part.strip() for para in paras
             for part in ctx.text[para.span[0]:para.span[1]].split(CELL_JOIN.strip())]
    joined = "\n".join(line for line in lines if line)
    motto = LetterheadRules.of(ctx.rules).motto
    if motto is not None:
        joined = motto.sub(lambda m: "\n" + " ".join(m.group().split()) + "\n", joined)
    return [cell.strip() for cell in joined.split("\n") if cell.strip()]


def issuer_lines(ctx: Context, cells: Sequence[str]) -> list[str]:
    """The first run of capital cells that is not the motto, a number or a date."""
    rules = LetterheadRules.of(ctx.rules)
    motto = rules.motto
    stops = [rules.number, rules.place_date, rules.title]
    lines: list[str] = []
    for cell in cells:
        text = _RULE_CHARS.sub(" ", cell).strip(" ,;:")
        if not text:
            continue
        if motto is not None and motto.fullmatch(cell):
            continue  # the other column, read line by line beside the issuer
        if any(p is not None and p.match(cell) for p in stops) or not all_caps(text):
            if lines:
                break
            continue
        lines.append(" ".join(text.split()))
        if len(lines) >= MAX_ISSUER_LINES:
            break
    return lines


def _level(ctx: Context, text: str, *, anywhere: bool = False) -> regex.Match[str] | None:
    """A level word ("tỉnh", "thành phố") at the start of `text`, or anywhere in it."""
    pattern = LetterheadRules.of(ctx.rules).place_levels
    return pattern.search(text) if anywhere else pattern.match(text)


def compose_issuer(ctx: Context, lines: Sequence[str]) -> str | None:
    """One name from the issuer lines: a line that opens with a level word carries the place of
    the body above it; another body below is the issuing unit, named with its parent's place."""
    if not lines:
        return None
    body, unit = lines[0], None
    for line in lines[1:]:
        if not _level(ctx, line):
            unit = line
        elif unit is None:
            body = f"{body} {line}"
        elif not _level(ctx, unit, anywhere=True):
            unit = f"{unit} {line}"
    if unit is None:
        return body
    place = _level(ctx, body, anywhere=True)
    if place is None or _level(ctx, unit, anywhere=True):
        return unit
    return f"{unit} {body[place.start():]}"


def cased(ctx: Context, name: str) -> str:
    """A name written in capitals, cased as the document writes it elsewhere; else the first
    word, the word after a head word ("Sở", "Bộ") and a place after its level word capitalised."""
    found = regex.search(r"(?<![\p{L}])" + r"\s+".join(regex.escape(w) for w in name.split())
                         + r"(?![\p{L}])", ctx.text, flags=regex.IGNORECASE)
    if found and not all_caps(found.group()):
        return " ".join(found.group().split())
    rules = LetterheadRules.of(ctx.rules)
    heads, levels, committees = rules.issuer_heads, rules.place_levels, rules.committees
    out: list[str] = []
    place, upper = False, True
    for word in name.lower().split():
        out.append(word[:1].upper() + word[1:] if place or upper else word)
        upper = False
        so_far = " ".join(out).lower()
        if len(out) <= 2 and _whole(committees, so_far):
            place = True  # "Tỉnh ủy Lào Cai"
        elif len(out) > 1 and any(_whole(levels, t) for t in (word, " ".join(out[-2:]).lower())):
            place = True  # "... tỉnh Lâm Đồng"
        elif len(out) <= 2 and _whole(heads, so_far):
            upper = True  # "Sở Nội vụ", "Văn phòng Ủy ban nhân dân"
    return " ".join(out)


def _whole(pattern: regex.Pattern[str] | None, text: str) -> bool:
    return pattern is not None and pattern.fullmatch(text) is not None


__all__ = ["cased", "compose_issuer", "header_cells", "issuer_lines"]
