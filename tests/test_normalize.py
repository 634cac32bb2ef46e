"""The normaliser: paragraphs, tone placement, offsets back to blocks, idempotence."""

from __future__ import annotations

import unicodedata

import regex
from hypothesis import given
from hypothesis import strategies as st

from kttt_extract.loaders import load_bytes
from kttt_extract.model import Block, Hints
from kttt_extract.normalize import locate, normalize
from kttt_extract.textnorm import all_caps, fold_tones, unify_chars

WRAPPED = Hints(hard_wrapped=True)
# the one form of each dash, quote and space (the reference for unify_chars' fast path)
UNIFIED = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\ufffe": "-", "\u2019": "'",
           "\u201c": '"', "\u201d": '"', "\u00a0": " ", "\t": " ", "\u200b": " ",
           "\ufeff": " ", "\u3000": " "}
# the tone of an open oa, oe, uy moves to its first vowel (the reference for the fast path)
TONE_MOVE = regex.compile(
    r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?![\p{L}\p{M}])")


def _wrapped(*lines: str) -> list[Block]:
    return [Block(kind="paragraph", text=t, hints=WRAPPED) for t in lines]


def test_tone_placement_is_unified() -> None:
    assert fold_tones("Uỷ ban") == fold_tones("Ủy ban") == "Ủy ban"
    assert fold_tones("hoà bình") == "hòa bình"
    assert fold_tones("quý I") == "quý I"  # "qu" is a consonant
    assert fold_tones("hoàn thành") == "hoàn thành"  # closed syllable: no change


# letters, tone and other combining marks (composed and not), o/u before a/e/y, q, case
TONE_TEXT = st.text(alphabet="oOuUaAeEyYqh ,.àáãảạÝỳặậẹệ\u0300\u0301\u0303\u0309\u0323"
                             "\u0302\u0306\u031b\u0316", max_size=12)


@given(TONE_TEXT)
def test_tone_folding_skips_only_text_with_no_tone_to_move(text: str) -> None:
    """Text where no tone can move is only composed: the same as moving tones in the
    decomposed text and composing it again."""
    moved = TONE_MOVE.sub(r"\1\3\2", unicodedata.normalize("NFD", text))
    assert fold_tones(text) == unicodedata.normalize("NFC", moved)


# the characters unify_chars maps, with letters, spaces and punctuation it keeps
UNIFY_TEXT = st.text(alphabet="aĐ ư-.,'\"…\t\u00a0\u2013\u2014\u2019\u201c\u201d\u2212"
                              "\u200b\ufeff\ufffe\u3000", max_size=12)


@given(UNIFY_TEXT)
def test_unify_chars_skips_only_text_with_nothing_to_map(text: str) -> None:
    """A line with no character to unify comes back as it is: the same as mapping each one."""
    expected = text.translate({ord(k): v for k, v in UNIFIED.items()})
    assert unify_chars(text) == expected
    assert len(unify_chars(text)) == len(text)


# capitals and small letters (ASCII and not), caseless letters, marks and signs with a case
CAPS_TEXT = st.text(alphabet="aAzZĐđƯưỦủ中ªⓐⒶ1 -.\u0301", max_size=10)


@given(CAPS_TEXT, st.integers(min_value=0, max_value=4))
def test_all_caps_is_every_letter_a_capital(text: str, min_letters: int) -> None:
    letters = [c for c in text if c.isalpha()]
    expected = len(letters) >= max(min_letters, 1) and all(c.isupper() for c in letters)
    assert all_caps(text, min_letters) == expected


def test_hard_wrapped_lines_rejoin_into_paragraphs() -> None:
    norm = normalize(_wrapped(
        "Căn cứ Nghị quyết số 13-NQ/TW ngày 18/3/2002 của Bộ Chính trị khóa",
        "IX về tiếp tục đổi mới, phát triển và nâng cao hiệu quả kinh tế tập thể và các",
        "nội dung khác có liên quan đến hợp tác xã trên địa bàn toàn huyện năm nay;",
        "I. MỤC ĐÍCH, YÊU CẦU",
        "1. Phòng Tài chính - Kế hoạch",
        "Thường xuyên kiểm tra, theo dõi, đôn đốc, tổng hợp tình hình thực hiện các",
    ))
    lines = norm.text.split("\n")
    assert lines[0].startswith("Căn cứ") and "khóa IX về" in lines[0]
    assert lines[1] == "I. MỤC ĐÍCH, YÊU CẦU"
    assert lines[2] == "1. Phòng Tài chính - Kế hoạch"
    assert lines[3].startswith("Thường xuyên")


def test_document_number_split_by_a_line_end_is_glued() -> None:
    norm = normalize(_wrapped("thực hiện Nghị quyết số 20-", "NQ/TW của Ban Chấp hành"))
    assert "20-NQ/TW" in norm.text


def test_spans_map_back_to_blocks() -> None:
    blocks = _wrapped("Thực hiện   Kế hoạch số 67-KH/HU", "của Ban Thường vụ")
    norm = normalize(blocks)
    pos = norm.text.index("Ban")
    block, offset = locate(norm, pos) or (-1, -1)
    assert blocks[block].text[offset:offset + 3] == "Ban"
    pos = norm.text.index("Kế")
    block, offset = locate(norm, pos) or (-1, -1)
    assert blocks[block].text[offset:offset + 2] == "Kế"


def test_markdown_dress_becomes_hints() -> None:
    loaded = load_bytes("### **II- MỤC TIÊU**\n\n~~xóa~~ Nội dung **đậm**\n\n---\n".encode(),
                        "x.md")
    heading, body = loaded.blocks
    assert heading.text == "II- MỤC TIÊU" and heading.hints.heading_level == 3
    assert heading.hints.bold
    assert body.text == "Nội dung đậm" and body.hints.rule_below


_vi_text = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíị"
                   "òỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ UỶỦ .,;:-0123456789\n", max_size=300)


@given(_vi_text)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize([Block(kind="paragraph", text=t) for t in text.split("\n")]).text
    twice = normalize([Block(kind="paragraph", text=t) for t in once.split("\n")]).text
    assert once == twice


@given(_vi_text)
def test_every_copied_run_points_at_its_source(text: str) -> None:
    blocks = [Block(kind="paragraph", text=t, hints=WRAPPED) for t in text.split("\n")]
    norm = normalize(blocks)
    for start, end, block, offset in norm.origin:
        source = fold_tones(unify_chars(blocks[block].text))
        assert norm.text[start:end] == source[offset:offset + end - start]
