"""Folder runs: find inputs, convert them in worker processes, keep a manifest, roll tables up.

Library only: nothing here prints. `run_batch` reports each finished file to a callback and
returns a `Summary`; `kttt batch` (cli/batch.py) draws progress from those calls.
The per-file work happens in `_work`, inside a pool worker that holds the rule set, a time limit
and an address-space limit; the parent only plans, journals and rolls up (the tables themselves
are made by emit/rollup.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from time import perf_counter
from types import FrameType
from typing import Literal

from kttt_extract.emit.atomic import write_atomic
from kttt_extract.emit.rollup import DOC_COLUMNS as DOC_COLUMNS  # re-exported: the table layout
from kttt_extract.emit.rollup import Rollup
from kttt_extract.emit.rollup import item_columns as item_columns
from kttt_extract.errors import ExitStatus, KtttError
from kttt_extract.loaders import MB, LoadOptions
from kttt_extract.ruleset import RuleSet, load_rules

SUPPORTED = ("pdf", "docx", "doc", "rtf", "odt", "txt", "md")
MANIFEST = "manifest.jsonl"
PARTIAL = "manifest.partial.jsonl"
COUNTED = ("targets", "deadlines", "agencies", "tasks")
Status = Literal["ok", "error", "skipped"]


class BatchError(KtttError):
    """A batch that cannot start (bad folders)."""

    code = "batch"
    exit_status = ExitStatus.USAGE


class FileTimeout(KtttError):
    """One file took longer than the per-file limit."""

    code = "timeout"


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


@dataclass(frozen=True)
class Entry:
    """One line of manifest.jsonl."""

    path: str
    sha256: str
    status: Status
    code: str | None = None
    message: str | None = None
    targets: int = 0
    deadlines: int = 0
    agencies: int = 0
    tasks: int = 0
    seconds: float = 0.0
    rules_version: str = ""


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


@dataclass(frozen=True)
class _Job:
    rel: str
    src: str
    out: str
    sha256: str
    rules_version: str


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
          ) -> tuple[list[_Job], list[Entry]]:
    """Jobs to run, and entries decided without running (skipped, or failed before reading)."""
    previous = {} if options.force else read_manifest(out_dir)
    jobs: list[_Job] = []
    decided: list[Entry] = []
    for rel in find_inputs(in_dir, options.glob, exclude=out_dir):
        try:
            out = output_path(out_dir, rel)
            digest = _file_sha256(in_dir / rel)
        except UnsafePath as exc:
            decided.append(Entry(rel, "", "error", exc.code, _message(exc), rules_version=version))
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
            jobs.append(_Job(rel, str(in_dir / rel), str(out), digest, version))
    return jobs, decided


# --------------------------------------------------------------------------- workers


@dataclass(frozen=True)
class _WorkerConfig:
    rules: Path | None
    load: LoadOptions
    timeout: float
    max_memory_mb: int
    keep_text: bool


@dataclass
class _WorkerState:
    config: _WorkerConfig
    rules: RuleSet


_STATE: _WorkerState | None = None


def _init_worker(config: _WorkerConfig, rules: RuleSet | None) -> None:
    """Pool initializer: ignore Ctrl-C (the parent handles it), cap memory, hold the rules."""
    global _STATE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if config.max_memory_mb > 0:
        import resource

        limit = config.max_memory_mb * MB
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    _STATE = _WorkerState(config, rules if rules is not None else load_rules(config.rules))


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise FileTimeout in this (worker's main) thread after `seconds` of wall time."""
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise FileTimeout(f"took longer than {seconds:g} s", hint="raise --timeout")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _work(job: _Job) -> Entry:
    """Convert one file in a worker; every failure becomes an error entry, never an exception."""
    assert _STATE is not None, "worker not initialised"
    state = _STATE
    start = perf_counter()
    try:
        with _time_limit(state.config.timeout):
            entry = _convert(job, state)
    except KtttError as exc:
        entry = _failed(job, exc.code, _message(exc))
    except MemoryError:
        entry = _failed(job, "memory", f"over the {state.config.max_memory_mb} MB memory limit "
                                       "(raise --max-memory)")
    except OSError as exc:
        entry = _failed(job, "io", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # the batch boundary: one buggy file must not stop the others
        entry = _failed(job, "internal", f"{type(exc).__name__}: {exc} (please report it)")
    return replace(entry, seconds=round(perf_counter() - start, 3))


def _convert(job: _Job, state: _WorkerState) -> Entry:
    from kttt_extract.emit.json import dumps
    from kttt_extract.loaders import load_bytes, read_input, sha256
    from kttt_extract.pipeline import extract_loaded

    data = read_input(job.src, state.config.load)
    loaded = load_bytes(data, job.rel, state.config.load)
    result = extract_loaded(loaded, state.rules, keep_text=state.config.keep_text)
    write_atomic(job.out, dumps(result))
    return Entry(job.rel, sha256(data), "ok", targets=len(result.targets),
                 deadlines=len(result.deadlines), agencies=len(result.agencies),
                 tasks=len(result.tasks), rules_version=job.rules_version)


def _failed(job: _Job, code: str, message: str) -> Entry:
    return Entry(job.rel, job.sha256, "error", code, message, rules_version=job.rules_version)


def _message(exc: KtttError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


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
            _execute(jobs, opts, rules, journal)
    except BaseException:
        journal.close()
        raise
    entries = journal.finish()
    summary = _summarise(entries, len(jobs) + len(decided), dst)
    summary.rollup_problems = write_rollups(dst, entries)
    summary.seconds = round(perf_counter() - start, 3)
    return summary


def _pool(opts: BatchOptions, rules: RuleSet, jobs: int) -> ProcessPoolExecutor:
    config = _WorkerConfig(opts.rules, opts.load, opts.timeout, opts.max_memory_mb,
                           opts.keep_text)
    fork = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork") if fork else None
    # with fork the compiled rule set is inherited; elsewhere each worker loads it once
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                               initargs=(config, rules if fork else None))


def _execute(jobs: list[_Job], opts: BatchOptions, rules: RuleSet, journal: _Journal) -> None:
    """Run jobs in a pool, a few at a time. When a worker dies, the jobs it took down with it
    are rerun one at a time in fresh pools, so that only the culprit is recorded as crashed."""
    pending, suspects = deque(jobs), deque[_Job]()
    workers = max(1, min(opts.jobs or os.cpu_count() or 1, len(jobs)))
    while pending or suspects:
        serial = bool(suspects)
        size = 1 if serial else workers
        with _pool(opts, rules, size) as pool:
            run = _Drain(pool, journal, opts.fail_fast, None if serial else suspects)
            stopped = run.drain(suspects if serial else pending, size)
        if stopped:
            return


class _Drain:
    """Feeds one pool from a queue until the queue is empty, an error stops it (fail-fast) or
    the pool breaks. No more jobs are in flight than workers, so that on Ctrl-C nothing new
    starts: the running files finish and are recorded (a second Ctrl-C ends the workers)."""

    def __init__(self, pool: ProcessPoolExecutor, journal: _Journal, fail_fast: bool,
                 suspects: deque[_Job] | None) -> None:
        self.pool, self.journal, self.fail_fast = pool, journal, fail_fast
        self.suspects = suspects  # None: running serially, a broken pool names the culprit
        self.running: dict[Future[Entry], _Job] = {}

    def drain(self, queue: deque[_Job], window: int) -> bool:
        """Run the queue; True when fail-fast stopped the run."""
        stop = broken = False
        try:
            while self.running or (queue and not (stop or broken)):
                while queue and not (stop or broken) and len(self.running) < window:
                    broken = not self._submit(queue)
                done, _ = wait(self.running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: self.running[f].rel):
                    status = self._collect(future, self.running.pop(future))
                    stop = stop or (status == "error" and self.fail_fast)
                    broken = broken or status == "broken"
                    if stop or broken:
                        self._cancel(queue)
        except KeyboardInterrupt:
            self._cancel(queue)
            try:  # let running files finish (bounded by the time limit) and record them
                for future in list(self.running):
                    self._collect(future, self.running.pop(future))
            except KeyboardInterrupt:  # a second Ctrl-C: stop the workers now
                for child in multiprocessing.active_children():
                    child.terminate()
            raise
        return stop

    def _submit(self, queue: deque[_Job]) -> bool:
        """Start the next job; False (job left queued) when the pool is already broken."""
        try:
            self.running[self.pool.submit(_work, queue[0])] = queue[0]
        except BrokenProcessPool:
            return False
        queue.popleft()
        return True

    def _cancel(self, queue: deque[_Job]) -> None:
        """Cancel futures that have not started; their jobs go back to the front of the queue."""
        for future, job in list(self.running.items()):
            if future.cancel():
                del self.running[future]
                queue.appendleft(job)

    def _collect(self, future: Future[Entry], job: _Job) -> str:
        try:
            entry = future.result()
        except BrokenProcessPool:
            if self.suspects is not None:
                self.suspects.append(job)
                return "broken"
            entry = _failed(job, "crashed", "the worker process died (out of memory, or a crash "
                                            "in a native library)")
        self.journal.record(entry)
        return entry.status


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
