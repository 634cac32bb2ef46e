"""Highlights in the review page's text: nested, split where spans cross, always escaped."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from kttt_extract.emit.marks import Mark, render

TAG = re.compile(r"<[^>]+>")


def _plain(markup: str) -> str:
    return html.unescape(TAG.sub("", markup))


def _mark(item: str, kind: str, start: int, end: int) -> Mark:
    return Mark(item, kind, start, end, anchor=f"m-{item}")


def test_nested_spans_nest() -> None:
    text = "Sở Tài chính chủ trì trước ngày 15/12"
    out = render(text, [_mark("k1", "task", 0, len(text)), _mark("a1", "agency", 0, 12),
                        _mark("d1", "deadline", 21, len(text))])
    assert out == ('<span class="hl hl-task" data-item="k1" id="m-k1">'
                   '<span class="hl hl-agency" data-item="a1" id="m-a1">Sở Tài chính</span>'
                   ' chủ trì <span class="hl hl-deadline" data-item="d1" id="m-d1">'
                   "trước ngày 15/12</span></span>")


def test_a_crossing_span_is_split_and_counted_once() -> None:
    text = "abcdefghij"
    out = render(text, [_mark("k1", "task", 0, 6), _mark("d1", "deadline", 4, 9)])
    assert out.count('data-item="d1"') == 1 and out.count('data-part-of="d1"') == 1
    assert _plain(out) == text
    assert out.index('data-item="d1"') < out.index('data-part-of="d1"')


def test_text_is_escaped_and_an_empty_span_keeps_its_element() -> None:
    text = "<script>alert(1)</script> & <b>"
    out = render(text, [_mark("t1", "target", 26, 26)])
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert out.count('data-item="t1"') == 1


spans = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40),
                           st.sampled_from(["task", "agency", "target", "deadline"])),
                 max_size=12)


@given(st.text(alphabet="ab<>&\"' \nđ", max_size=40), spans)
def test_every_mark_gets_one_element_and_the_text_survives(
        text: str, raw: list[tuple[int, int, str]]) -> None:
    marks = [_mark(f"x{i}", kind, min(a, b), max(a, b)) for i, (a, b, kind) in enumerate(raw)]
    out = render(text, marks)
    assert _plain(out) == text
    for m in marks:
        assert out.count(f'data-item="{m.item}"') == 1
    assert out.count("<span") == out.count("</span>")
