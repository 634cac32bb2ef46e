"""Aims and facts: a plan's figures are targets, its report's figures are not.

The cues are rule data: `target.aimed` (phấn đấu, mục tiêu, đến năm ...), `target.report-cue`
(tính đến, ước, hiện nay, từ đầu năm đến nay, "đạt 62,3% kế hoạch", a year before the plan's),
`target.past-report` (an aspect word that governs the figure: "đã thành lập 10", "hiện có 184")
and `target.report-heading` (a section that assesses: TÌNH HÌNH, KẾT QUẢ, ĐÁNH GIÁ). In a
sentence, the last cue before the figure decides; with none before it, the first after it;
with none at all, the section: a figure under an assessment heading is a fact.
"""

from __future__ import annotations

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.ruleset.slots import Pattern, Slots

AIM, FACT = "aim", "fact"


class AimRules(Slots):
    stage = "the aims and facts of targets"
    aimed = Pattern("target.aimed")
    report = Pattern("target.report-cue", groups=("y",))
    horizon = Pattern("target.horizon", groups=("y",))
    past = Pattern("target.past-report")
    heading = Pattern("target.report-heading")


class Aims:
    """Tells aims from facts in one document."""

    def __init__(self, ctx: Context, plan_year: int | None) -> None:
        self.ctx = ctx
        self.plan_year = plan_year
        self.rules = AimRules.of(ctx.rules)
        self._report_sections: dict[str, bool] = {}
        self._sentences: dict[tuple[int, int], list[tuple[int, str]]] = {}

    def _cues(self, lo: int, hi: int) -> list[tuple[int, str]]:
        """(position, AIM or FACT) of every cue in the sentence [lo, hi), in text order."""
        if (lo, hi) in self._sentences:
            return self._sentences[lo, hi]
        text, rules = self.ctx.text, self.rules
        horizons = [m.span() for m in rules.horizon.finditer(text, lo, hi, timeout=1.0)]
        out = [(m.start(), AIM) for m in rules.aimed.finditer(text, lo, hi, timeout=1.0)]
        out += [(m.start(), FACT) for m in rules.report.finditer(text, lo, hi, timeout=1.0)
                if self._is_report(m, horizons)]
        self._sentences[lo, hi] = sorted(out)
        return self._sentences[lo, hi]

    def _is_report(self, m: regex.Match[str], horizons: list[tuple[int, int]]) -> bool:
        """A year is a report cue when it is no horizon and lies before the plan's year (or
        the plan's year is unknown): "Năm 2022 có 29.378 hợp tác xã"."""
        year = m.groupdict().get("y")
        if year is None:
            return True
        if any(a <= m.start("y") < b for a, b in horizons):
            return False
        return self.plan_year is None or int(year) < self.plan_year

    def is_fact(self, start: int, sentence: tuple[int, int]) -> bool:
        """Whether the figure at `start`, in the sentence spanning `sentence`, reports a fact."""
        lo = max(sentence[0], start - 60)
        if self.rules.past.search(self.ctx.text, lo, start):
            return True
        cues = self._cues(*sentence)
        before = [kind for pos, kind in cues if pos <= start]
        if before:
            return before[-1] == FACT
        if cues:
            return cues[0][1] == FACT
        return self._in_report_section(start)

    def _in_report_section(self, pos: int) -> bool:
        heading = self.rules.heading
        for section in self.ctx.index.chain(pos):
            if section.id not in self._report_sections:
                self._report_sections[section.id] = bool(
                    heading.search(section.heading, timeout=1.0))
            if self._report_sections[section.id]:
                return True
        return False
