"""Document metadata from the header and the closing block: kind, number, title, issuer,
place, date, signer, recipients."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from kttt_extract.extract.agencies import canonical
from kttt_extract.extract.context import Context
from kttt_extract.model import Document, Para, Reference, Signature, SignerInfo
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


def _kind_and_title(ctx: Context, head: list[str]) -> tuple[str | None, str | None]:
    table = ctx.rules.table("meta.kind-names")
    title_rule = ctx.rules.get("body.start-title").regex
    preamble = ctx.rules.get("body.start-preamble").regex
    for i, line in enumerate(head):
        m = title_rule.match(line) if title_rule else None
        if m:
            kind = table.get(" ".join(fold_tones(m.group("kind")).split()).casefold())
            rest = [x for x in head[i + 1:i + 4]]
            title = []
            for x in rest:
                if preamble and preamble.match(x) or x.startswith(("I.", "I-", "1.")):
                    break
                title.append(x)
            return kind, " ".join(title).strip() or None
    letter = _first(ctx, "body.start-letter", head)
    if letter:
        title = [letter.group("title")]
        idx = head.index(letter.string)
        place = ctx.rules.get("meta.place-date").regex
        for x in head[idx + 1:idx + 4]:
            if (place and place.search(x)) or x.startswith(("Kính gửi", "Số")):
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


def extract(ctx: Context, references: Sequence[Reference],
            signatures: Sequence[Signature] = ()) -> Document:
    """The `document` object of the contract."""
    first_section = ctx.sections[0].span[0] if ctx.sections else ctx.body_end
    head = _lines(ctx, [p for p in ctx.norm.paras if p.span[0] < first_section])
    tail = _lines(ctx, [p for p in ctx.norm.paras if p.span[0] >= ctx.body_end])
    kind, title = _kind_and_title(ctx, head)
    num = _first(ctx, "meta.number", head)
    place, date = _date(_first(ctx, "meta.place-date", head + tail))
    signer, on_behalf = _signer(ctx, tail)
    return Document(
        kind=kind,
        number=num.group("number").replace(" ", "") if num and num.group("number") else None,
        title=title,
        issuer=_issuer(ctx, head, on_behalf),
        place=place,
        date=date,
        signer=signer,
        recipients=tuple(_recipients(ctx, tail)),
        references=tuple(references),
        signatures=tuple(signatures),
    )
