"""The page each item starts on, for paged inputs (PDF, OCR): read from the paragraph that holds
the item's first character."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import TypeVar

from kttt_extract.model import Agency, Deadline, NormText, Target, Task

Item = TypeVar("Item", Target, Deadline, Task)


class Pages:
    """Offset -> page, from the normalised paragraphs."""

    def __init__(self, norm: NormText) -> None:
        self.starts = [p.span[0] for p in norm.paras]
        self.pages = [p.page for p in norm.paras]
        self.paged = any(p is not None for p in self.pages)

    def at(self, pos: int) -> int | None:
        i = bisect_right(self.starts, pos) - 1
        return self.pages[i] if i >= 0 else None

    def items(self, items: Sequence[Item]) -> list[Item]:
        """The items with their `page` set (unchanged when the input has no pages)."""
        if not self.paged:
            return list(items)
        return [i.model_copy(update={"page": self.at(i.span[0])}) for i in items]

    def agencies(self, agencies: Sequence[Agency]) -> list[Agency]:
        """The agencies with the page of each of their mentions."""
        if not self.paged:
            return list(agencies)
        return [a.model_copy(update={"mentions": tuple(
            m.model_copy(update={"page": self.at(m.span[0])}) for m in a.mentions)})
            for a in agencies]


__all__ = ["Pages"]
