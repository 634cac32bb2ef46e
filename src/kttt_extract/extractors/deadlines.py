"""Deadlines: phrases of time, resolved to ISO dates, recurrences and periods per the contract.

A phrase is not a deadline where it is the subject of a cited document (its title's period or
horizon), the bound of a reporting period ("tính đến ngày ..."), a yearly plan or budget
("kế hoạch ... hằng năm"), or a date before the day the document was issued (a report's past).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any, get_args

import regex

from kttt_extract.extractors import dates, references
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.spans import Hit, resolve_overlaps, trim
from kttt_extract.extractors.timeframe import Frame, read_frame
from kttt_extract.model import Deadline, DeadlineKind, Recurrence, Span, Target
from kttt_extract.ruleset.slots import Bound, Family, Pattern, Slots, Table
from kttt_extract.ruleset.vocab import Choice, Emit, integer
from kttt_extract.textnorm import fold_tones

LOOK_BACK = 80  # characters before a phrase read by the exclusion rules
STANDING_REACH = 200  # characters back where a standing rule's cue still holds
_CLAUSE_STOPS = ";.:\n"
_LIST_SEPARATOR = regex.compile(r"\s*(?:,|\bvà\b|\bhoặc\b|/)\s*")
RECURRENCES: tuple[Recurrence, ...] = get_args(Recurrence)
# the named groups a deadline phrase may have, each with the groups that must come with it
GROUPS: dict[str, tuple[str, ...]] = {
    "y": (), "q": (), "first_half": (), "second_half": (), "d": (), "m": (), "prior": ("m",),
    "every_year": (), "rel": ("d", "m"), "dur": ("d", "m", "dunit"), "dunit": (),
    "n": ("unit", "anchor"), "unit": (), "anchor": (), "y1": (), "y2": ("y1",), "wd": (),
    "plist": (), "every": ("per",), "per": ()}


class DeadlineEmit(Emit):
    """What a deadline phrase gives: its kind and recurrence; `unless_after` names a rule whose
    match earlier in the clause makes the phrase no deadline ("kế hoạch ... hằng năm");
    `recurs_with` a cue without which days named without a year are days of the plan's year."""

    refs = ("unless_after", "recurs_with")
    kind: DeadlineKind
    recurrence: Recurrence | None = None
    unless_after: str | None = None
    recurs_with: str | None = None


class DeadlineRules(Slots):
    stage = "the deadlines stage"
    phrases = Family("deadlines", DeadlineEmit, groups=GROUPS)
    report_bound = Pattern("deadline.report-bound")
    weekdays = Table("deadline.weekday-names", Choice(("1", "2", "3", "4", "5", "6", "7")))
    period_words = Table("deadline.period-words", Choice(RECURRENCES))
    rhythms = Table("deadline.rhythms", Choice(RECURRENCES))
    units = Table("deadline.units", Choice(("D", "W", "M", "Y", "WD")))
    relative_years = Table("deadline.relative-years", integer)


Phrase = Hit[Bound[DeadlineEmit]]


def find(ctx: Context, start: int | None = None, end: int | None = None) -> list[Phrase]:
    """All non-overlapping deadline hits in the body (or a window)."""
    hits = [
        Hit(m.start(), m.end(), rule, m)
        for rule in DeadlineRules.of(ctx.rules).phrases
        for m in ctx.finditer(rule, start, end)
    ]
    return resolve_overlaps(hits)


def extract(ctx: Context, targets: Sequence[Target] | None = None, *, frame: Frame | None = None,
            cited: Sequence[Span] | None = None) -> list[Deadline]:
    """Deadlines of the body, its title included.

    `frame` (the date of issue and the plan's year) and `cited` (the subjects and names of
    cited documents, references.cited_spans) are read from the text when not given. A year, a
    month or a period inside them is the cited document's; a named day or a rhythm there is
    still a deadline. A yearly or period phrase inside a target's clause is a deadline too, so
    `targets` changes nothing here; it is accepted so that callers may pass what they have."""
    del targets
    frame = frame or read_frame(ctx)
    other = sorted(cited) if cited is not None else references.cited_spans(ctx)
    starts = [s for s, _ in other]
    rules = DeadlineRules.of(ctx.rules)
    out: list[Deadline] = []
    for hit in find(ctx, ctx.body_start):
        if _not_a_deadline(ctx, hit, rules):
            continue
        in_citation = _inside(other, starts, hit.start) and not hit.match.groupdict().get("d")
        for fields in resolve(hit, ctx, frame, rules):
            if fields["kind"] in ("by", "period") and (in_citation or _is_past(fields, frame)):
                continue
            start, end = trim(ctx.text, hit.start, hit.end)
            out.append(Deadline(id=f"d{len(out) + 1}", text=ctx.text[start:end], span=(start, end),
                                section=ctx.section_id(start), rule=hit.rule.id, **fields))
    return out


def _inside(spans: Sequence[Span], starts: Sequence[int], pos: int) -> bool:
    """Whether `pos` lies in one of the sorted, disjoint spans."""
    i = bisect_right(starts, pos) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def _clause_start(text: str, pos: int) -> int:
    """Start of the clause holding `pos`, looking back at most LOOK_BACK characters."""
    lo = max(0, pos - LOOK_BACK)
    return max([text.rfind(c, lo, pos) for c in _CLAUSE_STOPS] + [lo - 1]) + 1


def _not_a_deadline(ctx: Context, hit: Phrase, rules: DeadlineRules) -> bool:
    """The bound of a reporting period, or a phrase after what its rule's `unless_after`
    names in its clause ("hằng năm" naming a yearly plan or budget)."""
    lo = _clause_start(ctx.text, hit.start)
    if rules.report_bound.search(ctx.text, lo, hit.start):
        return True
    names = hit.rule.refs.get("unless_after")
    return bool(names and names.search(ctx.text, lo, hit.start))


def _is_past(fields: dict[str, Any], frame: Frame) -> bool:
    if fields["kind"] == "by":
        return frame.is_past(fields.get("date"))
    period = fields.get("period") or (None, None)
    return period[1] is not None and frame.is_past(str(period[1]))


def resolve(hit: Phrase, ctx: Context, frame: Frame | None = None,
            rules: DeadlineRules | None = None) -> list[dict[str, Any]]:
    """Contract fields of one hit; several when the phrase names several days."""
    frame = frame or Frame()
    rules = rules or DeadlineRules.of(ctx.rules)
    m, emit = hit.match, hit.rule.emit
    base: dict[str, Any] = {"kind": emit.kind, "recurrence": emit.recurrence}
    groups = {k: v for k, v in m.groupdict().items() if v}
    if "n" in groups:
        return [{**base, **_relative(groups, rules)}]
    if "y1" in groups:
        return [{**base, "period": _period(groups)}]
    if "wd" in groups:
        day = rules.weekdays.get(fold_tones(groups["wd"]).casefold())
        return [{**base, "day": day}]
    if "plist" in groups:
        named = [rules.period_words.get(" ".join(fold_tones(w).casefold().split()))
                 for w in _LIST_SEPARATOR.split(groups["plist"])]
        return [{**base, "recurrence": r} for r in dict.fromkeys(named) if r]
    if "every" in groups:
        key = f"{int(groups['every'])} {fold_tones(groups['per']).casefold()}"
        return [{**base, "recurrence": rules.rhythms.get(key)}]
    if "rel" in groups:
        return _next_year_day(base, groups, rules, frame)
    days = (list(zip(m.captures("d"), m.captures("m"), strict=False))
            if "d" in groups and "m" in m.re.groupindex else [])
    cue = hit.rule.refs.get("recurs_with")
    if days and cue is not None and not _every_year(hit, ctx, frame, cue):
        base = {"kind": "by", "recurrence": None}
        return [{**base, "date": dates.iso_day(frame.plan_year or 0, int(mo), int(d))}
                for d, mo in days]
    if base["recurrence"] == "yearly" and (days or "m" in groups):
        found = ([dates.yearly_day(int(mo), int(d)) for d, mo in days] if days
                 else [dates.yearly_month_end(int(groups["m"]))])
        return [{**base, "day": day} for day in found if day]
    if base["recurrence"] == "monthly" and "d" in groups:
        return [{**base, "day": f"---{int(groups['d']):02d}"}] if int(groups["d"]) <= 31 else []
    if base["kind"] == "by":
        return [{**base, "date": _by_date(groups, rules.units)}]
    return [base]


def _every_year(hit: Phrase, ctx: Context, frame: Frame, cue: regex.Pattern[str]) -> bool:
    """Whether days named without a year recur: "hằng năm" says so, and so does a standing
    rule around them (the rule's `recurs_with` cue in the paragraph or just before it: a line
    broken by the layout); else, with the plan's year known, they are days of that year."""
    if hit.match.groupdict().get("every_year") or frame.plan_year is None:
        return True
    lo = min(ctx.text.rfind("\n", 0, hit.start) + 1, max(0, hit.start - STANDING_REACH))
    hi = ctx.text.find("\n", hit.end)
    return bool(cue.search(ctx.text, lo, len(ctx.text) if hi < 0 else hi))


def _period(g: dict[str, str]) -> tuple[int, int | None]:
    y1 = int(g["y1"])
    y2 = dates.full_year(g["y2"]) if "y2" in g else None
    if y2 is not None and y2 < 100:
        y2 += y1 // 100 * 100
    return y1, y2


def _next_year_day(base: dict[str, Any], g: dict[str, str], rules: DeadlineRules,
                   frame: Frame) -> list[dict[str, Any]]:
    """"trước ngày 31/01 năm liền kề": that day of the year after the plan's; a day of every
    year when the plan's year is unknown."""
    month, day = int(g["m"]), int(g["d"])
    offset = rules.relative_years.get(" ".join(fold_tones(g["rel"]).casefold().split()))
    if frame.plan_year is None or offset is None:
        return [{"kind": "recurring", "recurrence": "yearly", "day": d}
                for d in [dates.yearly_day(month, day)] if d]
    return [{**base, "date": dates.iso_day(frame.plan_year + offset, month, day)}]


def _by_date(g: dict[str, str], units: Mapping[str, str]) -> str | None:
    if "y" not in g:
        return None
    year = dates.full_year(g["y"])
    if "dur" in g:
        start = dates.iso_day(year, int(g["m"]), int(g["d"]))
        letter = units.get(fold_tones(g["dunit"]).casefold(), "D")
        return dates.span_end(start, int(g["dur"]), letter) if start else None
    if "d" in g and "m" in g:
        return dates.iso_day(year, int(g["m"]), int(g["d"]))
    if "m" in g:
        month = int(g["m"])
        if not 1 <= month <= 12:
            return None
        return dates.month_before_end(year, month) if "prior" in g else \
            dates.month_end(year, month).isoformat()
    if "q" in g:
        return dates.quarter_end(year, dates.quarter_number(g["q"])).isoformat()
    if "first_half" in g or "second_half" in g:
        return dates.month_end(year, 6 if "first_half" in g else 12).isoformat()
    return f"{year}-12-31"


def _relative(g: dict[str, str], rules: DeadlineRules) -> dict[str, Any]:
    unit_text = " ".join(fold_tones(g["unit"]).casefold().split())
    letter = rules.units.get(unit_text, "D")  # "WD": working days
    return {
        "offset": dates.duration(int(g["n"]), letter[-1]),
        "anchor": g["anchor"].strip(),
        "working_days": letter == "WD",
    }
