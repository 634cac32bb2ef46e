"""OCR post-correction, page preparation and line assembly, without running Tesseract (issue 14)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kttt_extract.loaders.ocr import Line, _is_junk, page_lines
from kttt_extract.loaders.ocrfix import Fixer
from kttt_extract.ruleset import RuleSet


@pytest.fixture(scope="module")
def fixer(rules: RuleSet) -> Fixer:
    return Fixer.from_rules(rules)


def _fix(fixer: Fixer, text: str) -> tuple[str, dict[str, int]]:
    counts: Counter[str] = Counter()
    return fixer.line(text, counts), dict(counts)


@pytest.mark.parametrize(("seen", "right", "kind"), [
    ("KÉ HOẠCH", "KẾ HOẠCH", "phrase"),
    ("III. TÓ CHỨC THỰC HIỆN", "III. TỔ CHỨC THỰC HIỆN", "phrase"),
    ("II. NỌI DUNG", "II. NỘI DUNG", "phrase"),
    ("Theo đê nghị của Giám đốc Sở Nội vụ", "Theo đề nghị của Giám đốc Sở Nội vụ", "phrase"),
    ("chuyển đổi số quôc gia", "chuyển đổi số quốc gia", "phrase"),
    ("QUYÉT ĐỊNH:", "QUYẾT ĐỊNH:", "phrase"),
    ("việc thực hiện quyét sách", "việc thực hiện quyết sách", "syllable"),
    ("Hà Nội, ngày 15 tháng 5 năm 7025", "Hà Nội, ngày 15 tháng 5 năm 2025", "year"),
    ("báo cáo trước ngày 15/12/7025", "báo cáo trước ngày 15/12/2025", "year"),
    ("Luật Hợp tác xã số 17/2023/QHI15", "Luật Hợp tác xã số 17/2023/QH15", "code"),
    ("Nghị quyết số 30/2021/QHl5", "Nghị quyết số 30/2021/QH15", "code"),
    ("tỷ lệ hộ dùng nước sạch đạt 95o/o", "tỷ lệ hộ dùng nước sạch đạt 95%", "percent"),
    ("đạt trên 60 %o", "đạt trên 60%", "percent"),
    ("tổng thu ngân sách đạt 5l tỷ đồng", "tổng thu ngân sách đạt 51 tỷ đồng", "number"),
    ("5, Phòng Tài chính - Kế hoạch", "5. Phòng Tài chính - Kế hoạch", "numbering"),
    ("hoàn thành trong quý l năm 2026", "hoàn thành trong quý I năm 2026", "numbering"),
    ("Kính gửi: Các Ð/c Trưởng phòng", "Kính gửi: Các Đ/c Trưởng phòng", "character"),
])
def test_repairs(fixer: Fixer, seen: str, right: str, kind: str) -> None:
    assert _fix(fixer, seen) == (right, {kind: 1})


@pytest.mark.parametrize("text", [
    "Phạm Thị Thanh Trà, Tổ trưởng",  # a name that spells a phrase (thanh tra) with a tone more
    "Thủ trưởng cơ quan thuộc Chính phủ",  # thủ/thứ trưởng are both words: neither is forced
    "chi tiêu ngân sách năm 2025",  # chi tiêu and chỉ tiêu are both words
    "khoảng 7025 hộ gia đình",  # a count, not a year
    "giấy phép lái xe hạng B2; Tổ 3B",
    "Luật số 17/2023/QH15 ngày 20/6/2023",
    "Độc lập - Tự do - Hạnh phúc",
    "Đắk Lắk, Y Vinh Tơr",  # names outside the syllable inventory are left alone
])
def test_correct_text_is_left_alone(fixer: Fixer, text: str) -> None:
    assert _fix(fixer, text) == (text, {})


@settings(deadline=None)
@given(year=st.integers(min_value=1945, max_value=2100),
       lead=st.sampled_from(["năm ", "12/3/", "5-6-"]))
def test_years_in_range_are_kept(fixer: Fixer, year: int, lead: str) -> None:
    text = f"ban hành ngày {lead}{year}"
    assert _fix(fixer, text)[0] == text


@settings(max_examples=60, deadline=None)
@given(year=st.integers(min_value=2000, max_value=2039), at=st.integers(min_value=0, max_value=3))
def test_a_year_with_one_misread_digit_is_repaired(fixer: Fixer, year: int, at: int) -> None:
    """A year whose digit `at` was misread (per ocr.digit-confusions) into one out of range
    comes back when that is the only in-range reading."""
    digits = str(year)
    for wrong, could_be in fixer.digits.items():
        if digits[at] not in could_be:
            continue
        seen = digits[:at] + wrong + digits[at + 1:]
        low, high = fixer.years
        readings = {seen[:i] + alt + seen[i + 1:] for i in range(4)
                    for alt in fixer.digits.get(seen[i], "")}
        if low <= int(seen) <= high or [int(r) for r in readings if low <= int(r) <= high] != [
                year]:
            continue
        assert _fix(fixer, f"năm {seen}")[0] == f"năm {year}"


WORDS = ["KÉ", "HOẠCH", "quôc", "gia", "năm", "7025", "đê", "nghị", "TÓ", "CHỨC", "95o/o", "Trà",
         "5l", "QHI15", "việc", "các", "Sở", ",", ";", "quý", "l"]


@settings(max_examples=80, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
def test_repairs_are_idempotent(fixer: Fixer, words: list[str]) -> None:
    once = _fix(fixer, " ".join(words))[0]
    assert _fix(fixer, once) == (once, {})


def _data(words: list[tuple[str, int, int, float]], line: list[int]) -> dict[str, list[Any]]:
    return {"text": [w for w, _, _, _ in words], "left": [x for _, x, _, _ in words],
            "width": [w for _, _, w, _ in words], "conf": [c for _, _, _, c in words],
            "block_num": [1] * len(words), "par_num": [1] * len(words), "line_num": line}


def test_a_letterhead_row_splits_into_its_columns() -> None:
    words = [("Số:", 300, 60, 95.0), ("12/UBND", 370, 200, 90.0), ("Hà", 1400, 60, 96.0),
             ("Nội,", 1470, 70, 96.0), ("ngày", 1550, 90, 96.0), ("Căn", 300, 60, 96.0),
             ("cứ", 370, 40, 96.0)]
    lines = page_lines(_data(words, [1, 1, 1, 1, 1, 2, 2]), width=2480)
    assert [(x.text, x.left, x.right) for x in lines] == [
        ("Số: 12/UBND", 300, 570), ("Hà Nội, ngày", 1400, 1640), ("Căn cứ", 300, 410)]


def test_stamp_and_speck_lines_are_junk(fixer: Fixer) -> None:
    lexicon = fixer.lexicon
    assert _is_junk(Line("⁄4<<-....", 0, 10, 51.0), lexicon)
    assert _is_junk(Line("( `: m.", 0, 10, 45.0), lexicon)
    assert _is_junk(Line("24th THNHH CCHữNH", 0, 10, 52.0), lexicon)  # no syllable
    assert _is_junk(Line("coi;", 0, 10, 0.0), lexicon)  # hardly sure at all
    assert not _is_junk(Line("- Như Điều 3;", 0, 10, 55.0), lexicon)  # words of the language
    assert not _is_junk(Line("... ... ...", 0, 10, 92.0), lexicon)  # sure of it: a leader line


def test_coloured_ink_is_dropped_and_black_print_kept() -> None:
    from PIL import Image, ImageDraw

    from kttt_extract.loaders.ocrprep import drop_colour

    image = Image.new("RGB", (60, 20), (250, 248, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 9, 19), fill=(20, 20, 20))  # black print
    draw.rectangle((10, 0, 19, 19), fill=(210, 40, 50))  # red stamp
    draw.rectangle((20, 0, 29, 19), fill=(40, 60, 190))  # blue stamp
    draw.rectangle((30, 0, 39, 19), fill=(70, 12, 15))  # black print under red ink
    grey = drop_colour(image)
    assert grey.mode == "L"
    assert grey.getpixel((5, 5)) < 40
    assert grey.getpixel((15, 5)) == 255 and grey.getpixel((25, 5)) == 255
    assert grey.getpixel((35, 5)) < 128  # still dark enough to read
    assert grey.getpixel((45, 5)) > 240  # paper


@pytest.mark.parametrize("angle", [-2.0, 1.5, 0.0])
def test_skew_is_measured(angle: float) -> None:
    from PIL import Image, ImageDraw

    from kttt_extract.loaders.ocrprep import skew_angle

    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    for row in range(150, 1600, 45):  # lines of "text": dashes of ink with word gaps
        for col in range(120, 1100, 90):
            draw.rectangle((col, row, col + 70, row + 18), fill=0)
    tilted = page.rotate(angle, fillcolor=255)
    assert abs(skew_angle(tilted) + angle) <= 0.25


def test_only_a_speckled_page_is_despeckled() -> None:
    import random

    from PIL import Image, ImageDraw

    from kttt_extract.loaders.ocrprep import despeckle

    page = Image.new("L", (800, 1000), 255)
    ImageDraw.Draw(page).rectangle((100, 400, 700, 420), fill=0)
    assert despeckle(page) is page
    rng = random.Random(3)
    for _ in range(3000):
        page.putpixel((rng.randrange(800), rng.randrange(1000)), 0)
    cleaned = despeckle(page)
    assert cleaned is not page
    assert 12500 <= sum(cleaned.histogram()[:128]) <= 12700  # the bar of "text" (601 x 21)


@pytest.mark.parametrize(("seen", "right", "repairs"), [
    (["I. MỤC ĐÍCH", "IH. NỘI DUNG", "II. TỔ CHỨC THỰC HIỆN"],
     ["I. MỤC ĐÍCH", "II. NỘI DUNG", "III. TỔ CHỨC THỰC HIỆN"], 2),
    (["I. MỤC TIÊU", "II. NHIỆM VỤ", "HI. GIẢI PHÁP", "1. Phòng Tài chính"],
     ["I. MỤC TIÊU", "II. NHIỆM VỤ", "III. GIẢI PHÁP", "1. Phòng Tài chính"], 1),
    (["I. MỤC ĐÍCH", "H. NỘI DUNG"], ["I. MỤC ĐÍCH", "II. NỘI DUNG"], 1),
    (["I. MỤC TIÊU", "II. NHIỆM VỤ", "PHỤ LỤC", "I. DANH MỤC", "II. KINH PHÍ"],
     ["I. MỤC TIÊU", "II. NHIỆM VỤ", "PHỤ LỤC", "I. DANH MỤC", "II. KINH PHÍ"], 0),
    (["Điều 1. Phê duyệt", "1. Bộ trưởng Bộ Nội vụ", "2. Thứ trưởng", "l. Ban"],
     ["Điều 1. Phê duyệt", "1. Bộ trưởng Bộ Nội vụ", "2. Thứ trưởng", "l. Ban"], 0),
])
def test_roman_heading_numbers_follow_their_sequence(fixer: Fixer, seen: list[str],
                                                     right: list[str], repairs: int) -> None:
    counts: Counter[str] = Counter()
    assert fixer.headings(seen, counts) == right
    assert counts["numbering"] == repairs


def test_close_letterhead_columns_split_but_justified_lines_do_not() -> None:
    close = [("THỦ", 383, 114, 93.0), ("TƯỚNG", 513, 204, 92.0), ("PHỦ", 733, 113, 91.0),
             ("CỘNG", 916, 158, 91.0), ("HÒA", 1090, 122, 96.0)]
    assert [x.text for x in page_lines(_data(close, [1] * 5), width=2480)] == [
        "THỦ TƯỚNG PHỦ", "CỘNG HÒA"]
    justified = [(w, 300 + k * 160, 110, 95.0) for k, w in enumerate(
        ["Căn", "cứ", "Luật", "Tổ", "chức", "Chính", "phủ", "ngày"])]
    assert [x.text for x in page_lines(_data(justified, [1] * 8), width=2480)] == [
        "Căn cứ Luật Tổ chức Chính phủ ngày"]
