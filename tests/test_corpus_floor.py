"""The corpus floor check (tools/corpus_floor.py): a fall beyond the margin is named."""

from __future__ import annotations

from tools.corpus_floor import falls


def test_a_fall_beyond_the_margin_is_named() -> None:
    floor = {"pages": {"tasks": 0.80, "targets": 0.70}, "seeds": {"tasks": 0.90}}
    now = {"pages": {"tasks": 0.796, "targets": 0.60}, "seeds": {}}
    assert falls(floor, now, margin=0.005) == ["pages targets: 0.600 < floor 0.700",
                                               "seeds tasks: 0.000 < floor 0.900"]


def test_figures_at_or_above_the_floor_pass() -> None:
    floor = {"documents": {"tasks": 0.89}}
    assert falls(floor, {"documents": {"tasks": 0.95}}, margin=0.0) == []
