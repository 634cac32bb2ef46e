"""A pool of worker processes for many documents, each job under the limits of kttt_extract.guard.

A worker is forked once (sharing the parent's loaded rules) and converts job after job, each
under the alarm of its time limit, in an address space capped at the memory limit. The parent
knows which job each worker runs: when a job passes its hard deadline (a hang in native code),
the parent kills that worker's process group and records the job as timed out; when a worker
dies, its job is recorded as crashed. Either way only that job fails, and a fresh worker takes
the next one. Workers die with the parent. A fork per document would isolate as well but costs
more than the work on small documents (copy-on-write of the shared heap under refcounting).

Messages on the pipes are pickles preceded by their length (8 bytes, little-endian).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeVar

from kttt_extract import guard
from kttt_extract.guard import Failure, Limits

A = TypeVar("A")
R = TypeVar("R")
_LENGTH = struct.Struct("<Q")


@dataclass(frozen=True)
class Done(Generic[R]):
    """A finished job: what `submit` was given as `token`, its value or failure, its time."""

    token: Any
    value: R | None
    failure: Failure | None
    seconds: float


@dataclass(eq=False)
class _Worker:
    pid: int
    jobs: int  # the parent's end of the job pipe
    replies: int  # the parent's end of the reply pipe
    data: bytearray = field(default_factory=bytearray)
    token: Any = None
    name: str | None = None
    busy: bool = False
    retiring: bool = False  # it ran out of memory: it exits, and gets no more jobs
    started: float = 0.0
    killed: float | None = None


# --------------------------------------------------------------------------- the worker


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts: list[bytes] = []
    while size:
        chunk = os.read(fd, size)
        if not chunk:
            return None
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def _serve(fn: Callable[[A], R], limits: Limits, jobs: int, replies: int, parent: int
           ) -> NoReturn:
    """The worker's loop: a job in, a reply out, until the job pipe closes."""
    status = 0
    try:
        guard.prepare_child(limits, parent)
        while (head := _read_exactly(jobs, _LENGTH.size)) is not None:
            body = _read_exactly(jobs, _LENGTH.unpack(head)[0])
            if body is None:
                break
            arg, name = pickle.loads(body)
            value, failure = guard.call(fn, arg, limits, name)
            reply = pickle.dumps((value, failure), protocol=pickle.HIGHEST_PROTOCOL)
            guard.write_all(replies, _LENGTH.pack(len(reply)) + reply)
            if failure is not None and failure.code == "memory":
                break  # start afresh: the heap may be left in pieces
    except BaseException:  # nothing can be reported any more: the parent sees a silent death
        status = 1
    finally:
        os._exit(status)


# --------------------------------------------------------------------------- the parent


class Pool(Generic[A, R]):
    """At most `size` workers running `fn`; see the module docstring."""

    def __init__(self, fn: Callable[[A], R], limits: Limits, size: int) -> None:
        self.fn, self.limits, self.size = fn, limits, max(1, size)
        self.workers: list[_Worker] = []

    @property
    def busy(self) -> int:
        return sum(w.busy for w in self.workers)

    def submit(self, token: Any, arg: A, name: str | None = None) -> None:
        """Start `fn(arg)` on an idle worker (started if needed); `busy < size` must hold."""
        idle = (w for w in self.workers if not (w.busy or w.retiring))
        worker = next(idle, None) or self._spawn(name)
        message = pickle.dumps((arg, name), protocol=pickle.HIGHEST_PROTOCOL)
        worker.token, worker.name, worker.busy = token, name, True
        worker.started, worker.killed = time.monotonic(), None
        with contextlib.suppress(OSError):  # it died idle: that shows on its reply pipe
            guard.write_all(worker.jobs, _LENGTH.pack(len(message)) + message)

    def _spawn(self, name: str | None) -> _Worker:
        try:
            job_r, job_w = os.pipe()
            reply_r, reply_w = os.pipe()
        except OSError as exc:
            raise guard.cannot_start(exc, name) from None
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in (job_r, job_w, reply_r, reply_w):
                os.close(fd)
            raise guard.cannot_start(exc, name) from None
        if pid == 0:
            os.close(job_w)
            os.close(reply_r)
            for other in self.workers:  # a worker holds no other worker's pipes
                for fd in (other.jobs, other.replies):
                    with contextlib.suppress(OSError):
                        os.close(fd)
            _serve(self.fn, self.limits, job_r, reply_w, parent)
        os.close(job_r)
        os.close(reply_w)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        worker = _Worker(pid, job_w, reply_r)
        self.workers.append(worker)
        return worker

    def _deadline(self, worker: _Worker) -> float | None:
        if worker.killed is not None:
            return worker.killed + guard.GRACE
        timeout = self.limits.timeout
        if not worker.busy or timeout <= 0:
            return None
        return worker.started + timeout + min(guard.GRACE, max(0.5, timeout))

    def wait(self, timeout: float | None = None) -> list[Done[R]]:
        """Jobs finished by now; waits for at least one (or `timeout` seconds) when none are."""
        done: list[Done[R]] = []
        end = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for worker in self.workers:
                selector.register(worker.replies, selectors.EVENT_READ, worker)
            while not done and any(w.busy for w in self.workers):
                now = time.monotonic()
                for worker in [w for w in self.workers if w.busy]:
                    deadline = self._deadline(worker)
                    if deadline is not None and now >= deadline:
                        if worker.killed is None:
                            _kill(worker)
                        else:  # killed, and its pipe is still held open: give up on it
                            selector.unregister(worker.replies)
                            done.append(self._retire(worker))
                if done or (end is not None and now >= end):
                    break
                waits = [t - now for t in (end, *map(self._deadline, self.workers))
                         if t is not None]
                for key, _ in selector.select(max(0.0, min(waits)) if waits else None):
                    finished = self._read(key.data)
                    if finished is not None:
                        done.append(finished)
                    if key.data not in self.workers:
                        selector.unregister(key.fd)
        return done

    def _read(self, worker: _Worker) -> Done[R] | None:
        """Read from a worker; its reply when complete, or its job's failure when it ended."""
        try:
            chunk = os.read(worker.replies, 1 << 20)
        except InterruptedError:
            return None
        if not chunk:
            if worker.busy:
                return self._retire(worker)
            self._close(worker)
            return None
        worker.data += chunk
        if len(worker.data) < _LENGTH.size:
            return None
        size = _LENGTH.unpack_from(worker.data)[0]
        if len(worker.data) < _LENGTH.size + size:
            return None
        value, failure = pickle.loads(bytes(worker.data[_LENGTH.size:_LENGTH.size + size]))
        del worker.data[:_LENGTH.size + size]
        worker.busy = False
        worker.retiring = failure is not None and failure.code == "memory"
        return Done(worker.token, value, failure, time.monotonic() - worker.started)

    def _retire(self, worker: _Worker) -> Done[R]:
        """A busy worker ended or was killed: reap it and fail its job."""
        killed = worker.killed is not None
        status = self._close(worker)
        failure = guard.stopped(self.limits, worker.name) if killed else guard.died(status,
                                                                                     worker.name)
        return Done(worker.token, None, failure, time.monotonic() - worker.started)

    def _close(self, worker: _Worker) -> int:
        self.workers.remove(worker)
        for fd in (worker.jobs, worker.replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        if worker.killed is None and worker.busy:
            _kill(worker)  # it closed its pipe but may still be running: make sure
        _, status = os.waitpid(worker.pid, 0)
        return status

    def close(self) -> None:
        """End every worker: idle ones when their job pipe closes, busy ones are killed."""
        for worker in list(self.workers):
            if worker.busy:
                _kill(worker)
            with contextlib.suppress(OSError):
                os.close(worker.jobs)
        deadline = time.monotonic() + guard.GRACE
        for worker in list(self.workers):
            while os.waitpid(worker.pid, os.WNOHANG) == (0, 0):
                if time.monotonic() > deadline:
                    _kill(worker)
                    os.waitpid(worker.pid, 0)
                    break
                time.sleep(0.01)
            with contextlib.suppress(OSError):
                os.close(worker.replies)
        self.workers.clear()


def _kill(worker: _Worker) -> None:
    """Kill a worker and everything in its process group."""
    worker.killed = time.monotonic()
    for send in (os.killpg, os.kill):
        with contextlib.suppress(OSError):
            send(worker.pid, signal.SIGKILL)
