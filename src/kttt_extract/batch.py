"""Folder runs: find inputs, convert them in child processes, keep a manifest, roll tables up.

Library only: nothing here prints. `run_batch` reports each finished file to a callback and
returns a `Summary`; `kttt batch` (cli/batch.py) draws progress from those calls.
Finding inputs is batch_find.py; the per-file work happens in batch_pool.py, each file in a child
process under the time and memory limits; the parent plans, journals and rolls up (the tables
themselves are made by emit/rollup.py). One run at a time may write into an output folder: the
folder is locked (`flock`) for the run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from time import perf_counter

from kttt_extract import guard
from kttt_extract.batch_find import SUPPORTED as SUPPORTED  # re-exported
from kttt_extract.batch_find import Found, find_inputs
from kttt_extract.batch_pool import OUTPUT_FAILED, Job, WorkerConfig, error_message, execute
from kttt_extract.batch_pool import Entry as Entry  # re-exported: the manifest line
from kttt_extract.batch_pool import FileTimeout as FileTimeout
from kttt_extract.batch_pool import Status as Status
from kttt_extract.emit.atomic import write_atomic
from kttt_extract.emit.rollup import DOC_COLUMNS as DOC_COLUMNS  # re-exported: the table layout
from kttt_extract.emit.rollup import TABLES, XLSX, Rollup
from kttt_extract.emit.rollup import item_columns as item_columns
from kttt_extract.errors import Busy, ExitStatus, KtttError, OutputError, reason
from kttt_extract.fileio import digest_regular, read_regular
from kttt_extract.loaders import LoadOptions
from kttt_extract.ruleset import RuleSet, load_rules
from kttt_extract.ruleset.load import RuleLimits

MANIFEST = "manifest.jsonl"
PARTIAL = "manifest.partial.jsonl"
# the names the run writes at the top of the output folder: no input folder may take one
RESERVED = frozenset({MANIFEST, PARTIAL, XLSX, *(f"{t}.csv" for t in TABLES)})
COUNTED = ("targets", "deadlines", "agencies", "tasks")
MAX_MANIFEST = 1024 * 1024 * 1024  # a manifest (or a JSON read back) larger is refused
_RERUN = "free some space or fix the folder, then rerun: finished files are kept"


class BatchError(KtttError):
    """A batch that cannot start (bad folders)."""

    code = "batch"
    exit_status = ExitStatus.USAGE


class UnsafePath(KtttError):
    """An output path that would land outside the output folder, or on one of its own files."""

    code = "unsafe-path"


@dataclass(frozen=True)
class BatchOptions:
    glob: str | None = None  # None: every file with a supported extension
    jobs: int | None = None  # None: os.cpu_count()
    force: bool = False
    fail_fast: bool = False
    timeout: float = 120.0  # seconds per file; 0 turns the limit off
    max_memory_mb: int = 2048  # address space per file; 0 turns the limit off
    rules: Path | None = None
    load: LoadOptions = field(default_factory=LoadOptions)
    keep_text: bool = True
    follow_links: bool = False  # also read files that symlinks lead to outside the input
    rule_limits: RuleLimits | None = None


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


def output_path(out_dir: Path, rel: str) -> Path:
    """OUT_DIR/<rel>.json, refusing any name or symlink that would lead outside OUT_DIR and any
    folder named like one of the run's own files (`targets.csv/`)."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise UnsafePath("output path would leave the output folder", path=rel)
    if len(parts) > 1 and parts[0] in RESERVED:
        raise UnsafePath(f"its folder {parts[0]!r} has the name of one of the batch's own "
                         "output files", path=rel, hint="rename the folder")
    root = out_dir.resolve()
    target = root.joinpath(*parts[:-1], parts[-1] + ".json")
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):  # a symlink loop in the output folder
        raise UnsafePath("output path runs into a loop of symbolic links", path=rel,
                         hint="remove the symlink inside the output folder") from None
    if not resolved.is_relative_to(root):
        raise UnsafePath("output path would leave the output folder (symlink)", path=rel,
                         hint="remove the symlink inside the output folder")
    return target


def read_manifest(out_dir: Path) -> dict[str, Entry]:
    """Entries of the last complete run, overridden by those of an interrupted run after it."""
    entries: dict[str, Entry] = {}
    for name in (MANIFEST, PARTIAL):
        path = out_dir / name
        if not os.path.lexists(path):
            continue
        _refuse_link(path)
        try:
            text = read_regular(path, MAX_MANIFEST).decode("utf-8", errors="replace")
        except KtttError as exc:
            raise OutputError(f"cannot read the previous run's manifest: {exc.message}",
                              path=str(path), hint="remove it or choose another -o folder"
                              ) from None
        for line in text.splitlines():
            entry = _parse_entry(line)
            if entry is not None:
                entries[entry.path] = entry
    return entries


def _refuse_link(path: Path) -> None:
    """The run reads and appends only regular files of its own folder, never through a link."""
    if path.is_symlink():
        raise OutputError("is a symbolic link: a batch keeps its manifest in its own folder",
                          path=str(path), hint="remove the link")


def _parse_entry(line: str) -> Entry | None:
    """An Entry from one manifest line; None for a torn or foreign line."""
    try:
        data = json.loads(line)
        return Entry(**data) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def _plan(in_dir: Path, out_dir: Path, options: BatchOptions, version: str
          ) -> tuple[list[Job], list[Entry]]:
    """Jobs to run, and entries decided without running (skipped, or failed before reading)."""
    previous = {} if options.force else read_manifest(out_dir)
    jobs: list[Job] = []
    decided: list[Entry] = []
    found = find_inputs(in_dir, options.glob, exclude=out_dir,
                        follow_links=options.follow_links, max_bytes=options.load.max_bytes)
    for item in found:
        try:
            job = _job(item, out_dir, options, version)
        except KtttError as exc:
            decided.append(Entry(item.rel, "", "error", exc.code, error_message(exc),
                                 rules_version=version))
            continue
        prev = previous.get(item.rel)
        if (prev is not None and prev.status in ("ok", "skipped") and prev.sha256 == job.sha256
                and prev.rules_version == version and Path(job.out).is_file()):
            decided.append(replace(prev, status="skipped", code=None, message=None, seconds=0.0))
        else:
            jobs.append(job)
    return jobs, decided


def _job(item: Found, out_dir: Path, options: BatchOptions, version: str) -> Job:
    if item.problem is not None:
        raise item.problem
    out = output_path(out_dir, item.rel)
    digest = digest_regular(item.src, options.load.max_bytes)
    return Job(item.rel, item.src, str(out), digest, version)


# --------------------------------------------------------------------------- running


class _Journal:
    """Appends each finished entry to manifest.partial.jsonl at once, so an interrupted run
    keeps what it did; `finish` writes manifest.jsonl atomically and drops the partial file."""

    def __init__(self, out_dir: Path, total: int, progress: Progress | None) -> None:
        self.out_dir, self.total, self.progress = out_dir, total, progress
        self.entries: dict[str, Entry] = {}
        path = out_dir / PARTIAL
        _refuse_link(path)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            self._fd: int | None = os.open(path, flags, 0o666)
        except OSError as exc:
            raise OutputError(f"cannot write: {reason(exc)}", path=str(path), hint=_RERUN
                              ) from None

    def record(self, entry: Entry) -> None:
        line = (json.dumps(asdict(entry), ensure_ascii=False) + "\n").encode("utf-8")
        try:
            assert self._fd is not None, "journal closed"
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            raise OutputError(f"cannot write: {reason(exc)}", path=str(self.out_dir / PARTIAL),
                              hint=_RERUN) from None
        self.entries[entry.path] = entry
        if self.progress is not None:
            self.progress(len(self.entries), self.total, entry)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def finish(self) -> list[Entry]:
        self.close()
        entries = [self.entries[k] for k in sorted(self.entries)]
        lines = "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in entries)
        write_atomic(self.out_dir / MANIFEST, lines.encode("utf-8"))
        (self.out_dir / PARTIAL).unlink(missing_ok=True)
        return entries


@contextlib.contextmanager
def lock_folder(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on `out_dir` for the run, or raise Busy. The lock goes with the
    process (and with its children, which die with it); a file system without locks runs
    unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    try:
        fd = os.open(out_dir, os.O_RDONLY)
    except OSError as exc:
        raise OutputError(f"cannot open the output folder: {reason(exc)}", path=str(out_dir)
                          ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy("another kttt batch is writing into this folder", path=str(out_dir),
                       hint="wait for it to finish, or choose another -o folder") from None
        except OSError:
            pass
        yield
    finally:
        os.close(fd)


def run_batch(in_dir: Path | str, out_dir: Path | str, options: BatchOptions | None = None,
              progress: Progress | None = None) -> Summary:
    """Convert every matching file under `in_dir` into `out_dir`; see the module docstring.

    Raises KeyboardInterrupt after recording the files that finished (the partial manifest
    stays; a rerun does the rest), and OutputError when the output folder cannot take more
    (a full disk): what was done is kept."""
    opts = options or BatchOptions()
    start = perf_counter()
    src, dst = Path(in_dir), Path(out_dir)
    if not src.is_dir():
        raise BatchError("input is not a folder", path=str(src))
    if dst.resolve() == src.resolve():
        raise OutputError("is the input folder", path=str(dst), hint="choose another -o folder")
    rules = load_rules(opts.rules, limits=opts.rule_limits)
    try:
        dst.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {reason(exc)}", path=str(dst)
                          ) from None
    with lock_folder(dst):
        entries, total, stopped = _run(src, dst, opts, rules, progress)
    summary = _summarise(entries, total, dst)
    summary.rollup_problems = write_rollups(dst, entries)
    summary.seconds = round(perf_counter() - start, 3)
    if stopped is not None:
        raise OutputError(f"cannot write its JSON: {stopped.message}", path=stopped.path,
                          hint=f"{summary.not_run} file(s) not done; {_RERUN}")
    return summary


def _run(src: Path, dst: Path, opts: BatchOptions, rules: RuleSet, progress: Progress | None
         ) -> tuple[list[Entry], int, Entry | None]:
    jobs, decided = _plan(src, dst, opts, rules.version)
    journal = _Journal(dst, len(jobs) + len(decided), progress)
    stopped: Entry | None = None
    try:
        for entry in decided:
            journal.record(entry)
        if not (opts.fail_fast and any(e.status == "error" for e in decided)):
            limits = guard.Limits(opts.timeout, opts.max_memory_mb)
            config = WorkerConfig(opts.load, limits, opts.keep_text)
            stopped = execute(jobs, config, rules, journal.record, workers=opts.jobs,
                              fail_fast=opts.fail_fast)
    except BaseException:
        journal.close()
        raise
    stopped = stopped if stopped is not None and stopped.code == OUTPUT_FAILED else None
    return journal.finish(), len(jobs) + len(decided), stopped


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
            path = output_path(out_dir, entry.path)
            tables.add(json.loads(read_regular(path, MAX_MANIFEST)))
        except (OSError, ValueError, KeyError, TypeError, KtttError):
            problems.append(entry.path)
    for name, data in tables.files():
        write_atomic(out_dir / name, data)
    return problems
