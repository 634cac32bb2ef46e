"""`kttt batch`: convert a folder; progress and the summary go to stderr."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kttt_extract.cli import app
from kttt_extract.cli.options import (
    MaxAliasesOpt,
    MaxMemoryOpt,
    MaxPagesOpt,
    MaxPixelsOpt,
    MaxRuleSizeOpt,
    MaxSizeOpt,
    MaxStreamOpt,
    MaxUnzippedOpt,
    OcrFlagCommand,
    OcrOpt,
    RulesOpt,
    TimeoutOpt,
    load_options,
    rule_limits,
)
from kttt_extract.errors import ExitStatus, Interrupted, KtttError, printable

if TYPE_CHECKING:
    from kttt_extract.batch import Entry, Summary

Report = Callable[[int, int, "Entry"], None]


class BatchFailures(KtttError):
    """Some files of a batch failed; the rest were written (exit status 9)."""

    code = "batch-failures"
    exit_status = ExitStatus.BATCH_FAILURES


@app.command("batch", cls=OcrFlagCommand)
def batch_cmd(
    in_dir: Annotated[Path, typer.Argument(metavar="IN_DIR", readable=False,
                                           help="Folder to convert (searched recursively).")],
    output: Annotated[Path, typer.Option("-o", "--output", metavar="OUT_DIR", readable=False,
                                         help="Folder for the JSON files, "
                                         "manifest.jsonl and the roll-up tables.")],
    glob: Annotated[str | None, typer.Option(help="Only files whose name matches, e.g. '*.pdf' "
                                             "(default: pdf, docx, doc, rtf, odt, txt, md).")
                    ] = None,
    jobs: Annotated[int | None, typer.Option("-j", "--jobs", min=1,
                                             help="Worker processes (default: one per CPU).")
                    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo files already done.")] = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast",
                                            help="Stop at the first failed file.")] = False,
    follow_symlinks: Annotated[bool, typer.Option(
        "--follow-symlinks", help="Also read files that symbolic links lead to outside IN_DIR.")
                               ] = False,
    timeout: TimeoutOpt = 120.0,
    max_memory: MaxMemoryOpt = 2048,
    rules: RulesOpt = None,
    ocr: OcrOpt = "auto",
    max_size: MaxSizeOpt = 50,
    max_unzipped: MaxUnzippedOpt = 200,
    max_pages: MaxPagesOpt = 5000,
    max_stream: MaxStreamOpt = 256,
    max_pixels: MaxPixelsOpt = 150,
    max_rule_size: MaxRuleSizeOpt = 5,
    max_aliases: MaxAliasesOpt = 1000,
    engine: Annotated[str, typer.Option(
        "--engine", metavar="local|dask",
        help="Where documents run: local worker processes, or Dask's distributed scheduler "
             "(pip install 'kttt-extract[dask]').")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="With --engine dask: the scheduler, e.g. tcp://host:8786 (default: a local "
             "cluster of -j worker processes).")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress and no summary.")
                     ] = False,
) -> None:
    """Convert every document under IN_DIR to OUT/<path>.json, resuming a previous run."""
    from kttt_extract.batch import BatchOptions, run_batch

    if engine not in ("local", "dask"):
        raise typer.BadParameter(f"{engine!r} is not one of local, dask", param_hint="--engine")
    if scheduler is not None and engine != "dask":
        raise typer.BadParameter("needs --engine dask", param_hint="--scheduler")

    load = replace(load_options(ocr, None, max_size, max_unzipped, max_pages, max_stream,
                                max_pixels, timeout), ocr_jobs=1)  # one Tesseract per worker
    options = BatchOptions(glob=glob, jobs=jobs, force=force, fail_fast=fail_fast,
                           timeout=timeout, max_memory_mb=max_memory, rules=rules, load=load,
                           follow_links=follow_symlinks,
                           rule_limits=rule_limits(max_rule_size, max_aliases),
                           engine="dask" if engine == "dask" else "local", scheduler=scheduler)
    try:
        with _reporter(quiet) as report:
            summary = run_batch(in_dir, output, options, progress=report)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted: the files that finished are kept and recorded in "
                          f"{printable(str(output / 'manifest.partial.jsonl'))} (run the same "
                          "command again to do the rest)") from None
    _print_summary(summary, quiet)
    if summary.failed:
        raise BatchFailures(f"{summary.failed} file(s) failed", path=str(output / "manifest.jsonl"),
                            hint="their errors are in the manifest; a rerun retries them")


@contextmanager
def _reporter(quiet: bool) -> Iterator[Report | None]:
    """A progress callback: a rich bar on a terminal, log lines otherwise, nothing if quiet."""
    if quiet:
        yield None
    elif sys.stderr.isatty():
        with _bar() as report:
            yield report
    else:
        yield _log_line


def _log_line(done: int, total: int, entry: Entry) -> None:
    sys.stderr.write(f"kttt: [{done}/{total}] {_describe(entry)}\n")
    sys.stderr.flush()


def _describe(entry: Entry) -> str:
    if entry.status == "error":
        return f"error {entry.path}: {entry.code}: {entry.message}"
    if entry.status == "skipped":
        return f"skipped {entry.path}"
    return f"ok {entry.path} {entry.seconds:.2f}s"


@contextmanager
def _bar() -> Iterator[Report]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    columns = (TextColumn("kttt batch"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]} docs/s"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("batch", total=None, rate="-")

        def report(done: int, total: int, entry: Entry) -> None:
            if entry.status == "error":
                progress.console.print(f"kttt: error: {entry.path}: {entry.code}: "
                                       f"{entry.message}", markup=False, highlight=False)
            progress.update(task, completed=done, total=total)
            speed = next(t.speed for t in progress.tasks if t.id == task)
            progress.update(task, rate=f"{speed:.1f}" if speed else "-")

        yield report


def _print_summary(summary: Summary, quiet: bool) -> None:
    out = sys.stderr.write
    if quiet:
        return
    done = summary.ok + summary.skipped + summary.failed
    out(f"kttt: {done} file(s) in {summary.seconds:.1f}s: {summary.ok} ok, "
        f"{summary.skipped} skipped, {summary.failed} failed"
        + (f", {summary.not_run} not run (--fail-fast)" if summary.not_run else "") + "\n")
    totals = ", ".join(f"{n} {k}" for k, n in summary.totals.items())
    out(f"kttt: found {totals}\n")
    if summary.slowest:
        slow = ", ".join(f"{p} {s:.2f}s" for p, s in summary.slowest)
        out(f"kttt: slowest: {slow}\n")
    for path in summary.rollup_problems:
        out(f"kttt: warning: {path}: JSON could not be read back; left out of the tables\n")
    out(f"kttt: wrote {summary.out_dir}/manifest.jsonl, targets.csv, deadlines.csv, tasks.csv, "
        "rollup.xlsx\n")
