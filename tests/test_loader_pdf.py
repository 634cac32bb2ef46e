"""The PDF loader on PDFs built here with fpdf2 (DejaVu gives the Vietnamese glyphs)."""

from __future__ import annotations

import os
import random
import sys
import types
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.errors import EncryptedPdf, KtttError, NoTextLayer, UnreadableInput
from kttt_extract.loaders import LoadOptions
from kttt_extract.loaders.pdf import load
from kttt_extract.loaders.pdf_tables import read_tables
from kttt_extract.model import Block, Loaded, OcrPage, Source

fpdf = pytest.importorskip("fpdf", reason="fpdf2 (test extra) builds the fixture PDFs")
FPDF: Any = fpdf.FPDF

FONTS = Path("/usr/share/fonts/truetype/dejavu")
if not (FONTS / "DejaVuSans.ttf").exists() or not (FONTS / "DejaVuSans-Bold.ttf").exists():
    pytest.skip(f"DejaVu fonts not found in {FONTS} (needed for Vietnamese glyphs)",
                allow_module_level=True)

TITLE = "KẾ HOẠCH THỰC HIỆN"
HEADER = "Kế hoạch số 12/KH-UBND ngày 05/01/2024"
BODY = [
    "Căn cứ Nghị quyết số 13-NQ/TW ngày 18/3/2002 của Bộ Chính trị khóa IX;",
    "Ủy ban nhân dân huyện Tam Đường ban hành Kế hoạch như sau:",
    "Phấn đấu đến năm 2025 có 95% hợp tác xã hoạt động hiệu quả.",
    "Phòng Tài chính - Kế hoạch chủ trì, phối hợp với các cơ quan liên quan.",
    "Đẩy mạnh ứng dụng công nghệ thông tin trong quản lý nhà nước.",
    "Định kỳ trước ngày 15 tháng 12 hằng năm báo cáo kết quả thực hiện.",
]


def _pdf(pages: list[list[str]], *, header: str | None = None, footer: str | None = None,
         title: str | None = None, password: str | None = None,
         blank: tuple[int, ...] = ()) -> bytes:
    """A PDF with one page per list of lines; `header` and `footer` may hold `{n}` for the page
    number; pages whose index is in `blank` get only a drawn rectangle (and header/footer)."""

    class Doc(FPDF):  # type: ignore[misc]
        def header(self) -> None:
            if header:
                self.set_font("dv", "", 9)
                self.cell(0, 6, header.format(n=self.page_no()), align="R")
                self.ln(10)

        def footer(self) -> None:
            if footer:
                self.set_y(-15)
                self.set_font("dv", "", 9)
                self.cell(0, 8, footer.format(n=self.page_no()), align="C")

    doc = Doc()
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("dv", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    for index, lines in enumerate(pages):
        doc.add_page()
        if index in blank:
            doc.rect(40, 60, 120, 80)
            continue
        if title:
            doc.set_font("dv", "B", 13)
            doc.cell(0, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
        doc.set_font("dv", "", 12)
        for line in lines:
            doc.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    if password:
        doc.set_encryption(owner_password="owner-pw", user_password=password)
    return bytes(doc.output())


def _load(data: bytes, **options: Any) -> Loaded:
    return load(data, "test.pdf", LoadOptions(**options), "pdf")


def _texts(loaded: Loaded) -> list[str]:
    return [b.text for b in loaded.blocks if b.kind != "page_break"]


def _three_pages() -> list[list[str]]:
    return [BODY[0:2], BODY[2:4], BODY[4:6]]


def test_vietnamese_text_comes_back_nfc_with_diacritics() -> None:
    decomposed = unicodedata.normalize("NFD", BODY[1])
    loaded = _load(_pdf([[BODY[0], decomposed, BODY[5]]]))
    assert _texts(loaded) == [BODY[0], BODY[1], BODY[5]]
    assert all(unicodedata.is_normalized("NFC", t) for t in _texts(loaded))


def test_source_describes_the_pdf() -> None:
    data = _pdf(_three_pages())
    source = _load(data).source
    assert source == Source(path="test.pdf", format="pdf", sha256=source.sha256, pages=3)
    assert len(source.sha256) == 64


def test_blocks_carry_pages_with_page_breaks_between() -> None:
    loaded = _load(_pdf(_three_pages()))
    kinds = [(b.kind, b.page) for b in loaded.blocks]
    assert kinds == [("paragraph", 1), ("paragraph", 1), ("page_break", 2),
                     ("paragraph", 2), ("paragraph", 2), ("page_break", 3),
                     ("paragraph", 3), ("paragraph", 3)]
    assert all(b.hints.hard_wrapped for b in loaded.blocks if b.kind == "paragraph")
    assert [b.text for b in loaded.blocks if b.kind == "page_break"] == ["", ""]


@pytest.mark.parametrize("footer", ["{n}", "- {n} -", "Trang {n}", "{n}/3", "Trang {n}/3"])
def test_running_header_and_page_numbers_are_dropped(footer: str) -> None:
    loaded = _load(_pdf(_three_pages(), header=HEADER, footer=footer))
    assert _texts(loaded) == BODY


def test_header_with_changing_digits_is_still_a_running_header() -> None:
    data = _pdf([*_three_pages(), BODY[0:1]], header="Kế hoạch số 12/KH-UBND, tờ {n}")
    assert _texts(_load(data)) == [*BODY, BODY[0]]


def test_numbers_in_the_body_or_too_large_are_kept() -> None:
    pages = [[BODY[0], "15", BODY[1]], [BODY[2], BODY[3], "2025"]]
    assert _texts(_load(_pdf(pages))) == [BODY[0], "15", BODY[1], BODY[2], BODY[3], "2025"]


def test_bold_centred_title_gets_hints() -> None:
    loaded = _load(_pdf([BODY[0:3]], title=TITLE))
    first, second = loaded.blocks[0], loaded.blocks[1]
    assert first.text == TITLE
    assert first.hints.bold and first.hints.centered
    assert not second.hints.bold and not second.hints.centered


def test_line_end_hyphen_is_kept_as_hyphen() -> None:
    loaded = _load(_pdf([["Căn cứ Quyết định số 281/QĐ-", "UBND ngày 18/3/2002 của tỉnh", *BODY]]))
    text = " ".join(_texts(loaded))
    assert "281/QĐ-" in text and "\ufffe" not in text


def test_encrypted_pdf_needs_the_password() -> None:
    data = _pdf(_three_pages(), password="bi-mat")
    with pytest.raises(EncryptedPdf) as info:
        _load(data)
    assert info.value.line() == "test.pdf: encrypted PDF (pass --password)"
    with pytest.raises(EncryptedPdf):
        _load(data, password="wrong")
    assert _texts(_load(data, password="bi-mat")) == BODY


def test_truncated_pdf_is_unreadable() -> None:
    data = _pdf(_three_pages())
    with pytest.raises(UnreadableInput) as info:
        _load(data[: len(data) // 2])
    assert info.value.message.startswith("damaged PDF: ")
    assert info.value.hint


def test_random_bytes_after_pdf_magic_are_unreadable() -> None:
    data = b"%PDF-1.7\n" + random.Random(7).randbytes(4000)
    with pytest.raises(UnreadableInput, match="damaged PDF"):
        _load(data)


def test_cut_or_flipped_pdfs_raise_only_our_errors() -> None:
    data = _pdf(_three_pages(), header=HEADER, footer="{n}")
    rng = random.Random(11)
    variants = [data[:n] for n in range(0, len(data), max(1, len(data) // 25))]
    for _ in range(25):
        flipped = bytearray(data)
        for _ in range(20):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        variants.append(bytes(flipped))
    outcomes: Counter[str] = Counter()
    for variant in variants:
        try:
            _load(variant)
            outcomes["loaded"] += 1
        except KtttError as exc:
            outcomes[exc.code] += 1
    assert outcomes["unreadable"] >= 12


def test_pdf_without_text_asks_for_ocr() -> None:
    with pytest.raises(NoTextLayer) as info:
        _load(_pdf([[]], blank=(0,)), ocr="never")
    assert info.value.message == "text layer unusable on page 1 (no text)"
    assert info.value.hint == "run with --ocr auto"


def test_mostly_scanned_pdf_asks_for_ocr() -> None:
    with pytest.raises(NoTextLayer):
        _load(_pdf([["Trang bìa"], [], [], []], blank=(1, 2, 3)), ocr="never")


def test_scan_with_a_text_header_on_every_page_asks_for_ocr() -> None:
    with pytest.raises(NoTextLayer):
        _load(_pdf([[], [], []], header=HEADER, footer="Trang {n}", blank=(0, 1, 2)),
              ocr="never")


def test_one_scanned_page_in_a_text_pdf_is_a_warning() -> None:
    loaded = _load(_pdf([BODY[0:3], [], BODY[3:6]], blank=(1,)))
    assert _texts(loaded) == BODY
    assert [w.code for w in loaded.warnings] == ["pdf-pages-without-text"]
    assert loaded.warnings[0].message.endswith(": 2")


def test_ocr_option_hands_scans_to_the_ocr_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    from kttt_extract.loaders.ocr import OcrRead

    data = _pdf([[]], blank=(0,))
    calls: list[tuple[bytes, str, LoadOptions, list[int]]] = []

    def read_pages(data: bytes, path: str, options: LoadOptions, rules: Any,
                   pages: list[int]) -> OcrRead:
        calls.append((data, path, options, list(pages)))
        block = Block(kind="paragraph", text="đã nhận dạng", page=1)
        return OcrRead(blocks={1: [block]}, pages=(OcrPage(page=1, confidence=0.9),))

    fake = types.ModuleType("kttt_extract.loaders.ocr")
    fake.read_pages = read_pages  # type: ignore[attr-defined]
    fake.tesseract = lambda lang, path: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kttt_extract.loaders.ocr", fake)
    loaded = _load(data, ocr=True)
    assert _texts(loaded) == ["đã nhận dạng"] and loaded.source.ocr
    assert calls and calls[0][0] == data and calls[0][2].ocr_mode == "always"
    assert calls[0][3] == [1]


def test_ocr_option_without_ocr_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "kttt_extract.loaders.ocr", None)  # import fails
    with pytest.raises(NoTextLayer, match="text layer unusable on page 1"):
        _load(_pdf([[]], blank=(0,)))


def test_tables_are_read_with_pdfplumber() -> None:
    doc = FPDF()
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("dv", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.add_page()
    doc.set_font("dv", "", 11)
    rows = [("TT", "Chỉ tiêu", "Năm 2025"), ("1", "Tỷ lệ hộ nghèo", "giảm 2%"),
            ("2", "Số hợp tác xã", "45")]
    with doc.table() as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(value)
    data = bytes(doc.output())
    (found,) = read_tables(data, None, [1])
    assert [[c.text for c in row] for row in found.rows] == [list(r) for r in rows]
    table_rows = [b for b in load(data, "t.pdf", LoadOptions(), "pdf").blocks
                  if b.kind == "table_row"]
    assert [b.text for b in table_rows] == [" | ".join(r) for r in rows]


def test_tables_of_encrypted_pdf_need_the_password() -> None:
    data = _pdf(_three_pages(), password="pw")
    with pytest.raises(EncryptedPdf):
        read_tables(data, None, [1])
    assert read_tables(data, "pw", [1, 2, 3]) == []


@pytest.mark.skipif(not os.environ.get("KTTT_SLOW"), reason="slow; set KTTT_SLOW=1")
def test_three_hundred_pages() -> None:
    pages = [[f"{n}. {line}" for line in BODY] * 5 for n in range(300)]
    loaded = _load(_pdf(pages, header=HEADER, footer="{n}"))
    assert loaded.source.pages == 300
    assert sum(1 for b in loaded.blocks if b.kind == "page_break") == 299
