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
    stat: os.stat_result | None = None  # of the file read (links followed), when it can be


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

    for top, dirs, files in os.walk(in_dir, onerror=cannot_list):
        here = Path(top)
        dirs[:] = [d for d in dirs if not d.startswith(".") and (here / d).resolve() != skip]
        prefix = Path(top).relative_to(in_dir).as_posix()
        for name in files:
            rel = name if prefix == "." else f"{prefix}/{name}"
            if name.startswith(".") or not _matches(rel, pattern):
                continue
            src = os.path.join(top, name)
            problem, info = _problem(src, root, follow_links, max_bytes)
            found.append(Found(printable(rel), src, problem, info))
    return _unclash(sorted(found, key=lambda f: (f.rel, f.src)))


def _matches(rel: str, pattern: str | None) -> bool:
    if pattern is None:
        return os.path.splitext(rel)[1].lower().lstrip(".") in SUPPORTED
    if "/" in pattern:
        return PurePosixPath(rel).match(pattern)
    return fnmatchcase(PurePosixPath(rel).name, pattern)


def _problem(path: str, root: Path, follow_links: bool, max_bytes: int | None
             ) -> tuple[KtttError | None, os.stat_result | None]:
    """Why `path` cannot be read as a document, decided without opening it (None if it can),
    and its `stat`."""
    if not follow_links and os.path.islink(path):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(root):
            return OutsideLink("a symbolic link to a file outside the input folder",
                               hint="pass --follow-symlinks to read it"), None
    try:
        return None, check_regular(path, max_bytes)
    except KtttError as exc:
        exc.path = None  # the manifest line names the file already
        return exc, None


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
