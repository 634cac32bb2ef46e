"""`kttt extract`, `kttt text`, `kttt schema`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kttt_extract.cli import app

MB = 1024 * 1024

if TYPE_CHECKING:
    from kttt_extract.loaders import LoadOptions

FileArg = Annotated[Path, typer.Argument(help="A PDF, DOCX, DOC/RTF/ODT or text/Markdown file.")]
RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="Extra rule directory; its rules replace shipped ones by id."),
]
OcrOpt = Annotated[
    bool, typer.Option("--ocr", help="OCR pages without a text layer (needs the ocr extra).")
]
PasswordOpt = Annotated[
    str | None, typer.Option("--password", help="Password of an encrypted PDF.")
]
MaxSizeOpt = Annotated[int, typer.Option("--max-size", help="Refuse inputs over this many MB.")]
MaxUnzippedOpt = Annotated[
    int, typer.Option("--max-unzipped", help="Refuse a DOCX whose parts expand over this many MB.")
]


def load_options(ocr: bool, password: str | None, max_size: int, max_unzipped: int = 200
                 ) -> LoadOptions:
    from kttt_extract.loaders import LoadOptions

    return LoadOptions(max_bytes=max_size * MB, max_unzipped=max_unzipped * MB, ocr=ocr,
                       password=password)


@app.command("extract")
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
    ocr: OcrOpt = False,
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
    options = load_options(ocr, password, max_size, max_unzipped)
    result = extract(file, rules=ruleset, options=options, keep_text=not no_text)
    data = dumps(result, pretty=pretty)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(output, data)


@app.command("text")
def text_cmd(
    file: FileArg,
    ocr: OcrOpt = False,
    password: PasswordOpt = None,
    max_size: MaxSizeOpt = 50,
    max_unzipped: MaxUnzippedOpt = 200,
) -> None:
    """Print the normalised text: what the rules see."""
    from kttt_extract.loaders import load
    from kttt_extract.pipeline import normal_text
    from kttt_extract.ruleset import load_rules

    loaded = load(file, load_options(ocr, password, max_size, max_unzipped))
    sys.stdout.write(normal_text(loaded, load_rules()).text + "\n")


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the output (generated from the models)."""
    from kttt_extract.emit.schema import schema_json

    sys.stdout.write(schema_json())
