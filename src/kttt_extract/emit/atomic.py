"""Write a file so that readers see the old content or the new, never half of it.

Every failure of the file system (permission, read-only or full disk, a path through a file) is an
`OutputError` with one line that says what happened; a path that is a folder, a device, a FIFO or
a socket is refused, never replaced by a regular file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

from kttt_extract.errors import OutputError, reason
from kttt_extract.fileio import kind_of


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_target(path: Path | str, *, protect: Path | str | None = None,
                 follow_links: bool = False) -> Path:
    """The file that writing `path` will create or replace, refusing a folder, a device, a FIFO,
    a socket and the file `protect` (the input). With `follow_links` a symbolic link is followed
    (its target is written, as a shell's `>` does); without, the link itself is replaced."""
    name = str(path)
    try:
        info: os.stat_result | None = os.stat(path) if follow_links else os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"cannot write: {_why(exc)}", path=name) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError("is a directory", path=name, hint="give a file name")
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
            raise OutputError(f"not a regular file: {kind_of(info.st_mode)}", path=name,
                              hint="write to stdout without -o, or give a file name")
        if protect is not None and _same_file(Path(path), Path(protect)):
            raise OutputError("is the input file", path=name, hint="choose another output file")
    return Path(os.path.realpath(path)) if follow_links else Path(path)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        return "a part of its path is a file, not a folder"
    return reason(exc)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_atomic(path: Path | str, data: bytes, *, protect: Path | str | None = None,
                 follow_links: bool = False) -> None:
    """Write to a temporary file in the same folder, fsync it, then rename over `path`
    (see `check_target` for what is refused)."""
    write_atomic_chunks(path, (data,), protect=protect, follow_links=follow_links)


def write_atomic_chunks(path: Path | str, chunks: Iterable[bytes], *,
                        protect: Path | str | None = None, follow_links: bool = False) -> None:
    """`write_atomic` for content made as it is written (a manifest streamed from an index)."""
    with AtomicFile(path, protect=protect, follow_links=follow_links) as out:
        for chunk in chunks:
            out.write(chunk)


class AtomicFile:
    """A file written under a temporary name beside `path` (see `check_target` for what is
    refused), then fsynced and renamed over it by `commit()`; `discard()` removes it and leaves
    `path` as it was. As a context manager: committed at the end of the block, discarded if
    the block raises. Several may be open at once and committed together (the roll-ups)."""

    def __init__(self, path: Path | str, *, protect: Path | str | None = None,
                 follow_links: bool = False) -> None:
        self.name = str(path)
        self.target = check_target(path, protect=protect, follow_links=follow_links)
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create its folder: {_why(exc)}", path=self.name
                              ) from None
        try:
            fd, self.tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp",
                                            dir=self.target.parent)
        except OSError as exc:
            raise OutputError(f"cannot write: {_why(exc)}", path=self.name) from None
        self.file = os.fdopen(fd, "wb")
        self.done = False
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        except OSError as exc:
            self._failed(exc)

    def write(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as exc:
            self._failed(exc)

    def commit(self) -> None:
        """Make the written content the file's, whole."""
        if self.done:
            return
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.tmp, self.target)
        except OSError as exc:
            self._failed(exc)
        self.done = True

    def discard(self) -> None:
        """Forget what was written; the file stays as it was."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)

    def _failed(self, exc: OSError) -> NoReturn:
        self.discard()
        raise OutputError(f"cannot write: {reason(exc)}", path=self.name) from None

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()
