"""Run one document's work in a child process, under limits enforced from outside the work.

The child is forked (so it shares the parent's loaded rules without copying them), caps its own
address space (`RLIMIT_AS`) and arms an alarm that raises `TimeLimit` in Python code at the time
limit. A hang in native code never sees that alarm, so the parent also keeps a hard deadline a
little later and kills the child's process group (the child and anything it started) when the
deadline passes. The child dies with its parent (`PR_SET_PDEATHSIG` on Linux, a watching thread
elsewhere), so killing only the parent leaves nothing behind. Results come back pickled through a
pipe; errors as `Failure`, which the parent turns back into a `KtttError` (or, for a bug, into an
`InternalFailure` carrying the child's traceback). The parent learns each child's peak memory
from `wait4`. Without `os.fork` (Windows) the work runs in-process, without these limits.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import selectors
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Generic, NoReturn, TypeVar

from kttt_extract.errors import (
    ExitStatus,
    InternalFailure,
    KtttError,
    LimitExceeded,
    MemoryLimit,
    ProcessDied,
    TimeLimit,
    printable,
    reason,
)

A = TypeVar("A")
R = TypeVar("R")
MB = 1024 * 1024
GRACE = 2.0  # seconds after the time limit before the parent kills a child that did not answer
HAS_FORK = hasattr(os, "fork")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Limits:
    """Per-document limits; 0 turns one off."""

    timeout: float = 120.0  # wall-clock seconds
    max_memory_mb: int = 2048  # address space of the process, in MB


@dataclass(frozen=True)
class Failure:
    """An error raised in a child, in a form that crosses the pipe."""

    code: str
    message: str
    hint: str | None
    path: str | None
    exit_status: int
    line: str
    traceback: str | None = None  # only for bugs (exit 70)

    @classmethod
    def of(cls, exc: KtttError) -> Failure:
        return cls(exc.code, exc.message, exc.hint, exc.path, int(exc.exit_status), exc.line())

    @classmethod
    def bug(cls, exc: BaseException, name: str | None) -> Failure:
        message = printable(f"{type(exc).__name__}: {exc}")
        return cls("internal", message, "please report it", name, int(ExitStatus.INTERNAL),
                   message, traceback.format_exc())

    def raise_(self) -> NoReturn:
        """Raise what the child raised: a KtttError with its status, or an InternalFailure."""
        if self.exit_status == ExitStatus.INTERNAL:
            raise InternalFailure(self.message, self.traceback)
        raise RemoteError(self)


class RemoteError(KtttError):
    """A KtttError raised in a child: same code, exit status and line."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message, path=failure.path, hint=failure.hint)
        self.code = failure.code
        self.exit_status = ExitStatus(failure.exit_status)
        self.text = failure.line

    def line(self) -> str:
        return self.text


@dataclass(eq=False)
class Child(Generic[R]):
    """A running (or finished) piece of work."""

    pid: int
    fd: int
    name: str | None
    limits: Limits
    started: float = field(default_factory=time.monotonic)
    data: bytearray = field(default_factory=bytearray)
    killed: float | None = None  # when it was killed
    value: R | None = None
    failure: Failure | None = None
    done: bool = False
    max_rss_kb: int = 0
    seconds: float = 0.0

    @property
    def deadline(self) -> float | None:
        t = self.limits.timeout
        return self.started + t + min(GRACE, max(0.5, t)) if t > 0 else None

    def kill(self) -> None:
        """Kill the child and everything in its process group."""
        self.killed = time.monotonic()
        for send in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                send(self.pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the child


def _die_with_parent(parent: int) -> None:
    """End this process when `parent` ends (`parent` already gone: end now)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def _cap_memory(mb: int) -> None:
    if mb <= 0:
        return
    import resource

    limit = mb * MB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise TimeLimit in this thread after `seconds` of wall time (in Python code only)."""
    if seconds <= 0:
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise TimeLimit(f"took longer than {seconds:g} s", hint="raise --timeout")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def call(fn: Callable[[A], R], arg: A, limits: Limits, name: str | None
         ) -> tuple[R | None, Failure | None]:
    """Run `fn(arg)` under the alarm; every exception becomes a Failure."""
    try:
        with _alarm(limits.timeout):
            return fn(arg), None
    except KtttError as exc:
        if exc.path is None and name is not None:
            exc.path = name
        return None, Failure.of(exc)
    except MemoryError:
        return None, Failure.of(_memory_error(limits, name))
    except Exception as exc:  # the child's boundary: a bug is sent back, never printed here
        return None, Failure.bug(exc, name)


def _memory_error(limits: Limits, name: str | None) -> MemoryLimit:
    return MemoryLimit(f"over the {limits.max_memory_mb} MB memory limit", path=name,
                       hint="raise --max-memory")


def prepare_child(limits: Limits, parent: int) -> None:
    """Set up a freshly forked child: its own process group, deaf to Ctrl-C (the parent decides
    what it does), dying with `parent`, its address space capped."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()  # a crash is the parent's one line, not a dump on stderr
    _die_with_parent(parent)
    _cap_memory(limits.max_memory_mb)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _child(fn: Callable[[A], R], arg: A, limits: Limits, name: str | None, fd: int,
           parent: int) -> NoReturn:
    status = 0
    try:
        prepare_child(limits, parent)
        write_all(fd, pickle.dumps(call(fn, arg, limits, name), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:  # nothing can be reported any more: the parent sees a silent death
        status = 1
    finally:
        os._exit(status)


# --------------------------------------------------------------------------- the parent


def start(fn: Callable[[A], R], arg: A, limits: Limits, name: str | None = None) -> Child[R]:
    """Start `fn(arg)` in a child process under `limits`; `name` (a file) goes into messages."""
    if not HAS_FORK:
        value, failure = call(fn, arg, Limits(0, 0), name)
        return Child(-1, -1, name, limits, value=value, failure=failure, done=True)
    try:
        read_fd, write_fd = os.pipe()
    except OSError as exc:
        raise cannot_start(exc, name) from None
    parent = os.getpid()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        raise cannot_start(exc, name) from None
    if pid == 0:
        os.close(read_fd)
        _child(fn, arg, limits, name, write_fd, parent)
    os.close(write_fd)
    with contextlib.suppress(OSError):  # also set here: whichever runs first wins the race
        os.setpgid(pid, pid)
    return Child(pid, read_fd, name, limits)


def cannot_start(exc: OSError, name: str | None) -> LimitExceeded:
    return LimitExceeded(f"cannot start a process for the work: {reason(exc)}", path=name,
                         hint="the machine is out of processes, files or memory; try again")


def wait(children: Collection[Child[Any]], timeout: float | None = None) -> list[Child[Any]]:
    """Wait until some of `children` finish (or `timeout` seconds pass) and return those that
    did; children past their hard deadline are killed and finish as timed out."""
    live = [c for c in children if not c.done]
    finished = [c for c in children if c.done]
    if finished or not live:
        return finished
    with selectors.DefaultSelector() as selector:
        for child in live:
            selector.register(child.fd, selectors.EVENT_READ, child)
        end = None if timeout is None else time.monotonic() + timeout
        while not finished:
            now = time.monotonic()
            for child in live:
                if child.killed is None and child.deadline is not None and now >= child.deadline:
                    child.kill()
                elif child.killed is not None and now >= child.killed + GRACE and not child.done:
                    selector.unregister(child.fd)  # its output is held open by something else
                    _finish(child)
                    finished.append(child)
            if finished or (end is not None and now >= end):
                break
            for key, _ in selector.select(_next_wake(live, end, now)):
                child = key.data
                if _read(child):
                    selector.unregister(child.fd)
                    _finish(child)
                    finished.append(child)
    return finished


def _next_wake(live: list[Child[Any]], end: float | None, now: float) -> float | None:
    """Seconds until the next deadline, kill grace or the caller's timeout (None: no limit)."""
    times = [end, *(c.deadline if c.killed is None else c.killed + GRACE for c in live)]
    left = [t - now for t in times if t is not None]
    return max(0.0, min(left)) if left else None


def _read(child: Child[Any]) -> bool:
    """Read what is there; True at the end of the child's output."""
    try:
        chunk = os.read(child.fd, 1 << 20)
    except InterruptedError:
        return False
    child.data += chunk
    return not chunk


def _finish(child: Child[Any]) -> None:
    os.close(child.fd)
    _, status, usage = os.wait4(child.pid, 0)
    child.done = True
    child.seconds = time.monotonic() - child.started
    child.max_rss_kb = int(usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1))
    if child.killed is not None:
        child.failure = stopped(child.limits, child.name)
        return
    try:
        child.value, child.failure = pickle.loads(bytes(child.data))
    except Exception:  # nothing or half a reply: the child died before it could answer
        child.failure = died(status, child.name)
    finally:
        child.data = bytearray()


def stopped(limits: Limits, name: str | None) -> Failure:
    """The failure of work killed at its hard deadline."""
    return Failure.of(TimeLimit(f"took longer than {limits.timeout:g} s and was stopped",
                                path=name, hint="raise --timeout"))


def died(status: int, name: str | None) -> Failure:
    """The failure of a child that ended (wait status `status`) without an answer."""
    how = (f"signal {os.WTERMSIG(status)} ({signal.Signals(os.WTERMSIG(status)).name})"
           if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}")
    return Failure.of(ProcessDied(f"the process died ({how}): out of memory, or a crash in a "
                                  "native library", path=name,
                                  hint="raise --max-memory; if it happens again, please report "
                                       "it"))


def stop(children: Collection[Child[Any]]) -> None:
    """Kill every child that has not finished and reap it."""
    for child in children:
        if not child.done:
            child.kill()
    while live := [c for c in children if not c.done]:
        wait(live)


def run(fn: Callable[[A], R], arg: A, limits: Limits, name: str | None = None) -> R:
    """`fn(arg)` in a child process under `limits`: its value, or its error raised here."""
    child: Child[R] = start(fn, arg, limits, name)
    try:
        while not wait([child]):
            pass
    except BaseException:  # Ctrl-C: leave no child behind
        stop([child])
        raise
    return outcome(child)


def outcome(child: Child[R]) -> R:
    """The value of a finished child, or its failure raised."""
    if child.failure is not None:
        child.failure.raise_()
    return child.value  # type: ignore[return-value]  # None only when R admits it
