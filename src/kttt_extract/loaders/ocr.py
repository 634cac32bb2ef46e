"""OCR of scanned PDFs (optional): pypdfium2 renders each page at 300 dpi, Tesseract reads it
with its Vietnamese model through pytesseract, one block per recognised line.

Needs the `ocr` extra (pytesseract) and the Tesseract binary with Vietnamese data; without them
a MissingTool error says how to install them. Pages are rendered, read and released one at a
time, so memory stays at about one page image; each page has `LoadOptions.timeout` seconds.
Tesseract runs single-threaded (OMP_THREAD_LIMIT=1 unless the caller set it): on a 2-core
machine its OpenMP threads made a page take 10.9 s instead of 2.8 s, and batches run documents
in parallel anyway.

The repairs and the page-number words are rule data (`layout.ocr-repairs`,
`layout.page-number-words` in rules/layout.yaml); loaders never see the RuleSet, so they are read
once per process with load_rules() on first use (shipped rules only, not `--rules`: OCR is slow
anyway, and LoadOptions stays free of rules).
"""

from __future__ import annotations

import functools
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import regex

from kttt_extract.errors import EncryptedPdf, MissingTool, UnreadableInput
from kttt_extract.loaders import LoadOptions, pdflimits, sha256
from kttt_extract.model import Block, Hints, Loaded, Notice, Source
from kttt_extract.textnorm import fold_tones, nfc

DPI = 300
LOW_CONFIDENCE = 80.0  # mean word confidence (0-100) under which a page is named in the warning
CENTRED_TOLERANCE = 0.04  # share of the page width a centred line's middle may be off
# Tesseract's usual slips on these documents (measured on seed plans): the Icelandic eth for Đ
# (a character map in the rules), "5," for the list number "5.", and "l" for the I of a Roman
# numeral ("quý l", "IIl.").
_LIST_COMMA = regex.compile(r"^((?:\d{1,2}\.)*\d{1,2}|[IVX]{1,5}),(?=\s+\p{Lu})")
_ROMAN_L = regex.compile(r"(?<![\p{L}\p{N}])[IVX]*l[IVXl]*(?![\p{L}\p{N})])")


def install_hint(lang: str) -> str:
    return f"pip install 'kttt-extract[ocr]' and apt-get install tesseract-ocr tesseract-ocr-{lang}"


def tesseract(lang: str, path: str | None = None) -> Any:
    """The pytesseract module, once Tesseract and its `lang` data are known to be there
    (`path` names the file that needs them, in the error)."""
    hint = install_hint(lang)
    try:
        import pytesseract
    except ImportError:
        raise MissingTool("OCR needs pytesseract, which is not installed", path=path,
                          hint=hint) from None
    try:
        pytesseract.get_tesseract_version()
        languages = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError):
        raise MissingTool("OCR needs the tesseract program, which was not found", path=path,
                          hint=hint) from None
    except pytesseract.TesseractError as exc:
        raise MissingTool(f"tesseract does not run: {exc.message}", path=path,
                          hint=hint) from None
    if lang not in languages:
        raise MissingTool(f"tesseract has no '{lang}' language data", path=path, hint=hint)
    return pytesseract


@dataclass(frozen=True)
class Line:
    """One recognised line: its words joined, its horizontal extent and mean confidence."""

    text: str
    left: int
    right: int
    confidence: float


def page_lines(data: dict[str, list[Any]]) -> list[Line]:
    """Lines from pytesseract's `image_to_data` dictionary, in reading order."""
    grouped: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if str(word).strip() and float(data["conf"][i]) >= 0:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            grouped.setdefault(key, []).append(i)
    lines: list[Line] = []
    for idx in grouped.values():
        text = nfc(" ".join(str(data["text"][i]).strip() for i in idx))
        left = min(int(data["left"][i]) for i in idx)
        right = max(int(data["left"][i]) + int(data["width"][i]) for i in idx)
        conf = statistics.fmean(float(data["conf"][i]) for i in idx)
        lines.append(Line(text, left, right, conf))
    return lines


def _render(doc: Any, index: int, path: str, max_pixels: int) -> Any:
    """Page `index` as a greyscale PIL image at DPI (lower for a page above `max_pixels`); the
    page is closed before returning."""
    try:
        page = doc[index]
        try:
            width, height = page.get_size()
            scale = pdflimits.render_scale(width, height, DPI, max_pixels)
            bitmap = page.render(scale=scale, grayscale=True)
            return bitmap.to_pil()
        finally:
            page.close()
    except pdfium.PdfiumError:
        raise UnreadableInput(f"damaged PDF: page {index + 1} cannot be rendered for OCR",
                              path=path, hint="save or download it again") from None


@contextmanager
def _single_thread() -> Iterator[None]:
    """OMP_THREAD_LIMIT=1 for the tesseract processes started inside (restored after)."""
    if "OMP_THREAD_LIMIT" in os.environ:
        yield
        return
    os.environ["OMP_THREAD_LIMIT"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OMP_THREAD_LIMIT", None)


def _read_page(engine: Any, image: Any, options: LoadOptions, number: int, path: str
               ) -> list[Line]:
    try:
        data = engine.image_to_data(image, lang=options.ocr_lang, config="--psm 3",
                                    output_type=engine.Output.DICT, timeout=options.timeout)
    except RuntimeError as exc:  # pytesseract's way of saying the time limit was hit
        if "timeout" not in str(exc).lower():
            raise
        raise UnreadableInput(f"OCR of page {number} took longer than {options.timeout:g} s",
                              path=path, hint="the scan may be very large or noisy") from None
    except engine.TesseractError as exc:
        raise UnreadableInput(f"OCR of page {number} failed: {exc.message}", path=path) from None
    finally:
        image.close()
    return page_lines(data)


@functools.cache
def _rules() -> tuple[dict[int, str], regex.Pattern[str]]:
    """The character repairs (each key in both cases) and the lone page-number pattern, from the
    shipped rules, loaded on first use (see the module docstring)."""
    from kttt_extract.ruleset import load_rules

    rules = load_rules()
    chars: dict[str, str] = {}
    for wrong, right in rules.table("layout.ocr-repairs").items():
        chars[wrong] = right
        if len(wrong.upper()) == 1:
            chars[wrong.upper()] = right.upper()
    words = sorted((fold_tones(w) for w in rules.words("layout.page-number-words")), key=len,
                   reverse=True)
    cue = "|".join(regex.escape(w) for w in words) or "(?!)"
    page = regex.compile(rf"^(?:{cue})?\s*[-–(]?\s*\d{{1,4}}\s*[-–)]?$", regex.IGNORECASE)
    return str.maketrans(chars), page


def repair(text: str) -> str:
    """Undo Tesseract's usual slips on a line: Ð for Đ, "5," for "5.", l for I in numerals."""
    text = _LIST_COMMA.sub(r"\1.", text.translate(_rules()[0]))
    return _ROMAN_L.sub(lambda m: m.group(0).replace("l", "I"), text)


def _blocks(lines: list[Line], width: int, number: int) -> list[Block]:
    """One hard-wrapped paragraph block per line; a lone page number at either end is dropped."""
    page_number = _rules()[1]
    keep = [line for i, line in enumerate(lines)
            if not (i in (0, len(lines) - 1) and page_number.match(fold_tones(line.text)))]
    out: list[Block] = []
    for line in keep:
        middle = (line.left + line.right) / 2
        centred = abs(middle - width / 2) <= width * CENTRED_TOLERANCE and (
            line.left > width * 0.2)
        out.append(Block(kind="paragraph", text=repair(line.text), page=number,
                         hints=Hints(hard_wrapped=True, ocr=True, centered=centred)))
    return out


def _open(data: bytes, path: str, password: str | None) -> Any:
    try:
        return pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedPdf("encrypted PDF", path=path, hint="pass --password") from None
        raise UnreadableInput("damaged PDF: cannot be opened for OCR", path=path,
                              hint="save or download it again") from None


def _read_all(engine: Any, doc: Any, options: LoadOptions, path: str
              ) -> tuple[list[Block], list[tuple[int, float]]]:
    """Blocks of every page and each page's mean confidence."""
    blocks: list[Block] = []
    confidences: list[tuple[int, float]] = []
    with _single_thread():
        for index in range(len(doc)):
            image = _render(doc, index, path, options.max_pixels)
            width = image.width
            lines = _read_page(engine, image, options, index + 1, path)
            if index:
                blocks.append(Block(kind="page_break", text="", page=index + 1))
            blocks += _blocks(lines, width, index + 1)
            if lines:
                confidences.append((index + 1, statistics.fmean(x.confidence for x in lines)))
    return blocks, confidences


def ocr_pdf(data: bytes, path: str, options: LoadOptions) -> Loaded:
    """Read a PDF without a text layer by OCR, page by page."""
    engine = tesseract(options.ocr_lang, path)
    started = time.monotonic()
    doc = _open(data, path, options.password)
    try:
        pages = len(doc)
        blocks, confidences = _read_all(engine, doc, options, path)
    finally:
        doc.close()
    if not any(b.text for b in blocks):
        raise UnreadableInput("no text found by OCR", path=path,
                              hint="the scan may be blank, or not in Vietnamese")
    source = Source(path=path, format="pdf", sha256=sha256(data), pages=pages, ocr=True)
    return Loaded(source=source, blocks=tuple(blocks),
                  warnings=(_notice(confidences, pages, time.monotonic() - started),))


def _notice(confidences: list[tuple[int, float]], pages: int, seconds: float) -> Notice:
    """The OCR warning: how much was read, how sure Tesseract was, which pages to check."""
    mean = statistics.fmean(c for _, c in confidences) if confidences else 0.0
    low = [str(n) for n, c in confidences if c < LOW_CONFIDENCE]
    tail = f"; check pages {', '.join(low[:20])}" if low else ""
    return Notice(code="ocr", message=(
        f"text came from OCR of {pages} page(s) in {seconds:.0f} s, mean confidence "
        f"{mean:.0f}%; check tone marks and numbers{tail}"))
