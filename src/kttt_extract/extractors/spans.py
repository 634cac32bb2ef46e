"""Choosing among overlapping matches: higher priority first, then the longer span, then earlier."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import regex

from kttt_extract.ruleset.load import CompiledRule


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    rule: CompiledRule
    match: regex.Match[str]

    @property
    def emit(self) -> dict[str, Any]:
        return self.rule.rule.emit


def resolve_overlaps(hits: Iterable[Hit]) -> list[Hit]:
    """Keep a set of non-overlapping hits, preferring priority, then length; in text order."""
    ranked = sorted(hits, key=lambda h: (-h.rule.rule.priority, -(h.end - h.start), h.start))
    kept: list[Hit] = []
    for hit in ranked:
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink a span so it neither starts nor ends with spaces or commas."""
    while start < end and text[start] in " ,;(":
        start += 1
    while end > start and text[end - 1] in " ,;(":
        end -= 1
    return start, end
