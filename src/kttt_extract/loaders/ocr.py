"""OCR of PDF pages (optional): pypdfium2 renders each page at 300 dpi, the image is prepared
(ocrprep: stamp colours dropped, skew undone), Tesseract reads it with its Vietnamese model
through pytesseract, and each recognised line is post-corrected (ocrfix) into one block.

Needs the `ocr` extra (pytesseract) and the Tesseract binary with Vietnamese data; without them
a MissingTool error says how to install them. Pages are rendered one at a time in this thread
(pdfium is not thread-safe) and recognised in parallel by `ocr_jobs` tesseract processes, each
single-threaded (OMP_THREAD_LIMIT=1 unless the caller set it): on a 2-core machine its OpenMP
threads made a page take 10.9 s instead of 2.8 s. At most `ocr_jobs` page images are held at
once; each page has `LoadOptions.timeout` seconds. The repairs and the page-number words are
rule data read from the rule set in force (`LoadOptions.rules`).
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import regex

from kttt_extract.errors import EncryptedPdf, MissingTool, UnreadableInput
from kttt_extract.loaders import LoadOptions, pdflimits, sha256
from kttt_extract.loaders.ocrfix import Fixer
from kttt_extract.loaders.ocrprep import prepare
from kttt_extract.loaders.pagewords import ocr_page_number
from kttt_extract.loaders.syllables import Lexicon
from kttt_extract.loaders.textlayer import page_ranges
from kttt_extract.loaders.textlayer import pages_named as _pages
from kttt_extract.model import Block, Hints, Loaded, Notice, OcrPage, Source
from kttt_extract.ruleset import RuleSet
from kttt_extract.textnorm import fold_tones, nfc

DPI = 300
LOW_CONFIDENCE = 80.0  # mean word confidence (0-100) under which a page is named in the warning
CENTRED_TOLERANCE = 0.04  # share of the page width a centred line's middle may be off
COLUMN_GAP = 0.04  # share of the page width: a wider space between two words splits a line,
GAP_RATIO = 3.5  # ... and so does one this many times the line's median space
MIN_GAP = 0.015  # ... if it is over this share of the page width
JUNK_CONFIDENCE = 60.0  # a line under this mean confidence with few letters is stamp or noise
JUNK_FLOOR = 40.0  # a line under this mean confidence is noise whatever it holds
JUNK_LETTERS = 0.6  # ... "few": under this share of its visible characters are letters/digits
_WORD = regex.compile(r"[\p{L}\p{M}]+")


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


def page_lines(data: dict[str, list[Any]], width: int = 0) -> list[Line]:
    """Lines from pytesseract's `image_to_data` dictionary, in reading order. A line with a gap
    much wider than its other spaces (the two columns of a letterhead: `Số: 12/UBND` and `Hà
    Nội, ngày ...`) becomes two lines, as a text layer gives them."""
    grouped: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if str(word).strip() and float(data["conf"][i]) >= 0:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            grouped.setdefault(key, []).append(i)
    lines: list[Line] = []
    for idx in grouped.values():
        for part in _columns(data, idx, width):
            text = nfc(" ".join(str(data["text"][i]).strip() for i in part))
            left = min(int(data["left"][i]) for i in part)
            right = max(int(data["left"][i]) + int(data["width"][i]) for i in part)
            conf = statistics.fmean(float(data["conf"][i]) for i in part)
            lines.append(Line(text, left, right, conf))
    return lines


def _columns(data: dict[str, list[Any]], idx: list[int], width: int) -> list[list[int]]:
    """The words `idx` of one line, cut at a space over COLUMN_GAP of the page `width`, or over
    GAP_RATIO times the line's median space and MIN_GAP of the width."""
    if not width or len(idx) < 2:
        return [idx]
    gaps = [int(data["left"][i]) - int(data["left"][p]) - int(data["width"][p])
            for p, i in itertools.pairwise(idx)]
    typical = statistics.median(gaps)
    cut = min(width * COLUMN_GAP, max(typical * GAP_RATIO, width * MIN_GAP))
    parts: list[list[int]] = [[idx[0]]]
    for gap, i in zip(gaps, idx[1:], strict=True):
        if gap > cut:
            parts.append([])
        parts[-1].append(i)
    return parts


def _render(doc: Any, index: int, path: str, max_pixels: int) -> Any:
    """Page `index` as an RGB PIL image at DPI, lower for a page above `max_pixels` (form
    fields such as a signature's appearance drawn); the page is closed before returning."""
    try:
        page = doc[index]
        try:
            width, height = page.get_size()
            scale = pdflimits.render_scale(width, height, DPI, max_pixels)
            bitmap = page.render(scale=scale, may_draw_forms=True)
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


def _recognise(engine: Any, image: Any, options: LoadOptions, number: int, path: str
               ) -> tuple[list[Line], int]:
    """Prepare and read one page image: its lines and its width in pixels."""
    try:
        ready = prepare(image)
        data = engine.image_to_data(ready, lang=options.ocr_lang, config="--psm 3",
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
    return page_lines(data, image.width), image.width


def _is_junk(line: Line, lexicon: Lexicon) -> bool:
    """A stamp, a signature or specks read as text: a line Tesseract is hardly sure of
    (under JUNK_FLOOR), or an unsure one made mostly of marks (`⁄4<<-....`) or with no word
    that is a syllable (`24th THNHH`)."""
    if line.confidence >= JUNK_CONFIDENCE:
        return False
    if line.confidence < JUNK_FLOOR:
        return True
    visible = [ch for ch in line.text if not ch.isspace()]
    useful = sum(1 for ch in visible if ch.isalnum())
    words = _WORD.findall(line.text)
    return useful < JUNK_LETTERS * len(visible) or not any(
        lexicon.is_syllable(w) for w in words if len(w) > 1)


@dataclass
class OcrRead:
    """What OCR gave for a set of pages."""

    blocks: dict[int, list[Block]] = field(default_factory=dict)
    pages: tuple[OcrPage, ...] = ()
    repairs: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def notice(self, why: str) -> Notice:
        """The `ocr` warning: which pages, why, how sure Tesseract was, which pages to check."""
        numbers = [p.page for p in self.pages]
        mean = statistics.fmean(p.confidence for p in self.pages) if self.pages else 0.0
        low = [p.page for p in self.pages if p.confidence * 100 < LOW_CONFIDENCE]
        tail = f"; check pages {page_ranges(low)}" if low else ""
        return Notice(code="ocr", message=(
            f"text of {_pages(page_ranges(numbers))} came from OCR ({why}) in "
            f"{self.seconds:.0f} s, mean confidence {mean * 100:.0f}%; check tone marks and "
            f"numbers{tail}"))

    def repair_notices(self) -> list[Notice]:
        if not self.repairs:
            return []
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.repairs.items()))
        total = sum(self.repairs.values())
        return [Notice(code="ocr-repairs",
                       message=f"{total} OCR repairs by the Vietnamese rules ({kinds})")]


def read_pages(data: bytes, path: str, options: LoadOptions, rules: RuleSet,
               pages: Sequence[int]) -> OcrRead:
    """OCR the 1-based `pages` of a PDF, in parallel, and post-correct every line."""
    engine = tesseract(options.ocr_lang, path)
    started = time.monotonic()
    fixer = Fixer.from_rules(rules)
    page_number = ocr_page_number(rules)
    read = OcrRead()
    confidences: dict[int, tuple[float, int]] = {}
    doc = _open(data, path, options.password)
    try:
        for number, (lines, width) in _recognise_all(engine, doc, options, path, pages):
            counts: Counter[str] = Counter()
            kept = [x for x in lines if not _is_junk(x, fixer.lexicon)]
            read.blocks[number] = _blocks(kept, width, number, fixer, page_number, counts)
            mean = statistics.fmean(x.confidence for x in kept) / 100 if kept else 0.0
            confidences[number] = (round(mean, 3), sum(counts.values()))
            read.repairs.update(counts)
    finally:
        doc.close()
    _renumber(read, fixer, confidences)
    read.pages = tuple(OcrPage(page=n, confidence=c, repairs=r)
                       for n, (c, r) in sorted(confidences.items()))
    read.seconds = time.monotonic() - started
    return read


def _renumber(read: OcrRead, fixer: Fixer, confidences: dict[int, tuple[float, int]]) -> None:
    """Repair the Roman heading numbers of the OCRed pages as one sequence, in page order."""
    order = [(n, i) for n in sorted(read.blocks) for i in range(len(read.blocks[n]))]
    counts: Counter[str] = Counter()
    texts = fixer.headings([read.blocks[n][i].text for n, i in order], counts)
    for (n, i), text in zip(order, texts, strict=True):
        if text != read.blocks[n][i].text:
            read.blocks[n][i] = read.blocks[n][i].model_copy(update={"text": text})
            confidence, repairs = confidences[n]
            confidences[n] = (confidence, repairs + 1)
    read.repairs.update(counts)


def _recognise_all(engine: Any, doc: Any, options: LoadOptions, path: str,
                   pages: Sequence[int]) -> Iterator[tuple[int, tuple[list[Line], int]]]:
    """(page, its lines and width) for each page, rendered here and read by a pool of
    tesseract processes; at most `jobs` images wait or are read at once."""
    jobs = options.ocr_jobs or _cpus()
    done: dict[int, tuple[list[Line], int]] = {}
    with _single_thread(), ThreadPoolExecutor(max_workers=jobs) as pool:
        running: dict[Future[tuple[list[Line], int]], int] = {}
        for number in pages:
            if len(running) >= jobs:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    done[running.pop(future)] = future.result()
            image = _render(doc, number - 1, path, options.max_pixels)
            running[pool.submit(_recognise, engine, image, options, number, path)] = number
        for future, number in running.items():
            done[number] = future.result()
    for number in pages:
        yield number, done[number]


def _cpus() -> int:
    """CPUs this process may run on (all of the machine's where the OS cannot say)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _blocks(lines: list[Line], width: int, number: int, fixer: Fixer,
            page_number: regex.Pattern[str], counts: Counter[str]) -> list[Block]:
    """One hard-wrapped paragraph block per line, repaired; a lone page number at either end
    is dropped."""
    keep = [line for i, line in enumerate(lines)
            if not (i in (0, len(lines) - 1) and page_number.match(fold_tones(line.text)))]
    out: list[Block] = []
    for line in keep:
        middle = (line.left + line.right) / 2
        centred = abs(middle - width / 2) <= width * CENTRED_TOLERANCE and (
            line.left > width * 0.2)
        out.append(Block(kind="paragraph", text=fixer.line(line.text, counts), page=number,
                         hints=Hints(hard_wrapped=True, ocr=True, centered=centred)))
    return out


def _open(data: bytes, path: str, password: str | None) -> Any:
    try:
        doc = pdfium.PdfDocument(data, password=password)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedPdf("encrypted PDF", path=path, hint="pass --password") from None
        raise UnreadableInput("damaged PDF: cannot be opened for OCR", path=path,
                              hint="save or download it again") from None
    doc.init_forms()  # so that form fields (a signature's appearance) are drawn
    return doc


def ocr_pdf(data: bytes, path: str, options: LoadOptions) -> Loaded:
    """Read every page of a PDF by OCR."""
    tesseract(options.ocr_lang, path)
    doc = _open(data, path, options.password)
    try:
        pages = len(doc)
    finally:
        doc.close()
    read = read_pages(data, path, options, options.ruleset(), range(1, pages + 1))
    blocks: list[Block] = []
    for number in range(1, pages + 1):
        if number > 1:
            blocks.append(Block(kind="page_break", text="", page=number))
        blocks += read.blocks.get(number, [])
    if not any(b.text for b in blocks):
        raise UnreadableInput("no text found by OCR", path=path,
                              hint="the scan may be blank, or not in Vietnamese")
    source = Source(path=path, format="pdf", sha256=sha256(data), pages=pages, ocr=True,
                    ocr_pages=read.pages)
    return Loaded(source=source, blocks=tuple(blocks),
                  warnings=(read.notice("--ocr always"), *read.repair_notices()))
