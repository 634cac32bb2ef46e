"""The roll-up tables filled while a batch runs, so that the parent process reads back each JSON
and writes its rows while the workers convert the next documents, instead of all at the end.

The tables list documents in path order. Inputs come sorted and the jobs start in that order, so
a frontier moves through them: every input before it is settled (done, skipped or failed) and its
rows, if any, are written. The batch calls `step` between waits for its workers, with a small
time budget, and `finish` at the end. The result is used only when it covers exactly the entries
the index holds at the end (same paths, same order); otherwise (a run stopped early, names that
clash) the feed is discarded and the tables are made from the index as before, so the tables are
the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

from kttt_extract.batch_plan import Folders, output_path
from kttt_extract.batch_pool import Entry, Record
from kttt_extract.emit.rollup import Rollup
from kttt_extract.errors import KtttError
from kttt_extract.fileio import read_regular

STEP_SECONDS = 0.02  # work done between two waits for the workers
UNSETTLED, TABLED, UNTABLED = 0, 1, 2


class TableFeed:
    """Roll-up rows written in path order as the inputs of a run are settled."""

    def __init__(self, out_dir: Path, paths: Sequence[str], max_bytes: int) -> None:
        self.out_dir = out_dir
        self.order = paths  # every input of the run, sorted
        self.max_bytes = max_bytes
        self.pos = 0
        self.state = bytearray(len(paths))  # per input: unsettled, with rows, or without
        self.running: dict[str, int] = {}  # the jobs' paths -> their places in `order`
        self.tabled: list[str] = []  # the paths passed with rows, in order
        self.problems: list[str] = []
        self.folders = Folders(out_dir)
        self.tables: Rollup | None = None
        self.broken = False  # a table could not be written: left to the end of the run

    def decided(self, i: int, entry: Entry) -> None:
        """The input at place `i` was decided without running (skipped, or failed)."""
        self.state[i] = _state(entry)

    def started(self, i: int, path: str) -> None:
        """The input at place `i` is a job: settled when its entry is recorded."""
        self.running[path] = i

    def recorder(self, record: Record) -> Record:
        """`record`, noting each job's entry for the tables first."""
        def both(entry: Entry) -> None:
            i = self.running.pop(entry.path, None)
            if i is not None:
                self.state[i] = _state(entry)
            record(entry)
        return both

    def step(self, seconds: float = STEP_SECONDS) -> None:
        """Move the frontier for at most about `seconds`."""
        end = perf_counter() + seconds
        while self._advance() and perf_counter() < end:
            pass

    def finish(self, paths: Sequence[str]) -> list[str] | None:
        """Put the tables in place if they cover `paths` (the documents the index holds with
        rows, in order): the paths whose JSON could not be read back; None (nothing written)
        when they do not."""
        while self._advance():
            pass
        if self.broken or self.pos < len(self.order) or self.tabled != list(paths):
            self.discard()
            return None
        tables = self.tables or self._open()
        self.tables = None
        tables.commit()
        return self.problems

    def discard(self) -> None:
        if self.tables is not None:
            self.tables.discard()
            self.tables = None

    def _open(self) -> Rollup:
        self.tables = Rollup(self.out_dir)
        return self.tables

    def _advance(self) -> bool:
        """Pass the input at the frontier if it is settled; whether it was."""
        if self.pos >= len(self.order):
            return False
        path, state = self.order[self.pos], self.state[self.pos]
        if state == UNSETTLED:
            return False
        self.pos += 1
        if state == TABLED:
            self.tabled.append(path)
            doc = read_back(self.out_dir, path, self.folders, self.max_bytes)
            if doc is None:
                self.problems.append(path)
            elif not self.broken:
                try:
                    tables = self.tables or self._open()
                    if not add_rows(tables, doc):
                        self.problems.append(path)
                except KtttError:  # the tables cannot be written now: made at the end, where
                    self.broken = True  # the same error stops the run as it always did
                    self.discard()
        return True


def _state(entry: Entry) -> int:
    return TABLED if entry.status in ("ok", "skipped") else UNTABLED


def read_back(out_dir: Path, path: str, folders: Folders, max_bytes: int) -> Any | None:
    """The JSON a document was written as, or None when it cannot be read back."""
    try:
        return json.loads(read_regular(output_path(out_dir, path, folders), max_bytes))
    except (OSError, ValueError, KtttError):
        return None


def add_rows(tables: Rollup, doc: Any) -> bool:
    """Add a document's rows; False (nothing added) when it is no result of this version. A
    table that cannot be written raises its OutputError."""
    try:
        tables.add(doc)
    except (ValueError, KeyError, TypeError):
        return False
    return True
