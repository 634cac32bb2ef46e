"""The corpus floor: the F1 of every category in every group of the calibration corpus must not
fall below the figures recorded in `tests/corpus_floor.json`.

    python3 tools/corpus_floor.py --kttt .venv/bin/kttt            # check (CI)
    python3 tools/corpus_floor.py --kttt .venv/bin/kttt --record   # raise the floor after a gain

The corpus and its scorer live outside the repository (`../shared/corpus`, or `--corpus DIR`);
where they are absent the check says so on stderr and exits 0: it cannot be run, and it does not
pretend it passed. A fall of more than `--margin` in any figure exits 1 and names it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = ROOT / "tests" / "corpus_floor.json"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"


def measure(corpus: Path, kttt: str) -> dict[str, dict[str, float]]:
    """F1 per group and category, as the corpus scorer prints them."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "score.json"
        subprocess.run([sys.executable, str(corpus / "score.py"), "--kttt", kttt, "--json",
                        str(out)], check=True, stdout=subprocess.DEVNULL)
        summary = json.loads(out.read_text(encoding="utf-8"))
    groups: dict[str, dict[str, float]] = summary["groups"]
    return groups


def falls(floor: dict[str, dict[str, float]], now: dict[str, dict[str, float]],
          margin: float) -> list[str]:
    """Every figure of the floor that `now` misses by more than `margin`."""
    out = []
    for group, figures in sorted(floor.items()):
        for category, value in sorted(figures.items()):
            got = now.get(group, {}).get(category, 0.0)
            if got < value - margin:
                out.append(f"{group} {category}: {got:.3f} < floor {value:.3f}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kttt", required=True, help="the command that runs kttt")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--margin", type=float, default=0.005)
    ap.add_argument("--record", action="store_true", help="write the figures as the new floor")
    args = ap.parse_args()
    if not (args.corpus / "score.py").exists():
        print(f"corpus floor: no corpus at {args.corpus}; the floor was not checked",
              file=sys.stderr)
        return 0
    now = measure(args.corpus, args.kttt)
    if args.record:
        FLOOR.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"corpus floor recorded in {FLOOR.relative_to(ROOT)}")
        return 0
    floor = json.loads(FLOOR.read_text(encoding="utf-8"))
    problems = falls(floor, now, args.margin)
    for line in problems:
        print(f"corpus floor: {line}", file=sys.stderr)
    if not problems:
        print("corpus floor: every figure at or above the floor")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
