"""The text-layer judge and the syllable inventory it rests on (issue 14)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kttt_extract.loaders.syllables import TONES, Lexicon, split_tone, with_tone
from kttt_extract.loaders.textlayer import PageText, judge, page_ranges, valid_share
from kttt_extract.ruleset import RuleSet

PLAN = ("Ủy ban nhân dân huyện ban hành Kế hoạch thực hiện Nghị quyết số 20-NQ/TW ngày "
        "16/6/2022 của Ban Chấp hành Trung ương về tiếp tục đổi mới, phát triển và nâng cao "
        "hiệu quả kinh tế tập thể trong giai đoạn mới; Phòng Nông nghiệp và PTNT chủ trì.")
# what a font without /ToUnicode gives: glyph numbers read as codes (Quy định pháp luật ...)
BROKEN = ("Quy ÿӏQK ph·p OXұW Yj QJѭӡL GkQ [m KӝL WKӵF KLӋQ QJKƭD Yө FӫD F¿F Fѫ TXDQ "
          "ÿѫQ Yӏ WUrQ ÿӏD EjQ WӍQK Yj KX\\ӋQ QăP KӧS W¿F")


@pytest.fixture(scope="module")
def lexicon(rules: RuleSet) -> Lexicon:
    return Lexicon.from_rules(rules)


def _page(text: str, lines: int = 30, image: float = 0.0) -> PageText:
    return PageText(number=1, text=text, lines=lines, height=842.0, image_cover=image)


@pytest.mark.parametrize("word", ["quyết", "Nghị", "NGHIÊNG", "khuyến", "giữa", "người", "hoạch",
                                  "thuỷ", "thủy", "quốc", "ương", "yêu", "Đường", "kỹ", "gì"])
def test_syllables_of_the_language_are_valid(lexicon: Lexicon, word: str) -> None:
    assert lexicon.is_syllable(word)


@pytest.mark.parametrize("word", ["quôc", "QUYÉT", "ngi", "ke̋", "ph", "OXұW", "ÿӏQK", "TTg",
                                  "cê", "ghô", "hoạc̣h", "quyet", "thàt", "mặn̉"])
def test_words_outside_the_inventory_are_not(lexicon: Lexicon, word: str) -> None:
    assert not lexicon.is_syllable(unicodedata.normalize("NFC", word))


@pytest.mark.parametrize(("seen", "right"), [
    ("QUYÉT", "QUYẾT"), ("quôc", "quốc"), ("Quôc", "Quốc"), ("viêc", "việc"),
    ("đươc", "được"), ("nghiêp", "nghiệp"),
])
def test_nearest_valid_syllable(lexicon: Lexicon, seen: str, right: str) -> None:
    assert lexicon.nearest(seen) == right


@pytest.mark.parametrize("seen", ["quyết", "Toơr", "ưo", "ĐĐ", "xyzw"])
def test_no_correction_when_valid_or_too_far(lexicon: Lexicon, seen: str) -> None:
    assert lexicon.nearest(seen) is None


@given(st.sampled_from(["ban", "hoach", "quyêt", "nghiêp", "thuc", "dân", "ương", "chuyên",
                        "tiêu", "khoa", "xuât", "huyên"]),
       st.sampled_from(["", *TONES]))
def test_tone_round_trip(base: str, tone: str) -> None:
    """Putting a tone on a toneless syllable and taking it off gives the parts back."""
    assert split_tone(with_tone(base, tone)) == (base, tone)


def test_vietnamese_text_passes(lexicon: Lexicon) -> None:
    verdict = judge(_page(PLAN), lexicon)
    assert verdict.kind == "ok" and verdict.usable
    assert verdict.valid_share is not None and verdict.valid_share > 0.95


def test_broken_font_is_garbage(lexicon: Lexicon) -> None:
    share = valid_share(BROKEN, lexicon)
    assert share is not None and share < 0.3
    assert judge(_page(BROKEN), lexicon).kind == "garbage"


def test_capitals_from_a_shifted_font_are_garbage(lexicon: Lexicon) -> None:
    """A font whose glyphs map to capital letters: short capital words (not abbreviations)."""
    text = " ".join(["EDQ", "KjQK", "NH", "KRDFK", "WKӵF", "KLӋQ", "QJKӏ", "TX\\ӃW", "YӅ"] * 4)
    assert judge(_page(text), lexicon).kind == "garbage"


@pytest.mark.parametrize("bad", ["\x01\x02\x03", "\ue001\ue002\ue003", "(cid:12)(cid:7)",
                                 "\ufffd\ufffd\ufffd"])
def test_control_private_and_glyph_numbers_are_garbage(lexicon: Lexicon, bad: str) -> None:
    assert judge(_page(PLAN[:60] + bad * 5), lexicon).kind == "garbage"


def test_a_few_abbreviations_are_not_garbage(lexicon: Lexicon) -> None:
    text = "UBND tỉnh, HĐND tỉnh, Sở NN&PTNT, Sở TC, Sở KH&ĐT và các sở, ngành phối hợp thực hiện"
    assert judge(_page(text), lexicon).kind == "ok"


def test_a_page_without_text_is_empty(lexicon: Lexicon) -> None:
    assert judge(_page("  12 \r\n", lines=1), lexicon).kind == "empty"


def test_an_image_with_an_e_signature_line_is_a_scan(lexicon: Lexicon) -> None:
    stamp = "Ký bởi: Văn phòng Chính phủ Thời gian ký: 15.05.2025 14:28:04 +07:00"
    assert judge(_page(stamp, lines=2, image=0.95), lexicon).kind == "scan"
    assert judge(_page(stamp, lines=2, image=0.0), lexicon).kind == "ok"  # a short text page
    assert judge(_page(PLAN * 8, lines=30, image=0.95), lexicon).kind == "ok"  # OCRed scan


@pytest.mark.parametrize(("pages", "text"), [([1, 2, 3, 4, 5, 6], "1-6"), ([3], "3"),
                                              ([1, 2, 4, 6, 7], "1-2, 4, 6-7"), ([], "")])
def test_page_ranges(pages: list[int], text: str) -> None:
    assert page_ranges(pages) == text
