"""The time a document speaks from: the day it was issued and the year its plan is for.

Relative dates ("trước ngày 31/01 năm liền kề") count from the plan's year; dates before the
day of issue are facts of a report, not deadlines. The pipeline knows the document's date and
may pass it; without it, both are read from the header and the title here.
"""

from __future__ import annotations

from dataclasses import dataclass

from kttt_extract.extractors.context import Context
from kttt_extract.extractors.dates import partial_iso
from kttt_extract.ruleset.slots import Pattern, Slots

TITLE_PARAS = 4  # the kind line and the lines of the title that follow it


class FrameRules(Slots):
    stage = "the time frame reader"
    place_date = Pattern("meta.place-date", groups=("d", "m"), required=("y",))
    plan_year = Pattern("deadline.plan-year", required=("y",))


@dataclass(frozen=True)
class Frame:
    """`issued`: ISO date of the document (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) or None;
    `plan_year`: the single year its title names, else the year of issue, else None."""

    issued: str | None = None
    plan_year: int | None = None

    def is_past(self, iso: str | None) -> bool:
        """True when an ISO date (or year) lies before the day of issue, at their common
        precision (a document of `2026-04` has `2026-03-31` in its past, not `2026-04-30`)."""
        if not iso or not self.issued:
            return False
        n = min(len(iso), len(self.issued))
        return iso[:n] < self.issued[:n]


def _issue_date(ctx: Context) -> str | None:
    """The place-date line of the header or of the closing block."""
    pattern = FrameRules.of(ctx.rules).place_date
    first_section = ctx.sections[0].span[0] if ctx.sections else ctx.body_end
    for para in ctx.norm.paras:
        if first_section <= para.span[0] < ctx.body_end:
            continue
        m = pattern.search(ctx.text, para.span[0], para.span[1], timeout=1.0)
        if m:
            return partial_iso(m.groupdict())
    return None


def _title_year(ctx: Context) -> int | None:
    """The one year the title names ("Kế hoạch ... năm 2026"); None for none or several."""
    pattern = FrameRules.of(ctx.rules).plan_year
    limit = min(ctx.preamble_start, ctx.sections[0].span[0] if ctx.sections else ctx.body_end)
    years: set[int] = set()
    seen = 0
    for para in ctx.norm.paras:
        if para.span[0] < ctx.body_start:
            continue
        if para.span[0] >= limit or seen >= TITLE_PARAS:
            break
        seen += 1
        years.update(int(m.group("y")) for m in
                     pattern.finditer(ctx.text, para.span[0], para.span[1], timeout=1.0))
    return years.pop() if len(years) == 1 else None


def read_frame(ctx: Context, issued: str | None = None) -> Frame:
    """The frame of a document: its date (given, or read from its header) and its plan year."""
    issued = issued or _issue_date(ctx)
    year = _title_year(ctx)
    if year is None and issued:
        year = int(issued[:4])
    return Frame(issued, year)
