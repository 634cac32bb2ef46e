"""Targets: every figure that is aimed at, with its indicator, unit, comparator and horizon.

A figure is no target where it is a year, a label or a name (Điều 54, Phường 2, Km186+819), a
duration or an age, a count of the text's own items (13 chỉ tiêu, gồm 04 sản phẩm), a set the
text already named (02 dự án nêu trên), or a fact of a report (aims.py). Its year comes from
the horizons around it (horizons.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import regex

from kttt_extract.extractors.aims import Aims
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.horizons import Horizons
from kttt_extract.extractors.numbers import parse_number, scale
from kttt_extract.extractors.restated import without_restatements
from kttt_extract.extractors.spans import Hit, resolve_overlaps
from kttt_extract.extractors.timeframe import Frame, read_frame
from kttt_extract.model import Comparator, Metric, Para, Target
from kttt_extract.ruleset.slots import Bound, Family, Pattern, Slots, Table, Words
from kttt_extract.ruleset.vocab import Choice, Emit, number
from kttt_extract.textnorm import fold_tones

COMPARATORS: tuple[Comparator, ...] = get_args(Comparator)
METRICS: tuple[Metric, ...] = get_args(Metric)

_SENTENCE_END = regex.compile(r"\.(?=\s+\p{Lu})|\n")
_CLAUSE_END = regex.compile(r"[;.:](?=\s|$)|\n")
_INDICATOR_END = regex.compile(r"[,;.:()/\n]|\s[-–]\s")
_NAME_WORD = regex.compile(r"(\p{Lu}\p{Ll}+)\s*$")  # a capitalised word just before a figure
_NEXT_WORDS = regex.compile(r"\s*([\p{L}]+(?:\s+[\p{L}]+){0,2})")
MAX_INDICATOR_WORDS = 14
LOOK_BACK = 60
LOOK_AHEAD = 40


class TargetEmit(Emit):
    """What a figure rule gives: the metric, and the unit of a figure that is not a count."""

    metric: Metric
    unit: str | None = None


class TargetRules(Slots):
    stage = "the targets stage"
    figures = Family("targets", TargetEmit, marker="metric", required=("v",),
                     groups={"v2": (), "mult": (), "of": (), "rate": ()})
    not_unit = Words("target.not-unit")
    list_count = Words("target.list-count")
    not_before = Pattern("target.not-before")
    not_after = Pattern("target.not-after")
    list_intro = Pattern("target.list-intro")
    possessed = Pattern("target.possessed")
    definite = Pattern("target.definite")
    comparators = Table("target.comparators", Choice(COMPARATORS))
    comparators_after = Table("target.comparators-after", Choice(COMPARATORS))
    indicator_stop = Pattern("target.indicator-stop")
    indicator_trim = Pattern("target.indicator-trim")
    units = Table("target.units", Choice(METRICS))
    multipliers = Table("number.multipliers", number)
    period = Pattern("target.period", required=("y1", "y2"))
    baseline = Pattern("target.baseline", required=("y",))
    yearly = Pattern("target.yearly")
    growth_cue = Pattern("target.growth-cue")


Figure = Hit[Bound[TargetEmit]]


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


def _search(pattern: regex.Pattern[str], text: str, pos: int = 0,
            endpos: int | None = None) -> bool:
    """Search a short window (the rules are linted for speed; a timeout would cost more than
    the search here)."""
    end = len(text) if endpos is None else endpos
    return bool(pattern.search(text, pos, end))


def _match(pattern: regex.Pattern[str], text: str, pos: int, endpos: int) -> bool:
    return bool(pattern.match(text, pos, endpos))


def _folded(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fold_tones(w).casefold() for w in words)


def _figure_end(hit: Figure) -> int:
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
    rules: TargetRules
    horizons: Horizons
    aims: Aims
    not_unit: frozenset[str]
    list_count: frozenset[str]

    @classmethod
    def of(cls, ctx: Context, frame: Frame) -> _Reader:
        rules = TargetRules.of(ctx.rules)
        return cls(ctx, rules, Horizons(ctx, frame.plan_year), Aims(ctx, frame.plan_year),
                   _folded(rules.not_unit), _folded(rules.list_count))


def _not_a_count(reader: _Reader, hit: Figure, clause: Clause) -> bool:
    """A year, a duration or age, a name or code, a count of the text's own items, a set
    already named."""
    text, rules = reader.ctx.text, reader.rules
    g = hit.match.groupdict()
    if g.get("v") and 1900 <= parse_number(g["v"]) <= 2100 and "." not in g["v"]:
        return True
    if g.get("of") and int(g["of"]) < parse_number(g["v"]):
        return True  # "30/11" is a day, not 30 of 11
    end = _figure_end(hit)
    if _match(rules.not_after, text, end, min(end + 20, clause.end)):
        return True
    nxt = _NEXT_WORDS.match(text, end, clause.end)
    if nxt is not None:
        words = fold_tones(nxt.group(1)).casefold().split()
        heads = {" ".join(words[:n]) for n in range(1, len(words) + 1)}
        if words[0] in reader.not_unit or heads & reader.list_count:
            return True
    lo = max(clause.start, hit.start - LOOK_BACK)
    if _search(rules.list_intro, text, lo, hit.start) or _search(
            rules.possessed, text, lo, hit.start):
        return True
    if _match(rules.definite, text, end, min(end + LOOK_AHEAD, clause.end)):
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


def _excluded(reader: _Reader, hit: Figure, clause: Clause) -> bool:
    ctx = reader.ctx
    if hit.rule.emit.metric == "count" and _not_a_count(reader, hit, clause):
        return True
    before = ctx.text[max(clause.start, hit.start - LOOK_BACK):hit.start].rstrip(" (")
    return _search(reader.rules.not_before, before)


def _comparator(reader: _Reader, hit: Figure, clause: Clause) -> Comparator:
    if hit.match.groupdict().get("v2"):
        return "range"
    text = reader.ctx.text
    after = text[hit.end:min(hit.end + LOOK_AHEAD, clause.end)].casefold()
    for word, value in reader.rules.comparators_after.items():
        if word in after[:25]:
            return value
    before = text[max(clause.start, hit.start - 25):hit.start].casefold().rstrip()
    best: tuple[int, Comparator] | None = None
    for word, value in reader.rules.comparators.items():
        if before.endswith(word) and (best is None or len(word) > best[0]):
            best = (len(word), value)
    return best[1] if best else "eq"


def _words_after(reader: _Reader, start: int, end: int) -> str:
    text = reader.ctx.text
    m = _INDICATOR_END.search(text, start, end)
    stretch = text[start:m.start() if m else end]
    s = reader.rules.indicator_stop.search(stretch, 1) if len(stretch) > 1 else None
    if s is not None:
        stretch = stretch[: s.start()]
    words = stretch.split()[:MAX_INDICATOR_WORDS]
    return " ".join(words).strip(" ,")


def _words_before(reader: _Reader, clause: Clause, start: int) -> str:
    lo = max(clause.start, start - 200)
    stretch = " ".join(reader.ctx.text[lo:start].split()[-MAX_INDICATOR_WORDS:])
    for _ in range(2):
        stretch = reader.rules.indicator_trim.sub("", stretch).strip(" ,-")
    return stretch


def _indicator(reader: _Reader, hit: Figure, clause: Clause) -> str | None:
    after = reader.ctx.text[hit.end:min(clause.end, hit.end + 200)]
    if hit.rule.emit.metric == "count" or (
            after[:1] == " " and after[1:2].isalpha()
            and not _match(reader.rules.indicator_stop, after, 1, len(after))):
        words = _words_after(reader, hit.end, clause.end)
        if words:
            return words
    before = _words_before(reader, clause, hit.start)
    return before or None


def _unit(reader: _Reader, metric: str, indicator: str | None) -> tuple[str | None, str]:
    if metric != "count":
        return None, metric
    if not indicator:
        return None, "other"
    table = reader.rules.units
    low = indicator.casefold()
    best = max((k for k in table if low == k or low.startswith(k + " ")), key=len, default=None)
    if best is not None:
        return indicator[: len(best)], table[best]
    return indicator.split()[0], "count"


def _value(reader: _Reader, hit: Figure) -> tuple[float, float | None]:
    g = hit.match.groupdict()
    table = reader.rules.multipliers
    mult = (g.get("mult") or "").casefold() or None
    v = scale(parse_number(g["v"]), mult, table)
    v2 = scale(parse_number(g["v2"]), mult, table) if g.get("v2") else None
    return v, v2


def _metric(reader: _Reader, hit: Figure, clause: Clause) -> Metric:
    """Percent, or growth_rate for "%/năm" and for "hàng năm tăng (từ) 10%"."""
    metric: Metric = hit.rule.emit.metric
    if metric != "percent":
        return metric
    if hit.match.groupdict().get("rate"):
        return "growth_rate"
    lo = max(clause.start, hit.start - 200)
    text, rules = reader.ctx.text, reader.rules
    if _search(rules.yearly, text, lo, hit.start) and _search(rules.growth_cue, text, lo,
                                                              hit.start):
        return "growth_rate"
    return metric


def build(reader: _Reader, hit: Figure, lo: int, hi: int, n: int,
          found: list[regex.Match[str]]) -> Target | None:
    """A Target from a candidate hit inside paragraph [lo, hi), or None if it is no target."""
    ctx, rules = reader.ctx, reader.rules
    clause = _clause(ctx.text, hit.start, lo, hi)
    if _excluded(reader, hit, clause):
        return None
    s, e = _sentence(ctx.text, hit.start, lo, hi)
    if reader.aims.is_fact(hit.start, (s, e)):
        return None
    metric = _metric(reader, hit, clause)
    indicator = _indicator(reader, hit, clause)
    unit, unit_metric = _unit(reader, metric, indicator)
    if metric == "count" and unit is None:
        return None
    value, value_max = _value(reader, hit)
    period_m = rules.period.search(ctx.text, s, e)
    period = None
    if period_m:
        y2 = int(period_m.group("y2"))
        period = (int(period_m.group("y1")), y2 + 2000 if y2 < 100 else y2)
    baseline = rules.baseline.search(ctx.text, s, e)
    clause_text = ctx.text[clause.start:clause.end]
    fields: dict[str, Any] = {
        "metric": unit_metric if metric == "count" else metric,
        "unit": unit if metric == "count" else hit.rule.emit.unit,
    }
    return Target(
        id=f"t{n}", text=clause_text.strip(), span=(hit.start, hit.end),
        section=ctx.section_id(hit.start), rule=hit.rule.id, indicator=indicator,
        value=value, value_max=value_max, comparator=_comparator(reader, hit, clause),
        year=reader.horizons.year(hit.start, hit.end, lo, hi, found), period=period,
        recurrence=("yearly" if metric == "growth_rate"
                    or _search(rules.yearly, clause_text) else None),
        baseline_year=int(baseline.group("y")) if baseline else None, **fields,
    )


def extract(ctx: Context, frame: Frame | None = None) -> list[Target]:
    """Targets of the body, paragraph by paragraph; `frame` gives the plan's year (read from
    the document when not given)."""
    frame = frame or read_frame(ctx)
    reader = _Reader.of(ctx, frame)
    out: list[tuple[Para, Target]] = []
    candidates = reader.rules.figures
    for para in ctx.body_paras():
        lo, hi = para.span
        hits = resolve_overlaps([Hit(m.start(), m.end(), rule, m) for rule in candidates
                                 for m in ctx.finditer(rule, lo, hi)])
        found = reader.horizons.enter(lo, hi, hits[0].start if hits else None)
        for hit in hits:
            target = build(reader, hit, lo, hi, len(out) + 1, found)
            if target is not None:
                out.append((para, target))
    return without_restatements(ctx, out)
