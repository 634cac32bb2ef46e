"""The worker pool of a folder run: per-file conversion in worker processes, and the scheduling.

Each worker holds the rule set, a time limit and an address-space limit, and turns every
failure into an error `Entry`; `execute` feeds the pool and, when a worker dies, reruns the jobs
it took down one at a time so that only the culprit is recorded as crashed. The parent
(batch.py) plans, journals and rolls up.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from time import perf_counter
from types import FrameType
from typing import Literal

from kttt_extract.emit.atomic import write_atomic
from kttt_extract.errors import KtttError
from kttt_extract.loaders import MB, LoadOptions
from kttt_extract.ruleset import RuleSet, load_rules

Status = Literal["ok", "error", "skipped"]


class FileTimeout(KtttError):
    """One file took longer than the per-file limit."""

    code = "timeout"


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


Record = Callable[[Entry], None]  # called in the parent with each finished entry


@dataclass(frozen=True)
class Job:
    """One file to convert: its relative path, source and output paths, digest, rules version."""

    rel: str
    src: str
    out: str
    sha256: str
    rules_version: str


# --------------------------------------------------------------------------- workers


@dataclass(frozen=True)
class WorkerConfig:
    """What each worker needs besides the rule set (batch.BatchOptions, minus planning)."""

    rules: Path | None
    load: LoadOptions
    timeout: float
    max_memory_mb: int
    keep_text: bool


@dataclass
class _WorkerState:
    config: WorkerConfig
    rules: RuleSet


_STATE: _WorkerState | None = None


def _init_worker(config: WorkerConfig, rules: RuleSet | None) -> None:
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


def _work(job: Job) -> Entry:
    """Convert one file in a worker; every failure becomes an error entry, never an exception."""
    assert _STATE is not None, "worker not initialised"
    state = _STATE
    start = perf_counter()
    try:
        with _time_limit(state.config.timeout):
            entry = _convert(job, state)
    except KtttError as exc:
        entry = _failed(job, exc.code, error_message(exc))
    except MemoryError:
        entry = _failed(job, "memory", f"over the {state.config.max_memory_mb} MB memory limit "
                                       "(raise --max-memory)")
    except OSError as exc:
        entry = _failed(job, "io", f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # the batch boundary: one buggy file must not stop the others
        entry = _failed(job, "internal", f"{type(exc).__name__}: {exc} (please report it)")
    return replace(entry, seconds=round(perf_counter() - start, 3))


def _convert(job: Job, state: _WorkerState) -> Entry:
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


def _failed(job: Job, code: str, message: str) -> Entry:
    return Entry(job.rel, job.sha256, "error", code, message, rules_version=job.rules_version)


def error_message(exc: KtttError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


# --------------------------------------------------------------------------- scheduling


def _pool(config: WorkerConfig, rules: RuleSet, jobs: int) -> ProcessPoolExecutor:
    fork = sys.platform.startswith("linux")
    context = multiprocessing.get_context("fork") if fork else None
    # with fork the compiled rule set is inherited; elsewhere each worker loads it once
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                               initargs=(config, rules if fork else None))


def execute(jobs: list[Job], config: WorkerConfig, rules: RuleSet, record: Record, *,
            workers: int | None, fail_fast: bool) -> None:
    """Run jobs in a pool, a few at a time, passing each finished entry to `record`. When a
    worker dies, the jobs it took down with it are rerun one at a time in fresh pools, so that
    only the culprit is recorded as crashed. `workers` None: os.cpu_count()."""
    pending, suspects = deque(jobs), deque[Job]()
    most = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    while pending or suspects:
        serial = bool(suspects)
        size = 1 if serial else most
        with _pool(config, rules, size) as pool:
            run = _Drain(pool, record, fail_fast, None if serial else suspects)
            stopped = run.drain(suspects if serial else pending, size)
        if stopped:
            return


class _Drain:
    """Feeds one pool from a queue until the queue is empty, an error stops it (fail-fast) or
    the pool breaks. No more jobs are in flight than workers, so that on Ctrl-C nothing new
    starts: the running files finish and are recorded (a second Ctrl-C ends the workers)."""

    def __init__(self, pool: ProcessPoolExecutor, record: Record, fail_fast: bool,
                 suspects: deque[Job] | None) -> None:
        self.pool, self.record, self.fail_fast = pool, record, fail_fast
        self.suspects = suspects  # None: running serially, a broken pool names the culprit
        self.running: dict[Future[Entry], Job] = {}

    def drain(self, queue: deque[Job], window: int) -> bool:
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

    def _submit(self, queue: deque[Job]) -> bool:
        """Start the next job; False (job left queued) when the pool is already broken."""
        try:
            self.running[self.pool.submit(_work, queue[0])] = queue[0]
        except BrokenProcessPool:
            return False
        queue.popleft()
        return True

    def _cancel(self, queue: deque[Job]) -> None:
        """Cancel futures that have not started; their jobs go back to the front of the queue."""
        for future, job in list(self.running.items()):
            if future.cancel():
                del self.running[future]
                queue.appendleft(job)

    def _collect(self, future: Future[Entry], job: Job) -> str:
        try:
            entry = future.result()
        except BrokenProcessPool:
            if self.suspects is not None:
                self.suspects.append(job)
                return "broken"
            entry = _failed(job, "crashed", "the worker process died (out of memory, or a crash "
                                            "in a native library)")
        self.record(entry)
        return entry.status

