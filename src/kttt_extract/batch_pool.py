"""Running a folder's files: each in a child process of its own, a few at a time.

Each file is converted by `kttt_extract.guard` in a forked child that shares the parent's rule set
and runs under the time and memory limits, enforced from outside the work (a hang in native code
is killed too); every failure, a crash included, becomes an error `Entry` naming that file alone.
The parent (batch.py) plans, journals and rolls up.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from kttt_extract import guard
from kttt_extract.emit.atomic import write_atomic
from kttt_extract.errors import KtttError, TimeLimit
from kttt_extract.loaders import LoadOptions
from kttt_extract.ruleset import RuleSet

Status = Literal["ok", "error", "skipped"]
FileTimeout = TimeLimit  # the name this module used to give it
OUTPUT_FAILED = "output"  # the code of an entry whose JSON could not be written


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


@dataclass(frozen=True)
class WorkerConfig:
    """What each child needs besides the rule set (batch.BatchOptions, minus planning)."""

    load: LoadOptions
    limits: guard.Limits
    keep_text: bool


def _convert(task: tuple[Job, WorkerConfig, RuleSet]) -> Entry:
    """Convert one file (in the child) and write its JSON."""
    from kttt_extract.emit.json import dumps
    from kttt_extract.loaders import load_bytes, read_input, sha256
    from kttt_extract.pipeline import extract_loaded

    job, config, rules = task
    data = read_input(job.src, config.load)
    loaded = load_bytes(data, job.rel, config.load)
    result = extract_loaded(loaded, rules, keep_text=config.keep_text)
    write_atomic(job.out, dumps(result))
    return Entry(job.rel, sha256(data), "ok", targets=len(result.targets),
                 deadlines=len(result.deadlines), agencies=len(result.agencies),
                 tasks=len(result.tasks), rules_version=job.rules_version)


def failed(job: Job, code: str, message: str) -> Entry:
    return Entry(job.rel, job.sha256, "error", code, message, rules_version=job.rules_version)


def error_message(exc: KtttError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def _entry(child: guard.Child[Entry], job: Job) -> Entry:
    if child.failure is not None:
        f = child.failure
        entry = failed(job, f.code, f"{f.message} ({f.hint})" if f.hint else f.message)
    else:
        assert child.value is not None
        entry = child.value
    return replace(entry, seconds=round(child.seconds, 3))


def execute(jobs: list[Job], config: WorkerConfig, rules: RuleSet, record: Record, *,
            workers: int | None, fail_fast: bool) -> Entry | None:
    """Run the jobs, at most `workers` at a time (None: one per CPU), passing each finished
    entry to `record`. Nothing new starts after an error with `fail_fast`, nor after a JSON that
    could not be written (a full disk): that entry is returned, the rest is left for a rerun.

    On Ctrl-C nothing new starts and the running files finish and are recorded (each within
    its time limit); a second Ctrl-C kills them."""
    queue = deque(jobs)
    running: dict[guard.Child[Entry], Job] = {}
    size = max(1, workers or os.cpu_count() or 1)
    stopped: Entry | None = None
    try:
        while running or (queue and stopped is None):
            while queue and stopped is None and len(running) < size:
                job = queue.popleft()
                child = guard.start(_convert, (job, config, rules), config.limits, job.rel)
                running[child] = job
            for child in sorted(guard.wait(list(running)), key=lambda c: running[c].rel):
                entry = _entry(child, running.pop(child))
                record(entry)
                if entry.code == OUTPUT_FAILED or (fail_fast and entry.status == "error"):
                    stopped = stopped or entry
    except KeyboardInterrupt:
        _drain(running, record)
        raise
    except BaseException:
        guard.stop(list(running))
        raise
    return stopped


def _drain(running: dict[guard.Child[Entry], Job], record: Record) -> None:
    """Let the running children finish and record them; a second Ctrl-C kills them."""
    try:
        while running:
            for child in guard.wait(list(running)):
                record(_entry(child, running.pop(child)))
    except BaseException:
        guard.stop(list(running))
        raise
