"""`kttt extract`, `kttt text`, `kttt schema`.

A document is read in a child process under the time and memory limits (kttt_extract.guard);
the parent checks the output path first, then writes what the child returns.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
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
    PasswordOpt,
    RulesOpt,
    TimeoutOpt,
    limits,
    load_options,
    rule_limits,
)
from kttt_extract.cli.outputs import STDIN, Sink, UsageError, write_stdout
from kttt_extract.cli.outputs import plan as make_plan
from kttt_extract.cli.progress import Display, run_with_stages, send_stage
from kttt_extract.errors import (
    Interrupted,
    KtttError,
    SomeFailed,
    printable,
)

if TYPE_CHECKING:
    from kttt_extract.emit.formats import Format
    from kttt_extract.guard import Limits
    from kttt_extract.loaders import LoadOptions
    from kttt_extract.model import Result
    from kttt_extract.ruleset.load import RuleLimits

MB = 1024 * 1024
STDIN_NAME = "<stdin>"

# readable=False: click would refuse an unreadable file as a usage error; the loader says why
FileArg = Annotated[Path, typer.Argument(help="A PDF, DOCX, DOC/RTF/ODT or text/Markdown file.",
                                         readable=False)]
FilesArg = Annotated[list[Path], typer.Argument(
    metavar="FILE", readable=False,
    help="PDF, DOCX, DOC/RTF/ODT or text/Markdown files; - reads standard input.")]
OutputOpt = Annotated[Path | None, typer.Option(
    "-o", "--output", readable=False, metavar="OUT",
    help="Write here (atomically): a file, or for several documents as json/html a folder; "
         "the suffix chooses the format (.json .jsonl .csv .xlsx .md .html).")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", metavar="json|jsonl|csv|xlsx|md|html",
    help="Output format (default: from the -o suffix, else json).")]
TableOpt = Annotated[str | None, typer.Option(
    "--table", metavar="tasks|targets|deadlines|agencies",
    help="The table a CSV holds (default: tasks).")]
QuietOpt = Annotated[bool, typer.Option("-q", "--quiet",
                                        help="No warnings and no progress on stderr.")]
VerboseOpt = Annotated[bool, typer.Option("-v", "--verbose",
                                          help="Say what each document is doing and found.")]


@dataclass(frozen=True)
class _Job:
    """What the child needs to extract one document."""

    file: Path
    rules: Path | None
    rule_limits: RuleLimits | None
    options: LoadOptions
    keep_text: bool = True
    pretty: bool = False
    fmt: Format = "json"
    data: bytes | None = None  # the bytes of standard input
    want_result: bool = False  # send the Result back (tables over all documents)
    stage_fd: int | None = None  # where to report the stage (the parent's progress display)


@dataclass(frozen=True)
class _Done:
    """What the child sends back for one document."""

    data: bytes | None
    result: Result | None
    warnings: tuple[tuple[str, str], ...]
    summary: str


def _extract(job: _Job) -> _Done:
    from kttt_extract.emit.formats import document_bytes
    from kttt_extract.loaders import load, load_bytes
    from kttt_extract.pipeline import extract_loaded
    from kttt_extract.ruleset import load_rules

    ruleset = load_rules(job.rules, limits=job.rule_limits)
    options = replace(job.options, rules=ruleset)  # the loaders read the same rules
    loaded = (load_bytes(job.data, STDIN_NAME, options) if job.data is not None
              else load(job.file, options))
    pages = loaded.source.pages
    send_stage(job.stage_fd, f"extracting ({pages} pages)" if pages else "extracting")
    result = extract_loaded(loaded, ruleset, keep_text=job.keep_text)
    send_stage(job.stage_fd, "writing")
    data = None if job.want_result else document_bytes(job.fmt, result, pretty=job.pretty)
    return _Done(data, result if job.want_result else None,
                 tuple((w.code, w.message) for w in result.warnings),
                 _summary(result, ruleset.version))


def _summary(result: Result, version: str) -> str:
    src = result.source
    pages = f", {src.pages} pages" if src.pages else ""
    ocr = f", {len(src.ocr_pages)} by OCR" if src.ocr_pages else (" (OCR)" if src.ocr else "")
    return (f"{src.format}{pages}{ocr}; {len(result.targets)} targets, "
            f"{len(result.deadlines)} deadlines, {len(result.agencies)} agencies, "
            f"{len(result.tasks)} tasks; rules {version}")


def _text(job: _Job) -> bytes:
    from kttt_extract.loaders import load
    from kttt_extract.pipeline import normal_text
    from kttt_extract.ruleset import load_rules

    ruleset = load_rules(job.rules, limits=job.rule_limits)
    loaded = load(job.file, replace(job.options, rules=ruleset))
    return (normal_text(loaded, ruleset).text + "\n").encode("utf-8")


def _read_stdin(max_bytes: int) -> bytes:
    from kttt_extract.errors import InputTooLarge, UnreadableInput

    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("standard input (-) is a terminal",
                         hint="pipe a document in: kttt extract - < plan.pdf")
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputTooLarge(f"over the {max_bytes // MB} MB limit", path=STDIN_NAME,
                            hint="raise it with --max-size")
    if not data.strip():
        raise UnreadableInput("empty input", path=STDIN_NAME)
    return data


@app.command("extract", cls=OcrFlagCommand)
def extract_cmd(
    files: FilesArg,
    output: OutputOpt = None,
    fmt: FormatOpt = None,
    table: TableOpt = None,
    pretty: Annotated[bool, typer.Option("--pretty", help="Indent the JSON.")] = False,
    no_text: Annotated[
        bool, typer.Option("--no-text", help="Leave the normalised text out of the JSON.")
    ] = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
    rules: RulesOpt = None,
    ocr: OcrOpt = "auto",
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 50,
    max_unzipped: MaxUnzippedOpt = 200,
    max_pages: MaxPagesOpt = 5000,
    max_stream: MaxStreamOpt = 256,
    max_pixels: MaxPixelsOpt = 150,
    timeout: TimeoutOpt = 120.0,
    max_memory: MaxMemoryOpt = 2048,
    max_rule_size: MaxRuleSizeOpt = 5,
    max_aliases: MaxAliasesOpt = 1000,
) -> None:
    """Extract targets, deadlines, agencies and tasks of documents (JSON on stdout, or -o)."""
    if quiet and verbose:
        raise UsageError("--quiet and --verbose ask for opposite things", hint="choose one")
    names = [str(f) for f in files]
    plan = make_plan(names, None if output is None else str(output), fmt, table)
    options = load_options(ocr, password, max_size, max_unzipped, max_pages, max_stream,
                           max_pixels, timeout)
    stdin = _read_stdin(options.max_bytes) if STDIN in names else None
    sink = Sink(plan, pretty)
    _, want_result = sink.needs()
    base = _Job(Path(), rules, rule_limits(max_rule_size, max_aliases), options,
                keep_text=plan.fmt == "html" or (not no_text and plan.fmt in ("json", "jsonl")),
                pretty=pretty, fmt=plan.fmt, want_result=want_result)
    failed = _run_all(names, base, sink, stdin, limits(timeout, max_memory),
                      Display(quiet=quiet, verbose=verbose, total=len(names)))
    if failed:
        raise SomeFailed(f"{len(failed)} of {len(names)} documents failed",
                         hint="their errors are above; the others were written")


def _run_all(names: list[str], base: _Job, sink: Sink, stdin: bytes | None,
             lim: Limits, display: Display) -> list[str]:
    """Extract each document in turn into `sink`; return the names that failed."""
    failed: list[str] = []
    with display:
        try:
            for i, name in enumerate(names, start=1):
                job = replace(base, file=Path(name), data=stdin if name == STDIN else None)
                shown = STDIN_NAME if name == STDIN else printable(name)
                display.begin(i, shown)
                try:
                    done = run_with_stages(_extract, job, lim, shown, display, _attach)
                except KtttError as exc:
                    if len(names) == 1:
                        raise
                    display.line(f"kttt: error: {exc.line()}")
                    failed.append(name)
                    continue
                display.done()  # no status line while the output is written
                sink.add(name, done.data, done.result)
                _tell(display, shown, done)
            sink.finish()
        except KeyboardInterrupt:
            display.done()
            raise Interrupted(_kept(sink, names)) from None
    return failed


def _attach(job: _Job, fd: int) -> _Job:
    return replace(job, stage_fd=fd)


def _tell(display: Display, name: str, done: _Done) -> None:
    """Warnings (unless --quiet) and, with --verbose, what was found, one line each."""
    if display.verbose:
        display.line(f"kttt: {name}: {done.summary}; "
                     f"{time.monotonic() - display.started:.2f} s")
    if display.quiet:
        return
    for code, message in done.warnings:
        display.line(f"kttt: warning: {name}: {code}: {printable(message)}")


def _kept(sink: Sink, names: list[str]) -> str:
    """The Ctrl-C line: what was written, and how to finish."""
    done = [n for n in names if n in sink.written]
    rest = [printable(n) for n in names if n not in sink.written]
    plan = sink.plan
    if not done:
        unchanged = f"; {printable(str(plan.target))} is unchanged" if (
            plan.target is not None and not plan.folder) else ""
        return f"interrupted: nothing was written{unchanged} (run the command again)"
    where = f"into {printable(str(plan.target))}" if plan.folder else "to standard output"
    listed = ", ".join(rest[:3]) + (f" and {len(rest) - 3} more" if len(rest) > 3 else "")
    again = " with the same -o" if plan.folder else ""
    return (f"interrupted: {len(done)} of {len(names)} documents were written {where}; "
            f"not done: {listed} (run kttt extract on those{again} to finish)")


@app.command("text", cls=OcrFlagCommand)
def text_cmd(
    file: FileArg,
    rules: RulesOpt = None,
    ocr: OcrOpt = "auto",
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 50,
    max_unzipped: MaxUnzippedOpt = 200,
    max_pages: MaxPagesOpt = 5000,
    max_stream: MaxStreamOpt = 256,
    max_pixels: MaxPixelsOpt = 150,
    timeout: TimeoutOpt = 120.0,
    max_memory: MaxMemoryOpt = 2048,
) -> None:
    """Print the normalised text: what the rules see."""
    from kttt_extract import guard

    options = load_options(ocr, password, max_size, max_unzipped, max_pages, max_stream,
                           max_pixels, timeout)
    job = _Job(file, rules, None, options)
    write_stdout(guard.run(_text, job, limits(timeout, max_memory), name=printable(str(file))))


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the output (generated from the models)."""
    from kttt_extract.emit.schema import schema_json

    sys.stdout.write(schema_json())
