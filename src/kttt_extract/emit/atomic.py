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
    target = check_target(path, protect=protect, follow_links=follow_links)
    name = str(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create its folder: {_why(exc)}", path=name) from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write: {_why(exc)}", path=name) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write: {reason(exc)}", path=name) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
