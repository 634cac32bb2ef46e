"""`kttt extract`, `kttt text`, `kttt schema`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
import typer.core
from typer._click import Context  # typer >= 0.29 vendors click here

from kttt_extract.cli import app

MB = 1024 * 1024

if TYPE_CHECKING:
    from kttt_extract.loaders import LoadOptions, OcrMode
    from kttt_extract.ruleset import RuleSet

FileArg = Annotated[Path, typer.Argument(help="A PDF, DOCX, DOC/RTF/ODT or text/Markdown file.")]
RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="Extra rule directory; its rules replace shipped ones by id."),
]
OCR_MODES = ("auto", "always", "never")
OcrOpt = Annotated[
    str, typer.Option("--ocr", metavar="auto|always|never", help=(
        "OCR PDF pages whose text layer is missing or garbage (auto, when Tesseract is "
        "installed), every page (always; `--ocr` alone), or none (never)."))
]
PasswordOpt = Annotated[
    str | None, typer.Option("--password", help="Password of an encrypted PDF.")
]
MaxSizeOpt = Annotated[int, typer.Option("--max-size", help="Refuse inputs over this many MB.")]
MaxUnzippedOpt = Annotated[
    int, typer.Option("--max-unzipped", help="Refuse a DOCX whose parts expand over this many MB.")
]


class OcrFlagCommand(typer.core.TyperCommand):
    """A command whose `--ocr` may stand alone: `--ocr` without a mode means `--ocr always`."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        out: list[str] = []
        for i, arg in enumerate(args):
            out.append(arg)
            if arg == "--ocr" and (i + 1 == len(args) or args[i + 1] not in OCR_MODES):
                out[-1] = "--ocr=always"
        return super().parse_args(ctx, out)


def ocr_mode(value: str) -> OcrMode:
    """The mode named on the command line (a bad one is a usage error)."""
    if value not in OCR_MODES:
        raise typer.BadParameter(f"{value!r} is not one of auto, always, never",
                                 param_hint="--ocr")
    return cast("OcrMode", value)


def load_options(ocr: str, password: str | None, max_size: int, max_unzipped: int = 200,
                 rules: RuleSet | None = None) -> LoadOptions:
    from kttt_extract.loaders import LoadOptions

    return LoadOptions(max_bytes=max_size * MB, max_unzipped=max_unzipped * MB,
                       ocr=ocr_mode(ocr), password=password, rules=rules)


@app.command("extract", cls=OcrFlagCommand)
def extract_cmd(
    file: FileArg,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the JSON here (atomically).")
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
) -> None:
    """Extract the v1 JSON of one document to stdout (or -o FILE)."""
    from kttt_extract.emit.atomic import write_atomic
    from kttt_extract.emit.json import dumps
    from kttt_extract.pipeline import extract
    from kttt_extract.ruleset import load_rules

    ruleset = load_rules(rules)
    options = load_options(ocr, password, max_size, max_unzipped, ruleset)
    result = extract(file, rules=ruleset, options=options, keep_text=not no_text)
    data = dumps(result, pretty=pretty)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(output, data)


@app.command("text", cls=OcrFlagCommand)
def text_cmd(
    file: FileArg,
    ocr: OcrOpt = "auto",
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 50,
    max_unzipped: MaxUnzippedOpt = 200,
) -> None:
    """Print the normalised text: what the rules see."""
    from kttt_extract.loaders import load
    from kttt_extract.pipeline import normal_text
    from kttt_extract.ruleset import load_rules

    rules = load_rules()
    loaded = load(file, load_options(ocr, password, max_size, max_unzipped, rules))
    sys.stdout.write(normal_text(loaded, rules).text + "\n")


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the output (generated from the models)."""
    from kttt_extract.emit.schema import schema_json

    sys.stdout.write(schema_json())
