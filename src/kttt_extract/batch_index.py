"""The batch's index beside its JSON files (manifest.sqlite): what a rerun needs, without reading
every JSON or hashing every input.

One row per input: its manifest line, the size and modification time its file had when it was
read, and the fields the run decides and sums with. A rerun looks a file up by its path; when its
size and mtime are those recorded, the file is not read at all; only when they differ is it hashed
and compared with the recorded SHA-256. The rows of the current run are written as they finish
(in batched transactions), so memory stays bounded whatever the archive's size, and
manifest.jsonl is streamed from them, sorted by path, at the end.

manifest.jsonl stays the record a person reads and edits; the index trusts itself only when
manifest.jsonl is the very file it wrote last (same size and mtime). Otherwise (no index yet, a
manifest written by an older version or edited by hand, a run that never finished) it is rebuilt
from manifest.jsonl, and the lines of an interrupted run (manifest.partial.jsonl) are laid on top.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from kttt_extract.batch_pool import Entry
from kttt_extract.emit.atomic import check_target, write_atomic_chunks
from kttt_extract.errors import OutputError, reason

INDEX = "manifest.sqlite"
SIDE_FILES = (f"{INDEX}-journal", f"{INDEX}-wal", f"{INDEX}-shm")
SCHEMA = "2"
COMMIT_EVERY = 2.0  # seconds between commits of the rows of a running batch
_ENTRY_FIELDS = tuple(f.name for f in fields(Entry))
_SQLITE_REASONS = {13: "no space left on device", 8: "read-only file system",
                   14: "cannot open the index", 23: "permission denied", 5: "the index is locked"}
# the Entry's fields in its order, then what the index adds: the manifest line as last written
# (NULL when a field changed since), the size and mtime of the input when it was read, the run
_TABLE = """CREATE TABLE IF NOT EXISTS entries (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, status TEXT NOT NULL, code TEXT,
    message TEXT, targets INTEGER NOT NULL, deadlines INTEGER NOT NULL,
    agencies INTEGER NOT NULL, tasks INTEGER NOT NULL, seconds REAL NOT NULL,
    rules_version TEXT NOT NULL, line TEXT, size INTEGER, mtime_ns INTEGER,
    run INTEGER NOT NULL) WITHOUT ROWID"""
_FIELDS = ", ".join(f.name for f in fields(Entry))
_SKIP = """UPDATE entries SET run = ?, size = ?, mtime_ns = ?,
    line = CASE WHEN status = 'skipped' AND code IS NULL AND message IS NULL AND seconds = 0
                THEN line END,
    status = 'skipped', code = NULL, message = NULL, seconds = 0 WHERE path = ?"""


@dataclass(frozen=True)
class Stat:
    """What a rerun compares before it reads a file: its size and modification time."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Previous:
    """An input's row from the runs before."""

    entry: Entry
    stat: Stat | None


def _failed(exc: sqlite3.Error | OSError, path: Path) -> OutputError:
    if isinstance(exc, OSError):
        why = reason(exc)
    else:
        why = _SQLITE_REASONS.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF, str(exc))
    return OutputError(f"cannot write: {why}", path=str(path),
                       hint="free some space or fix the folder, then rerun: finished files are "
                            "kept")


def entry_line(entry: Entry) -> str:
    """The manifest line of an entry (its fields in order; `asdict` would deep-copy them)."""
    return json.dumps({k: getattr(entry, k) for k in _ENTRY_FIELDS}, ensure_ascii=False)


def parse_entry(line: str) -> Entry | None:
    """An Entry from one manifest line; None for a torn or foreign line."""
    try:
        data = json.loads(line)
        return Entry(**data) if isinstance(data, dict) else None
    except (ValueError, TypeError):
        return None


def manifest_lines(path: Path, limit: int) -> Iterator[str]:
    """The lines of a manifest file, read as a stream (never more than `limit` bytes)."""
    from kttt_extract.fileio import open_regular

    with open_regular(path, limit) as fd, os.fdopen(os.dup(fd), "rb") as fh:
        for raw in fh:
            yield raw.decode("utf-8", errors="replace").rstrip("\n")


class Index:
    """manifest.sqlite of an output folder, open for one run (see the module docstring)."""

    def __init__(self, out_dir: Path, manifest: str, partial: str, limit: int) -> None:
        self.out_dir, self.path = out_dir, out_dir / INDEX
        self.manifest, self.partial, self.limit = out_dir / manifest, out_dir / partial, limit
        self._last_commit = time.monotonic()
        self.ignore_previous = False
        self.skipped: list[tuple[int, int | None, int | None, str]] = []
        try:
            check_target(self.path)
            if self.path.is_symlink():
                raise OutputError("is a symbolic link: a batch keeps its index in its own folder",
                                  path=str(self.path), hint="remove the link")
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self._open()
        except sqlite3.Error as exc:
            raise _failed(exc, self.path) from None

    def _open(self) -> None:
        db = self.db
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        if self._meta("schema") not in (None, SCHEMA):
            db.execute("DROP TABLE IF EXISTS entries")
        db.execute(_TABLE)
        db.execute("BEGIN")
        self._set("schema", SCHEMA)
        self.run = int(self._meta("run") or 0) + 1
        self._set("run", str(self.run))
        if self._meta("manifest") != self._file_key(self.manifest):
            self._rebuild()
        self._overlay()
        db.execute("COMMIT")

    # ------------------------------------------------------------------ meta

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @staticmethod
    def _file_key(path: Path) -> str:
        try:
            info = os.lstat(path)
        except OSError:
            return "none"
        return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"

    # ------------------------------------------------------------------ reading the past

    def _rebuild(self) -> None:
        """Forget the rows and read manifest.jsonl (the record a person may have edited)."""
        self.db.execute("DELETE FROM entries")
        if not os.path.lexists(self.manifest):
            return
        self._lay(self.manifest, keep_stat=False)

    def _overlay(self) -> None:
        """Lay the lines of an interrupted run on top; a row whose file is unchanged keeps its
        size and mtime."""
        if os.path.lexists(self.partial):
            self._lay(self.partial, keep_stat=True)

    def _lay(self, path: Path, *, keep_stat: bool) -> None:
        for line in manifest_lines(path, self.limit):
            entry = parse_entry(line)
            if entry is None:
                continue
            stat = None
            if keep_stat and (old := self.previous(entry.path)) is not None:
                stat = old.stat if old.entry.sha256 == entry.sha256 else None
            self._put(entry, stat, run=0)

    def forget(self) -> None:
        """Decide as if no run had been before (--force)."""
        self.ignore_previous = True

    def previous(self, rel: str) -> Previous | None:
        """The row of `rel` from the runs before."""
        return self.previous_between(rel, rel).get(rel)

    def previous_between(self, first: str, last: str) -> dict[str, Previous]:
        """The rows from the runs before whose paths sort from `first` to `last`."""
        if self.ignore_previous:
            return {}
        rows = self.db.execute(f"SELECT {_FIELDS}, size, mtime_ns FROM entries WHERE path "
                               "BETWEEN ? AND ?", (first, last)).fetchall()
        found = {}
        for *values, size, mtime_ns in rows:
            found[values[0]] = Previous(Entry(*values),
                                        None if size is None else Stat(size, mtime_ns))
        return found

    # ------------------------------------------------------------------ this run

    def _put(self, entry: Entry, stat: Stat | None, run: int) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (*(getattr(entry, k) for k in _ENTRY_FIELDS), None,
             None if stat is None else stat.size, None if stat is None else stat.mtime_ns, run))

    def record(self, entry: Entry, stat: Stat | None) -> None:
        """Keep an entry of this run (committed every few seconds; the partial manifest is the
        journal that survives a crash in between)."""
        self._write(self._put, entry, stat, self.run)

    def skip(self, path: str, stat: Stat | None) -> None:
        """Keep the row of an input this run skipped: its previous entry, marked skipped
        (written a thousand at a time)."""
        self.skipped.append((self.run, None if stat is None else stat.size,
                             None if stat is None else stat.mtime_ns, path))
        if len(self.skipped) >= 1000:
            self.flush()

    def flush(self) -> None:
        pending, self.skipped = self.skipped, []
        if pending:
            self._write(self.db.executemany, _SKIP, pending)

    def _write(self, fn: Callable[..., object], *args: object) -> None:
        try:
            if not self.db.in_transaction:
                self.db.execute("BEGIN")
            fn(*args)
            if time.monotonic() - self._last_commit > COMMIT_EVERY:
                self.commit()
        except sqlite3.Error as exc:
            raise _failed(exc, self.path) from None

    def commit(self) -> None:
        self.flush()
        if self.db.in_transaction:
            self.db.execute("COMMIT")
        self._last_commit = time.monotonic()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.commit()
        self.db.close()

    def _rows(self) -> Iterator[tuple[Any, ...]]:
        cursor = self.db.execute(f"SELECT line, {_FIELDS} FROM entries WHERE run = ? "
                                 "ORDER BY path", (self.run,))
        while rows := cursor.fetchmany(1000):
            yield from rows

    def _lines(self, made: list[tuple[str, str]]) -> Iterator[str]:
        """This run's manifest lines, sorted by path, read a page at a time; those made anew
        are added to `made` as (line, path)."""
        for line, *values in self._rows():
            if line is None:
                line = entry_line(Entry(*values))
                made.append((line, values[0]))
            yield str(line)

    def entries(self) -> Iterator[Entry]:
        """This run's entries, sorted by path."""
        for _, *values in self._rows():
            yield Entry(*values)

    def count(self, where: str = "1") -> int:
        row = self.db.execute(f"SELECT count(*) FROM entries WHERE run = ? AND {where}",
                              (self.run,)).fetchone()
        return int(row[0])

    def totals(self, keys: Iterable[str]) -> dict[str, int]:
        names = list(keys)
        assert all(k in _ENTRY_FIELDS for k in names)
        row = self.db.execute(
            f"SELECT {', '.join(f'coalesce(sum({k}), 0)' for k in names)} FROM entries "
            "WHERE run = ? AND status != 'error'", (self.run,)).fetchone()
        return {k: int(v) for k, v in zip(names, row, strict=True)}

    def slowest(self, n: int) -> list[tuple[str, float]]:
        rows = self.db.execute("SELECT path, seconds FROM entries WHERE run = ? AND status != "
                               "'skipped' ORDER BY seconds DESC, path LIMIT ?", (self.run, n))
        return [(str(p), float(s)) for p, s in rows]

    def finish(self) -> None:
        """Drop the rows of inputs this run did not see, write manifest.jsonl from the rest and
        remember which manifest file that is."""
        try:
            self.commit()
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM entries WHERE run != ?", (self.run,))
            made: list[tuple[str, str]] = []  # lines written for the first time: kept
            write_lines(self.manifest, (line + "\n" for line in self._lines(made)))
            self.db.executemany("UPDATE entries SET line = ? WHERE path = ?", made)
            self._set("manifest", self._file_key(self.manifest))
            self.commit()
        except sqlite3.Error as exc:
            raise _failed(exc, self.path) from None

    # ------------------------------------------------------------------ roll-up tables

    def tables_key(self) -> str | None:
        """What the roll-up tables are made from, when this run wrote no JSON (None when it
        did): the documents in them, in order, with their digests and rules."""
        return None if self.count("status = 'ok'") else self._documents_key()

    def _documents_key(self) -> str:
        digest = hashlib.sha256()
        cursor = self.db.execute("SELECT path, sha256, rules_version FROM entries WHERE run = ? "
                                 "AND status != 'error' ORDER BY path", (self.run,))
        while rows := cursor.fetchmany(1000):
            for row in rows:
                digest.update("\t".join(row).encode("utf-8", "surrogateescape") + b"\n")
        return digest.hexdigest()

    def tables_current(self, key: str | None, names: Iterable[str]) -> bool:
        """True when the tables on disk are the ones made last from the same documents."""
        return key is not None and self._meta("tables") == self._tables_meta(key, names)

    def tables_written(self, names: Iterable[str]) -> None:
        """Remember the tables just written and the documents they were made from."""
        try:
            self.db.execute("BEGIN")
            self._set("tables", self._tables_meta(self._documents_key(), names))
            self.commit()
        except sqlite3.Error as exc:
            raise _failed(exc, self.path) from None

    def _tables_meta(self, key: str, names: Iterable[str]) -> str:
        files = {n: self._file_key(self.out_dir / n) for n in names}
        return json.dumps({"key": key, "files": files}, sort_keys=True)


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Write text lines atomically (temporary file, fsync, rename), a thousand at a time."""
    write_atomic_chunks(path, _batches(lines))


def _batches(lines: Iterable[str], size: int = 1000) -> Iterator[bytes]:
    buffer: list[str] = []
    for line in lines:
        buffer.append(line)
        if len(buffer) >= size:
            yield "".join(buffer).encode("utf-8", "surrogateescape")
            buffer.clear()
    yield "".join(buffer).encode("utf-8", "surrogateescape")
