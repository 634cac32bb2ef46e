"""Targets stated again are one target: a paragraph repeated word for word (a headline printed
again as a picture's caption) and the headline of an excerpt that restates a figure of its body.

A plan's own restatements stay: an appendix row that restates a body target lies in another
region, and two sentences of the body that give the same figure in other words are both kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from kttt_extract.extractors.context import Context
from kttt_extract.model import Para, Target

HEADLINE_WORDS = 30  # a longer first paragraph is prose, not a headline
_TRAIL = " \t.;:!?…"


def _key(text: str) -> str:
    return " ".join(text.split()).strip(_TRAIL).casefold()


def _figure(t: Target) -> tuple[float, float | None, str | None, str]:
    return t.value, t.value_max, t.unit, t.metric


def _headline(ctx: Context) -> tuple[int, int] | None:
    """The span of an excerpt's headline: the first paragraph of a text with no letterhead
    and no title, short and with no full stop."""
    if any(r.kind in ("header", "title") for r in ctx.regions):
        return None
    first = next(iter(ctx.body_paras()), None)
    if first is None:
        return None
    text = ctx.text[first.span[0]:first.span[1]].strip()
    if len(text.split()) > HEADLINE_WORDS or text.endswith((".", ";")):
        return None
    return first.span


def without_restatements(ctx: Context, found: Sequence[tuple[Para, Target]]) -> list[Target]:
    """The targets of `found` (each with its paragraph, in text order) without the ones that
    only restate another, renumbered t1..tn."""
    seen: dict[tuple[tuple[int, int] | None, str], Para] = {}
    kept: list[tuple[Para, Target]] = []
    for para, target in found:
        region = ctx.region_of(para.span[0])
        key = (region.span if region else None, _key(ctx.text[para.span[0]:para.span[1]]))
        first = seen.setdefault(key, para)
        if first.span != para.span:
            continue  # the same paragraph again: its targets were read the first time
        kept.append((para, target))
    headline = _headline(ctx)
    later = [_figure(t) for p, t in kept if p.span != headline]
    out = [t for p, t in kept if not (p.span == headline and _figure(t) in later)]
    return [t.model_copy(update={"id": f"t{i}"}) for i, t in enumerate(out, 1)]


__all__ = ["without_restatements"]
