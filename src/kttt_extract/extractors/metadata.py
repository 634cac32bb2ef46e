"""Document metadata from the regions: kind and title from the title, number, issuer, place and
date from the letterhead (the preamble only when the letterhead names no issuer), signer and
recipients from the closing block."""

from __future__ import annotations

from collections.abc import Sequence

import regex

from kttt_extract.extractors.agencies import canonical
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.dates import partial_iso
from kttt_extract.extractors.letterhead import cased, compose_issuer, header_cells, issuer_lines
from kttt_extract.model import Document, Notice, Para, Reference, Signature, SignerInfo
from kttt_extract.ruleset.slots import Matcher, Pattern, Rule, Slots, Table
from kttt_extract.ruleset.vocab import Emit, Shaped, free_text
from kttt_extract.textnorm import fold_tones

_NAME = regex.compile(r"(?:^|(?<=\s))(?:\p{Lu}\p{Ll}+\s+){1,4}\p{Lu}\p{Ll}+$")
_MARK = regex.compile(r"^[-+•*]\s*")
_ITEM_SPLIT = regex.compile(r"(?:^|[;.]\s*)-\s+")
_SIGN_PREFIX = regex.compile(r"^(?:KT|TM|T/M|T\.M|Q|TL|TUQ)\s*\.?\s*")
TAIL_LINES = 12  # where to look for a signature when no closing block was found


class LetterEmit(Emit):
    """The kind of document a letter's "V/v" line gives."""

    kind: str


class MetadataRules(Slots):
    stage = "the metadata reader"
    number = Pattern("meta.number", groups=("suffix",), required=("number",))
    place_date = Pattern("meta.place-date", groups=("d", "m"), required=("place", "y"))
    addressees = Pattern("meta.addressees")
    preamble = Pattern("body.start-preamble")
    kind_names = Table("meta.kind-names", free_text)
    title = Pattern("body.start-title", required=("kind",))
    letter = Rule("body.start-letter", LetterEmit, required=("title",))
    kind_codes = Matcher("meta.kind-codes", free_text)
    positions = Table("meta.positions", free_text)
    on_behalf = Pattern("meta.issuer-on-behalf", required=("issuer",))
    issuer_act = Pattern("meta.issuer-act", required=("issuer",))
    recipients_end = Pattern("meta.recipients-end")
    end = Pattern("body.end")
    issuer_levels = Matcher("meta.issuer-levels", Shaped(r"[^|]+(?:\|seat)?",
                                                         "a level word, or one and |seat"))


def _lines(ctx: Context, paras: Sequence[Para]) -> list[str]:
    return [ctx.text[p.span[0]:p.span[1]] for p in paras]


def _first(pattern: regex.Pattern[str], lines: Sequence[str]) -> regex.Match[str] | None:
    for line in lines:
        m = pattern.search(line, timeout=1.0)
        if m:
            return m
    return None


def _title_after(ctx: Context, paras: Sequence[Para]) -> str | None:
    """The title lines after the kind line: bold or centred lines, or the first line that is
    not a preamble, up to a rule line ("-----") or the preamble."""
    preamble = MetadataRules.of(ctx.rules).preamble
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
    rules = MetadataRules.of(ctx.rules)
    head = _lines(ctx, head_paras)
    for i, line in enumerate(head):
        m = rules.title.match(line)
        if m:
            kind = rules.kind_names.get(" ".join(fold_tones(m.group("kind")).split()).casefold())
            return kind, _title_after(ctx, head_paras[i + 1:])
    letter = _first(rules.letter.regex, head)
    if letter:
        title = [letter.group("title")]
        idx = head.index(letter.string)
        stops = [rules.place_date, rules.addressees, rules.number]
        for x in head[idx + 1:idx + 4]:
            if any(p.search(x) for p in stops):
                break
            title.append(x)
        return rules.letter.emit.kind, " ".join(title)
    return None, None


def _kind_from_code(ctx: Context, num: regex.Match[str] | None) -> str | None:
    """The kind a document number's code names ("2949/KH-UBND" is a Kế hoạch)."""
    if num is None:
        return None
    code = (num.group("number") or "") + (num.groupdict().get("suffix") or "")
    codes = MetadataRules.of(ctx.rules).kind_codes
    m = codes.regex.search(code)
    return codes.raw.get(m.group()) if m else None


def _date(m: regex.Match[str] | None) -> tuple[str | None, str | None]:
    if m is None:
        return None, None
    g = m.groupdict()
    return " ".join(g["place"].split()), partial_iso(g)


def _position(ctx: Context, caps: str) -> str | None:
    """The signing position a line of capitals ends with ("KT. THỦ TƯỚNG PHÓ THỦ TƯỚNG")."""
    positions = MetadataRules.of(ctx.rules).positions
    words = _SIGN_PREFIX.sub("", caps.strip()).split()
    for i in range(len(words)):
        key = " ".join(words[i:]).casefold()
        if key in positions:
            return positions[key]
    return None


def _signer(ctx: Context, tail: list[str]) -> tuple[SignerInfo, str | None]:
    name, position = None, None
    for line in tail:
        m = _NAME.search(line.strip())
        if m and not line.lstrip().startswith(("-", "+", "•")):
            name = m.group()
            head = line[:m.start()].strip()
        else:
            head = line.strip()
        if head and head.upper() == head:
            position = _position(ctx, head) or position
    behalf = _first(MetadataRules.of(ctx.rules).on_behalf, tail)
    on_behalf = behalf.group("issuer").strip() if behalf else None
    return SignerInfo(name=name, position=position), on_behalf


def _recipients(ctx: Context, tail: list[str]) -> list[str]:
    rules = MetadataRules.of(ctx.rules)
    stop, end = rules.recipients_end, rules.end
    out: list[str] = []
    started = False
    for line in tail:
        if not started:
            m = end.match(line) if end is not None else None
            if m is None:
                continue
            started = True
            line = line[m.end():]  # a flattened list on the same line: "Nơi nhận: - A; - B;"
            if not line.strip():
                continue
        items = [x for x in _ITEM_SPLIT.split(line) if x.strip()] if "-" in line else []
        if not items and out:
            break
        for item in items:
            text = item.strip(" ;,.")
            if stop and stop.match(text):
                return out
            if text:
                out.append(text)
    return out


def _with_next(cells: Sequence[str]) -> list[str]:
    """Cells, a bare "Số:" joined to the cell after it (the number on a line of its own)."""
    return [f"{c} {cells[i + 1]}" if c.rstrip(" :") == "Số" and i + 1 < len(cells) else c
            for i, c in enumerate(cells)]


def _letterhead_issuer(ctx: Context, lines: Sequence[str]) -> str | None:
    """The issuer the letterhead names (its lines of capitals), cased and canonical."""
    name = compose_issuer(ctx, lines)
    if not name:
        return None
    return canonical(cased(ctx, name), ctx.rules)


def _prose_issuer(ctx: Context, head: list[str], on_behalf: str | None) -> str | None:
    m = _first(MetadataRules.of(ctx.rules).issuer_act, head)
    if m:  # without an aside: "Ban Chỉ đạo ... (sau đây gọi tắt là Ban Chỉ đạo)"
        return canonical(regex.sub(r"\s*\(.*$", "", m.group("issuer")), ctx.rules)
    if on_behalf:
        return canonical(cased(ctx, on_behalf), ctx.rules)
    return None


def _with_place(ctx: Context, issuer: str | None, texts: Sequence[str], place: str | None
                ) -> str | None:
    """Name the place of an issuer that gives only its level ("Ủy ban nhân dân huyện" in a
    plan of huyện Vĩnh Linh): from "<level> <Place>" in the title or header, else, for a
    level whose seat names the place of issue (rule `meta.issuer-levels`), from that place."""
    if not issuer:
        return issuer
    levels = MetadataRules.of(ctx.rules).issuer_levels
    ends = list(levels.regex.finditer(issuer))
    if not ends or ends[-1].end() != len(issuer):
        return issuer
    level = levels.table[fold_tones(ends[-1].group()).casefold()]
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
        if m is not None and any(m.group().strip() in line for line in stamped):
            ctx.notices.append(Notice(code="stamp-metadata",
                                      message=f"{what} read from the e-signature stamp"))


def extract(ctx: Context, references: Sequence[Reference],
            signatures: Sequence[Signature] = ()) -> Document:
    """The `document` object of the contract."""
    head_paras = ctx.paras_of("header", "title")
    head = _lines(ctx, head_paras)
    cells = header_cells(ctx, head_paras)
    closing = ctx.paras_of("closing")
    if not closing:
        closing = [p for p in ctx.norm.paras if p.kind != "table_row"][-TAIL_LINES:]
    tail = _lines(ctx, closing)
    rules = MetadataRules.of(ctx.rules)
    kind, title = _kind_and_title(ctx, head_paras)
    num = _first(rules.number, _with_next(cells))
    kind = kind or _kind_from_code(ctx, num)
    place_date = _first(rules.place_date, [*cells, *tail])
    place, date = _date(place_date)
    number = num.group("number") if num else None
    _stamp_notices(ctx, ctx.norm.paras, [("number", num if number else None),
                                         ("date", place_date if date else None)])
    signer, on_behalf = _signer(ctx, tail)
    body_head = _lines(ctx, ctx.paras_of("body")[:6])
    letterhead = issuer_lines(ctx, header_cells(ctx, ctx.paras_of("header")))
    damaged = place is not None and any(x.casefold() == place.casefold() for x in letterhead)
    prose = _prose_issuer(ctx, head + body_head, on_behalf)
    issuer = ((damaged and prose) or _letterhead_issuer(ctx, letterhead) or prose)
    return Document(
        kind=kind,
        number=number.replace(" ", "") if number else None,
        title=title,
        issuer=_with_place(ctx, issuer, [title or "", *head], place),
        place=place,
        date=date,
        signer=signer,
        recipients=tuple(_recipients(ctx, tail)),
        references=tuple(references),
        signatures=tuple(signatures),
    )
