"""Running a folder's files on worker processes (kttt_extract.workers).

Each worker shares the parent's rule set and converts file after file under the time and memory
limits, enforced from outside the work (a hang in native code is killed too); every failure, a
crash included, becomes an error `Entry` naming that file alone. The parent (batch.py) plans,
journals and rolls up.
"""

from __future__ import annotations

import functools
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
from kttt_extract.workers import Done, Pool

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


def convert(job: Job, config: WorkerConfig, rules: RuleSet) -> tuple[Entry, bytes]:
    """Convert one file (in a worker): its entry and its JSON."""
    from kttt_extract.emit.json import dumps
    from kttt_extract.loaders import load_bytes, read_input, sha256
    from kttt_extract.pipeline import extract_loaded

    options = replace(config.load, rules=rules)  # the loaders read the batch's rules too
    data = read_input(job.src, options)
    loaded = load_bytes(data, job.rel, options)
    result = extract_loaded(loaded, rules, keep_text=config.keep_text)
    entry = Entry(job.rel, sha256(data), "ok", targets=len(result.targets),
                  deadlines=len(result.deadlines), agencies=len(result.agencies),
                  tasks=len(result.tasks), rules_version=job.rules_version)
    return entry, dumps(result)


def _convert(job: Job, config: WorkerConfig, rules: RuleSet) -> Entry:
    """Convert one file (in a worker) and write its JSON."""
    entry, data = convert(job, config, rules)
    write_atomic(job.out, data)
    return entry


def failed(job: Job, code: str, message: str) -> Entry:
    return Entry(job.rel, job.sha256, "error", code, message, rules_version=job.rules_version)


def error_message(exc: KtttError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message


def _entry(done: Done[Entry]) -> Entry:
    job: Job = done.token
    if done.failure is not None:
        entry = failed_with(job, done.failure)
    else:
        assert done.value is not None
        entry = done.value
    return replace(entry, seconds=round(done.seconds, 3))


def failed_with(job: Job, f: guard.Failure) -> Entry:
    return failed(job, f.code, f"{f.message} ({f.hint})" if f.hint else f.message)


def execute(jobs: list[Job], config: WorkerConfig, rules: RuleSet, record: Record, *,
            workers: int | None, fail_fast: bool, idle: Callable[[], None] | None = None
            ) -> Entry | None:
    """Run the jobs on at most `workers` worker processes (None: one per CPU), passing each
    finished entry to `record`. Nothing new starts after an error with `fail_fast`, nor after a
    JSON that could not be written (a full disk): that entry is returned, the rest is left for a
    rerun.

    `idle` is called whenever the workers have been given their jobs, before waiting for them:
    a short piece of the parent's own work (the roll-up tables) done while they run.

    On Ctrl-C nothing new starts and the running files finish and are recorded (each within
    its time limit); a second Ctrl-C kills them."""
    import kttt_extract.emit.json
    import kttt_extract.pipeline  # noqa: F401

    queue = deque(jobs)
    size = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    pool: Pool[Job, Entry] = Pool(functools.partial(_convert, config=config, rules=rules),
                                  config.limits, size)
    stopped: Entry | None = None
    try:
        while pool.busy or (queue and stopped is None):
            while queue and stopped is None and pool.busy < size:
                job = queue.popleft()
                pool.submit(job, job, job.rel)
            if idle is not None:
                idle()
            for done in sorted(pool.wait(), key=lambda d: d.token.rel):
                entry = _entry(done)
                record(entry)
                if entry.code == OUTPUT_FAILED or (fail_fast and entry.status == "error"):
                    stopped = stopped or entry
    except KeyboardInterrupt:
        _drain(pool, record)
        raise
    finally:
        pool.close()
    return stopped


def _drain(pool: Pool[Job, Entry], record: Record) -> None:
    """Let the running jobs finish and record them; a second Ctrl-C kills them (in close)."""
    while pool.busy:
        for done in pool.wait():
            record(_entry(done))
