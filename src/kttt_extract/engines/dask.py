"""A batch's documents on Dask's distributed scheduler: each document one task.

`kttt batch --engine dask` sends the documents to a running scheduler (`--scheduler
tcp://host:8786`) or to a local cluster of `-j` worker processes started for the run. The rule set
travels once to each worker, inside a worker plugin, which keeps a pool of one forked process
(kttt_extract.workers) that converts the worker's documents one after the other under the same
time and memory limits as the local engine: a document that hangs or crashes fails alone and the
Dask worker lives on. The JSON comes back to the client, which writes it, journals the entry and
rolls up exactly as with the local engine, so the outputs are the same bytes. A worker that is
lost (killed, its machine gone) has its documents rescheduled on the others by Dask; each
document's result is recorded once, when its task completes. Workers must see the input files at
the same paths as the client (a shared file system); the output folder is the client's alone.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from kttt_extract.batch_pool import (
    OUTPUT_FAILED,
    Entry,
    Job,
    Record,
    WorkerConfig,
    convert,
    error_message,
    failed,
    failed_with,
)
from kttt_extract.emit.atomic import write_atomic
from kttt_extract.errors import ExitStatus, KtttError, MissingTool
from kttt_extract.ruleset import RuleSet
from kttt_extract.workers import Done, Pool

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the extra is not installed: execute() says so before any plugin is made
    WorkerPlugin = object  # type: ignore[misc,assignment]

INSTALL_HINT = "pip install 'kttt-extract[dask]'"
Reply = tuple[Entry, bytes | None]


class SchedulerError(KtttError):
    """The Dask scheduler named by --scheduler cannot be reached."""

    code = "scheduler"
    exit_status = ExitStatus.USAGE


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise MissingTool("Dask's distributed scheduler is needed for --engine dask",
                          hint=INSTALL_HINT) from None
    return distributed


class KtttWorker(WorkerPlugin):
    """The worker plugin: the rule set and the limits, and a pool of one forked converter."""

    idempotent = False

    def __init__(self, name: str, rules: RuleSet, config: WorkerConfig) -> None:
        self.name, self.rules, self.config = name, rules, config
        self.pool: Pool[Job, Reply] | None = None  # made on the worker (setup)
        self.lock: threading.Lock | None = None

    def setup(self, worker: Any) -> None:
        fn = functools.partial(convert, config=self.config, rules=self.rules)
        self.pool = Pool(fn, self.config.limits, 1)
        self.lock = threading.Lock()

    def teardown(self, worker: Any) -> None:
        if self.pool is not None:
            self.pool.close()

    def run(self, job: Job) -> Reply:
        """Convert one document in the pool; its entry, and its JSON when it is read."""
        assert self.pool is not None and self.lock is not None, "plugin not set up"
        with self.lock:
            self.pool.submit(job, job, job.rel)
            done: list[Done[Reply]] = []
            while not done:
                done = self.pool.wait()
        reply = done[0]
        seconds = round(reply.seconds, 3)
        if reply.failure is not None:
            return _timed(failed_with(job, reply.failure), seconds), None
        assert reply.value is not None
        entry, data = reply.value
        return _timed(entry, seconds), data


def _timed(entry: Entry, seconds: float) -> Entry:
    return replace(entry, seconds=seconds)


def _task(job: Job, plugin: str) -> Reply:
    """What a Dask worker runs for one document."""
    from distributed import get_worker

    worker_plugin = get_worker().plugins[plugin]
    assert isinstance(worker_plugin, KtttWorker)
    return worker_plugin.run(job)


@contextlib.contextmanager
def client_for(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A client of the scheduler at `scheduler`, or of a local cluster of `workers` processes
    (one thread each) on the loopback interface, closed afterwards."""
    distributed = _distributed()
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(f"cannot reach the Dask scheduler: {exc}", path=scheduler,
                             hint="start one with `dask scheduler`, or leave out --scheduler "
                                  "for a local cluster") from None
        with client:
            yield client
        return
    import os

    size = max(1, workers or os.cpu_count() or 1)
    with distributed.LocalCluster(n_workers=size, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None, memory_limit=0,
                                  silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def execute(jobs: list[Job], config: WorkerConfig, rules: RuleSet, record: Record, *,
            workers: int | None, fail_fast: bool, scheduler: str | None,
            rules_dir: Path | None = None) -> Entry | None:
    """Run the jobs as Dask tasks, passing each finished entry to `record`; the entry that
    stopped the run (an error with `fail_fast`, a JSON that could not be written), if any."""
    if not jobs:
        return None
    distributed = _distributed()
    with client_for(scheduler, workers) as client:
        name = f"kttt-{uuid.uuid4().hex}"
        client.register_plugin(KtttWorker(name, rules, config), name=name)
        try:
            return _gather(client, distributed, jobs, name, record, fail_fast)
        finally:
            with contextlib.suppress(Exception):  # the cluster may be gone: nothing to undo
                client.unregister_worker_plugin(name)


def _gather(client: Any, distributed: Any, jobs: list[Job], plugin: str, record: Record,
            fail_fast: bool) -> Entry | None:
    futures = {client.submit(_task, job, plugin, key=f"{plugin}-{i}", pure=False): job
               for i, job in enumerate(jobs)}
    stopped: Entry | None = None
    try:
        for future in distributed.as_completed(list(futures)):
            entry = _finish(futures.pop(future), future, distributed)
            record(entry)
            if entry.code == OUTPUT_FAILED or (fail_fast and entry.status == "error"):
                stopped = entry
                break
    finally:
        if futures:
            client.cancel(list(futures))
    return stopped


def _finish(job: Job, future: Any, distributed: Any) -> Entry:
    """The entry of a completed task, its JSON written."""
    try:
        entry, data = future.result()
        assert isinstance(entry, Entry)
    except distributed.KilledWorker:
        return failed(job, "crashed", "its worker died each time it read it (a crash in a "
                      "native library, or out of memory) (raise --max-memory; if it happens "
                      "again, please report it)")
    if data is not None:
        try:
            write_atomic(job.out, data)
        except KtttError as exc:
            return failed(job, OUTPUT_FAILED, error_message(exc))
    return entry
