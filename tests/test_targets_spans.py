"""Overlap resolution (spans.resolve_overlaps) keeps what the plain quadratic choice keeps."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import regex
from hypothesis import given
from hypothesis import strategies as st

from kttt_extract.extractors.spans import Hit, resolve_overlaps
from kttt_extract.ruleset.load import CompiledRule, compile_rule
from kttt_extract.ruleset.schema import Rule

_MATCH = cast(regex.Match[str], regex.match("x", "x"))


def _rule(priority: int) -> CompiledRule:
    rule = Rule(id=f"test.p{priority}", description="a test rule", pattern="x",
                priority=priority)
    return compile_rule(rule, "deadlines", Path("test.yaml"), 1)


RULES = {p: _rule(p) for p in range(4)}


def _plain(hits: list[Hit]) -> list[Hit]:
    """The reference: each hit against every hit kept so far."""
    ranked = sorted(hits, key=lambda h: (-h.rule.rule.priority, -(h.end - h.start), h.start))
    kept: list[Hit] = []
    for hit in ranked:
        if hit.end > hit.start and all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)


_SPANS = st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30), st.integers(0, 3)),
                  max_size=60)


@given(_SPANS)
def test_same_choice_as_the_plain_resolution(spans: list[tuple[int, int, int]]) -> None:
    hits = [Hit(start, start + length, RULES[p], _MATCH) for start, length, p in spans]
    got = [(h.start, h.end, h.rule.rule.priority) for h in resolve_overlaps(hits)]
    want = [(h.start, h.end, h.rule.rule.priority) for h in _plain(hits)]
    assert got == want


def test_many_hits_far_apart_are_all_kept() -> None:
    hits = [Hit(i * 10, i * 10 + 5, RULES[1], _MATCH) for i in range(50_000)]
    assert len(resolve_overlaps(hits)) == 50_000
