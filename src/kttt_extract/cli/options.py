"""Options shared by the commands: rules, OCR, password and the limits (README, "Limits")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
import typer.core
from typer._click import Context  # typer >= 0.29 vendors click here

from kttt_extract.cli import fail
from kttt_extract.errors import ExitStatus

if TYPE_CHECKING:
    from kttt_extract.guard import Limits
    from kttt_extract.loaders import LoadOptions, OcrMode
    from kttt_extract.ruleset.load import RuleLimits

MB = 1024 * 1024

RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="Extra rule directory; its rules replace shipped ones by id.",
                 readable=False),
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
MaxSizeOpt = Annotated[int, typer.Option("--max-size", min=1,
                                         help="Refuse inputs over this many MB.")]
MaxUnzippedOpt = Annotated[
    int, typer.Option("--max-unzipped", min=1,
                      help="Refuse a DOCX whose parts expand over this many MB (counted while "
                           "reading).")
]
MaxPagesOpt = Annotated[int, typer.Option("--max-pages", min=1,
                                          help="Refuse a PDF with more pages.")]
MaxStreamOpt = Annotated[
    int, typer.Option("--max-stream", min=1,
                      help="Refuse a PDF with a stream that inflates over this many MB.")
]
MaxPixelsOpt = Annotated[
    int, typer.Option("--max-pixels", min=1,
                      help="Millions of pixels an OCR page is rendered with at most (a larger "
                           "page is rendered at a lower resolution).")
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=0,
                                           help="Seconds allowed per document (0: no limit).")]
MaxMemoryOpt = Annotated[int, typer.Option("--max-memory", min=0,
                                           help="MB of memory per document (0: no limit).")]
MaxRuleSizeOpt = Annotated[int, typer.Option("--max-rule-size", min=1,
                                             help="Refuse a rule file over this many MB.")]
MaxAliasesOpt = Annotated[
    int, typer.Option("--max-aliases", min=0,
                      help="Refuse a rule file that uses YAML aliases more often than this.")
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


def load_options(ocr: str = "auto", password: str | None = None, max_size: int = 50,
                 max_unzipped: int = 200, max_pages: int = 5000, max_stream: int = 256,
                 max_pixels: int = 150, timeout: float = 120.0) -> LoadOptions:
    """The loaders' options from the command line (sizes in MB, pixels in millions); the
    document's time limit also bounds each tool it runs (LibreOffice, Tesseract per page)."""
    from kttt_extract.loaders import LoadOptions

    if password is not None:
        try:
            password.encode("utf-8")
        except UnicodeEncodeError:
            fail("--password: not valid UTF-8 (type the password as UTF-8 text)",
                 ExitStatus.USAGE)
    return LoadOptions(max_bytes=max_size * MB, max_unzipped=max_unzipped * MB,
                       max_pages=max_pages, max_stream=max_stream * MB,
                       max_pixels=max_pixels * 1_000_000, ocr=ocr_mode(ocr), password=password,
                       timeout=timeout if timeout > 0 else LoadOptions.timeout)


def limits(timeout: float = 120.0, max_memory: int = 2048) -> Limits:
    from kttt_extract.guard import Limits

    return Limits(timeout=timeout, max_memory_mb=max_memory)


def rule_limits(max_rule_size: int = 5, max_aliases: int = 1000) -> RuleLimits:
    from kttt_extract.ruleset.load import RuleLimits

    return RuleLimits(max_bytes=max_rule_size * MB, max_aliases=max_aliases)
