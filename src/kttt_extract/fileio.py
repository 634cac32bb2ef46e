"""Read input files safely: regular files only, and never more bytes than a limit.

A FIFO would block `open` and `read` forever, `/dev/zero` (or a link to it) would be read until
memory runs out, and some devices act when opened; so the kind of file is checked before it is
opened (following symlinks), again on the opened descriptor (the name may have been swapped in
between), and the bytes are counted while they are read, whatever size `stat` reported.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from kttt_extract.errors import (
    InputTooLarge,
    NotRegularFile,
    UnreadableInput,
    UnsupportedInput,
    reason,
)

MB = 1024 * 1024
_CHUNK = 1024 * 1024
_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
_NOT_REGULAR_HINT = "give a regular file"


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words (for messages)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return f"cannot read: {reason(exc)}"


def check_regular(path: Path | str, max_bytes: int | None = None) -> os.stat_result:
    """The `stat` of `path` (links followed) when it is a regular file within `max_bytes`;
    otherwise the typed error that says why not, without opening it."""
    name = str(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise NotRegularFile("a broken symbolic link", path=name,
                                 hint="its target does not exist") from None
        raise UnreadableInput(_os_reason(exc), path=name) from None
    if stat.S_ISDIR(info.st_mode):
        raise UnsupportedInput("is a directory", path=name,
                               hint="use `kttt batch` for folders")
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(f"not a regular file: {kind_of(info.st_mode)}", path=name,
                             hint=_NOT_REGULAR_HINT)
    if max_bytes is not None and info.st_size > max_bytes:
        raise too_large(info.st_size, max_bytes, name)
    return info


def too_large(size: int, max_bytes: int, name: str) -> InputTooLarge:
    return InputTooLarge(f"file is {size / MB:.1f} MB, over the {max_bytes / MB:.0f} MB limit",
                         path=name, hint="raise it with --max-size")


@contextlib.contextmanager
def open_regular(path: Path | str, max_bytes: int) -> Iterator[int]:
    """A descriptor open for reading on a regular file within `max_bytes` (see the module)."""
    name = str(path)
    before = check_regular(path, max_bytes)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise UnreadableInput(_os_reason(exc), path=name) from None
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev,
                                                                         before.st_ino):
            raise NotRegularFile("the file changed while it was being opened", path=name,
                                 hint="try again")
        yield fd
    finally:
        os.close(fd)


def read_regular(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of a regular file, refusing anything else and anything over `max_bytes`."""
    with open_regular(path, max_bytes) as fd:
        return b"".join(_chunks(fd, max_bytes, str(path)))


def digest_regular(path: Path | str, max_bytes: int) -> str:
    """The SHA-256 of a regular file (hex), read in chunks, with the same checks."""
    digest = hashlib.sha256()
    with open_regular(path, max_bytes) as fd:
        for chunk in _chunks(fd, max_bytes, str(path)):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(fd: int, max_bytes: int, name: str) -> Iterator[bytes]:
    total = 0
    while True:
        try:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
        except OSError as exc:
            raise UnreadableInput(_os_reason(exc), path=name) from None
        if not chunk:
            return
        total += len(chunk)
        if total > max_bytes:
            raise InputTooLarge(f"file grew over the {max_bytes / MB:.0f} MB limit while it was "
                                "read", path=name, hint="raise it with --max-size")
        yield chunk
