"""Compare PDF text engines (pypdfium2, pdfplumber) and the kttt PDF loader on PDFs built from
the seed texts with fpdf2 (DejaVuSans / DejaVuSans-Bold), and print the figures as tables.

    PYTHONPATH=src /work/venv/bin/python benchmarks/pdf_engines.py [--seeds DIR] [--repeat N]

Per seed and engine: ms a page (median of N runs over the whole document), difflib ratio of the
whitespace-normalised text to the source, whether the text came back NFC, accented letters lost
after NFC, words split in two and words glued together. The loader is measured twice: on the
plain PDF and on one with a running header and page numbers (which it should drop). A second
table scores the loader's bold and centred hints against what the builder drew; a last line
gives time and peak memory of the loader on a 300-page PDF (in a child process).
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import regex

FONTS = Path("/usr/share/fonts/truetype/dejavu")
SEEDS = Path("/work/shared/seeds")
STYLES = ("top-number", "header+Trang n/N", "- n -")  # page furniture, one style per seed
# The two-column national header of page 1 (issuer left, motto right), as in real documents;
# the source text reads it column by column.
HEADER_LEFT = ("UBND HUYỆN TAM ĐƯỜNG", "Số: 125/KH-UBND")
HEADER_RIGHT = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                "Tam Đường, ngày 05 tháng 6 năm 2020")


@dataclass(frozen=True)
class Para:
    text: str
    bold: bool = False
    centered: bool = False


# --------------------------------------------------------------------------- building PDFs


def paragraphs(markdown: str) -> list[Para]:
    """Seed text without Markdown marks: headings and all-bold lines become bold paragraphs,
    the document title lines (first bold block, upper case) centred."""
    paras: list[Para] = []
    for raw in markdown.splitlines():
        line = raw.strip()
        if not line or regex.fullmatch(r"[-*_=]{3,}", line):
            continue
        heading = line.startswith("#")
        line = regex.sub(r"^#+\s*", "", line)
        bold = heading or line.startswith("**")
        text = " ".join(regex.sub(r"\*\*|__|`|\\(?=[^\w\s])", "", line).split())
        if not text:
            continue
        upper = text == text.upper() and any(ch.isalpha() for ch in text)
        centered = bold and (upper or len(paras) < 4) and len(text) < 90
        paras.append(Para(text, bold, centered))
    return paras


def build_pdf(paras: list[Para], style: str | None = None, nfd: bool = False
              ) -> tuple[bytes, dict[str, Para]]:
    """A multi-page A4 PDF of the paragraphs, and every rendered line with its true hints."""
    from fpdf import FPDF

    base: Any = FPDF

    class Doc(base):  # type: ignore[misc]
        def header(self) -> None:
            if style == "top-number" and self.page_no() > 1:
                self.set_font("dv", "", 11)
                self.cell(0, 8, str(self.page_no()), align="C")
                self.ln(10)
            elif style == "header+Trang n/N":
                self.set_font("dv", "", 9)
                self.cell(0, 6, "UBND huyện Tam Đường - Kế hoạch số 125/KH-UBND", align="R")
                self.ln(10)

        def footer(self) -> None:
            if style in ("header+Trang n/N", "- n -"):
                self.set_y(-15)
                self.set_font("dv", "", 9)
                label = (f"Trang {self.page_no()}/{{nb}}" if style != "- n -"
                         else f"- {self.page_no()} -")
                self.cell(0, 8, label, align="C")

    doc = Doc(format="A4")
    doc.set_margins(30, 20, 20)
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("dv", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.add_page()
    truth: dict[str, Para] = {}
    national_header(doc, truth)
    for para in paras:
        doc.set_font("dv", "B" if para.bold else "", 12)
        text = unicodedata.normalize("NFD", para.text) if nfd else para.text
        align = "C" if para.centered else "J"
        for line in doc.multi_cell(0, 7, text, align=align, dry_run=True, output="LINES"):
            truth[" ".join(line.split())] = para
        doc.multi_cell(0, 7, text, align=align, new_x="LMARGIN", new_y="NEXT")
        doc.ln(2)
    return bytes(doc.output()), truth


def national_header(doc: Any, truth: dict[str, Para]) -> None:
    """Issuer and number on the left, the national motto and date on the right."""
    top = doc.get_y()
    for column, x, width in ((HEADER_LEFT, doc.l_margin, 60), (HEADER_RIGHT, 95, 95)):
        doc.set_xy(x, top)
        for i, line in enumerate(column):
            doc.set_font("dv", "B" if i == 0 else "", 10.5)
            doc.set_x(x)
            doc.cell(width, 6, line, align="C", new_x="LEFT", new_y="NEXT")
            truth[line] = Para(line, bold=i == 0)
    doc.set_y(top + 6 * len(HEADER_RIGHT) + 6)


def source_text(paras: list[Para]) -> str:
    return "\n".join([*HEADER_LEFT, *HEADER_RIGHT, *(p.text for p in paras)])


# --------------------------------------------------------------------------- engines


def run_pdfium(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    parts = []
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        parts.append(textpage.get_text_range())
        textpage.close()
        page.close()
    doc.close()
    return "\n".join(parts).replace("\r\n", "\n").replace("\ufffe", "-")


def run_pdfplumber(data: bytes) -> str:
    import pdfplumber

    parts = []
    with pdfplumber.open(BytesIO(data)) as pdf:
        for page in pdf.pages:
            parts.append(page.extract_text() or "")
            page.close()
    return "\n".join(parts)


def run_loader(data: bytes) -> str:
    from kttt_extract.loaders import LoadOptions
    from kttt_extract.loaders.pdf import load

    loaded = load(data, "bench.pdf", LoadOptions(), "pdf")
    return "\n".join(b.text for b in loaded.blocks if b.kind != "page_break")


def timed(fn: Callable[[bytes], str], data: bytes, repeat: int) -> tuple[str, float]:
    """The engine's text and its median time in seconds."""
    times = []
    text = ""
    for _ in range(repeat):
        start = time.perf_counter()
        text = fn(data)
        times.append(time.perf_counter() - start)
    return text, statistics.median(times)


# --------------------------------------------------------------------------- scoring


def flat(text: str) -> str:
    return " ".join(text.split())


def compare(source: str, raw: str) -> dict[str, Any]:
    """Similarity and damage of an extracted text against its source."""
    src, out = flat(source), flat(unicodedata.normalize("NFC", raw))
    accented_src = Counter(ch for ch in src if ord(ch) > 127 and ch.isalpha())
    accented_out = Counter(ch for ch in out if ord(ch) > 127 and ch.isalpha())
    split = glued = 0
    a, b = src.split(), out.split()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace" and "".join(a[i1:i2]) == "".join(b[j1:j2]):
            split += max(0, (j2 - j1) - (i2 - i1))
            glued += max(0, (i2 - i1) - (j2 - j1))
    return {
        "similarity": difflib.SequenceMatcher(None, src, out, autojunk=False).ratio(),
        "nfc": unicodedata.is_normalized("NFC", raw),
        "lost": sum((accented_src - accented_out).values()),
        "split": split,
        "glued": glued,
    }


def hint_scores(data: bytes, truth: dict[str, Para]) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) of the bold and centred hints."""
    from kttt_extract.loaders import LoadOptions
    from kttt_extract.loaders.pdf import load

    scores = {"bold": [0, 0, 0], "centered": [0, 0, 0]}
    for block in load(data, "bench.pdf", LoadOptions(), "pdf").blocks:
        para = truth.get(flat(block.text))
        if block.kind == "page_break" or para is None:
            continue
        for name, got, want in (("bold", block.hints.bold, para.bold),
                                ("centered", block.hints.centered, para.centered)):
            row = scores[name]
            row[0] += got and want
            row[1] += got and not want
            row[2] += want and not got
    return {k: (v[0], v[1], v[2]) for k, v in scores.items()}


# --------------------------------------------------------------------------- report


def pages_of(data: bytes) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return len(doc)
    finally:
        doc.close()


def seed_rows(path: Path, index: int, repeat: int) -> tuple[list[list[str]], list[str]]:
    paras = paragraphs(path.read_text(encoding="utf-8"))
    source = source_text(paras)
    plain, truth = build_pdf(paras)
    style = STYLES[index % len(STYLES)]
    dressed, _ = build_pdf(paras, style=style)
    decomposed, _ = build_pdf(paras, nfd=True)
    pages = pages_of(plain)
    runs = [("pypdfium2 get_text_range", run_pdfium, plain, repeat),
            ("pdfplumber extract_text", run_pdfplumber, plain, max(1, repeat // 3)),
            ("pypdfium2, NFD text in PDF", run_pdfium, decomposed, repeat),
            ("kttt pdf.load", run_loader, plain, repeat),
            (f"kttt pdf.load, {style}", run_loader, dressed, repeat)]
    rows = []
    for name, fn, data, n in runs:
        text, seconds = timed(fn, data, n)
        m = compare(source, text)
        rows.append([path.name[:12], str(pages), name, f"{seconds * 1000 / pages:.2f}",
                     f"{m['similarity']:.5f}", "yes" if m["nfc"] else "no", str(m["lost"]),
                     str(m["split"]), str(m["glued"])])
    scores = hint_scores(plain, truth)
    hints = [path.name[:12]] + [f"{tp}/{fp}/{fn}" for tp, fp, fn in scores.values()]
    return rows, hints


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def big_document(seeds: list[Path], pages: int) -> bytes:
    """A PDF of about `pages` pages: the seeds over and over, with a header and page numbers."""
    paras = [p for s in seeds for p in paragraphs(s.read_text(encoding="utf-8"))]
    data, _ = build_pdf(paras, style="header+Trang n/N")
    per_copy = pages_of(data)
    copies = max(1, round(pages / per_copy))
    return build_pdf(paras * copies, style="header+Trang n/N")[0]


def peak_mb() -> tuple[float, float]:
    """Current and peak resident memory of this process in MB (VmRSS, VmHWM)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (float(fields["VmRSS"].split()[0]) / 1024, float(fields["VmHWM"].split()[0]) / 1024)


def child(pdf_path: str) -> None:
    """Run in a fresh process: load one PDF, print seconds, pages, blocks, RSS before, peak."""
    from kttt_extract.loaders import LoadOptions
    from kttt_extract.loaders.pdf import load

    data = Path(pdf_path).read_bytes()
    before, _ = peak_mb()
    start = time.perf_counter()
    loaded = load(data, pdf_path, LoadOptions(), "pdf")
    seconds = time.perf_counter() - start
    _, peak = peak_mb()
    print(seconds, loaded.source.pages, len(loaded.blocks), before, peak)


def memory_line(seeds: list[Path], tmp: Path) -> str:
    data = big_document(seeds, 300)
    target = tmp / "kttt-bench-300.pdf"
    target.write_bytes(data)
    out = subprocess.run([sys.executable, __file__, "--child", str(target)], check=True,
                         capture_output=True, text=True).stdout.split()
    target.unlink()
    seconds, pages, blocks, before, after = (float(x) for x in out)
    return (f"kttt pdf.load on a {int(pages)}-page PDF ({len(data) / 1e6:.1f} MB, "
            f"{int(blocks)} blocks): {seconds:.2f} s, {seconds * 1000 / pages:.2f} ms/page, "
            f"peak RSS {after:.0f} MB ({before:.0f} MB before loading)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tmp", type=Path, default=Path("/tmp"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    seeds = sorted(args.seeds.glob("*.txt"))
    rows: list[list[str]] = []
    hints: list[list[str]] = []
    for index, path in enumerate(seeds):
        seed, hint = seed_rows(path, index, args.repeat)
        rows += seed
        hints.append(hint)
    print(table(["seed", "pages", "engine", "ms/page", "similarity", "NFC out", "accents lost",
                 "split", "glued"], rows))
    print()
    print(table(["seed", "bold tp/fp/fn", "centred tp/fp/fn"], hints))
    print()
    print(memory_line(seeds, args.tmp))


if __name__ == "__main__":
    main()
