"""Documents as they arrive: .doc/.rtf/.odt through LibreOffice, and scans through Tesseract.

Tests that need soffice or tesseract skip with a reason when absent (CI installs both).
"""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.errors import ExitStatus, KtttError, MissingTool, UnreadableInput
from kttt_extract.loaders import LoadOptions, load_bytes
from kttt_extract.model import Result
from kttt_extract.pipeline import extract_loaded
from kttt_extract.ruleset import RuleSet
from tests.conftest import invoke, make_pdf

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
FONTS = Path("/usr/share/fonts/truetype/dejavu")

PLAN = [
    ("title", "KẾ HOẠCH"),
    ("p", "Thực hiện Nghị quyết số 20-NQ/TW ngày 16/6/2022 của Ban Chấp hành Trung ương"),
    ("p", "I. MỤC ĐÍCH, YÊU CẦU"),
    ("p", "Nâng cao hiệu quả kinh tế tập thể trên địa bàn huyện."),
    ("p", "II. MỤC TIÊU"),
    ("list", "Phấn đấu đến năm 2030 có 50 hợp tác xã hoạt động hiệu quả."),
    ("list", "Tỷ lệ hợp tác xã khá, tốt đạt trên 70% trong quý III năm 2025."),
    ("p", "III. TỔ CHỨC THỰC HIỆN"),
    ("p", "Phòng Nông nghiệp chủ trì, báo cáo kết quả trước ngày 15/12 hằng năm."),
]


def _plan_docx() -> bytes:
    from docx import Document

    doc = Document()
    for kind, text in PLAN:
        if kind == "list":
            doc.add_paragraph(text, style="List Bullet")
        else:
            doc.add_paragraph(text).runs[0].bold = kind == "title"
    table = doc.add_table(rows=2, cols=4)
    for c, value in enumerate(["Chỉ tiêu", "ĐVT", "Năm 2025", "Năm 2030"]):
        table.rows[0].cells[c].text = value
    for c, value in enumerate(["Số thành viên", "người", "400", "600"]):
        table.rows[1].cells[c].text = value
    doc.add_paragraph("Nơi nhận: như trên.")  # a table needs a paragraph after it in .doc
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _convert(data: bytes, suffix: str, to: str, tmp_path: Path) -> bytes:
    source = tmp_path / f"plan.{suffix}"
    source.write_bytes(data)
    subprocess.run([SOFFICE or "soffice", f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
                    "--headless", "--convert-to", to, "--outdir", str(tmp_path / "out"),
                    str(source)], check=True, capture_output=True, timeout=180)
    return (tmp_path / "out" / f"plan.{to}").read_bytes()


def _essence(result: Result) -> dict[str, Any]:
    return {"sections": [s.model_dump() for s in result.sections],
            "targets": [t.model_dump() for t in result.targets],
            "deadlines": [d.model_dump() for d in result.deadlines]}


# --------------------------------------------------------------------------- LibreOffice


@needs_soffice
@pytest.mark.parametrize("fmt", ["doc", "rtf", "odt"])
def test_office_formats_extract_like_the_docx(fmt: str, tmp_path: Path, rules: RuleSet) -> None:
    docx = _plan_docx()
    data = _convert(docx, "docx", fmt, tmp_path)
    loaded = load_bytes(data, f"plan.{fmt}")
    assert loaded.source.format == fmt
    from kttt_extract.loaders import sha256

    assert loaded.source.sha256 == sha256(data)
    expected = _essence(extract_loaded(load_bytes(docx, "plan.docx"), rules))
    assert expected["targets"] and expected["deadlines"] and expected["sections"]
    assert _essence(extract_loaded(loaded, rules)) == expected


@needs_soffice
def test_doc_through_the_cli(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.doc"
    path.write_bytes(_convert(_plan_docx(), "docx", "doc", tmp_path))
    data = json.loads(invoke(["extract", str(path)], capfd=capfd).stdout)
    assert data["source"]["format"] == "doc"
    assert [t["value"] for t in data["targets"]] == [50, 70, 400, 600]


@needs_soffice
def test_damaged_doc(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    res = invoke(["extract", str(path)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr.startswith(f"kttt: error: {path}: ")
    assert res.stderr.count("\n") == 1


@needs_soffice
@pytest.mark.parametrize(("fmt", "magic"), [("doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
                                           ("rtf", b"{\\rtf1 "), ("odt", b"PK\x03\x04")])
def test_random_office_bytes_raise_only_our_errors(fmt: str, magic: bytes) -> None:
    from kttt_extract.loaders import office

    data = magic + random.Random(fmt).randbytes(3000)
    try:
        loaded = office.load(data, f"junk.{fmt}", LoadOptions(timeout=60), fmt)
    except KtttError:
        return
    assert loaded.source.format == fmt  # LibreOffice may read junk as text; that is fine


def test_missing_libreoffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "plan.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    res = invoke(["extract", str(path)], code=ExitStatus.MISSING_TOOL, capfd=capfd)
    assert res.stderr == (f"kttt: error: {path}: LibreOffice is needed to read .doc/.rtf/.odt "
                          "(apt-get install libreoffice-writer)\n")


# --------------------------------------------------------------------------- OCR

OCR_LINES = [text for _, text in PLAN]


def _text_pdf(lines: list[str]) -> bytes:
    return make_pdf(lines, wrap=True)


def _scan(pdf: bytes, dpi: int = 200) -> bytes:
    """The PDF rasterised: each page an image, no text layer (what a scanner makes)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    images = []
    try:
        for index in range(len(doc)):
            page = doc[index]
            images.append(page.render(scale=dpi / 72).to_pil().convert("RGB"))
            page.close()
    finally:
        doc.close()
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def _tesseract_ready() -> str | None:
    if shutil.which("tesseract") is None:
        return "tesseract is not installed"
    try:
        import pytesseract
    except ImportError:
        return "pytesseract (the ocr extra) is not installed"
    if "vie" not in pytesseract.get_languages(config=""):
        return "tesseract has no Vietnamese data (tesseract-ocr-vie)"
    return None


needs_tesseract = pytest.mark.skipif(_tesseract_ready() is not None,
                                     reason=_tesseract_ready() or "")


def test_scan_without_ocr_asks_for_it(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_scan(_text_pdf(OCR_LINES)))
    res = invoke(["extract", "--ocr", "never", str(path)], code=ExitStatus.NO_TEXT, capfd=capfd)
    assert res.stderr == (f"kttt: error: {path}: text layer unusable on page 1 (scanned "
                          "pages) "
                          "(run with --ocr auto)\n")


@needs_tesseract
def test_ocr_gives_what_the_text_layer_gives(tmp_path: Path,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    text_pdf = _text_pdf(OCR_LINES)
    clean, scan = tmp_path / "clean.pdf", tmp_path / "scan.pdf"
    clean.write_bytes(text_pdf)
    scan.write_bytes(_scan(text_pdf))
    want = json.loads(invoke(["extract", str(clean)], capfd=capfd).stdout)
    got = json.loads(invoke(["extract", "--ocr", str(scan)], capfd=capfd).stdout)
    assert got["source"]["ocr"] is True and got["source"]["pages"] == 1

    def sections(d: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(s["number"], s["heading"], s["kind"]) for s in d["sections"]]

    def targets(d: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(t["value"], t["unit"], t["metric"], t["comparator"], t["year"], t["indicator"])
                for t in d["targets"]]

    assert sections(got) == sections(want) and sections(want)
    assert targets(got) == targets(want) and targets(want)
    assert [d["date"] for d in got["deadlines"]] == [d["date"] for d in want["deadlines"]]
    [notice] = [w for w in got["warnings"] if w["code"] == "ocr"]
    assert notice["message"].startswith("text of page 1 came from OCR (--ocr always) in ")


@needs_tesseract
def test_ocr_blocks_keep_tone_marks_and_hints() -> None:
    from kttt_extract.loaders.ocr import ocr_pdf

    pages = [OCR_LINES[:5], OCR_LINES[5:]]
    pdf = _scan(_two_pages(pages))
    loaded = ocr_pdf(pdf, "scan.pdf", LoadOptions(ocr=True))
    texts = [b.text for b in loaded.blocks if b.kind != "page_break"]
    assert texts == OCR_LINES
    assert [b.kind for b in loaded.blocks].count("page_break") == 1
    assert {b.page for b in loaded.blocks} == {1, 2}
    assert all(b.hints.ocr and b.hints.hard_wrapped for b in loaded.blocks if b.text)
    assert loaded.blocks[0].hints.centered  # the title
    assert loaded.source.ocr and loaded.source.pages == 2 and loaded.source.format == "pdf"


def _two_pages(pages: list[list[str]]) -> bytes:
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 (test extra) builds the fixture PDFs")
    doc = fpdf.FPDF()
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.set_font("dv", "", 12)
    for lines in pages:
        doc.add_page()
        for i, line in enumerate(lines):
            doc.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT", align="C" if not i else "L")
    return bytes(doc.output())


@needs_tesseract
def test_ocr_time_limit() -> None:
    from kttt_extract.loaders.ocr import ocr_pdf

    with pytest.raises(UnreadableInput) as err:
        ocr_pdf(_scan(_text_pdf(OCR_LINES)), "scan.pdf", LoadOptions(ocr=True, timeout=0.001))
    assert err.value.line() == ("scan.pdf: OCR of page 1 took longer than 0.001 s "
                                "(the scan may be very large or noisy)")


HINT = "pip install 'kttt-extract[ocr]' and apt-get install tesseract-ocr tesseract-ocr-vie"


def test_ocr_without_pytesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "pytesseract", None)  # import fails
    path = tmp_path / "scan.pdf"
    path.write_bytes(_scan(_text_pdf(OCR_LINES)))
    res = invoke(["extract", "--ocr", str(path)], code=ExitStatus.MISSING_TOOL, capfd=capfd)
    assert res.stderr == (f"kttt: error: {path}: OCR needs pytesseract, which is not installed "
                          f"({HINT})\n")


def test_ocr_without_tesseract_or_its_language(monkeypatch: pytest.MonkeyPatch) -> None:
    pytesseract = pytest.importorskip("pytesseract", reason="the ocr extra is not installed")
    from kttt_extract.loaders.ocr import tesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/no/such/tesseract")
    with pytest.raises(MissingTool) as err:
        tesseract("vie")
    assert err.value.line() == f"OCR needs the tesseract program, which was not found ({HINT})"
    monkeypatch.undo()
    if _tesseract_ready() is None:
        with pytest.raises(MissingTool) as err:
            tesseract("xyz")
        assert err.value.line() == (
            "tesseract has no 'xyz' language data (pip install 'kttt-extract[ocr]' and "
            "apt-get install tesseract-ocr tesseract-ocr-xyz)")


def test_ocr_lines_from_tesseract_data(rules: RuleSet) -> None:
    from kttt_extract.loaders.ocr import page_lines
    from kttt_extract.loaders.ocrfix import Fixer

    def repair(text: str) -> str:
        return Fixer.from_rules(rules).line(text, Counter())

    data: dict[str, list[Any]] = {
        "text": ["", "II.", "MỤC", "TIÊU", "5,", "Phát", "huy", "  "],
        "conf": [-1, 96, 95, 94, 80, 90, 91, -1],
        "block_num": [1, 1, 1, 1, 1, 1, 1, 1], "par_num": [1, 1, 1, 1, 2, 2, 2, 2],
        "line_num": [0, 1, 1, 1, 1, 1, 1, 1], "left": [0, 100, 150, 240, 100, 130, 200, 0],
        "width": [0, 40, 80, 70, 20, 60, 40, 0]}
    lines = page_lines(data)
    assert [(x.text, x.left, x.right) for x in lines] == [("II. MỤC TIÊU", 100, 310),
                                                         ("5, Phát huy", 100, 240)]
    assert [repair(x.text) for x in lines] == ["II. MỤC TIÊU", "5. Phát huy"]
    assert repair("Các Ð/c; quý l năm 2023; IIl. TỔ CHỨC; l) mục") == (
        "Các Đ/c; quý I năm 2023; III. TỔ CHỨC; l) mục")
