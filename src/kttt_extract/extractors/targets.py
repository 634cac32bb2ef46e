"""Targets: every figure that is aimed at, with its indicator, unit, comparator and horizon."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.extractors.numbers import parse_number, scale
from kttt_extract.extractors.spans import Hit, resolve_overlaps
from kttt_extract.model import Comparator, Metric, Target
from kttt_extract.ruleset import RuleSet

_SENTENCE_END = regex.compile(r"\.(?=\s+\p{Lu})|\n")
_CLAUSE_END = regex.compile(r"[;.:](?=\s|$)|\n")
_INDICATOR_END = regex.compile(r"[,;.:()\n]|\s[-–]\s")
MAX_INDICATOR_WORDS = 14


@dataclass(frozen=True)
class Clause:
    start: int
    end: int


def _clause(text: str, pos: int, lo: int, hi: int) -> Clause:
    starts = [m.end() for m in _CLAUSE_END.finditer(text, lo, pos)]
    m = _CLAUSE_END.search(text, pos, hi)
    return Clause(starts[-1] if starts else lo, m.start() if m else hi)


def _sentence(text: str, pos: int, lo: int, hi: int) -> tuple[int, int]:
    starts = [m.end() for m in _SENTENCE_END.finditer(text, lo, pos)]
    m = _SENTENCE_END.search(text, pos, hi)
    return (starts[-1] if starts else lo), (m.start() if m else hi)


def _excluded(ctx: Context, hit: Hit, clause: Clause) -> bool:
    text = ctx.text
    before = text[max(clause.start, hit.start - 60):hit.start]
    text[hit.end:hit.end + 30]
    rules = ctx.rules
    if hit.emit.get("metric") == "count":
        value = parse_number(hit.match.group("v"))
        if 1900 <= value <= 2100 and "." not in hit.match.group("v"):
            return True
        if _matches(rules, "target.not-after", text[hit.match.end("v2") if hit.match.group("v2")
                                                         else hit.match.end("v"):][:20]):
            return True
    if _search(rules, "target.not-before", before.rstrip(" (")):
        return True
    past = text[clause.start:hit.start]
    return _search(rules, "target.past-report", past) and not _search(rules, "target.aimed", past)


def _rx(rules: RuleSet, rule_id: str) -> regex.Pattern[str]:
    """The compiled pattern of a helper rule (every such rule has one)."""
    pattern = rules.get(rule_id).regex
    if pattern is None:  # pragma: no cover - the schema requires a pattern for these ids
        raise KeyError(rule_id)
    return pattern


def _matches(rules: RuleSet, rule_id: str, text: str) -> bool:
    pattern = rules.get(rule_id).regex
    return bool(pattern and pattern.match(text, timeout=1.0))


def _search(rules: RuleSet, rule_id: str, text: str) -> bool:
    pattern = rules.get(rule_id).regex
    return bool(pattern and pattern.search(text, timeout=1.0))


def _comparator(ctx: Context, hit: Hit, clause: Clause) -> Comparator:
    if hit.match.groupdict().get("v2"):
        return "range"
    table = ctx.rules.table("target.comparators")
    after = ctx.text[hit.end:min(hit.end + 40, clause.end)].casefold()
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
        s = stop.search(stretch, 1, timeout=1.0) if len(stretch) > 1 else None
        if s is not None:
            stretch = stretch[: s.start()]
    words = stretch.split()[:MAX_INDICATOR_WORDS]
    return " ".join(words).strip(" ,")


def _words_before(ctx: Context, clause: Clause, start: int) -> str:
    stretch = " ".join(ctx.text[clause.start:start].split()[-MAX_INDICATOR_WORDS:])
    trim = ctx.rules.get("target.indicator-trim").regex
    if trim is not None:
        for _ in range(2):
            stretch = trim.sub("", stretch).strip(" ,-")
    return stretch


def _indicator(ctx: Context, hit: Hit, clause: Clause) -> str | None:
    after = ctx.text[hit.end:clause.end]
    if hit.emit.get("metric") == "count" or (
            after[:1] == " " and after[1:2].isalpha()
            and not _matches(ctx.rules, "target.indicator-stop", after.lstrip())):
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


def _horizon(ctx: Context, hit: Hit, lo: int, hi: int) -> tuple[int | None, tuple[int, int] | None]:
    text = ctx.text
    s, e = _sentence(text, hit.start, lo, hi)
    horizon = _rx(ctx.rules, "target.horizon")
    period_m = _rx(ctx.rules, "target.period").search(text, s, e)
    period = None
    if period_m:
        y2 = int(period_m.group("y2"))
        period = (int(period_m.group("y1")), y2 + 2000 if y2 < 100 else y2)
    baseline_spans = [m.span() for m in _rx(ctx.rules, "target.baseline").finditer(text, s, e)]
    years = [m for m in horizon.finditer(text, lo, e)
             if not any(a <= m.start("y") < b for a, b in baseline_spans)
             and not (period_m and period_m.start() <= m.start() < period_m.end())]
    in_sentence = [m for m in years if m.start() >= s]
    before = [m for m in in_sentence if m.start() < hit.start]
    pick = before[-1] if before else (in_sentence[0] if in_sentence else None)
    if pick is None and years:
        pick = years[-1]
    if pick is not None:
        return int(pick.group("y")), period
    for section in ctx.index.chain(hit.start):
        m = horizon.search(section.heading)
        if m:
            return int(m.group("y")), period
    return None, period


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
    before = ctx.text[clause.start:hit.start]
    if _search(ctx.rules, "target.yearly", before) and _search(ctx.rules, "target.growth-cue",
                                                                before):
        return "growth_rate"
    return metric


def build(ctx: Context, hit: Hit, lo: int, hi: int, n: int) -> Target | None:
    """A Target from a candidate hit inside paragraph [lo, hi), or None if it is no target."""
    clause = _clause(ctx.text, hit.start, lo, hi)
    if _excluded(ctx, hit, clause):
        return None
    metric = _metric(ctx, hit, clause)
    indicator = _indicator(ctx, hit, clause)
    unit, unit_metric = _unit(ctx, metric, indicator)
    if metric == "count" and unit is None:
        return None
    value, value_max = _value(ctx, hit)
    year, period = _horizon(ctx, hit, lo, hi)
    s, e = _sentence(ctx.text, hit.start, lo, hi)
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
        year=year, period=period,
        recurrence=("yearly" if metric == "growth_rate"
                    or _search(ctx.rules, "target.yearly", clause_text) else None),
        baseline_year=int(baseline.group("y")) if baseline else None, **fields,
    )


def extract(ctx: Context) -> list[Target]:
    """Targets of the body, paragraph by paragraph."""
    out: list[Target] = []
    candidates = [r for r in ctx.rules.of("targets") if "metric" in r.rule.emit]
    for para in ctx.body_paras():
        lo, hi = para.span
        hits = [Hit(m.start(), m.end(), rule, m) for rule in candidates
                for m in ctx.finditer(rule, lo, hi)]
        for hit in resolve_overlaps(hits):
            target = build(ctx, hit, lo, hi, len(out) + 1)
            if target is not None:
                out.append(target)
    return out
