"""Find the inputs of a folder run, and say of each one that cannot be read why, before reading.

Nothing is left out silently: a folder that cannot be listed, a FIFO, a device, a socket, a
broken link, a link to a file outside the input folder (followed only with `follow_links`), a
file over the size limit and two names that print the same all become `Found` items with a
`problem`, which the batch records as errors. Names that are not valid UTF-8 are written with
`\\xNN` escapes (errors.printable) in the manifest and in the output's name; the original name is
kept for reading. Dot files, dot folders, symlinked folders and `exclude` (the output folder) are
not entered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from kttt_extract.errors import KtttError, UnreadableInput, printable, reason
from kttt_extract.fileio import check_regular

SUPPORTED = ("pdf", "docx", "doc", "rtf", "odt", "txt", "md")


class OutsideLink(KtttError):
    """A symbolic link in the input folder that leads to a file outside it."""

    code = "outside"


class NameClash(KtttError):
    """Two input names that are written the same once their undecodable bytes are escaped."""

    code = "name-clash"


@dataclass(frozen=True)
class Found:
    """One input: `rel` names it in the manifest and the output, `src` is what to read."""

    rel: str
    src: str
    problem: KtttError | None = None
    # size and mtime in ns of the file read (links followed), when it can be: two numbers, not
    # a stat_result (ten times the memory, at 100,000 inputs)
    stat: tuple[int, int] | None = None


def find_inputs(in_dir: Path, pattern: str | None = None, exclude: Path | None = None, *,
                follow_links: bool = False, max_bytes: int | None = None) -> list[Found]:
    """Every input under `in_dir` whose name matches `pattern` (None: a supported extension),
    sorted by `rel`; see the module docstring."""
    skip = exclude.resolve() if exclude is not None else None
    root = Path(in_dir).resolve()
    found: list[Found] = []

    def cannot_list(exc: OSError) -> None:
        where = Path(exc.filename or in_dir)
        if where == Path(in_dir):
            raise UnreadableInput(f"cannot list the input folder: {reason(exc)}",
                                  path=str(in_dir)) from None
        rel = printable(where.relative_to(in_dir).as_posix()) + "/"
        found.append(Found(rel, str(where), UnreadableInput(
            f"cannot list folder: {reason(exc)}", hint="its files were not read")))

    pending = [(str(in_dir), "")]
    while pending:
        top, prefix = pending.pop()
        try:
            with os.scandir(top) as listing:
                entries = list(listing)
        except OSError as exc:
            cannot_list(exc)
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = entry.name if not prefix else f"{prefix}/{entry.name}"
            if _is_folder(entry):
                if not entry.is_symlink() and Path(entry.path).resolve() != skip:
                    pending.append((entry.path, rel))
                continue
            if not _matches(rel, pattern):
                continue
            problem, info = _problem(entry, root, follow_links, max_bytes)
            found.append(Found(printable(rel), entry.path, problem, info))
    return _unclash(sorted(found, key=lambda f: (f.rel, f.src)))


def _matches(rel: str, pattern: str | None) -> bool:
    if pattern is None:
        return os.path.splitext(rel)[1].lower().lstrip(".") in SUPPORTED
    if "/" in pattern:
        return PurePosixPath(rel).match(pattern)
    return fnmatchcase(PurePosixPath(rel).name, pattern)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # a link to a folder too: it is not entered
    except OSError:
        return False


def _problem(entry: os.DirEntry[str], root: Path, follow_links: bool, max_bytes: int | None
             ) -> tuple[KtttError | None, tuple[int, int] | None]:
    """Why the file `entry` cannot be read as a document, decided without opening it (None if
    it can), and its size and mtime."""
    path = entry.path
    if not follow_links and entry.is_symlink():
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(root):
            return OutsideLink("a symbolic link to a file outside the input folder",
                               hint="pass --follow-symlinks to read it"), None
    try:
        info = check_regular(path, max_bytes)
    except KtttError as exc:
        exc.path = None  # the manifest line names the file already
        return exc, None
    return None, (info.st_size, info.st_mtime_ns)


def _unclash(found: list[Found]) -> list[Found]:
    """Mark every input after the first whose `rel` is the same (escaped names can meet)."""
    out: list[Found] = []
    for item in found:
        if out and out[-1].rel == item.rel and item.problem is None:
            item = Found(item.rel, item.src, NameClash(
                "another file's name is written the same once its undecodable bytes are "
                "escaped", hint="rename one of them"), item.stat)
        out.append(item)
    return out
