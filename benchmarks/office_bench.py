"""Legacy office files: one warm LibreOffice per worker (a batch) against a cold start per file.

    PYTHONPATH=src .venv/bin/python benchmarks/office_bench.py [--count N]

Makes one .doc from the DOCX sample with LibreOffice, copies it N times (each copy with its own
bytes, so none is served from another's conversion), then times in fresh processes:
- `kttt batch -j 1` over the N files: the batch converts them ahead in groups, one LibreOffice
  process per group (batch_office.py);
- `kttt extract` of each file in turn, N processes: a cold LibreOffice start for every file.
Prints seconds per file for each and their ratio. Needs `soffice` on the PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
KTTT = [sys.executable, "-m", "kttt_extract"]


def make_docs(folder: Path, count: int) -> list[Path]:
    """`count` distinct .doc files converted from the DOCX sample."""
    source = next(iter(sorted((ROOT / "samples").glob("*.docx"))), None)
    if source is None:
        sys.exit("office_bench: no samples/*.docx")
    master = folder / "master"
    master.mkdir()
    subprocess.run(["soffice", "--headless", "--convert-to", "doc", "--outdir", str(master),
                    str(source)], check=True, capture_output=True, timeout=300)
    doc = next(master.glob("*.doc")).read_bytes()
    inputs = folder / "in"
    inputs.mkdir()
    out = []
    for i in range(count):
        path = inputs / f"{i:04d}-{source.stem}.doc"
        path.write_bytes(doc + b"\0" * (i + 1))  # distinct bytes, the same document
        out.append(path)
    return out


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=12, help=".doc files to convert")
    args = parser.parse_args()
    if shutil.which("soffice") is None:
        sys.exit("office_bench: soffice (LibreOffice) is not on the PATH")
    with tempfile.TemporaryDirectory(prefix="kttt-office-") as tmp:
        root = Path(tmp)
        files = make_docs(root, args.count)
        warm = timed([*KTTT, "batch", str(files[0].parent), "-o", str(root / "out"), "-j", "1",
                      "-q"])
        produced = sorted((root / "out").glob("*.json"))
        if len(produced) != len(files):
            sys.exit(f"office_bench: the batch wrote {len(produced)} of {len(files)} files")
        cold = sum(timed([*KTTT, "extract", str(f), "-o", str(root / f"{f.stem}.json")])
                   for f in files)
        print(f"{len(files)} .doc files (the DOCX sample converted by LibreOffice)")
        print(f"  kttt batch -j 1 (warm: one LibreOffice per group): {warm:6.2f}s, "
              f"{warm / len(files):5.2f}s per file")
        print(f"  kttt extract per file (cold start each time):      {cold:6.2f}s, "
              f"{cold / len(files):5.2f}s per file")
        print(f"  cold / warm: {cold / warm:.1f}")


if __name__ == "__main__":
    main()
