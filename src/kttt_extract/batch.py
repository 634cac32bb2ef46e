"""Folder runs: find inputs, convert them in worker processes, keep a manifest, roll tables up.

Library only: nothing here prints. `run_batch` reports each finished file to a callback and
returns a `Summary`; `kttt batch` (cli/batch.py) draws progress from those calls.
The per-file work happens in batch_pool.py, inside pool workers that hold the rule set, a time
limit and an address-space limit; the parent only plans, journals and rolls up (the tables
themselves are made by emit/rollup.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from time import perf_counter

from kttt_extract.batch_pool import Entry as Entry  # re-exported: the manifest line
from kttt_extract.batch_pool import FileTimeout as FileTimeout
from kttt_extract.batch_pool import Job, WorkerConfig, error_message, execute
from kttt_extract.batch_pool import Status as Status
from kttt_extract.emit.atomic import write_atomic
from kttt_extract.emit.rollup import DOC_COLUMNS as DOC_COLUMNS  # re-exported: the table layout
from kttt_extract.emit.rollup import Rollup
from kttt_extract.emit.rollup import item_columns as item_columns
from kttt_extract.errors import ExitStatus, KtttError
from kttt_extract.loaders import LoadOptions
from kttt_extract.ruleset import load_rules

SUPPORTED = ("pdf", "docx", "doc", "rtf", "odt", "txt", "md")
MANIFEST = "manifest.jsonl"
PARTIAL = "manifest.partial.jsonl"
COUNTED = ("targets", "deadlines", "agencies", "tasks")


class BatchError(KtttError):
    """A batch that cannot start (bad folders)."""

    code = "batch"
    exit_status = ExitStatus.USAGE


class UnsafePath(KtttError):
    """An output path that would land outside the output folder."""

    code = "unsafe-path"


@dataclass(frozen=True)
class BatchOptions:
    glob: str | None = None  # None: every file with a supported extension
    jobs: int | None = None  # None: os.cpu_count()
    force: bool = False
    fail_fast: bool = False
    timeout: float = 120.0  # seconds per file; 0 turns the limit off
    max_memory_mb: int = 2048  # address space per worker; 0 turns the limit off
    rules: Path | None = None
    load: LoadOptions = field(default_factory=LoadOptions)
    keep_text: bool = True


@dataclass
class Summary:
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    not_run: int = 0  # left over after --fail-fast stopped the run
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    slowest: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    out_dir: str = ""
    rollup_problems: list[str] = field(default_factory=list)


Progress = Callable[[int, int, Entry], None]  # (done, total, entry)

# --------------------------------------------------------------------------- planning


def find_inputs(in_dir: Path, pattern: str | None = None, exclude: Path | None = None
                ) -> list[str]:
    """Relative POSIX paths of the files under `in_dir` that match, sorted; dot files and
    symlinked folders are not entered, `exclude` (the output folder) is left out."""
    skip = exclude.resolve() if exclude is not None else None
    found: list[str] = []
    for root, dirs, files in os.walk(in_dir):
        here = Path(root)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (here / d).resolve() != skip]
        for name in files:
            rel = (here / name).relative_to(in_dir).as_posix()
            if not name.startswith(".") and _matches(rel, pattern) and (here / name).is_file():
                found.append(rel)
    return sorted(found)


def _matches(rel: str, pattern: str | None) -> bool:
    if pattern is None:
        return PurePosixPath(rel).suffix.lower().lstrip(".") in SUPPORTED
    if "/" in pattern:
        return PurePosixPath(rel).match(pattern)
    return fnmatchcase(PurePosixPath(rel).name, pattern)


def output_path(out_dir: Path, rel: str) -> Path:
    """OUT_DIR/<rel>.json, refusing any name or symlink that would lead outside OUT_DIR."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise UnsafePath("output path would leave the output folder", path=rel)
    root = out_dir.resolve()
    target = root.joinpath(*parts[:-1], parts[-1] + ".json")
    if not target.resolve().is_relative_to(root):
        raise UnsafePath("output path would leave the output folder (symlink)", path=rel,
                         hint="remove the symlink inside the output folder")
    return target


def read_manifest(out_dir: Path) -> dict[str, Entry]:
    """Entries of the last complete run, overridden by those of an interrupted run after it."""
    entries: dict[str, Entry] = {}
    for name in (MANIFEST, PARTIAL):
        with contextlib.suppress(FileNotFoundError):
            for line in (out_dir / name).read_text(encoding="utf-8").splitlines():
                entry = _parse_entry(line)
                if entry is not None:
                    entries[entry.path] = entry
    return entries


def _parse_entry(line: str) -> Entry | None:
    """An Entry from one manifest line; None for a torn or foreign line."""
    try:
        data = json.loads(line)
        return Entry(**data) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _plan(in_dir: Path, out_dir: Path, options: BatchOptions, version: str
          ) -> tuple[list[Job], list[Entry]]:
    """Jobs to run, and entries decided without running (skipped, or failed before reading)."""
    previous = {} if options.force else read_manifest(out_dir)
    jobs: list[Job] = []
    decided: list[Entry] = []
    for rel in find_inputs(in_dir, options.glob, exclude=out_dir):
        try:
            out = output_path(out_dir, rel)
            digest = _file_sha256(in_dir / rel)
        except UnsafePath as exc:
            decided.append(Entry(rel, "", "error", exc.code, error_message(exc),
                                 rules_version=version))
            continue
        except OSError as exc:
            decided.append(Entry(rel, "", "error", "unreadable", f"cannot read: {exc.strerror}",
                                 rules_version=version))
            continue
        prev = previous.get(rel)
        if (prev is not None and prev.status in ("ok", "skipped") and prev.sha256 == digest
                and prev.rules_version == version and out.is_file()):
            decided.append(replace(prev, status="skipped", code=None, message=None, seconds=0.0))
        else:
            jobs.append(Job(rel, str(in_dir / rel), str(out), digest, version))
    return jobs, decided


# --------------------------------------------------------------------------- running


class _Journal:
    """Appends each finished entry to manifest.partial.jsonl at once, so an interrupted run
    keeps what it did; `finish` writes manifest.jsonl atomically and drops the partial file."""

    def __init__(self, out_dir: Path, total: int, progress: Progress | None) -> None:
        self.out_dir, self.total, self.progress = out_dir, total, progress
        self.entries: dict[str, Entry] = {}
        self._fh = (out_dir / PARTIAL).open("a", encoding="utf-8")

    def record(self, entry: Entry) -> None:
        self._fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")
        self._fh.flush()
        self.entries[entry.path] = entry
        if self.progress is not None:
            self.progress(len(self.entries), self.total, entry)

    def close(self) -> None:
        self._fh.close()

    def finish(self) -> list[Entry]:
        self.close()
        entries = [self.entries[k] for k in sorted(self.entries)]
        lines = "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in entries)
        write_atomic(self.out_dir / MANIFEST, lines.encode("utf-8"))
        (self.out_dir / PARTIAL).unlink(missing_ok=True)
        return entries


def run_batch(in_dir: Path | str, out_dir: Path | str, options: BatchOptions | None = None,
              progress: Progress | None = None) -> Summary:
    """Convert every matching file under `in_dir` into `out_dir`; see the module docstring.

    Raises KeyboardInterrupt after recording the files that finished (the partial manifest
    stays; a rerun does the rest)."""
    opts = options or BatchOptions()
    start = perf_counter()
    src, dst = Path(in_dir), Path(out_dir)
    if not src.is_dir():
        raise BatchError("input is not a folder", path=str(src))
    if dst.resolve() == src.resolve():
        raise BatchError("output folder is the input folder", path=str(dst),
                         hint="choose another -o folder")
    rules = load_rules(opts.rules)
    dst.mkdir(parents=True, exist_ok=True)
    jobs, decided = _plan(src, dst, opts, rules.version)
    journal = _Journal(dst, len(jobs) + len(decided), progress)
    try:
        for entry in decided:
            journal.record(entry)
        if not (opts.fail_fast and any(e.status == "error" for e in decided)):
            config = WorkerConfig(opts.rules, opts.load, opts.timeout, opts.max_memory_mb,
                                  opts.keep_text)
            execute(jobs, config, rules, journal.record, workers=opts.jobs,
                    fail_fast=opts.fail_fast)
    except BaseException:
        journal.close()
        raise
    entries = journal.finish()
    summary = _summarise(entries, len(jobs) + len(decided), dst)
    summary.rollup_problems = write_rollups(dst, entries)
    summary.seconds = round(perf_counter() - start, 3)
    return summary


def _summarise(entries: list[Entry], total: int, out_dir: Path) -> Summary:
    summary = Summary(out_dir=str(out_dir))
    for e in entries:
        if e.status == "error":
            summary.failed += 1
            continue
        summary.ok += e.status == "ok"
        summary.skipped += e.status == "skipped"
        for key in COUNTED:
            summary.totals[key] += getattr(e, key)
    summary.not_run = total - len(entries)
    timed = sorted((e for e in entries if e.status != "skipped"),
                   key=lambda e: (-e.seconds, e.path))
    summary.slowest = [(e.path, e.seconds) for e in timed[:5]]
    return summary


# --------------------------------------------------------------------------- roll-up tables


def write_rollups(out_dir: Path, entries: list[Entry]) -> list[str]:
    """targets.csv, deadlines.csv, tasks.csv and rollup.xlsx over every ok or skipped document;
    returns the paths whose JSON could not be read back."""
    tables = Rollup()
    problems: list[str] = []
    for entry in entries:
        if entry.status == "error":
            continue
        try:
            tables.add(json.loads(output_path(out_dir, entry.path).read_bytes()))
        except (OSError, ValueError, KeyError, TypeError, KtttError):
            problems.append(entry.path)
    for name, data in tables.files():
        write_atomic(out_dir / name, data)
    return problems
