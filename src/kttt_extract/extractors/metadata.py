"""Document metadata from the header and the closing block: kind, number, title, issuer,
place, date, signer, recipients."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from kttt_extract.extractors.agencies import canonical
from kttt_extract.extractors.context import Context
from kttt_extract.model import Document, Notice, Para, Reference, Signature, SignerInfo
from kttt_extract.textnorm import fold_tones

_NAME = regex.compile(r"^(?:\p{Lu}\p{Ll}+\s+){1,4}\p{Lu}\p{Ll}+$")
_MARK = regex.compile(r"^[-+•*]\s*")


def _lines(ctx: Context, paras: Sequence[Para]) -> list[str]:
    return [ctx.text[p.span[0]:p.span[1]] for p in paras]


def _first(ctx: Context, rule_id: str, lines: Sequence[str]) -> regex.Match[str] | None:
    pattern = ctx.rules.get(rule_id).regex
    if pattern is None:
        return None
    for line in lines:
        m = pattern.search(line, timeout=1.0)
        if m:
            return m
    return None


def _title_after(ctx: Context, paras: Sequence[Para]) -> str | None:
    """The title lines after the kind line: bold or centred lines, or the first line that is
    not a preamble, up to a rule line ("-----") or the preamble."""
    preamble = ctx.rules.get("body.start-preamble").regex
    title: list[str] = []
    for p in paras[:4]:
        line = ctx.text[p.span[0]:p.span[1]]
        dressed = p.hints.bold or p.hints.centered or p.hints.heading_level is not None
        if p.number or line.startswith(("I.", "I-", "1.")):
            break
        if preamble and preamble.match(line) and not dressed:
            break
        title.append(line)
        if p.hints.rule_below or not dressed:
            break
    return " ".join(title).strip() or None


def _kind_and_title(ctx: Context, head_paras: Sequence[Para]) -> tuple[str | None, str | None]:
    table = ctx.rules.table("meta.kind-names")
    title_rule = ctx.rules.get("body.start-title").regex
    head = _lines(ctx, head_paras)
    for i, line in enumerate(head):
        m = title_rule.match(line) if title_rule else None
        if m:
            kind = table.get(" ".join(fold_tones(m.group("kind")).split()).casefold())
            return kind, _title_after(ctx, head_paras[i + 1:])
    letter = _first(ctx, "body.start-letter", head)
    if letter:
        title = [letter.group("title")]
        idx = head.index(letter.string)
        stops = [ctx.rules.get(r).regex for r in ("meta.place-date", "meta.addressees",
                                                  "meta.number")]
        for x in head[idx + 1:idx + 4]:
            if any(p is not None and p.search(x) for p in stops):
                break
            title.append(x)
        return str(ctx.rules.get("body.start-letter").rule.emit["kind"]), " ".join(title)
    return None, None


def _date(m: regex.Match[str] | None) -> tuple[str | None, str | None]:
    if m is None:
        return None, None
    g = m.groupdict()
    date = g["y"]
    if g.get("m"):
        date += f"-{int(g['m']):02d}"
        if g.get("d"):
            date += f"-{int(g['d']):02d}"
    return " ".join(g["place"].split()), date


def _signer(ctx: Context, tail: list[str]) -> tuple[SignerInfo, str | None]:
    positions = ctx.rules.table("meta.positions")
    name = next((x for x in reversed(tail) if _NAME.match(x)), None)
    position = None
    for line in tail:
        key = regex.sub(r"^(?:KT|TM|T/M|Q|TL|TUQ)\s*\.?\s*", "", line).strip().casefold()
        if key in positions:
            position = positions[key]
    behalf = _first(ctx, "meta.issuer-on-behalf", tail)
    on_behalf = behalf.group("issuer").strip() if behalf else None
    return SignerInfo(name=name, position=position), on_behalf


def _recipients(ctx: Context, tail: list[str]) -> list[str]:
    stop = ctx.rules.get("meta.recipients-end").regex
    out: list[str] = []
    for line in tail[1:]:
        if stop and stop.match(_MARK.sub("", line)):
            break
        if not _MARK.match(line):
            if out:
                break
            continue
        item = _MARK.sub("", line).strip(" ;,.")
        if item:
            out.append(item)
    return out


def _issuer(ctx: Context, head: list[str], on_behalf: str | None) -> str | None:
    m = _first(ctx, "meta.issuer-act", head)
    if m:
        return canonical(m.group("issuer"), ctx.rules)
    if on_behalf:
        words = on_behalf.lower()
        return canonical(words[:1].upper() + words[1:], ctx.rules)
    return None


def _with_place(ctx: Context, issuer: str | None, texts: Sequence[str], place: str | None
                ) -> str | None:
    """Name the place of an issuer that gives only its level ("Ủy ban nhân dân huyện" in a
    plan of huyện Vĩnh Linh): from "<level> <Place>" in the title or header, else, for a
    level whose seat names the place of issue (rule `meta.issuer-levels`), from that place."""
    if not issuer:
        return issuer
    levels = ctx.rules.get("meta.issuer-levels")
    ends = [m for m in levels.regex.finditer(issuer)] if levels.regex else []
    if not ends or ends[-1].end() != len(issuer):
        return issuer
    level = levels.lookup[fold_tones(ends[-1].group()).casefold()]
    level, _, seat = level.partition("|")
    pattern = regex.compile(rf"\b{regex.escape(level)}\s+((?:\p{{Lu}}\p{{Ll}}*\s*){{1,3}})")
    for text in texts:
        m = pattern.search(text)
        if m:
            return f"{issuer} {m.group(1).strip()}"
    return f"{issuer} {place}" if place and seat == "seat" else issuer


def _stamp_notices(ctx: Context, paras: Sequence[Para],
                   found: Sequence[tuple[str, regex.Match[str] | None]]) -> None:
    """Warn where the number or date was read from a line an e-signature stamp wrote into."""
    stamped = {ctx.text[p.span[0]:p.span[1]] for p in paras if p.hints.stamp}
    for what, m in found:
        if m is not None and m.string in stamped:
            ctx.notices.append(Notice(code="stamp-metadata",
                                      message=f"{what} read from the e-signature stamp"))


def extract(ctx: Context, references: Sequence[Reference],
            signatures: Sequence[Signature] = ()) -> Document:
    """The `document` object of the contract."""
    first_section = ctx.sections[0].span[0] if ctx.sections else ctx.body_end
    head_paras = [p for p in ctx.norm.paras if p.span[0] < first_section]
    head = _lines(ctx, head_paras)
    tail = _lines(ctx, [p for p in ctx.norm.paras if p.span[0] >= ctx.body_end])
    kind, title = _kind_and_title(ctx, head_paras)
    num = _first(ctx, "meta.number", head)
    place_date = _first(ctx, "meta.place-date", head + tail)
    place, date = _date(place_date)
    number = num.group("number") if num else None
    _stamp_notices(ctx, ctx.norm.paras, [("number", num if number else None),
                                         ("date", place_date if date else None)])
    signer, on_behalf = _signer(ctx, tail)
    return Document(
        kind=kind,
        number=num.group("number").replace(" ", "") if num and num.group("number") else None,
        title=title,
        issuer=_with_place(ctx, _issuer(ctx, head, on_behalf), [title or "", *head], place),
        place=place,
        date=date,
        signer=signer,
        recipients=tuple(_recipients(ctx, tail)),
        references=tuple(references),
        signatures=tuple(signatures),
    )
