"""Planning a folder run: where each input's JSON goes, and whether it is skipped (done before,
unchanged), failed before reading, or run.

An input is decided from its row in the output folder's index (batch_index.py): size and mtime
first, its SHA-256 only when they differ. Inputs come sorted, so the rows of a few thousand are
read with one range query; each output folder is resolved and listed once (no `lstat` per
file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Literal

from kttt_extract.batch_find import Found
from kttt_extract.batch_index import INDEX, SIDE_FILES, Index, Previous, Stat
from kttt_extract.batch_pool import Entry, Job, error_message
from kttt_extract.emit.rollup import TABLES, XLSX
from kttt_extract.errors import KtttError
from kttt_extract.fileio import digest_regular

MANIFEST = "manifest.jsonl"
PARTIAL = "manifest.partial.jsonl"
TABLE_FILES = (*(f"{t}.csv" for t in TABLES), XLSX)
# the names the run writes at the top of the output folder: no input folder may take one
RESERVED = frozenset({MANIFEST, PARTIAL, INDEX, *SIDE_FILES, *TABLE_FILES})
PLAN_CHUNK = 2000  # inputs decided per query of the index
_Kind = Literal["file", "link", "other"]


class UnsafePath(KtttError):
    """An output path that would land outside the output folder, or on one of its own files."""

    code = "unsafe-path"


class Folders:
    """The output folder and its subfolders, each resolved once in a run (an archive has
    thousands of files per folder)."""

    def __init__(self, out_dir: Path) -> None:
        self.root = str(out_dir.resolve())
        self.inside = os.path.join(self.root, "")
        self.resolved: dict[str, str] = {}
        self.listed: dict[str, dict[str, _Kind]] = {}

    def resolve(self, target: str) -> tuple[str, bool]:
        """`os.path.realpath(target)` (from its folder's, when the file is no link), and
        whether a regular file is there, from one listing of its folder."""
        folder, name = os.path.split(target)
        parent = self.resolved.get(folder)
        if parent is None:
            parent = self.resolved[folder] = str(Path(folder).resolve())
        kind = self._names(folder).get(name)
        if kind == "link":
            return str(Path(target).resolve()), os.path.isfile(target)
        return os.path.join(parent, name), kind == "file"

    def _names(self, folder: str) -> dict[str, _Kind]:
        """The entries of an output folder, listed once: each a file, a link or other."""
        names = self.listed.get(folder)
        if names is None:
            names = self.listed[folder] = {}
            try:
                with os.scandir(folder) as entries:
                    for e in entries:
                        names[e.name] = ("link" if e.is_symlink() else
                                         "file" if e.is_file(follow_symlinks=False) else "other")
            except OSError:  # not there yet, or not listable: nothing is done there
                pass
        return names


def output_path(out_dir: Path, rel: str, folders: Folders | None = None) -> Path:
    """OUT_DIR/<rel>.json, refusing any name or symlink that would lead outside OUT_DIR and any
    folder named like one of the run's own files (`targets.csv/`). For many paths pass one
    `folders`: each folder is then listed once, not once per path."""
    return Path(_output(rel, folders or Folders(out_dir))[0])


def _output(rel: str, folders: Folders) -> tuple[str, bool]:
    """`output_path` as a string, and whether that JSON is there."""
    parts = rel.split("/")
    if any(p in ("", ".", "..") for p in parts):  # not a plain relative path: check it whole
        parts = list(PurePosixPath(rel).parts)
        if not parts or PurePosixPath(rel).is_absolute() or any(p in (".", "..") for p in parts):
            raise UnsafePath("output path would leave the output folder", path=rel)
    if len(parts) > 1 and parts[0] in RESERVED:
        raise UnsafePath(f"its folder {parts[0]!r} has the name of one of the batch's own "
                         "output files", path=rel, hint="rename the folder")
    target = os.path.join(folders.root, *parts[:-1], parts[-1] + ".json")
    try:
        resolved, there = folders.resolve(target)
    except (OSError, RuntimeError):  # a symlink loop in the output folder
        raise UnsafePath("output path runs into a loop of symbolic links", path=rel,
                         hint="remove the symlink inside the output folder") from None
    if not (resolved == folders.root or resolved.startswith(folders.inside)):
        raise UnsafePath("output path would leave the output folder (symlink)", path=rel,
                         hint="remove the symlink inside the output folder")
    return target, there


def plan(found: list[Found], index: Index, out_dir: Path, max_bytes: int, version: str
         ) -> Iterator[tuple[Job | Entry, Stat | None]]:
    """Each input as a job to run, or as an entry decided without running it (skipped, or
    failed before reading) with the stat to remember."""
    folders = Folders(out_dir)
    for lo in range(0, len(found), PLAN_CHUNK):
        chunk = found[lo:lo + PLAN_CHUNK]  # sorted: their rows come in one range query
        rows = index.previous_between(chunk[0].rel, chunk[-1].rel)
        for item in chunk:
            yield _decide(item, rows.get(item.rel), folders, max_bytes, version)


def _decide(item: Found, prev: Previous | None, folders: Folders, max_bytes: int,
            version: str) -> tuple[Job | Entry, Stat | None]:
    """Skip an input done before whose size and mtime (or else content) are unchanged, fail one
    that cannot be read, run the others."""
    try:
        if item.problem is not None:
            raise item.problem
        out, there = _output(item.rel, folders)
        info = Stat(*item.stat) if item.stat is not None else None
        done = there and prev is not None and _done(prev.entry, version)
        if done and prev is not None and info is not None and prev.stat == info:
            return _skipped(prev.entry), info
        digest = digest_regular(item.src, max_bytes)
    except KtttError as exc:
        return Entry(item.rel, "", "error", exc.code, error_message(exc),
                     rules_version=version), None
    if done and prev is not None and prev.entry.sha256 == digest:
        return _skipped(prev.entry), info
    return Job(item.rel, item.src, out, digest, version), info


def _skipped(e: Entry) -> Entry:
    """The entry of a file done before and skipped now (`replace` is slow at archive scale)."""
    return Entry(e.path, e.sha256, "skipped", None, None, e.targets, e.deadlines, e.agencies,
                 e.tasks, 0.0, e.rules_version)


def _done(entry: Entry, version: str) -> bool:
    return entry.status in ("ok", "skipped") and entry.rules_version == version
