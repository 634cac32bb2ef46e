"""Scans and broken text layers end to end (issue 14): pages rendered from known text in a Debian
font, spoiled (a red stamp over the header, a red seal, a skew, specks), read back by the tool.

Tests that run Tesseract skip with a reason when it (or its Vietnamese data) is absent.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.errors import ExitStatus, NoTextLayer
from kttt_extract.loaders import LoadOptions, load_bytes
from kttt_extract.model import Loaded, Result
from kttt_extract.pipeline import extract_loaded
from kttt_extract.ruleset import RuleSet
from tests.conftest import invoke

pytest.importorskip("fpdf", reason="fpdf2 (test extra) builds the fixture PDFs")
from tests.ocr_scans import (
    PLAN_PAGE,
    Spoil,
    accuracy,
    font_files,
    plan_pdf,
    replace_page,
    scan_pdf,
    text_pdf,
    without_tounicode,
)

if font_files() is None:
    pytest.skip("no serif font (apt-get install fonts-liberation2 or fonts-dejavu-core)",
                allow_module_level=True)


def _tesseract_missing() -> str | None:
    if shutil.which("tesseract") is None:
        return "tesseract is not installed"
    try:
        import pytesseract
    except ImportError:
        return "pytesseract (the ocr extra) is not installed"
    if "vie" not in pytesseract.get_languages(config=""):
        return "tesseract has no Vietnamese data (tesseract-ocr-vie)"
    return None


needs_tesseract = pytest.mark.skipif(_tesseract_missing() is not None,
                                     reason=_tesseract_missing() or "")
SPOILED = Spoil(dpi=200, skew=1.5, noise=0.004, blur=0.5, jpeg=60, seal=True, seed=5)
STAMP_WORDS = ("CÔNG VĂN ĐẾN", "ĐẾN")


def _extract(data: bytes, rules: RuleSet, **options: Any) -> tuple[Loaded, Result]:
    loaded = load_bytes(data, "scan.pdf", LoadOptions(rules=rules, **options))
    return loaded, extract_loaded(loaded, rules)


@pytest.fixture(scope="module")
def spoiled_plan(rules: RuleSet) -> tuple[Loaded, Result]:
    if _tesseract_missing():
        pytest.skip(_tesseract_missing() or "")
    return _extract(scan_pdf(plan_pdf(), SPOILED), rules)


@needs_tesseract
def test_a_stamped_skewed_noisy_scan_reads_its_fields(spoiled_plan: tuple[Loaded, Result],
                                                      rules: RuleSet) -> None:
    loaded, result = spoiled_plan
    _, typed = _extract(plan_pdf(), rules)  # the same page from its text layer
    doc = result.document
    assert (doc.kind, doc.number, doc.date) == ("Kế hoạch", "125/KH-UBND", "2025-03-14")
    assert [(s.number, s.kind) for s in result.sections if s.level == 1] == [
        ("I", "purpose"), ("II", "other"), ("III", "implementation")]
    targets = {(t.value, t.unit, t.comparator, t.year) for t in result.targets}
    assert {(15, "tổ hợp tác", "approx", 2030), (60, "%", "gt", 2030)} <= targets
    assert {"2025-12-15", "2026-03-31"} <= {d.date for d in result.deadlines}
    refs = [(r.kind, r.number, r.date) for r in doc.references]
    assert ("Nghị quyết", "20-NQ/TW", "2022-06-16") in refs
    assert refs == [(r.kind, r.number, r.date) for r in typed.document.references]
    leads = {a.name for a in result.agencies if any(m.role == "lead" for m in a.mentions)}
    assert "Phòng Nông nghiệp và Phát triển nông thôn" in leads
    assert result.text is not None and not any(w in result.text for w in STAMP_WORDS)
    assert loaded.source.ocr and [p.page for p in loaded.source.ocr_pages] == [1]
    assert loaded.source.ocr_pages[0].confidence > 0.8
    [notice] = [w for w in result.warnings if w.code == "ocr"]
    assert notice.message.startswith("text of page 1 came from OCR (text layer unusable: "
                                     "scanned pages) in ")


@needs_tesseract
def test_the_scan_reads_as_the_text_it_was_made_from(spoiled_plan: tuple[Loaded, Result]
                                                     ) -> None:
    loaded, _ = spoiled_plan
    read = "\n".join(b.text for b in loaded.blocks)
    made = "\n".join(line[2:] if line.startswith(("# ", "> ")) else line for line in PLAN_PAGE)
    assert accuracy(made, read) >= 0.97


@needs_tesseract
def test_one_scanned_page_inside_a_text_pdf(rules: RuleSet) -> None:
    pages = [PLAN_PAGE[:8], PLAN_PAGE[8:12], PLAN_PAGE[12:]]
    text = text_pdf(pages)
    mixed = replace_page(text, 1, scan_pdf(text, Spoil(seed=8, skew=-1.0), pages=[1]))
    loaded, result = _extract(mixed, rules, ocr_jobs=2)
    by_page = {n: [b for b in loaded.blocks if b.page == n and b.kind != "page_break"]
               for n in (1, 2, 3)}
    assert not any(b.hints.ocr for b in by_page[1] + by_page[3])
    assert by_page[2] and all(b.hints.ocr for b in by_page[2])
    read = " ".join(b.text for b in by_page[2])  # lines wrap where the font puts them
    assert read.startswith("I. MỤC ĐÍCH, YÊU CẦU Nâng cao nhận thức của các cấp, các ngành về "
                           "vai trò của kinh tế tập thể. II. NỘI DUNG")
    assert [p.page for p in loaded.source.ocr_pages] == [2] and loaded.source.ocr
    assert [(s.number, s.kind) for s in result.sections if s.level == 1] == [
        ("I", "purpose"), ("II", "other"), ("III", "implementation")]
    [notice] = [w for w in loaded.warnings if w.code == "ocr"]
    assert notice.message.startswith("text of page 2 came from OCR ")


def test_without_tounicode_the_text_layer_is_refused_under_never(rules: RuleSet) -> None:
    broken = without_tounicode(plan_pdf(compress=False))
    with pytest.raises(NoTextLayer) as err:
        load_bytes(broken, "broken.pdf", LoadOptions(ocr="never", rules=rules))
    assert err.value.line() == ("broken.pdf: text layer unusable on page 1 (broken font "
                                "encoding) (run with --ocr auto)")


@needs_tesseract
def test_without_tounicode_the_page_is_read_by_ocr_under_auto(rules: RuleSet) -> None:
    broken = without_tounicode(plan_pdf(compress=False))
    loaded, result = _extract(broken, rules)
    assert loaded.source.ocr and [p.page for p in loaded.source.ocr_pages] == [1]
    assert (result.document.kind, result.document.number) == ("Kế hoạch", "125/KH-UBND")
    [notice] = [w for w in loaded.warnings if w.code == "ocr"]
    assert "(text layer unusable: broken font encoding)" in notice.message


def test_without_tesseract_a_broken_layer_is_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pytesseract", None)  # import fails: as if not installed
    path = tmp_path / "broken.pdf"
    path.write_bytes(without_tounicode(plan_pdf(compress=False)))
    res = invoke(["extract", str(path)], code=ExitStatus.NO_TEXT, capfd=capfd)
    assert res.stderr == (
        f"kttt: error: {path}: text layer unusable on page 1 (broken font encoding) (install "
        "OCR support (pip install 'kttt-extract[ocr]'; apt-get install tesseract-ocr "
        "tesseract-ocr-vie) and run again)\n")
    assert res.stdout == ""


@needs_tesseract
def test_an_image_page_under_an_e_signature_line_is_a_scan(rules: RuleSet) -> None:
    signed = scan_pdf(plan_pdf(), Spoil(stamp=False, seed=9), overlay=(
        "Ký bởi: Ủy ban nhân dân huyện Tam Đường Thời gian ký: 14.03.2025 10:12:01 +07:00"))
    loaded, result = _extract(signed, rules)
    assert loaded.source.ocr and [p.page for p in loaded.source.ocr_pages] == [1]
    assert result.document.kind == "Kế hoạch" and result.document.number == "125/KH-UBND"
    with pytest.raises(NoTextLayer, match=r"text layer unusable on page 1 \(scanned pages\)"):
        load_bytes(signed, "signed.pdf", LoadOptions(ocr="never", rules=rules))


@needs_tesseract
def test_ocr_alone_means_always(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(plan_pdf())
    auto = json.loads(invoke(["extract", str(path), "--no-text"], capfd=capfd).stdout)
    assert auto["source"]["ocr"] is False and auto["source"]["ocr_pages"] == []
    for args in (["extract", str(path), "--ocr"], ["extract", "--ocr", str(path)],
                 ["extract", "--ocr", "always", str(path)]):
        got = json.loads(invoke([*args, "--no-text"], capfd=capfd).stdout)
        assert got["source"]["ocr"] is True and [p["page"] for p in got["source"]["ocr_pages"]
                                                 ] == [1]
        assert got["document"]["number"] == "125/KH-UBND"


def test_an_unknown_ocr_mode_is_a_usage_error(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.pdf"
    path.write_bytes(plan_pdf())
    res = invoke(["extract", "--ocr=sometimes", str(path)], code=ExitStatus.USAGE, capfd=capfd)
    assert "'sometimes' is not one of auto, always, never" in res.stderr
