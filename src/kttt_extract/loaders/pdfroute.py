"""Route each PDF page to its text layer or to OCR, by the text-layer judge and `--ocr`.

- `auto` (the default): pages whose text layer fails (garbage, or an image page with no or thin
  text) are OCRed when Tesseract is there; without it, a document whose text would be garbage
  or missing is an error that says what to install, and a few image pages in a text PDF are a
  warning naming them.
- `always`: every page is OCRed (Tesseract is required).
- `never`: no OCR; a garbage or missing text layer is an error, a few image pages a warning.
A page that fails and holds no image (a blank page, a drawing) is not worth OCR: it is named in
the `pdf-pages-without-text` warning, unless the whole document is like that.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c

from kttt_extract.errors import MissingTool, NoTextLayer, UnreadableInput
from kttt_extract.loaders import LoadOptions
from kttt_extract.loaders.syllables import Lexicon
from kttt_extract.loaders.textlayer import (
    MIN_CHARS,
    PageText,
    Verdict,
    judge,
    page_ranges,
    pages_named,
    visible_chars,
)
from kttt_extract.model import Block, Notice, OcrPage

INSTALL_HINT = ("install OCR support (pip install 'kttt-extract[ocr]'; apt-get install "
                "tesseract-ocr tesseract-ocr-{lang}) and run again")
_REASONS = {"garbage": "broken font encoding", "empty": "no text", "scan": "scanned pages"}


@dataclass(frozen=True)
class Routed:
    """The document's blocks in page order, what to tell, and the pages that came from OCR."""

    blocks: tuple[Block, ...]
    warnings: tuple[Notice, ...]
    ocr_pages: tuple[OcrPage, ...]
    ocr: bool  # some text came from OCR


def image_cover(page: Any) -> float:
    """Share of a pdfium page's area under its image objects (overlaps counted once each)."""
    left, bottom, right, top = page.get_bbox()
    area = float((right - left) * (top - bottom))
    if area <= 0:
        return 0.0
    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        x0, y0, x1, y1 = obj.get_bounds()
        w = max(0.0, min(x1, right) - max(x0, left))
        h = max(0.0, min(y1, top) - max(y0, bottom))
        covered += w * h
    return min(1.0, covered / area)


def route(data: bytes, path: str, options: LoadOptions, pages: Sequence[PageText],
          blocks: Sequence[Block]) -> Routed:
    """Judge every page, OCR those that need it, and put the document back together."""
    mode = options.ocr_mode
    rules = options.ruleset()
    lexicon = Lexicon.of(rules)
    converted = _page_texts(blocks)
    pages = [_with_text(p, converted.get(p.number, "")) for p in pages]
    seen: dict[str, bool] = {}
    verdicts = [judge(p, lexicon, seen) for p in pages]
    failing = [v for v in verdicts if not v.usable]
    scanned = _mostly_without_text(pages, verdicts)
    wanted = [v.page for v in failing if v.kind != "empty" or scanned]
    if mode == "always":
        wanted = [p.number for p in pages]
    notices: list[Notice] = []
    if wanted and mode != "always":
        must = scanned or any(v.kind == "garbage" for v in failing)
        if not _ocr_ready(options, mode, must, failing, path):
            notices += _unread(wanted)
            wanted = []
    ocr_blocks: dict[int, list[Block]] = {}
    ocr_pages: tuple[OcrPage, ...] = ()
    if wanted:
        ocr = importlib.import_module("kttt_extract.loaders.ocr")
        read = ocr.read_pages(data, path, options, rules, wanted)
        ocr_blocks, ocr_pages = read.blocks, read.pages
        notices.append(read.notice(_why(verdicts, wanted, mode)))
        notices += read.repair_notices()
    if wanted and scanned and not any(b.text for page in ocr_blocks.values() for b in page):
        raise UnreadableInput("no text found by OCR", path=path,
                              hint="the scan may be blank, or not in Vietnamese")
    blank = [v.page for v in failing if v.page not in ocr_blocks and v.page not in wanted]
    if blank and not any(n.code == "pdf-pages-without-text" for n in notices):
        notices.append(_without_text(blank))
    return Routed(tuple(_merge(blocks, ocr_blocks, len(pages))), tuple(notices), ocr_pages,
                  ocr=bool(ocr_blocks))


def _ocr_ready(options: LoadOptions, mode: str, must: bool, failing: Sequence[Verdict],
               path: str) -> bool:
    """True when OCR can run; raises the one-line error when the text would be garbage or
    missing without it."""
    where = page_ranges([v.page for v in failing])
    kinds = sorted({_REASONS[v.kind] for v in failing})
    message = f"text layer unusable on {pages_named(where)} ({', '.join(kinds)})"
    if mode == "never":
        if must:
            raise NoTextLayer(message, path=path, hint="run with --ocr auto")
        return False
    try:
        ocr = importlib.import_module("kttt_extract.loaders.ocr")
        ocr.tesseract(options.ocr_lang, path)
    except (ImportError, MissingTool):
        if must:
            raise NoTextLayer(message, path=path,
                              hint=INSTALL_HINT.format(lang=options.ocr_lang)) from None
        return False
    return True


def _mostly_without_text(pages: Sequence[PageText], verdicts: Sequence[Verdict]) -> bool:
    """True when the usable text is under MIN_CHARS a page on average: a scanned document."""
    usable = sum(visible_chars(p.kept) for p, v in zip(pages, verdicts, strict=True) if v.usable)
    return usable < MIN_CHARS * len(pages)


def _with_text(page: PageText, converted: str) -> PageText:
    """The page with the text its lines gave after cleaning and legacy-font conversion for
    the syllable count; the raw layer still decides the bad characters."""
    return PageText(number=page.number, text=page.text, lines=page.lines, height=page.height,
                    image_cover=page.image_cover, words=converted)


def _page_texts(blocks: Sequence[Block]) -> dict[int, str]:
    out: dict[int, list[str]] = {}
    for block in blocks:
        if block.kind != "page_break" and block.page is not None:
            out.setdefault(block.page, []).append(block.text)
    return {page: "\n".join(texts) for page, texts in out.items()}


def _merge(blocks: Sequence[Block], ocr: dict[int, list[Block]], pages: int) -> list[Block]:
    """Text blocks of the pages not OCRed and OCR blocks of the others, page by page."""
    by_page: dict[int, list[Block]] = {}
    for block in blocks:
        if block.kind != "page_break":
            by_page.setdefault(block.page or 1, []).append(block)
    out: list[Block] = []
    for number in range(1, pages + 1):
        if number > 1:
            out.append(Block(kind="page_break", text="", page=number))
        out += ocr.get(number, by_page.get(number, []))
    return out


def _why(verdicts: Sequence[Verdict], wanted: Sequence[int], mode: str) -> str:
    if mode == "always":
        return "--ocr always"
    kinds = sorted({_REASONS[v.kind] for v in verdicts if v.page in wanted and not v.usable})
    return f"text layer unusable: {', '.join(kinds)}"


def _unread(pages: Sequence[int]) -> list[Notice]:
    return [Notice(code="pdf-pages-without-text",
                   message=f"pages without a usable text layer (scanned?): {page_ranges(pages)}; "
                           "install Tesseract and run with --ocr auto to read them")]


def _without_text(pages: Sequence[int]) -> Notice:
    return Notice(code="pdf-pages-without-text",
                  message=f"pages without a text layer (scanned?): {page_ranges(pages)}")
