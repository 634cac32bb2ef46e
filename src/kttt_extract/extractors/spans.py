"""Choosing among overlapping matches: higher priority first, then the longer span, then earlier."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import regex

from kttt_extract.ruleset.schema import Rule


class Ranked(Protocol):
    """A rule as a hit holds it (a compiled rule, or one bound by a stage's slots)."""

    @property
    def rule(self) -> Rule: ...


R = TypeVar("R", bound=Ranked)


@dataclass(frozen=True)
class Hit(Generic[R]):
    start: int
    end: int
    rule: R
    match: regex.Match[str]


H = TypeVar("H", bound=Hit[Any])


def resolve_overlaps(hits: Iterable[H]) -> list[H]:
    """Keep a set of non-overlapping hits, preferring priority, then length; in text order.

    The characters already taken are marked in a byte map over the stretch the hits cover, so
    each hit costs its own length: linear in the text, whatever the number of hits kept.
    """
    ranked = sorted(hits, key=lambda h: (-h.rule.rule.priority, -(h.end - h.start), h.start))
    if not ranked:
        return []
    base = min(h.start for h in ranked)
    taken = bytearray(max(h.end for h in ranked) - base)
    kept: list[H] = []
    for hit in ranked:
        lo, hi = hit.start - base, hit.end - base
        if hi > lo and taken.find(1, lo, hi) < 0:  # an empty match is no hit
            taken[lo:hi] = b"\x01" * (hi - lo)
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with spaces or commas."""
    while start < end and text[start] in " ,;(":
        start += 1
    while end > start and text[end - 1] in " ,;(":
        end -= 1
    return start, end
