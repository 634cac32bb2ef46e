"""The document text as HTML with each item's span wrapped in an element, escaped throughout.

Spans nest (a task holds its targets, deadlines and agency mentions) but may also cross (a
deadline that runs past the end of its task). HTML cannot cross, so a span that crosses the end
of an enclosing one is closed there and reopened after it: the first piece carries
`data-item="<id>"` and the element id to jump to, the pieces after it `data-part-of="<id>"`.
So `[data-item]` finds exactly one element per item (one per mention for agencies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

ORDER = {"task": 0, "agency": 1, "target": 2, "deadline": 3}  # outer first when spans tie


@dataclass(frozen=True)
class Mark:
    """An element to wrap around text[start:end]."""

    item: str  # the item's id: t3, d5, k2, a4
    kind: str  # task, agency, target, deadline
    start: int
    end: int
    anchor: str  # the element id of its first piece
    attrs: tuple[tuple[str, str], ...] = ()


def _tag(mark: Mark, first: bool) -> str:
    ref = (f' data-item="{escape(mark.item)}" id="{escape(mark.anchor)}"' if first
           else f' data-part-of="{escape(mark.item)}"')
    extra = "".join(f' {k}="{escape(v)}"' for k, v in mark.attrs)
    cls = f"hl hl-{mark.kind}" + ("" if first else " cont")
    return f'<span class="{cls}"{ref}{extra}>'


def _key(mark: Mark) -> tuple[int, int, str]:
    return (-mark.end, ORDER.get(mark.kind, 9), mark.item)


def render(text: str, marks: Sequence[Mark]) -> str:
    """`text` escaped, with every mark's span wrapped (see the module docstring)."""
    size = len(text)
    clamped = [Mark(m.item, m.kind, min(max(m.start, 0), size),
                    min(max(m.end, m.start, 0), size), m.anchor, m.attrs) for m in marks]
    starts: dict[int, list[Mark]] = {}
    for m in clamped:
        starts.setdefault(m.start, []).append(m)
    points = sorted({0, size, *(m.start for m in clamped), *(m.end for m in clamped)})
    out: list[str] = []
    stack: list[Mark] = []
    for i, pos in enumerate(points):
        reopen = _close_at(pos, stack, out)
        opening = [(m, False) for m in reopen]
        for m in starts.get(pos, []):
            if m.end == m.start:
                out.append(_tag(m, True) + "</span>")  # an empty span still gets its element
            else:
                opening.append((m, True))
        for m, first in sorted(opening, key=lambda x: _key(x[0])):
            out.append(_tag(m, first))
            stack.append(m)
        if i + 1 < len(points):
            out.append(escape(text[pos:points[i + 1]], quote=False))
    out.extend("</span>" for _ in stack)
    return "".join(out)


def _close_at(pos: int, stack: list[Mark], out: list[str]) -> list[Mark]:
    """Close every open mark ending at `pos`, and those opened inside it; return the latter,
    which continue after `pos`."""
    lowest = next((j for j, m in enumerate(stack) if m.end <= pos), None)
    if lowest is None:
        return []
    closed = stack[lowest:]
    del stack[lowest:]
    out.extend("</span>" for _ in closed)
    return [m for m in closed if m.end > pos]
