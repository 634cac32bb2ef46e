"""Mentions, deadlines and targets sorted by position, for range look-ups in O(log n)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from kttt_extract.model import Agency, Deadline, Role, Target


@dataclass(frozen=True)
class Hit:
    """One agency mention, by position."""

    start: int
    end: int
    order: int  # the agency's place in the agencies list
    agency: str  # its id
    role: Role
    group: bool


class Found:
    """What the extractors found, indexed by where it starts."""

    def __init__(self, targets: Sequence[Target], deadlines: Sequence[Deadline],
                 agencies: Sequence[Agency]) -> None:
        self.hits = sorted((Hit(m.span[0], m.span[1], order, a.id, m.role, a.group)
                            for order, a in enumerate(agencies) for m in a.mentions),
                           key=lambda h: (h.start, h.order))
        self.hit_starts = [h.start for h in self.hits]
        self.deadlines = sorted(deadlines, key=lambda d: d.span[0])
        self.deadline_starts = [d.span[0] for d in self.deadlines]
        self.targets = sorted(targets, key=lambda t: t.span[0])
        self.target_starts = [t.span[0] for t in self.targets]
        self.groups = {a.id for a in agencies if a.group}

    def mentions(self, lo: int, hi: int) -> list[Hit]:
        """The mentions that start in [lo, hi)."""
        a, b = bisect_left(self.hit_starts, lo), bisect_left(self.hit_starts, hi)
        return self.hits[a:b]

    def agencies(self, lo: int, hi: int, *roles: Role) -> list[str]:
        """Ids of agencies with a mention of one of `roles` in [lo, hi), in the agencies' order."""
        found = sorted({(h.order, h.agency) for h in self.mentions(lo, hi) if h.role in roles})
        return [aid for _, aid in found]

    def first_actor(self, lo: int, hi: int) -> int | None:
        """Start of the first mention in [lo, hi) that leads, supports or is asked to act."""
        return next((h.start for h in self.mentions(lo, hi)
                     if h.role in ("lead", "support", "requested", "monitor")), None)

    def deadline_ids(self, lo: int, hi: int) -> tuple[str, ...]:
        a, b = bisect_left(self.deadline_starts, lo), bisect_left(self.deadline_starts, hi)
        return tuple(d.id for d in self.deadlines[a:b])

    def target_ids(self, lo: int, hi: int) -> tuple[str, ...]:
        a, b = bisect_left(self.target_starts, lo), bisect_left(self.target_starts, hi)
        return tuple(t.id for t in self.targets[a:b])


__all__ = ["Found", "Hit"]
