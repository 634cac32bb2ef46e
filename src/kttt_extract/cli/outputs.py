"""Where `kttt extract` writes: the format (from `--format` or the `-o` suffix), one file,
a folder of files (one per document), or standard output; every mistake refused before any
document is read, with one line and a documented exit code (2 for words that do not fit
together, 10 for a path that cannot take the output).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kttt_extract.emit.formats import (
    FORMATS,
    NEEDS_RESULT,
    PER_DOCUMENT,
    Format,
    as_format,
    csv_part,
    format_of,
    workbook,
)
from kttt_extract.errors import STDOUT, ExitStatus, KtttError, OutputError, printable, reason

if TYPE_CHECKING:
    from kttt_extract.emit.readable import TableName
    from kttt_extract.model import Result

TABLE_NAMES: tuple[TableName, ...] = ("targets", "deadlines", "tasks", "agencies")

STDIN = "-"


class UsageError(KtttError):
    """Command-line words that do not fit together (exit 2)."""

    code = "usage"
    exit_status = ExitStatus.USAGE


@dataclass(frozen=True)
class Plan:
    fmt: Format
    target: Path | None  # None: standard output
    folder: bool = False  # one file per document inside `target`
    table: TableName = "tasks"  # the table a CSV holds
    inputs: tuple[str, ...] = ()

    def member(self, name: str) -> Path:
        """The file of one document inside the output folder."""
        assert self.target is not None
        base = "stdin" if name == STDIN else Path(name).name
        return self.target / f"{base}.{self.fmt}"


def resolve_format(fmt: str | None, output: str | None) -> Format:
    """`--format`, else the suffix of `-o`, else json; a clash is a usage error."""
    asked = None
    if fmt is not None:
        asked = as_format(fmt.lower())
        if asked is None:
            raise UsageError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    implied = format_of(output) if output not in (None, STDIN) else None
    if asked and implied and asked != implied and not (asked in PER_DOCUMENT and
                                                       _is_folder(output)):
        raise UsageError(f"-o {output} ends in {Path(str(output)).suffix} but --format is "
                         f"{asked}", hint="drop one of them, or make them agree")
    return asked or implied or "json"


def _is_folder(output: str | None) -> bool:
    return output is not None and Path(output).is_dir()


def plan(inputs: list[str], output: str | None, fmt: str | None, table: str | None) -> Plan:
    """Check the command line's output words against each other and the file system."""
    chosen = resolve_format(fmt, output)
    if table is not None and chosen != "csv":
        raise UsageError("--table chooses the table of a CSV", hint="add --format csv")
    chosen_table = next((t for t in TABLE_NAMES if t == (table or "tasks")), None)
    if chosen_table is None:
        raise UsageError(f"--table {table!r} is not one of {', '.join(TABLE_NAMES)}")
    if inputs.count(STDIN) > 1:
        raise UsageError("standard input (-) named more than once")
    target = None if output in (None, STDIN) else Path(str(output))
    several = len(inputs) > 1
    folder = several and chosen in PER_DOCUMENT
    if folder and target is None:
        raise UsageError(f"{len(inputs)} documents as {chosen} need -o FOLDER (one file each)",
                         hint="or use --format jsonl, csv, xlsx or md for one stream")
    result = Plan(chosen, target, folder, chosen_table, tuple(inputs))
    if folder:
        _check_folder(result)
    elif target is not None:
        from kttt_extract.emit.atomic import check_target

        for name in inputs:
            check_target(target, protect=None if name == STDIN else name, follow_links=True)
    elif chosen == "xlsx" and sys.stdout.isatty():
        raise OutputError("is a terminal: a workbook is binary", path=STDOUT,
                          hint="give -o FILE.xlsx, or redirect the output")
    return result


def _check_folder(p: Plan) -> None:
    assert p.target is not None
    if p.target.exists() and not p.target.is_dir():
        raise OutputError("is not a folder: several documents are written one file each",
                          path=str(p.target), hint="give a folder, or --format jsonl, csv, "
                          "xlsx or md for one file")
    seen: dict[Path, str] = {}
    for name in p.inputs:
        member = p.member(name)
        if member in seen:
            raise UsageError(f"{printable(seen[member])} and {printable(name)} would both be "
                             f"written to {printable(str(member))}",
                             hint="run them separately, or use kttt batch on their folder")
        seen[member] = name
    try:
        p.target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder: {reason(exc)}", path=str(p.target)
                          ) from None


@dataclass
class Sink:
    """Takes each document as it is done and writes it where the plan says."""

    plan: Plan
    pretty: bool = False
    written: list[str] = field(default_factory=list)  # inputs whose output is out
    held: list[tuple[str, bytes | None, Result | None]] = field(default_factory=list)

    def add(self, name: str, data: bytes | None, result: Result | None) -> None:
        p = self.plan
        if p.folder:
            from kttt_extract.emit.atomic import write_atomic

            assert data is not None
            write_atomic(p.member(name), data, protect=None if name == STDIN else name,
                         follow_links=True)
            self.written.append(name)
        elif p.target is None and p.fmt != "xlsx":
            write_stdout(self._part(name, data, result, first=not self.written))
            self.written.append(name)
        else:
            self.held.append((name, data, result))

    def _part(self, name: str, data: bytes | None, result: Result | None, *, first: bool
              ) -> bytes:
        if self.plan.fmt == "csv":
            assert result is not None
            return csv_part(result, self.plan.table, first=first)
        assert data is not None
        if self.plan.fmt == "md" and not first:
            return b"\n---\n\n" + data
        return data

    def finish(self) -> None:
        """Write what was held for one file (or a workbook on stdout)."""
        p = self.plan
        if p.folder or (p.target is None and p.fmt != "xlsx") or not self.held:
            return
        if p.fmt == "xlsx":
            data = workbook([r for _, _, r in self.held if r is not None])
        else:
            data = b"".join(self._part(name, raw, result, first=i == 0)
                            for i, (name, raw, result) in enumerate(self.held))
        if p.target is None:
            write_stdout(data)
        else:
            from kttt_extract.emit.atomic import write_atomic

            write_atomic(p.target, data, protect=next(
                (n for n in p.inputs if n != STDIN), None), follow_links=True)
        self.written.extend(name for name, _, _ in self.held)

    def needs(self) -> tuple[bool, bool]:
        """(a rendering per document, the Result itself) that the child must send back."""
        result = self.plan.fmt in NEEDS_RESULT
        return not result, result


def write_stdout(data: bytes) -> None:
    """Write the payload to stdout; a full or failing stdout is an OutputError (exit 10)."""
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write: {reason(exc)}", path=STDOUT) from None
