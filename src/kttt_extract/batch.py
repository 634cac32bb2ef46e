"""Folder runs: find inputs, convert them in child processes, keep a manifest, roll tables up.

Library only: nothing here prints. `run_batch` reports each finished file to a callback and
returns a `Summary`; `kttt batch` (cli/batch.py) draws progress from those calls.
Finding inputs is batch_find.py; the per-file work happens on an engine: batch_pool.py (the
default: local worker processes, each file under the time and memory limits) or
engines/dask.py (Dask's distributed scheduler); the parent plans (batch_plan.py: skip, fail or
run each input), journals and rolls up (the tables themselves are made by emit/rollup.py). What
a rerun needs to know is kept in an index beside the JSON files (batch_index.py). One run at a
time may write into an output folder: the folder is locked (`flock`) for the run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from time import perf_counter
from typing import Literal

from kttt_extract import guard
from kttt_extract.batch_feed import TableFeed, add_rows, read_back
from kttt_extract.batch_find import SUPPORTED as SUPPORTED  # re-exported
from kttt_extract.batch_find import find_inputs
from kttt_extract.batch_index import Index, Stat, entry_line, manifest_lines
from kttt_extract.batch_index import parse_entry as parse_entry
from kttt_extract.batch_office import converted_ahead
from kttt_extract.batch_plan import MANIFEST as MANIFEST
from kttt_extract.batch_plan import PARTIAL as PARTIAL
from kttt_extract.batch_plan import RESERVED as RESERVED
from kttt_extract.batch_plan import TABLE_FILES, plan
from kttt_extract.batch_plan import Folders as Folders
from kttt_extract.batch_plan import UnsafePath as UnsafePath
from kttt_extract.batch_plan import output_path as output_path
from kttt_extract.batch_pool import (
    OUTPUT_FAILED,
    Job,
    Record,
    WorkerConfig,
    execute,
)
from kttt_extract.batch_pool import Entry as Entry  # re-exported: the manifest line
from kttt_extract.batch_pool import FileTimeout as FileTimeout
from kttt_extract.batch_pool import Status as Status
from kttt_extract.emit.rollup import DOC_COLUMNS as DOC_COLUMNS  # re-exported: the table layout
from kttt_extract.emit.rollup import Rollup
from kttt_extract.emit.rollup import item_columns as item_columns
from kttt_extract.errors import Busy, ExitStatus, KtttError, OutputError, reason
from kttt_extract.loaders import LoadOptions
from kttt_extract.ruleset import RuleSet, load_rules
from kttt_extract.ruleset.load import RuleLimits

Engine = Literal["local", "dask"]
COUNTED = ("targets", "deadlines", "agencies", "tasks")
MAX_MANIFEST = 1024 * 1024 * 1024  # a manifest (or a JSON read back) larger is refused
_RERUN = "free some space or fix the folder, then rerun: finished files are kept"


class BatchError(KtttError):
    """A batch that cannot start (bad folders)."""

    code = "batch"
    exit_status = ExitStatus.USAGE


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
    engine: Engine = "local"
    scheduler: str | None = None  # dask: a scheduler's address; None starts a local cluster


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


def _unreadable_manifest(exc: KtttError, path: Path) -> OutputError:
    return OutputError(f"cannot read the previous run's manifest: {exc.message}", path=str(path),
                       hint="remove it or choose another -o folder")


def _refuse_link(path: Path) -> None:
    """The run reads and appends only regular files of its own folder, never through a link."""
    if path.is_symlink():
        raise OutputError("is a symbolic link: a batch keeps its manifest in its own folder",
                          path=str(path), hint="remove the link")


def read_manifest(out_dir: Path) -> dict[str, Entry]:
    """Entries of the last complete run, overridden by those of an interrupted run after it
    (what `kttt report` reads; a run itself reads the index)."""
    entries: dict[str, Entry] = {}
    for name in (MANIFEST, PARTIAL):
        path = out_dir / name
        if not os.path.lexists(path):
            continue
        _refuse_link(path)
        try:
            for line in manifest_lines(path, MAX_MANIFEST):
                entry = parse_entry(line)
                if entry is not None:
                    entries[entry.path] = entry
        except KtttError as exc:
            raise _unreadable_manifest(exc, path) from None
    return entries


def _open_index(out_dir: Path, force: bool) -> Index:
    """The output folder's index, rebuilt from manifest.jsonl when it is not the one it made."""
    for name in (MANIFEST, PARTIAL):
        _refuse_link(out_dir / name)
    try:
        index = Index(out_dir, MANIFEST, PARTIAL, MAX_MANIFEST)
    except OutputError:
        raise
    except KtttError as exc:
        raise _unreadable_manifest(exc, out_dir / MANIFEST) from None
    if force:
        index.forget()
    return index


# --------------------------------------------------------------------------- running


class _Journal:
    """Appends each finished entry to manifest.partial.jsonl at once, so an interrupted run
    keeps what it did, and to the index; `finish` writes manifest.jsonl atomically (streamed
    from the index) and drops the partial file. Skipped entries go to the index only: the
    previous rows already say they are done."""

    def __init__(self, out_dir: Path, force: bool, total: int, progress: Progress | None
                 ) -> None:
        self.out_dir, self.total, self.progress = out_dir, total, progress
        self.done = 0
        self.stats: dict[str, Stat | None] = {}  # of the jobs running, by path
        path = out_dir / PARTIAL
        _refuse_link(path)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            self._fd: int | None = os.open(path, flags, 0o666)
        except OSError as exc:
            raise OutputError(f"cannot write: {reason(exc)}", path=str(path), hint=_RERUN
                              ) from None
        try:
            self.index = _open_index(out_dir, force)
        except BaseException:
            self.close()
            raise

    def record(self, entry: Entry, stat: Stat | None = None) -> None:
        if entry.status == "skipped":  # made by batch_plan.plan from its row in the index
            self.index.skip(entry.path, stat)
        else:
            self._append(entry)
            stat = self.stats.pop(entry.path, stat)
            self.index.record(entry, stat if entry.status != "error" else None)
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, entry)

    def _append(self, entry: Entry) -> None:
        line = (entry_line(entry) + "\n").encode("utf-8")
        try:
            assert self._fd is not None, "journal closed"
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            raise OutputError(f"cannot write: {reason(exc)}", path=str(self.out_dir / PARTIAL),
                              hint=_RERUN) from None

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def finish(self) -> None:
        self.close()
        self.index.finish()
        (self.out_dir / PARTIAL).unlink(missing_ok=True)


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
        summary, stopped = _run(src, dst, opts, rules, progress)
    summary.seconds = round(perf_counter() - start, 3)
    if stopped is not None:
        raise OutputError(f"cannot write its JSON: {stopped.message}", path=stopped.path,
                          hint=f"{summary.not_run} file(s) not done; {_RERUN}")
    return summary


def _run(src: Path, dst: Path, opts: BatchOptions, rules: RuleSet, progress: Progress | None
         ) -> tuple[Summary, Entry | None]:
    found = find_inputs(src, opts.glob, exclude=dst, follow_links=opts.follow_links,
                        max_bytes=opts.load.max_bytes)
    journal = _Journal(dst, opts.force, len(found), progress)
    stopped: Entry | None = None
    feed = TableFeed(dst, [f.rel for f in found], MAX_MANIFEST)
    try:
        jobs: list[Job] = []
        failed = False
        decided = plan(found, journal.index, dst, opts.load.max_bytes, rules.version)
        for i, (item, stat) in enumerate(decided):
            if isinstance(item, Job):
                jobs.append(item)
                journal.stats[item.rel] = stat
                feed.started(i, item.rel)
            else:
                journal.record(item, stat)
                feed.decided(i, item)
                failed = failed or item.status == "error"
        if not (opts.fail_fast and failed):
            stopped = _execute(jobs, opts, rules, feed.recorder(journal.record),
                               feed.step if jobs else None)
        journal.finish()
        summary = _summarise(journal.index, len(found), dst)
        summary.rollup_problems = _rollups(dst, journal.index, feed if jobs else None)
    except BaseException:
        feed.discard()
        journal.close()
        journal.index.close()
        raise
    feed.discard()
    journal.index.close()
    return summary, (stopped if stopped is not None and stopped.code == OUTPUT_FAILED else None)


def _execute(jobs: list[Job], opts: BatchOptions, rules: RuleSet, record: Record,
             idle: Callable[[], None] | None = None) -> Entry | None:
    """Run the jobs on the engine the options name."""
    limits = guard.Limits(opts.timeout, opts.max_memory_mb)
    config = WorkerConfig(opts.load, limits, opts.keep_text)
    if opts.engine == "dask":
        from kttt_extract.engines.dask import execute as on_dask

        return on_dask(jobs, config, rules, record, workers=opts.jobs,
                       fail_fast=opts.fail_fast, scheduler=opts.scheduler, rules_dir=opts.rules)
    size = max(1, min(opts.jobs or os.cpu_count() or 1, len(jobs) or 1))
    with converted_ahead(jobs, size, opts.timeout) as cache:
        config = replace(config, load=replace(opts.load, office_cache=cache))
        return execute(jobs, config, rules, record, workers=opts.jobs, fail_fast=opts.fail_fast,
                       idle=idle)


def _summarise(index: Index, total: int, out_dir: Path) -> Summary:
    summary = Summary(out_dir=str(out_dir))
    summary.ok = index.count("status = 'ok'")
    summary.skipped = index.count("status = 'skipped'")
    summary.failed = index.count("status = 'error'")
    summary.totals = index.totals(COUNTED)
    summary.not_run = total - (summary.ok + summary.skipped + summary.failed)
    summary.slowest = index.slowest(5)
    return summary


# --------------------------------------------------------------------------- roll-up tables


def _rollups(out_dir: Path, index: Index, feed: TableFeed | None) -> list[str]:
    """The tables, unless this run wrote no JSON and those on disk were made from the same
    documents (a rerun with nothing to do reads no JSON); those the run filled as it went
    (`feed`) when they cover the index's documents."""
    key = index.tables_key()
    if index.tables_current(key, TABLE_FILES):
        return []
    fed = None
    if feed is not None:
        fed = feed.finish([e.path for e in index.entries() if e.status != "error"])
    problems = write_rollups(out_dir, index.entries()) if fed is None else fed
    index.tables_written(TABLE_FILES)
    return problems


def write_rollups(out_dir: Path, entries: Iterable[Entry]) -> list[str]:
    """targets.csv, deadlines.csv, tasks.csv and rollup.xlsx over every ok or skipped document;
    returns the paths whose JSON could not be read back."""
    problems: list[str] = []
    folders = Folders(out_dir)
    with Rollup(out_dir) as tables:  # streamed: one document's rows in memory at a time
        for entry in entries:
            if entry.status == "error":
                continue
            doc = read_back(out_dir, entry.path, folders, MAX_MANIFEST)
            if doc is None or not add_rows(tables, doc):
                problems.append(entry.path)
        tables.commit()
    return problems
