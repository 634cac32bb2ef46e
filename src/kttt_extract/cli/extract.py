"""`kttt extract`, `kttt text`, `kttt schema`.

A document is read in a child process under the time and memory limits (kttt_extract.guard);
the parent checks the output path first, then writes what the child returns.
"""

from __future__ import annotations

import sys
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
from kttt_extract.errors import STDOUT, OutputError, printable, reason

if TYPE_CHECKING:
    from kttt_extract.loaders import LoadOptions
    from kttt_extract.ruleset.load import RuleLimits

# readable=False: click would refuse an unreadable file as a usage error; the loader says why
FileArg = Annotated[Path, typer.Argument(help="A PDF, DOCX, DOC/RTF/ODT or text/Markdown file.",
                                         readable=False)]


@dataclass(frozen=True)
class _Job:
    """What the child needs to extract one document."""

    file: Path
    rules: Path | None
    rule_limits: RuleLimits | None
    options: LoadOptions
    keep_text: bool = True
    pretty: bool = False


def _extract(job: _Job) -> bytes:
    from kttt_extract.emit.json import dumps
    from kttt_extract.pipeline import extract
    from kttt_extract.ruleset import load_rules

    ruleset = load_rules(job.rules, limits=job.rule_limits)
    options = replace(job.options, rules=ruleset)  # the loaders read the same rules
    result = extract(job.file, rules=ruleset, options=options, keep_text=job.keep_text)
    return dumps(result, pretty=job.pretty)


def _text(job: _Job) -> bytes:
    from kttt_extract.loaders import load
    from kttt_extract.pipeline import normal_text
    from kttt_extract.ruleset import load_rules

    ruleset = load_rules(job.rules, limits=job.rule_limits)
    loaded = load(job.file, replace(job.options, rules=ruleset))
    return (normal_text(loaded, ruleset).text + "\n").encode("utf-8")


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


@app.command("extract", cls=OcrFlagCommand)
def extract_cmd(
    file: FileArg,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the JSON here (atomically).",
                                  readable=False)
    ] = None,
    pretty: Annotated[bool, typer.Option("--pretty", help="Indent the JSON.")] = False,
    no_text: Annotated[
        bool, typer.Option("--no-text", help="Leave the normalised text out.")
    ] = False,
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
    """Extract the v1 JSON of one document to stdout (or -o FILE)."""
    from kttt_extract import guard
    from kttt_extract.emit.atomic import check_target, write_atomic

    if output is not None:  # refuse a bad -o before doing the work
        check_target(output, protect=file, follow_links=True)
    options = load_options(ocr, password, max_size, max_unzipped, max_pages, max_stream,
                           max_pixels, timeout)
    job = _Job(file, rules, rule_limits(max_rule_size, max_aliases), options,
               keep_text=not no_text, pretty=pretty)
    data = guard.run(_extract, job, limits(timeout, max_memory), name=printable(str(file)))
    if output is None:
        write_stdout(data)
    else:
        write_atomic(output, data, protect=file, follow_links=True)


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
