"""Deadlines: phrases of time, resolved to ISO dates, recurrences and periods per the contract."""

from __future__ import annotations

from typing import Any

from kttt_extract.extractors import dates
from kttt_extract.extractors.context import Context
from kttt_extract.extractors.spans import Hit, resolve_overlaps, trim
from kttt_extract.model import Deadline, Target
from kttt_extract.textnorm import fold_tones


def find(ctx: Context, start: int | None = None, end: int | None = None) -> list[Hit]:
    """All non-overlapping deadline hits in the body (or a window)."""
    hits = [
        Hit(m.start(), m.end(), rule, m)
        for rule in ctx.rules.of("deadlines")
        if not rule.rule.emit.get("lookup")
        for m in ctx.finditer(rule, start, end)
    ]
    return resolve_overlaps(hits)


def extract(ctx: Context, targets: list[Target] | None = None) -> list[Deadline]:
    """Deadlines of the body, outside the title; a yearly phrase inside a target clause is the
    target's recurrence, not a deadline."""
    out: list[Deadline] = []
    for hit in find(ctx, ctx.preamble_start):
        if targets and _inside_target_clause(ctx.text, hit, targets):
            continue
        for fields in resolve(hit, ctx):
            start, end = trim(ctx.text, hit.start, hit.end)
            out.append(Deadline(id=f"d{len(out) + 1}", text=ctx.text[start:end], span=(start, end),
                                section=ctx.section_id(start), rule=hit.rule.id, **fields))
    return out


def _inside_target_clause(text: str, hit: Hit, targets: list[Target]) -> bool:
    """A yearly rate or a period inside a target's clause belongs to the target."""
    yearly = hit.emit.get("recurrence") == "yearly" and not hit.match.groupdict().get("d")
    period = hit.emit.get("kind") == "period" and bool(hit.match.groupdict().get("y2"))
    if not (yearly or period):
        return False
    lo = max(text.rfind(c, 0, hit.start) for c in ";.\n") + 1
    hi = min((i for i in (text.find(c, hit.end) for c in ";.\n") if i >= 0), default=len(text))
    inside = [t for t in targets if lo <= t.span[0] < hi]
    if yearly:
        return any(t.recurrence == "yearly" for t in inside)
    return any(t.period is not None for t in inside)


def resolve(hit: Hit, ctx: Context) -> list[dict[str, Any]]:
    """Contract fields of one hit; several when the phrase names several days."""
    m, emit = hit.match, hit.emit
    base: dict[str, Any] = {"kind": emit["kind"], "recurrence": emit.get("recurrence")}
    groups = {k: v for k, v in m.groupdict().items() if v}
    if "n" in groups:
        return [{**base, **_relative(groups, ctx)}]
    if "y1" in groups:
        y2 = dates.full_year(groups["y2"]) if "y2" in groups else None
        if y2 is not None and y2 < 100:
            y2 += int(groups["y1"]) // 100 * 100
        return [{**base, "period": (int(groups["y1"]), y2)}]
    if "wd" in groups:
        day = ctx.rules.table("deadline.weekday-names").get(fold_tones(groups["wd"]).casefold())
        return [{**base, "day": day}]
    names = m.re.groupindex
    days = (list(zip(m.captures("d"), m.captures("m"), strict=False))
            if "d" in groups and "m" in names else [])
    if base["recurrence"] == "yearly" and days:
        return [{**base, "day": f"--{int(mo):02d}-{int(d):02d}"} for d, mo in days]
    if base["recurrence"] == "monthly" and "d" in groups:
        return [{**base, "day": f"---{int(groups['d']):02d}"}]
    if base["kind"] == "by":
        return [{**base, "date": _by_date(groups)}]
    return [base]


def _by_date(g: dict[str, str]) -> str | None:
    if "y" not in g:
        return None
    year = dates.full_year(g["y"])
    if "d" in g and "m" in g:
        return dates.iso_day(year, int(g["m"]), int(g["d"]))
    if "q" in g:
        return dates.quarter_end(year, dates.quarter_number(g["q"])).isoformat()
    if "first_half" in g or "second_half" in g:
        return dates.month_end(year, 6 if "first_half" in g else 12).isoformat()
    return f"{year}-12-31"


def _relative(g: dict[str, str], ctx: Context) -> dict[str, Any]:
    unit_text = " ".join(fold_tones(g["unit"]).casefold().split())
    letter = ctx.rules.table("deadline.units").get(unit_text, "D")  # "WD": working days
    return {
        "offset": dates.duration(int(g["n"]), letter[-1]),
        "anchor": g["anchor"].strip(),
        "working_days": letter == "WD",
    }
