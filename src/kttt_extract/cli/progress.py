"""What the terminal shows while documents are read, and how a document's work reports its stage.

On a terminal (stderr a TTY, not `--quiet`) a status line appears once a document has taken
more than a second: which document of how many, what it is doing (reading, which covers OCR;
extracting; writing) and for how long. It is drawn by rich on stderr and leaves nothing behind;
when stderr is piped nothing is drawn. `--verbose` writes each stage as a line instead.
The work runs in a child process (kttt_extract.guard); it reports its stage through a pipe.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from kttt_extract import guard
from kttt_extract.errors import printable

A = TypeVar("A")
R = TypeVar("R")
DELAY = 1.0  # seconds before the status line appears
TICK = 0.2  # seconds between redraws


def send_stage(fd: int | None, stage: str) -> None:
    """In the child: tell the parent what the work is doing now (nothing when no one asks)."""
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, stage.encode("utf-8")[:200] + b"\n")


class Display:
    """The status line and the lines printed above it (warnings, --verbose)."""

    def __init__(self, *, quiet: bool = False, verbose: bool = False, total: int = 1) -> None:
        self.quiet = quiet
        self.live = not quiet and sys.stderr.isatty()
        self.verbose = verbose and not quiet
        self.total = total
        self._status: Any = None
        self._console: Any = None
        self.name = ""
        self.index = 0
        self.stage = ""
        self.started = time.monotonic()

    @property
    def wants_stages(self) -> bool:
        return self.live or self.verbose

    def __enter__(self) -> Display:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop()

    def begin(self, index: int, name: str) -> None:
        self.index, self.name, self.stage = index, printable(name), "reading"
        self.started = time.monotonic()
        if self.verbose:
            self.line(f"kttt: {self.name}: reading")

    def update(self, stage: str | None) -> None:
        """A new stage (or None: the same one, later)."""
        if stage and stage != self.stage:
            self.stage = stage
            if self.verbose:
                self.line(f"kttt: {self.name}: {stage}")
        if not self.live:
            return
        elapsed = time.monotonic() - self.started
        if elapsed < DELAY:
            return
        of = f"[{self.index}/{self.total}] " if self.total > 1 else ""
        text = f"kttt {of}{self.name}: {self.stage} ({elapsed:.0f} s)"
        if self._status is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
            self._status = self._console.status(text, spinner="dots")
            self._status.start()
        else:
            self._status.update(text)

    def line(self, text: str) -> None:
        """One line on stderr, above the status line when there is one."""
        if self._console is not None and self._status is not None:
            self._console.print(text, markup=False, highlight=False, soft_wrap=True)
            return
        with contextlib.suppress(OSError):
            sys.stderr.write(text + "\n")
            sys.stderr.flush()

    def done(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def run_with_stages(fn: Callable[[A], R], job: A, limits: guard.Limits, name: str,
                    display: Display, attach: Callable[[A, int], A]) -> R:
    """`fn(job)` in a child under `limits`, the display following the stages it reports
    (`attach(job, fd)` gives the job the pipe's write end)."""
    if not display.wants_stages:
        return guard.run(fn, job, limits, name)
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    try:
        child = guard.start(fn, attach(job, write_fd), limits, name)
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    pending = b""
    try:
        while not guard.wait([child], timeout=TICK):
            pending = _follow(read_fd, pending, display)
        _follow(read_fd, pending, display)
    except BaseException:  # Ctrl-C: leave no child behind
        guard.stop([child])
        raise
    finally:
        os.close(read_fd)
    return guard.outcome(child)


def _follow(fd: int, pending: bytes, display: Display) -> bytes:
    """Read what the child wrote and show each whole line as a stage; return the rest."""
    try:
        while chunk := os.read(fd, 4096):
            pending += chunk
    except (BlockingIOError, InterruptedError):
        pass
    except OSError:
        return b""
    *whole, rest = pending.split(b"\n")
    for line in whole:
        display.update(line.decode("utf-8", "replace") or None)
    if not whole:
        display.update(None)
    return rest
