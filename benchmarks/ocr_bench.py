"""Character accuracy and seconds per page of kttt's OCR against bare `tesseract -l vie` at
300 dpi, on the same pages, in one run.

Pages: the text of `samples/vinh-linh-cv-20nq.txt` typeset on A4 (tests/ocr_scans.py) and
scanned the way office scanners spoil letters (a red or blue stamp over the header, a red seal
over the signature, a skew, specks, blur, JPEG at 150-200 dpi), plus any real scans given as
`--real scan.pdf:reference.txt` (a checked transcription of the whole PDF). Bare Tesseract reads
a 300 dpi grey rendering through its command line (one thread); kttt reads the same PDF with
`read_pages` (one page at a time, so the seconds compare). Accuracy is 1 - edit distance /
reference length, on text with runs of white space made one space (and ` | ` column joins of a
transcription made a space); it counts reading order too (a signature block read beside the
recipient list instead of after it costs twice its length), so the share of the reference's
words found in any order is printed beside it.

    python benchmarks/ocr_bench.py [--pages 4] [--real case/input.pdf:case/reference.txt]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ocr_scans import Spoil, accuracy, scan_pdf, text_pdf, word_recall  # noqa: E402

from kttt_extract.loaders import LoadOptions  # noqa: E402
from kttt_extract.ruleset import load_rules  # noqa: E402

PROFILES = [
    ("stamp, 1.2° skew, 200 dpi", Spoil(dpi=200, skew=1.2, noise=0.002, blur=0.5, jpeg=60,
                                        seal=True, seed=1)),
    ("stamp, -2° skew, 150 dpi", Spoil(dpi=150, skew=-2.0, noise=0.003, blur=0.6, jpeg=55,
                                       seed=2)),
    ("specks, 0.5° skew, 200 dpi", Spoil(dpi=200, stamp=False, skew=0.5, noise=0.012, jpeg=70,
                                         seal=True, seed=3)),
    ("blue stamp, blur, 200 dpi", Spoil(dpi=200, ink=(40, 60, 190), skew=-0.8, blur=0.9,
                                        jpeg=50, seed=4)),
]


@dataclass
class Page:
    name: str
    pdf: bytes
    page: int  # 1-based page of `pdf`
    reference: str


def sample_pages(count: int) -> list[Page]:
    """`count` pages of the sample letter, each scanned with the next spoil profile."""
    paragraphs = [p.strip() for p in (ROOT / "samples" / "vinh-linh-cv-20nq.txt").read_text(
        encoding="utf-8").split("\n") if p.strip()]
    pages: list[list[str]] = [[]]
    size = 0
    for para in paragraphs:
        if size + len(para) > 1900 and pages[-1]:
            pages.append([])
            size = 0
        pages[-1].append(para)
        size += len(para) + 80
    out: list[Page] = []
    for i, lines in enumerate(pages[:count]):
        name, spoil = PROFILES[i % len(PROFILES)]
        scan = scan_pdf(text_pdf([lines]), spoil)
        out.append(Page(f"sample p{i + 1} ({name})", scan, 1, "\n".join(lines)))
    return out


def real_pages(spec: str) -> list[Page]:
    """The pages of a real scan with its transcription: one entry for the whole document."""
    pdf, ref = spec.split(":", 1)
    data = Path(pdf).read_bytes()
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    count = len(doc)
    doc.close()
    text = Path(ref).read_text(encoding="utf-8")
    return [Page(f"{Path(pdf).parent.name or pdf} p1-{count} (real)", data, -count, text)]


def bare(pdf: bytes, pages: Sequence[int], tmp: Path) -> str:
    """Tesseract's command line on 300 dpi grey renderings of `pages`."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    doc.init_forms()  # a signature's appearance is drawn, as kttt draws it
    texts = []
    try:
        for number in pages:
            page = doc[number - 1]
            image = page.render(scale=300 / 72, grayscale=True, may_draw_forms=True).to_pil()
            page.close()
            png = tmp / f"p{number}.png"
            image.save(png)
            env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
            texts.append(subprocess.run(["tesseract", str(png), "-", "-l", "vie"], env=env,
                                        capture_output=True, text=True, check=True).stdout)
    finally:
        doc.close()
    return "\n".join(texts)


def ours(pdf: bytes, pages: Sequence[int]) -> str:
    from kttt_extract.loaders.ocr import read_pages

    options = LoadOptions(ocr="always", ocr_jobs=1, rules=load_rules())
    read = read_pages(pdf, "bench.pdf", options, options.ruleset(), pages)
    return "\n".join(b.text for n in pages for b in read.blocks.get(n, []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4, help="synthetic pages (default 4)")
    parser.add_argument("--real", action="append", default=[],
                        help="a real scan and its transcription, PDF:TXT (repeatable)")
    args = parser.parse_args()
    pages = sample_pages(args.pages) + [p for spec in args.real for p in real_pages(spec)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for page in pages:
            numbers = list(range(1, -page.page + 1)) if page.page < 0 else [page.page]
            started = time.perf_counter()
            base = bare(page.pdf, numbers, Path(tmp))
            t_bare = (time.perf_counter() - started) / len(numbers)
            started = time.perf_counter()
            mine = ours(page.pdf, numbers)
            t_ours = (time.perf_counter() - started) / len(numbers)
            rows.append((page.name, accuracy(page.reference, base),
                         word_recall(page.reference, base), t_bare,
                         accuracy(page.reference, mine), word_recall(page.reference, mine), t_ours))
    print(f"{'page':<40} {'bare chars':>10} {'words':>6} {'s/page':>6} {'kttt chars':>10} "
          f"{'words':>6} {'s/page':>6}")
    for name, *values in rows:
        print(f"{name:<40} {_cells(values)}")
    means = [sum(r[k] for r in rows) / len(rows) for k in range(1, 7)]
    print(f"{'mean':<40} {_cells(means)}")


def _cells(values: Sequence[float]) -> str:
    acc_b, words_b, t_b, acc_o, words_o, t_o = values
    return (f"{acc_b:>10.4f} {words_b:>6.3f} {t_b:>6.2f} {acc_o:>10.4f} {words_o:>6.3f} "
            f"{t_o:>6.2f}")


if __name__ == "__main__":
    main()
