"""`kttt extract`, `kttt text`, `kttt schema`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from kttt_extract.cli import app
from kttt_extract.loaders import MB

RULES_OPT = typer.Option(None, "--rules", help="Extra rule directory; its rules replace shipped ones by id.")
OCR_OPT = typer.Option(False, "--ocr", help="OCR pages that have no text layer (needs the ocr extra).")
PASSWORD_OPT = typer.Option(None, "--password", help="Password of an encrypted PDF.")
MAX_SIZE_OPT = typer.Option(50, "--max-size", help="Refuse inputs larger than this many MB.")


def load_options(ocr: bool, password: str | None, max_size: int):  # type: ignore[no-untyped-def]
    from kttt_extract.loaders import LoadOptions

    return LoadOptions(max_bytes=max_size * MB, ocr=ocr, password=password)


@app.command("extract")
def extract_cmd(
    file: Path = typer.Argument(..., help="A PDF, DOCX, DOC or text/Markdown file."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write JSON here (atomically)."),
    pretty: bool = typer.Option(False, "--pretty", help="Indent the JSON."),
    no_text: bool = typer.Option(False, "--no-text", help="Leave the normalised text out."),
    rules: Path | None = RULES_OPT,
    ocr: bool = OCR_OPT,
    password: str | None = PASSWORD_OPT,
    max_size: int = MAX_SIZE_OPT,
) -> None:
    """Extract the v1 JSON of one document to stdout (or -o FILE)."""
    from kttt_extract.emit.atomic import write_atomic
    from kttt_extract.emit.json import dumps
    from kttt_extract.pipeline import extract
    from kttt_extract.ruleset import load_rules

    ruleset = load_rules(rules)
    result = extract(file, rules=ruleset, options=load_options(ocr, password, max_size),
                     keep_text=not no_text)
    data = dumps(result, pretty=pretty)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(output, data)


@app.command("text")
def text_cmd(
    file: Path = typer.Argument(..., help="A document."),
    ocr: bool = OCR_OPT,
    password: str | None = PASSWORD_OPT,
    max_size: int = MAX_SIZE_OPT,
) -> None:
    """Print the normalised text: what the rules see."""
    from kttt_extract.loaders import load
    from kttt_extract.normalize import normalize

    loaded = load(file, load_options(ocr, password, max_size))
    sys.stdout.write(normalize(loaded.blocks).text + "\n")


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the output (generated from the models)."""
    from kttt_extract.emit.schema import schema_json

    sys.stdout.write(schema_json())
