"""Targets: every figure that is aimed at, with its indicator, unit, comparator and horizon.

A figure is no target where it is a year, a label or a name (Điều 54, Phường 2, Km186+819), a
duration or an age, a count of the text's own items (13 chỉ tiêu, gồm 04 sản phẩm), a set the
text already named (02 dự án nêu trên), or a fact of a report (aims.py). Its year comes from
the horizons around it (horizons.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

from kttt_extract.extractors.aims import Aims
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.horizons import Horizons
from kttt_extract.extractors.numbers import parse_number, scale
from kttt_extract.extractors.spans import Hit, resolve_overlaps
from kttt_extract.extractors.timeframe import Frame, read_frame
from kttt_extract.model import Comparator, Metric, Target
from kttt_extract.ruleset import RuleSet
from kttt_extract.textnorm import fold_tones

_SENTENCE_END = regex.compile(r"\.(?=\s+\p{Lu})|\n")
_CLAUSE_END = regex.compile(r"[;.:](?=\s|$)|\n")
_INDICATOR_END = regex.compile(r"[,;.:()/\n]|\s[-–]\s")
_NAME_WORD = regex.compile(r"(\p{Lu}\p{Ll}+)\s*$")  # a capitalised word just before a figure
_NEXT_WORDS = regex.compile(r"\s*([\p{L}]+(?:\s+[\p{L}]+){0,2})")
MAX_INDICATOR_WORDS = 14
LOOK_BACK = 60
LOOK_AHEAD = 40


@dataclass(frozen=True)
class Clause:
    start: int
    end: int


def _last_end(pattern: regex.Pattern[str], text: str, lo: int, pos: int) -> int:
    """End of the last match of `pattern` in text[lo:pos], or `lo`; scans back from `pos`."""
    step = 80
    hi = pos
    while hi > lo:
        a = max(lo, hi - step)
        found = [m.end() for m in pattern.finditer(text, a, pos)]
        if found:
            return found[-1]
        hi, step = a, step * 2
    return lo


def _clause(text: str, pos: int, lo: int, hi: int) -> Clause:
    m = _CLAUSE_END.search(text, pos, hi)
    return Clause(_last_end(_CLAUSE_END, text, lo, pos), m.start() if m else hi)


def _sentence(text: str, pos: int, lo: int, hi: int) -> tuple[int, int]:
    m = _SENTENCE_END.search(text, pos, hi)
    return _last_end(_SENTENCE_END, text, lo, pos), (m.start() if m else hi)


def _rx(rules: RuleSet, rule_id: str) -> regex.Pattern[str]:
    """The compiled pattern of a helper rule (every such rule has one)."""
    pattern = rules.get(rule_id).regex
    if pattern is None:  # pragma: no cover - the schema requires a pattern for these ids
        raise KeyError(rule_id)
    return pattern


def _search(rules: RuleSet, rule_id: str, text: str, pos: int = 0,
            endpos: int | None = None) -> bool:
    """Search a short window (the rules are linted for speed; a timeout would cost more than
    the search here)."""
    pattern = rules.get(rule_id).regex
    end = len(text) if endpos is None else endpos
    return bool(pattern and pattern.search(text, pos, end))


def _match(rules: RuleSet, rule_id: str, text: str, pos: int, endpos: int) -> bool:
    pattern = rules.get(rule_id).regex
    return bool(pattern and pattern.match(text, pos, endpos))


def _words_in(rules: RuleSet, rule_id: str) -> frozenset[str]:
    return frozenset(fold_tones(w).casefold() for w in rules.words(rule_id))


def _figure_end(hit: Hit) -> int:
    """Where the digits (and any multiplier) of a count end, before its noun."""
    m = hit.match
    for group in ("mult", "of", "v2", "v"):
        if group in m.re.groupindex and m.group(group):
            return m.end(group)
    return hit.end


@dataclass
class _Reader:
    """What the targets of one document are read with."""

    ctx: Context
    horizons: Horizons
    aims: Aims
    not_unit: frozenset[str]
    list_count: frozenset[str]

    @classmethod
    def of(cls, ctx: Context, frame: Frame) -> _Reader:
        return cls(ctx, Horizons(ctx, frame.plan_year), Aims(ctx, frame.plan_year),
                   _words_in(ctx.rules, "target.not-unit"),
                   _words_in(ctx.rules, "target.list-count"))


def _not_a_count(reader: _Reader, hit: Hit, clause: Clause) -> bool:
    """A year, a duration or age, a name or code, a count of the text's own items, a set
    already named."""
    text, rules = reader.ctx.text, reader.ctx.rules
    g = hit.match.groupdict()
    if g.get("v") and 1900 <= parse_number(g["v"]) <= 2100 and "." not in g["v"]:
        return True
    if g.get("of") and int(g["of"]) < parse_number(g["v"]):
        return True  # "30/11" is a day, not 30 of 11
    end = _figure_end(hit)
    if _match(rules, "target.not-after", text, end, min(end + 20, clause.end)):
        return True
    nxt = _NEXT_WORDS.match(text, end, clause.end)
    if nxt is not None:
        words = fold_tones(nxt.group(1)).casefold().split()
        heads = {" ".join(words[:n]) for n in range(1, len(words) + 1)}
        if words[0] in reader.not_unit or heads & reader.list_count:
            return True
    lo = max(clause.start, hit.start - LOOK_BACK)
    if _search(rules, "target.list-intro", text, lo, hit.start) or _search(
            rules, "target.possessed", text, lo, hit.start):
        return True
    if _match(rules, "target.definite", text, end, min(end + LOOK_AHEAD, clause.end)):
        return True
    return _after_a_name(text, clause, hit.start)


def _after_a_name(text: str, clause: Clause, start: int) -> bool:
    """A figure right after a capitalised word inside a clause is part of a name ("xã Bảo
    Lâm 2", "Phường 2 Bảo Lộc"), unless that word opens the clause."""
    m = _NAME_WORD.search(text, max(clause.start, start - 30), start)
    if m is None:
        return False
    opening = text[clause.start:m.start()].strip(" -+•*\t")
    return bool(opening) and opening[-1:] not in ",;:"


def _excluded(reader: _Reader, hit: Hit, clause: Clause) -> bool:
    ctx = reader.ctx
    if hit.emit.get("metric") == "count" and _not_a_count(reader, hit, clause):
        return True
    before = ctx.text[max(clause.start, hit.start - LOOK_BACK):hit.start].rstrip(" (")
    return _search(ctx.rules, "target.not-before", before)


def _comparator(ctx: Context, hit: Hit, clause: Clause) -> Comparator:
    if hit.match.groupdict().get("v2"):
        return "range"
    table = ctx.rules.table("target.comparators")
    after = ctx.text[hit.end:min(hit.end + LOOK_AHEAD, clause.end)].casefold()
    for word, value in ctx.rules.table("target.comparators-after").items():
        if word in after[:25]:
            return value  # type: ignore[return-value]
    before = ctx.text[max(clause.start, hit.start - 25):hit.start].casefold().rstrip()
    best: tuple[int, str] | None = None
    for word, value in table.items():
        if before.endswith(word) and (best is None or len(word) > best[0]):
            best = (len(word), value)
    return best[1] if best else "eq"  # type: ignore[return-value]


def _words_after(ctx: Context, start: int, end: int) -> str:
    stop = ctx.rules.get("target.indicator-stop").regex
    m = _INDICATOR_END.search(ctx.text, start, end)
    stretch = ctx.text[start:m.start() if m else end]
    if stop is not None:
        s = stop.search(stretch, 1) if len(stretch) > 1 else None
        if s is not None:
            stretch = stretch[: s.start()]
    words = stretch.split()[:MAX_INDICATOR_WORDS]
    return " ".join(words).strip(" ,")


def _words_before(ctx: Context, clause: Clause, start: int) -> str:
    lo = max(clause.start, start - 200)
    stretch = " ".join(ctx.text[lo:start].split()[-MAX_INDICATOR_WORDS:])
    trim = ctx.rules.get("target.indicator-trim").regex
    if trim is not None:
        for _ in range(2):
            stretch = trim.sub("", stretch).strip(" ,-")
    return stretch


def _indicator(ctx: Context, hit: Hit, clause: Clause) -> str | None:
    after = ctx.text[hit.end:min(clause.end, hit.end + 200)]
    if hit.emit.get("metric") == "count" or (
            after[:1] == " " and after[1:2].isalpha()
            and not _match(ctx.rules, "target.indicator-stop", after, 1, len(after))):
        words = _words_after(ctx, hit.end, clause.end)
        if words:
            return words
    before = _words_before(ctx, clause, hit.start)
    return before or None


def _unit(ctx: Context, metric: str, indicator: str | None) -> tuple[str | None, str]:
    if metric != "count":
        return None, metric
    if not indicator:
        return None, "other"
    table = ctx.rules.table("target.units")
    low = indicator.casefold()
    best = max((k for k in table if low == k or low.startswith(k + " ")), key=len, default=None)
    if best is not None:
        return indicator[: len(best)], table[best]
    return indicator.split()[0], "count"


def _value(ctx: Context, hit: Hit) -> tuple[float, float | None]:
    g = hit.match.groupdict()
    table = ctx.rules.table("number.multipliers")
    mult = (g.get("mult") or "").casefold() or None
    v = scale(parse_number(g["v"]), mult, table)
    v2 = scale(parse_number(g["v2"]), mult, table) if g.get("v2") else None
    return v, v2


def _metric(ctx: Context, hit: Hit, clause: Clause) -> Metric:
    """Percent, or growth_rate for "%/năm" and for "hàng năm tăng (từ) 10%"."""
    metric: Metric = hit.emit["metric"]
    if metric != "percent":
        return metric
    if hit.match.groupdict().get("rate"):
        return "growth_rate"
    lo = max(clause.start, hit.start - 200)
    if _search(ctx.rules, "target.yearly", ctx.text, lo, hit.start) and _search(
            ctx.rules, "target.growth-cue", ctx.text, lo, hit.start):
        return "growth_rate"
    return metric


def build(reader: _Reader, hit: Hit, lo: int, hi: int, n: int,
          found: list[regex.Match[str]]) -> Target | None:
    """A Target from a candidate hit inside paragraph [lo, hi), or None if it is no target."""
    ctx = reader.ctx
    clause = _clause(ctx.text, hit.start, lo, hi)
    if _excluded(reader, hit, clause):
        return None
    s, e = _sentence(ctx.text, hit.start, lo, hi)
    if reader.aims.is_fact(hit.start, (s, e)):
        return None
    metric = _metric(ctx, hit, clause)
    indicator = _indicator(ctx, hit, clause)
    unit, unit_metric = _unit(ctx, metric, indicator)
    if metric == "count" and unit is None:
        return None
    value, value_max = _value(ctx, hit)
    period_m = _rx(ctx.rules, "target.period").search(ctx.text, s, e)
    period = None
    if period_m:
        y2 = int(period_m.group("y2"))
        period = (int(period_m.group("y1")), y2 + 2000 if y2 < 100 else y2)
    baseline = _rx(ctx.rules, "target.baseline").search(ctx.text, s, e)
    clause_text = ctx.text[clause.start:clause.end]
    fields: dict[str, Any] = {
        "metric": unit_metric if metric == "count" else metric,
        "unit": unit if metric == "count" else hit.emit.get("unit"),
    }
    return Target(
        id=f"t{n}", text=clause_text.strip(), span=(hit.start, hit.end),
        section=ctx.section_id(hit.start), rule=hit.rule.id, indicator=indicator,
        value=value, value_max=value_max, comparator=_comparator(ctx, hit, clause),
        year=reader.horizons.year(hit.start, hit.end, lo, hi, found), period=period,
        recurrence=("yearly" if metric == "growth_rate"
                    or _search(ctx.rules, "target.yearly", clause_text) else None),
        baseline_year=int(baseline.group("y")) if baseline else None, **fields,
    )


def extract(ctx: Context, frame: Frame | None = None) -> list[Target]:
    """Targets of the body, paragraph by paragraph; `frame` gives the plan's year (read from
    the document when not given)."""
    frame = frame or read_frame(ctx)
    reader = _Reader.of(ctx, frame)
    out: list[Target] = []
    candidates = [r for r in ctx.rules.of("targets") if "metric" in r.rule.emit]
    for para in ctx.body_paras():
        lo, hi = para.span
        hits = resolve_overlaps([Hit(m.start(), m.end(), rule, m) for rule in candidates
                                 for m in ctx.finditer(rule, lo, hi)])
        found = reader.horizons.enter(lo, hi, hits[0].start if hits else None)
        for hit in hits:
            target = build(reader, hit, lo, hi, len(out) + 1, found)
            if target is not None:
                out.append(target)
    return out
