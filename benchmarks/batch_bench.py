"""Throughput of `kttt batch` on a corpus of TXT, DOCX and PDF files built from the samples.

    PYTHONPATH=src /work/venv/bin/python benchmarks/batch_bench.py [--count N] [--bare-count N]

The corpus (N files, a third per format) is built in a temporary folder from samples/*.md|txt
(or /work/shared/seeds/*.txt when samples/ is empty): the text as is, a DOCX with one paragraph
per non-empty line (python-docx), and a multi-page PDF of wrapped lines (fpdf2, DejaVuSans).
Printed: ms per document by stage (load, normalise, extract = segment + extractors + link,
write) measured in this process; documents/s of `run_batch` per format with 1 and 2 jobs, the
speed-up, and each run's peak RSS per worker (measured in a child process so that runs do not
mix); the ratio of batch time per document to the bare loader alone (pdfplumber extract_text
with page.close(); python-docx Document and a paragraph walk; read and decode for text); the
peak memory of one 300-page PDF; and the wall time of `kttt --help` (median of 5).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import regex

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SEEDS = Path("/work/shared/seeds")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FORMATS = ("txt", "docx", "pdf")
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


# --------------------------------------------------------------------------- corpus


def source_texts() -> dict[str, str]:
    """Sample texts by name: samples/ when it has any, else the seeds."""
    files = [p for p in sorted(SAMPLES.glob("*")) if p.suffix in (".md", ".txt")]
    files = files or sorted(SEEDS.glob("*.txt"))
    if not files:
        sys.exit("batch_bench: no samples/*.md|txt and no seeds")
    return {p.stem: p.read_text(encoding="utf-8") for p in files}


def plain_lines(text: str) -> list[str]:
    """Non-empty lines without Markdown marks (what a DOCX or PDF of the text would show)."""
    out = []
    for raw in text.splitlines():
        line = regex.sub(r"^#+\s*|\*\*|__|`", "", raw.strip())
        if line and not regex.fullmatch(r"[-*_=]{3,}", line):
            out.append(" ".join(line.split()))
    return out


def build_docx(lines: list[str], path: Path) -> None:
    from docx import Document

    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))


def build_pdf(lines: list[str], path: Path) -> int:
    """A wrapped, multi-page A4 PDF; returns its page count."""
    from fpdf import FPDF

    pdf: Any = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.output(str(path))
    return int(pdf.page_no())


def build_corpus(root: Path, count: int) -> dict[str, list[Path]]:
    """`count` files, a third per format, cycling over the texts (one build per text, copied)."""
    texts = source_texts()
    masters: dict[str, dict[str, bytes]] = {f: {} for f in FORMATS}
    work = root / "masters"
    work.mkdir(parents=True)
    for name, text in texts.items():
        lines = plain_lines(text)
        masters["txt"][name] = text.encode("utf-8")
        build_docx(lines, work / f"{name}.docx")
        build_pdf(lines, work / f"{name}.pdf")
        masters["docx"][name] = (work / f"{name}.docx").read_bytes()
        masters["pdf"][name] = (work / f"{name}.pdf").read_bytes()
    corpus: dict[str, list[Path]] = {}
    names = sorted(texts)
    for fmt in FORMATS:
        folder = root / "corpus" / fmt
        folder.mkdir(parents=True)
        corpus[fmt] = []
        for i in range(max(1, count // len(FORMATS))):
            name = names[i % len(names)]
            path = folder / f"{i:04d}-{name}.{fmt}"
            path.write_bytes(masters[fmt][name])
            corpus[fmt].append(path)
    return corpus


# --------------------------------------------------------------------------- measurements


def stage_times(files: list[Path], out: Path) -> dict[str, float]:
    """Median ms per document of each stage, in this process."""
    from kttt_extract.emit.atomic import write_atomic
    from kttt_extract.emit.json import dumps
    from kttt_extract.loaders import load
    from kttt_extract.normalize import normalize
    from kttt_extract.pipeline import extract_loaded
    from kttt_extract.ruleset import load_rules
    from kttt_extract.sections import segment

    rules = load_rules()
    load(files[0])  # import the loader's libraries outside the timings
    times: dict[str, list[float]] = {k: [] for k in ("load", "normalise", "segment", "extract",
                                                     "write")}
    for path in files:
        t0 = time.perf_counter()
        loaded = load(path)
        t1 = time.perf_counter()
        norm = normalize(loaded.blocks)
        t2 = time.perf_counter()
        segment(norm, rules)
        t3 = time.perf_counter()
        result = extract_loaded(loaded, rules)  # normalises again: that part is subtracted
        t4 = time.perf_counter()
        write_atomic(out / f"{path.name}.json", dumps(result))
        t5 = time.perf_counter()
        for key, value in (("load", t1 - t0), ("normalise", t2 - t1), ("segment", t3 - t2),
                           ("extract", (t4 - t3) - (t2 - t1)), ("write", t5 - t4)):
            times[key].append(value * 1000)
    return {k: statistics.median(v) for k, v in times.items()}


def bare_loader(fmt: str) -> Callable[[Path], None]:
    """The third-party reader alone, as a baseline."""

    def pdfplumber_text(path: Path) -> None:
        import pdfplumber

        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()

    def docx_walk(path: Path) -> None:
        from docx import Document

        for para in Document(str(path)).paragraphs:
            _ = para.text

    def text_read(path: Path) -> None:
        path.read_bytes().decode("utf-8")

    return {"pdf": pdfplumber_text, "docx": docx_walk, "txt": text_read}[fmt]


def bare_seconds_per_doc(files: list[Path], fmt: str) -> float:
    read = bare_loader(fmt)
    read(files[0])  # imports
    start = time.perf_counter()
    for path in files:
        read(path)
    return (time.perf_counter() - start) / len(files)


def child_batch(in_dir: Path, out_dir: Path, jobs: int) -> dict[str, Any]:
    """Run run_batch in a fresh interpreter; its RUSAGE_CHILDREN peak is the workers' alone."""
    proc = subprocess.run([sys.executable, __file__, "--child-batch", str(in_dir), str(out_dir),
                           str(jobs)], env=ENV, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _child_batch(in_dir: str, out_dir: str, jobs: str) -> None:
    from kttt_extract.batch import BatchOptions, run_batch

    start = time.perf_counter()
    summary = run_batch(in_dir, out_dir, BatchOptions(jobs=int(jobs), force=True))
    wall = time.perf_counter() - start
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"wall": wall, "ok": summary.ok, "failed": summary.failed,
                      "worker_mb": worker_kb / 1024}))


def _child_big_pdf(path: str) -> None:
    from kttt_extract.pipeline import extract
    from kttt_extract.ruleset import load_rules

    rules = load_rules()
    import kttt_extract.loaders.pdf  # noqa: F401  (count the imports in the baseline)

    base = _peak_rss_mb()
    start = time.perf_counter()
    result = extract(path, rules=rules)
    wall = time.perf_counter() - start
    peak = _peak_rss_mb()
    print(json.dumps({"base_mb": base, "peak_mb": peak, "wall": wall,
                      "pages": result.source.pages, "targets": len(result.targets)}))


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: on Linux ru_maxrss keeps the peak of
    the process this one was forked from (the benchmark itself) across exec."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def big_pdf(root: Path, pages: int = 300) -> dict[str, Any]:
    """Peak memory of extracting one PDF of about `pages` pages, in a child process."""
    lines: list[str] = []
    for text in source_texts().values():
        lines += plain_lines(text)
    path = root / "big.pdf"
    per_round = build_pdf(lines, path)
    build_pdf(lines * -(-pages // per_round), path)
    proc = subprocess.run([sys.executable, __file__, "--child-big-pdf", str(path)], env=ENV,
                          capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def help_time() -> float:
    """Median wall seconds of `kttt --help` (python -m kttt_extract) over 5 runs."""
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kttt_extract", "--help"], env=ENV, check=True,
                       capture_output=True, cwd=tempfile.gettempdir())
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


# --------------------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=300, help="files in the corpus (all formats)")
    parser.add_argument("--bare-count", type=int, default=20, help="files per format for the "
                        "bare-loader baseline and the stage timings")
    parser.add_argument("--big-pages", type=int, default=300)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    with tempfile.TemporaryDirectory(prefix="kttt-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        corpus = build_corpus(root, args.count)
        print(f"corpus: {sum(map(len, corpus.values()))} files ({len(corpus['txt'])} per format) "
              f"from {len(source_texts())} texts, built in {time.perf_counter() - start:.1f}s; "
              f"{os.cpu_count()} CPUs")
        report_stages(corpus, root, args.bare_count)
        report_batches(corpus, root, args.bare_count)
        big = big_pdf(root, args.big_pages)
        print(f"\n{big['pages']}-page PDF: extract {big['wall']:.1f}s, peak RSS "
              f"{big['peak_mb']:.0f} MB ({big['peak_mb'] - big['base_mb']:.0f} MB over the "
              f"{big['base_mb']:.0f} MB after imports), {big['targets']} targets")
    print(f"kttt --help: {help_time() * 1000:.0f} ms (median of 5)")


def report_stages(corpus: dict[str, list[Path]], root: Path, n: int) -> None:
    out = root / "stage-out"
    out.mkdir()
    print(f"\nms per document by stage (median of {n} in-process; extract includes segment)")
    print(f"{'format':<6} {'load':>8} {'normalise':>10} {'segment':>8} {'extract':>8} "
          f"{'write':>7} {'total':>8} {'docs/s':>7}")
    for fmt in FORMATS:
        t = stage_times(corpus[fmt][:n], out)
        total = t["load"] + t["normalise"] + t["extract"] + t["write"]
        print(f"{fmt:<6} {t['load']:8.1f} {t['normalise']:10.1f} {t['segment']:8.1f} "
              f"{t['extract']:8.1f} {t['write']:7.1f} {total:8.1f} {1000 / total:7.1f}")


def report_batches(corpus: dict[str, list[Path]], root: Path, n: int) -> None:
    (root / "empty").mkdir()
    fixed = child_batch(root / "empty", root / "out-empty", 1)["wall"]
    print(f"\nrun_batch on an empty folder (rules, manifest, tables): {fixed * 1000:.0f} ms")
    print("run_batch per format (fresh child process; wall time includes that fixed cost; "
          "worker MB = peak RSS of any worker)")
    print(f"{'format':<6} {'docs':>5} {'1 job d/s':>10} {'2 jobs d/s':>11} {'speed-up':>9} "
          f"{'worker MB':>10} {'bare ms/doc':>12} {'batch/bare':>11}")
    for fmt in FORMATS:
        in_dir = corpus[fmt][0].parent
        runs = {j: child_batch(in_dir, root / f"out-{fmt}-{j}", j) for j in (1, 2)}
        docs = len(corpus[fmt])
        bare = bare_seconds_per_doc(corpus[fmt][:n], fmt)
        one, two = (runs[j]["wall"] for j in (1, 2))
        failed = sum(r["failed"] for r in runs.values())
        print(f"{fmt:<6} {docs:5d} {docs / one:10.1f} {docs / two:11.1f} {one / two:9.2f} "
              f"{max(r['worker_mb'] for r in runs.values()):10.0f} {bare * 1000:12.1f} "
              f"{one / docs / bare:11.2f}" + (f"  ({failed} failed!)" if failed else ""))
    mixed = child_batch(root / "corpus", root / "out-all", 2)
    total = sum(map(len, corpus.values()))
    print(f"all formats, 2 jobs: {total / mixed['wall']:.1f} docs/s "
          f"({mixed['wall']:.1f}s for {total}, {mixed['failed']} failed)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child-batch":
        _child_batch(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--child-big-pdf":
        _child_big_pdf(sys.argv[2])
    else:
        main()
