"""Tasks from sentences outside the items: a unit given work with a cue ("Giao X chủ trì, phối
hợp với Y ...", "X chủ trì ..."), in any paragraph of the work text after the preamble."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence

import regex

from kttt_extract.extractors.context import Context
from kttt_extract.link.index import Found
from kttt_extract.link.tables import Draft
from kttt_extract.model import Para

# A sentence runs over anything but . ! ? and line ends, and over a dot that ends no sentence
# (one not followed by a capitalised word, a slash or the end), to its stops ("?!", "./.") or
# the end of the span. Where a line ends with no stop, it ends at its last inner dot, else is
# no sentence: read without the backtracking a single pattern would do at every position.
_RUN = regex.compile(r"(?:[^.!?\n]++|\.(?!\s+\p{Lu}|/|\s*$))++")
_STOPS = regex.compile(r"[.!?]+/?\.?")
_CLAUSE_START = regex.compile(r"[,;]\s*")
LONG_PREAMBLE = 200  # characters before the first actor that make a clause its own sentence


def _sentence(text: str, start: int, hi: int) -> tuple[int | None, int]:
    """The end of the sentence that starts at `start` in text[:hi] (None for none), and where
    the next one may start."""
    run = _RUN.match(text, start, hi)
    if run is None:
        return None, start + 1
    end = run.end()
    if end < hi and text[end] in ".!?":
        stops = _STOPS.match(text, end, hi)
        assert stops is not None
        return stops.end(), stops.end()
    if end == hi or (end == hi - 1 and text[end] == "\n"):
        return end, end
    dot = text.rfind(".", start + 1, end)  # a line without a stop: back to its last inner dot
    if dot < 0:
        return None, end + 1  # no later start on this line ends a sentence either
    stops = _STOPS.match(text, dot, hi)
    assert stops is not None
    return stops.end(), stops.end()


def sentence_end(text: str, start: int, hi: int) -> int | None:
    """The end of the sentence that starts at `start` (the span ends at `hi`), or None."""
    return _sentence(text, start, hi)[0]


def sentences(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """The sentences of text[lo:hi], in order, as (start, end)."""
    start = lo
    while start < hi:
        end, start_next = _sentence(text, start, hi)
        if end is not None:
            yield start, end
        start = start_next


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _clause_start(text: str, lo: int, first: int) -> int:
    """The sentence start, or the clause holding the first actor when the sentence opens with
    a long preamble ("Trên đây là ..., UBND huyện yêu cầu ...")."""
    start = lo
    if first - lo > LONG_PREAMBLE:
        starts = [c.end() for c in _CLAUSE_START.finditer(text, lo, first)]
        if starts:
            comma = text.rfind(",", lo, first)  # back over the clause's subject
            start = comma + 1 if comma >= lo else max(starts)
    while start < len(text) and text[start] == " ":
        start += 1
    return start


def sentence_tasks(ctx: Context, paras: Sequence[Para], covered: Sequence[tuple[int, int]],
                   found: Found) -> list[Draft]:
    """Sentences of paragraphs outside the covered spans where a unit leads, supports, follows
    up or is asked to act; a later sentence with no unit of its own ("Hoàn thành trong quý
    I/2020.") belongs to the task before it."""
    spans = _merge(covered)
    starts = [a for a, _ in spans]
    out: list[Draft] = []
    for para in paras:
        i = bisect_right(starts, para.span[0]) - 1
        if (para.span[0] < ctx.preamble_start or (i >= 0 and para.span[0] < spans[i][1])
                or para.kind == "table_row"):
            continue
        last: Draft | None = None
        for lo, hi in sentences(ctx.text, para.span[0], para.span[1]):
            first = found.first_actor(lo, hi)
            if first is None:
                if last is not None:
                    _extend(last, hi, found)
                continue
            last = None
            if lo >= ctx.closing_start and not found.agencies(lo, hi, "lead"):
                continue  # the closing request ("Yêu cầu các ... thực hiện")
            start = _clause_start(ctx.text, lo, first)
            last = Draft(start, hi, " ".join(ctx.text[start:hi].split()), "task.sentence")
            _extend(last, hi, found)
            out.append(last)
    return out


def _extend(draft: Draft, end: int, found: Found) -> None:
    """Let a sentence task run to `end`, with the units, times and targets found up to there."""
    draft.end = end
    lo = draft.start
    draft.lead = found.agencies(lo, end, "lead")  # "yêu cầu X" alone gives no lead
    draft.support = found.agencies(lo, end, "support")
    draft.report_to = found.agencies(lo, end, "report_to")
    draft.monitor = found.agencies(lo, end, "monitor")
    draft.deadlines = list(found.deadline_ids(lo, end))
    draft.targets = list(found.target_ids(lo, end))


__all__ = ["sentence_end", "sentence_tasks", "sentences"]
