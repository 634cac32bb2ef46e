"""The `kttt` command: one typer app, one error boundary (`main`), exit codes from ExitStatus.

Only this package prints. Command modules register themselves on `app`; heavy libraries are
imported inside command bodies so that `kttt --help` stays fast.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import typer
from typer._click import ClickException  # typer >= 0.29 vendors click here

from kttt_extract.errors import (
    STDOUT,
    ExitStatus,
    InternalFailure,
    Interrupted,
    KtttError,
    OutputError,
    printable,
    reason,
)

app = typer.Typer(
    name="kttt",
    help="Extract targets, deadlines and responsibilities from Vietnamese plan documents.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, pwsh)
    context_settings={"help_option_names": ["-h", "--help"]},
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
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Extract targets, deadlines and responsibilities from Vietnamese plan documents."""


# which module registers each command: a call names one, and only that module is imported
# (typer builds every registered command's parameters before it runs one); a call that names
# none (`kttt --help`, completion, a mistyped command) registers them all
_COMMANDS = {"batch": "batch", "extract": "extract", "text": "extract", "schema": "extract",
             "report": "report", "rules": "rules", "eval": "rules"}
_MODULES = ("batch", "extract", "report", "rules")  # in the order `kttt --help` lists them


def _register(args: Sequence[str] = ()) -> None:
    from importlib import import_module

    named = next((a for a in args if not a.startswith("-")), None)
    wanted = _COMMANDS.get(named or "")
    for module in (wanted,) if wanted else _MODULES:
        import_module(f"kttt_extract.cli.{module}")  # its commands attach to `app`


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn library errors into one stderr line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    _register(args)
    debug = "--traceback" in args
    args = [a for a in args if a != "--traceback"]
    try:
        status = app(args=args, prog_name="kttt", standalone_mode=False)
        sys.stdout.flush()  # a full or closed stdout is reported here, not at interpreter exit
    except Interrupted as exc:  # Ctrl-C, with what was kept and how to finish
        return _error(exc.line(), exc.exit_status, prefix="kttt: ")
    except KtttError as exc:
        if debug:
            raise
        _silence_stdout_if(isinstance(exc, OutputError) and exc.path == STDOUT)
        return _error(exc.line(), exc.exit_status)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return _error("interrupted", ExitStatus.INTERRUPTED, prefix="kttt: ")
    except ClickException as exc:
        exc.show()
        return int(ExitStatus.USAGE)
    except BrokenPipeError:  # `kttt ... | head`: the reader has what it wanted
        _silence_stdout_if(True)
        return int(ExitStatus.OK)
    except OSError as exc:  # an environment error no command turned into a KtttError
        if debug:
            raise
        _silence_stdout_if(exc.filename is None)
        where = printable(str(exc.filename)) if exc.filename else STDOUT
        status = ExitStatus.OUTPUT if exc.errno in _WRITE_ERRORS else ExitStatus.UNREADABLE
        return _error(f"{where}: {reason(exc)}", status)
    except Exception as exc:  # the one boundary: a bug must not print a traceback to users
        remote = isinstance(exc, InternalFailure)  # a bug in the child: its own words
        if debug and not remote:
            raise
        if debug and isinstance(exc, InternalFailure) and exc.details:
            sys.stderr.write(exc.details)
        what = str(exc) if remote else f"{type(exc).__name__}: {exc}"
        return _error(f"internal error: {printable(what)} "
                      "(please report it with the input file; rerun with --traceback for "
                      "details)", ExitStatus.INTERNAL, prefix="kttt: ")
    if status == ExitStatus.INTERRUPTED:  # typer turns Ctrl-C into this return value
        return _error("interrupted", ExitStatus.INTERRUPTED, prefix="kttt: ")
    return status if isinstance(status, int) else int(ExitStatus.OK)


_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.EPIPE})


def _error(line: str, status: ExitStatus, prefix: str = "kttt: error: ") -> int:
    with contextlib.suppress(OSError):
        sys.stderr.write(f"{prefix}{line}\n")
        sys.stderr.flush()
    return int(status)


def _silence_stdout_if(broken: bool) -> None:
    """After stdout failed, point it at /dev/null so that the final flush cannot fail again."""
    if not broken:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def entry() -> NoReturn:
    sys.exit(main())
