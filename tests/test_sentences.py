"""Sentences of a span (link.sentences): read by a run and its stops, the same spans as the
single pattern they replace, which backtracks at every position of a line without a stop."""

from __future__ import annotations

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from kttt_extract.link.sentences import sentence_end, sentences

# the reference: a run over anything but stops and line ends, or a dot that ends no sentence,
# then its stops or the end of the span
REFERENCE = regex.compile(r"(?:[^.!?\n]|\.(?!\s+\p{Lu}|/|\s*$))+(?:[.!?]+/?\.?|$)")
SPAN_TEXT = st.text(alphabet="ab B.!?/ \n", max_size=40)


@settings(max_examples=500, deadline=None)
@given(text=SPAN_TEXT, cut=st.tuples(st.integers(0, 40), st.integers(0, 40)))
def test_sentences_are_the_spans_of_the_reference_pattern(text: str,
                                                          cut: tuple[int, int]) -> None:
    lo, hi = sorted(min(c, len(text)) for c in cut)
    assert list(sentences(text, lo, hi)) == [m.span() for m in REFERENCE.finditer(text, lo, hi)]
    first = REFERENCE.match(text, lo, hi)
    assert sentence_end(text, lo, hi) == (first.end() if first else None)


def test_a_line_without_a_stop_ends_its_sentence_at_its_last_inner_dot() -> None:
    """What follows that dot on the line is in no sentence; the last line ends with the span."""
    text = "Giao Sở A, b. c làm\nSở B làm. Xong"
    assert list(sentences(text, 0, len(text))) == [(0, 13), (20, 29), (29, 34)]
