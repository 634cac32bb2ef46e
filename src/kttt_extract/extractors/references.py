"""Cited legal and party documents, one entry per distinct document with all its mentions."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

import regex

from kttt_extract.extractors import dates
from kttt_extract.extractors.agencies import canonical
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.spans import Hit, resolve_overlaps
from kttt_extract.model import Reference, Span
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Bound, Family, Pattern, Slots, Table, Words
from kttt_extract.ruleset.vocab import NoEmit, free_text
from kttt_extract.textnorm import fold_tones

_CODE_PART = regex.compile(r"[/\-]")
DEFAULT_KIND = "Công văn"  # a number whose code names no kind: an official letter
MAX_SUBJECT = 400  # characters: a cited document's subject runs to the end of its clause


class ReferenceRules(Slots):
    stage = "the references stage"
    citations = Family("references", NoEmit, groups=(
        "kind", "number", "d", "m", "y", "year", "name", "issuer", "of"))
    issuer_stop = Pattern("reference.issuer-stop")
    kind_codes = Table("reference.kind-codes", free_text)
    own_number = Pattern("meta.number", required=("number",))
    subject_end = Pattern("reference.subject-end")
    generic_kinds = Words("reference.generic-kinds")


Citation = Hit[Bound[NoEmit]]


@dataclass(frozen=True)
class Mention:
    """One citation in the text, its fields read and its end cut before the next citation."""

    start: int
    end: int
    rule: str
    kind: str
    number: str | None
    date: str | None
    issuer: str | None
    name: str | None
    text: str


@dataclass
class _Entry:
    kind: str
    number: str | None
    date: str | None
    issuer: str | None
    text: str
    rule: str
    spans: list[Span] = field(default_factory=list)


def _cut_issuer(raw: str, rules: RuleSet) -> str:
    """The issuer text up to the first stop word ("của UBND tỉnh về việc ..." -> "UBND tỉnh")."""
    m = ReferenceRules.of(rules).issuer_stop.search(raw, timeout=1.0)
    if m is not None:
        raw = raw[: m.start()]
    return raw.rstrip(" ,;-")


def issuer_name(raw: str | None, rules: RuleSet) -> str | None:
    """The issuer after "của", cut at the first stop word and canonicalised."""
    if not raw:
        return None
    cut = _cut_issuer(raw, rules).lstrip()
    return canonical(cut, rules) if cut else None


def _kind_word(raw: str) -> str:
    """`NGHỊ QUYẾT`, `nghị quyết` -> `Nghị quyết`."""
    low = " ".join(raw.split()).lower()
    return low[:1].upper() + low[1:]


def kind_of_number(number: str, rules: RuleSet) -> str | None:
    """The kind a document number's type code names (`392/TB-VPCP` -> Thông báo), if any."""
    table = ReferenceRules.of(rules).kind_codes
    for part in _CODE_PART.split(number):
        if part and not part.isdigit():
            return table.get(fold_tones(part).casefold())
    return None


def _kind(hit: Citation, number: str | None, rules: RuleSet, generic: frozenset[str]) -> str | None:
    written = hit.match.groupdict().get("kind")
    if written and fold_tones(" ".join(written.split())).casefold() not in generic:
        return _kind_word(written)
    return kind_of_number(number, rules) if number else None


def _date(g: dict[str, str]) -> str | None:
    if "y" in g and "m" in g and "d" in g:
        return dates.iso_day(int(g["y"]), int(g["m"]), int(g["d"]))
    return g.get("year")


def _before_joiner(text: str, pos: int) -> int:
    """Back from `pos` over spaces, punctuation and a joining "và"."""
    while pos > 0 and text[pos - 1] in " ,;-":
        pos -= 1
    if text[max(0, pos - 3):pos] == " và":
        pos -= 3
    return pos


def _hits(ctx: Context) -> list[Citation]:
    """Every match of every citation rule (overlapping), each ending where its issuer is cut:
    at a stop word, or where another citation starts inside it."""
    raw = [Hit(m.start(), m.end(), rule, m) for rule in ReferenceRules.of(ctx.rules).citations
           for m in ctx.finditer(rule, 0, len(ctx.text), overlapped=True)]
    starts = sorted({h.start for h in raw})
    out: list[Citation] = []
    for h in raw:
        end = h.end
        if h.match.groupdict().get("issuer"):
            end = h.match.start("issuer") + len(_cut_issuer(h.match.group("issuer"), ctx.rules))
            i = bisect_right(starts, h.match.start("issuer"))
            if i < len(starts) and starts[i] < end:  # a second citation: not the issuer's
                end = _before_joiner(ctx.text, starts[i])
        out.append(Hit(h.start, max(end, h.start + 1), h.rule, h.match))
    return out


def _own_number(ctx: Context) -> str | None:
    """The document's own number from its header line ("Số: 232/QĐ-TTg"), spaces removed."""
    pattern = ReferenceRules.of(ctx.rules).own_number
    first_section = ctx.sections[0].span[0] if ctx.sections else ctx.body_end
    for para in ctx.norm.paras:
        if para.span[0] >= first_section:
            break
        m = pattern.search(ctx.text, para.span[0], para.span[1], timeout=1.0)
        if m and m.group("number"):
            return "".join(m.group("number").split()).casefold()
    return None


def subjects(ctx: Context, found: list[Mention]) -> list[Span]:
    """What each numbered citation is about: from its start to the end of its clause, or to
    the next citation ("Quyết định số 150/QĐ-TTg ... về phê duyệt Chiến lược ... giai đoạn
    2021-2030;"). Names and periods read there belong to the cited document."""
    end_rule = ReferenceRules.of(ctx.rules).subject_end
    numbered = [m for m in found if m.number]
    out: list[Span] = []
    for i, m in enumerate(numbered):
        limit = min(numbered[i + 1].start if i + 1 < len(numbered) else len(ctx.text),
                    m.end + MAX_SUBJECT)
        stop = end_rule.search(ctx.text, m.end, limit, timeout=1.0)
        out.append((m.start, stop.start() if stop else limit))
    return out


def cited_spans(ctx: Context, found: list[Mention] | None = None) -> list[Span]:
    """Where the text speaks of other documents: the subjects of citations outside the
    document's own title (a plan "thực hiện Nghị quyết ... giai đoạn 2016-2020" shares that
    period) and the names of documents cited by name. Sorted by start."""
    found = mentions(ctx) if found is None else found
    title = (ctx.body_start, ctx.preamble_start)
    spans = [s for s in subjects(ctx, found) if not title[0] <= s[0] < title[1]]
    spans += [(m.start, m.end) for m in found if not m.number]
    return sorted(spans)


def _inside(spans: list[Span], starts: list[int], pos: int) -> bool:
    i = bisect_right(starts, pos) - 1
    return i >= 0 and spans[i][0] < pos < spans[i][1]


def mentions(ctx: Context) -> list[Mention]:
    """Every citation of the text in text order: not the document's own number, and not a
    document named inside another citation's subject."""
    found = _all_mentions(ctx)
    own = _own_number(ctx)
    found = [m for m in found if not (own and m.number and m.number.casefold() == own)]
    spans = subjects(ctx, found)
    starts = [s for s, _ in spans]
    return [m for m in found if m.number or not _inside(spans, starts, m.start)]


def _all_mentions(ctx: Context) -> list[Mention]:
    out: list[Mention] = []
    generic = frozenset(fold_tones(w).casefold()
                        for w in ReferenceRules.of(ctx.rules).generic_kinds)
    for hit in resolve_overlaps(_hits(ctx)):
        g = {k: v for k, v in hit.match.groupdict().items() if v}
        number = "".join(g["number"].split()) if "number" in g else None
        kind = _kind(hit, number, ctx.rules, generic) or DEFAULT_KIND
        issuer_end = hit.end if "issuer" in g else hit.match.end()
        issuer = ctx.text[hit.match.start("issuer"):issuer_end] if "issuer" in g else None
        text_end = hit.match.start("of") if "of" in g else hit.end
        text = " ".join(ctx.text[hit.start:text_end].split()).rstrip(" ,;")
        out.append(Mention(hit.start, hit.end, hit.rule.id, kind, number, _date(g),
                           issuer_name(issuer, ctx.rules), g.get("name"), text))
    return out


def _key(m: Mention) -> str:
    """One document, however cited: by number, else by name ("Luật Hợp tác xã năm 2012" and
    "Luật Hợp tác xã" are one law)."""
    if m.number:
        return f"{m.kind}|{m.number}".casefold()
    return f"{m.kind}|{' '.join((m.name or m.text).split())}".casefold()


def extract(ctx: Context, found: list[Mention] | None = None) -> list[Reference]:
    """References anywhere in the text (header and preamble included), merged by identity;
    `found` is `mentions(ctx)` when the caller has it already."""
    entries: dict[str, _Entry] = {}
    for m in mentions(ctx) if found is None else found:
        key = _key(m)
        entry = entries.get(key)
        if entry is not None and m.date and entry.date and m.date[:4] != entry.date[:4]:
            key = f"{key}|{m.date[:4]}"  # a law of the same name, another year
            entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _Entry(m.kind, m.number, m.date, m.issuer, m.text, m.rule)
        entry.issuer = entry.issuer or m.issuer
        if m.date and (not entry.date or len(m.date) > len(entry.date)):
            entry.date, entry.text = m.date, m.text
        entry.spans.append((m.start, m.end))
    return [Reference(kind=e.kind, number=e.number, date=e.date, issuer=e.issuer, text=e.text,
                      spans=tuple(e.spans), rule=e.rule) for e in entries.values()]
