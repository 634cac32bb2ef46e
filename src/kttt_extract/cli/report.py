"""`kttt report`: one workbook and one review page across the documents of a batch's output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kttt_extract.cli import app
from kttt_extract.errors import OutputError, UnreadableInput, printable

XLSX = "report.xlsx"
HTML = "report.html"


@app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(
        metavar="BATCH_DIR", readable=False,
        help="A kttt batch output folder (or any folder of kttt JSON results).")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", metavar="OUT_DIR", readable=False,
        help=f"Folder for {XLSX} and {HTML} (default: BATCH_DIR).")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Say nothing on success.")
                     ] = False,
) -> None:
    """Tasks by agency, deadlines by month, targets by horizon: report.xlsx and report.html."""
    from kttt_extract.batch_results import read_folder
    from kttt_extract.cli.outputs import UsageError
    from kttt_extract.emit import report
    from kttt_extract.emit.atomic import check_target, write_atomic

    if not folder.is_dir():
        raise UsageError("not a folder", path=str(folder),
                         hint="give the -o folder of a kttt batch run")
    out = output if output is not None else folder
    if out.exists() and not out.is_dir():
        raise OutputError("is not a folder", path=str(out), hint="give a folder for the report")
    for name in (XLSX, HTML):  # refuse a bad target before reading anything
        check_target(out / name)
    docs, problems = read_folder(folder)
    if not docs:
        raise UnreadableInput("no kttt results found", path=str(folder),
                              hint="run kttt batch IN_DIR -o BATCH_DIR first")
    tables = report.tables(docs)
    write_atomic(out / XLSX, report.workbook(tables))
    write_atomic(out / HTML, report.review_page(tables, printable(str(folder)), problems))
    if quiet:
        return
    for problem in problems:
        sys.stderr.write(f"kttt: warning: {printable(problem)}: could not be read; left out\n")
    counts = {t.key: len(t.rows) for t in tables}
    sys.stderr.write(f"kttt: {len(docs)} documents: {counts['tasks']} task rows, "
                     f"{counts['deadlines']} deadlines, {counts['targets']} targets; wrote "
                     f"{printable(str(out / XLSX))}, {printable(str(out / HTML))}\n")
