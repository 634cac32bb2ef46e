"""The `kttt` command: one typer app, one error boundary (`main`), exit codes from ExitStatus.

Only this package prints. Command modules register themselves on `app`; heavy libraries are
imported inside command bodies so that `kttt --help` stays fast.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from typer._click import ClickException  # typer >= 0.29 vendors click here

from kttt_extract.errors import ExitStatus, KtttError

app = typer.Typer(
    name="kttt",
    help="Extract targets, deadlines and responsibilities from Vietnamese plan documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def fail(message: str, status: ExitStatus) -> NoReturn:
    """Print one error line on stderr and exit with `status`."""
    sys.stderr.write(f"kttt: error: {message}\n")
    raise typer.Exit(int(status))


def _version(value: bool) -> None:
    if value:
        from kttt_extract import __version__

        sys.stdout.write(f"kttt {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Extract targets, deadlines and responsibilities from Vietnamese plan documents."""


def _register() -> None:
    from kttt_extract.cli import batch, extract, rules  # noqa: F401  (commands attach to app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn library errors into one stderr line and an exit code."""
    _register()
    args = sys.argv[1:] if argv is None else argv
    debug = "--traceback" in args
    args = [a for a in args if a != "--traceback"]
    try:
        status = app(args=args, standalone_mode=False)
    except KtttError as exc:
        if debug:
            raise
        sys.stderr.write(f"kttt: error: {exc.line()}\n")
        return int(exc.exit_status)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("kttt: interrupted\n")
        return int(ExitStatus.INTERRUPTED)
    except ClickException as exc:
        exc.show()
        return int(ExitStatus.USAGE)
    except BrokenPipeError:
        return int(ExitStatus.OK)
    except Exception as exc:  # the one boundary: a bug must not print a traceback to users
        if debug:
            raise
        sys.stderr.write(
            f"kttt: internal error: {type(exc).__name__}: {exc} "
            "(please report it with the input file; rerun with --traceback for details)\n"
        )
        return int(ExitStatus.INTERNAL)
    return status if isinstance(status, int) else int(ExitStatus.OK)


def entry() -> NoReturn:
    sys.exit(main())
