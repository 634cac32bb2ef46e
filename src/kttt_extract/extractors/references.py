"""Cited legal and party documents, one entry per distinct document with all its mentions."""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from kttt_extract.extractors import dates
from kttt_extract.extractors.agencies import canonical
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.spans import Hit, resolve_overlaps
from kttt_extract.model import Reference, Span
from kttt_extract.ruleset import RuleSet


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
    stop = rules.get("reference.issuer-stop").regex
    if stop is not None:
        m = stop.search(raw, timeout=1.0)
        if m is not None:
            raw = raw[: m.start()]
    return raw.rstrip(" ,;-")


def _end(m: regex.Match[str], rules: RuleSet) -> int:
    """Where a reference mention ends: after its issuer as cut, so that a citation named
    further on ("... ban hành Kế hoạch thực hiện Chương trình số 47-CTr/TU") stays free."""
    if not m.groupdict().get("issuer"):
        return m.end()
    return m.start("issuer") + len(_cut_issuer(m.group("issuer"), rules))


def issuer_name(raw: str | None, rules: RuleSet) -> str | None:
    """The issuer after "của", cut at the first stop word and canonicalised."""
    if not raw:
        return None
    cut = _cut_issuer(raw, rules).lstrip()
    return canonical(cut, rules) if cut else None


def _fields(hit: Hit, rules: RuleSet) -> tuple[str, str | None, str | None, str | None]:
    g = {k: v for k, v in hit.match.groupdict().items() if v}
    kind = " ".join(g["kind"].split())
    kind = kind[:1].upper() + kind[1:]
    number = g.get("number")
    date = None
    if "y" in g and "m" in g and "d" in g:
        date = dates.iso_day(int(g["y"]), int(g["m"]), int(g["d"]))
    elif "year" in g:
        date = g["year"]
    return kind, number, date, issuer_name(g.get("issuer"), rules)


def _key(kind: str, number: str | None, name: str | None, text: str) -> str:
    """One document, however cited: by number, else by name ("Luật Hợp tác xã năm 2012" and
    "Luật Hợp tác xã" are one law)."""
    if number:
        return f"{kind}|{number}".casefold()
    return f"{kind}|{' '.join((name or text).split())}".casefold()


def extract(ctx: Context) -> list[Reference]:
    """References anywhere in the text (header and preamble included), merged by identity."""
    hits = [Hit(m.start(), _end(m, ctx.rules), rule, m) for rule in ctx.rules.of("references")
            if rule.regex is not None and not rule.rule.emit.get("lookup")
            for m in ctx.finditer(rule, 0, len(ctx.text), overlapped=True)]
    entries: dict[str, _Entry] = {}
    for hit in resolve_overlaps(hits):
        kind, number, date, issuer = _fields(hit, ctx.rules)
        text = _mention_text(hit)
        key = _key(kind, number, hit.match.groupdict().get("name"), text)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = _Entry(kind, number, date, issuer, text, hit.rule.id)
        entry.date = entry.date or date
        entry.issuer = entry.issuer or issuer
        if date and entry.date and len(date) > len(entry.date):
            entry.date, entry.text = date, text
        entry.spans.append((hit.start, hit.end))
    return [Reference(kind=e.kind, number=e.number, date=e.date, issuer=e.issuer, text=e.text,
                      spans=tuple(e.spans), rule=e.rule) for e in entries.values()]


def _mention_text(hit: Hit) -> str:
    """The mention without its issuer clause (which starts at the pattern's `of` group)."""
    m = hit.match
    end = m.start("of") if m.groupdict().get("of") else m.end()
    return " ".join(m.string[m.start():end].split()).rstrip(" ,;")
