"""The document view: built once by the pipeline after normalising, frozen, and read by every
later stage. Paragraphs with their cells, the regions, the section tree, the outline of the work
text and the tables (their rows, in order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kttt_extract.model import NormText, Para, Section
from kttt_extract.outline import Node, build_outline
from kttt_extract.regions import Region, find_regions
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.slots import Pattern, Slots
from kttt_extract.sections import segment


class ViewRules(Slots):
    stage = "the outline reader"
    closing = Pattern("body.closing")


@dataclass(frozen=True)
class DocView:
    norm: NormText
    regions: tuple[Region, ...]
    sections: tuple[Section, ...]
    outline: tuple[Node, ...]
    tables: tuple[tuple[int, ...], ...]  # each table's rows, as indexes into norm.paras

    @property
    def text(self) -> str:
        return self.norm.text

    def rows(self, table: int) -> list[Para]:
        return [self.norm.paras[i] for i in self.tables[table]]


def _tables(paras: Sequence[Para]) -> tuple[tuple[int, ...], ...]:
    rows: dict[int, list[int]] = {}
    for i, p in enumerate(paras):
        if p.kind == "table_row" and p.table is not None:
            rows.setdefault(p.table, []).append(i)
    return tuple(tuple(r) for r in rows.values())


def build_view(norm: NormText, rules: RuleSet) -> DocView:
    """Regions, sections, the outline and the tables of a normalised text."""
    regions = find_regions(norm, rules)
    sections = segment(norm, rules, regions)
    outline = build_outline(norm, regions, sections, ViewRules.of(rules).closing)
    return DocView(norm, regions, tuple(sections), outline, _tables(norm.paras))


__all__ = ["DocView", "build_view"]
