"""Typed errors of the library; only `kttt_extract.cli` turns them into exit codes and messages."""

from __future__ import annotations

import re
from enum import IntEnum

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
STDOUT = "<stdout>"  # the name of standard output in messages


class ExitStatus(IntEnum):
    """Exit codes of `kttt`, documented in the README. Never renumber a code."""

    OK = 0
    FINDINGS = 1  # `rules check` / `rules test` found problems
    USAGE = 2  # bad command line (click's own code)
    UNSUPPORTED = 3  # not a format we read (or not what its extension says)
    UNREADABLE = 4  # a file of a known format that is damaged, empty or too large
    ENCRYPTED = 5  # an encrypted PDF without the right --password
    NO_TEXT = 6  # no text layer: a scan; run with --ocr
    RULES = 7  # an invalid rule file
    MISSING_TOOL = 8  # an optional tool (LibreOffice, Tesseract) is needed and absent
    BATCH_FAILURES = 9  # `kttt batch`: some files failed, the rest were written
    OUTPUT = 10  # the output cannot be written (permission, full disk, not a file, the input)
    LIMIT = 11  # a document's work went over the time or memory limit, or its process died
    BUSY = 12  # another `kttt batch` is writing into the same output folder
    INTERNAL = 70  # a bug: please report it
    INTERRUPTED = 130


class KtttError(Exception):
    """Base of every error the library raises on purpose.

    `code` is a stable machine-readable name; `hint` says what the user can do.
    """

    code = "error"
    exit_status = ExitStatus.UNREADABLE

    def __init__(self, message: str, *, path: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = printable(path) if path is not None else None
        self.hint = hint

    def line(self) -> str:
        """The one-line form: `<file>: <what> (<what to do>)`."""
        where = f"{self.path}: " if self.path else ""
        tail = f" ({self.hint})" if self.hint else ""
        return printable(f"{where}{self.message}{tail}")


def reason(exc: OSError) -> str:
    """The system's words for an OSError ("no space left on device"), for the tail of a line."""
    text = exc.strerror or type(exc).__name__
    return text[:1].lower() + text[1:]


def unescaped_bytes_shown(text: str) -> str:
    """`text` fit for UTF-8 output: the undecodable bytes of a file name (kept by Python as
    surrogate escapes) shown as `\\xff`."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that no file name produced
        raw = text.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


def printable(text: str) -> str:
    """`text` fit for one line of UTF-8: undecodable bytes shown as `\\xff`, and control
    characters such as a newline as `\\x0a`."""
    shown = unescaped_bytes_shown(text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", shown)


class UnsupportedInput(KtttError):
    code = "unsupported"
    exit_status = ExitStatus.UNSUPPORTED


class UnreadableInput(KtttError):
    code = "unreadable"
    exit_status = ExitStatus.UNREADABLE


class InputTooLarge(UnreadableInput):
    """The input is over one of the size limits (file, unzipped, stream, pages)."""

    code = "too-large"


class NotRegularFile(UnreadableInput):
    """A FIFO, a device, a socket or a dangling link where a regular file was expected."""

    code = "not-regular"


class EncryptedPdf(KtttError):
    code = "encrypted"
    exit_status = ExitStatus.ENCRYPTED


class NoTextLayer(KtttError):
    code = "no-text"
    exit_status = ExitStatus.NO_TEXT


class MissingTool(KtttError):
    code = "missing-tool"
    exit_status = ExitStatus.MISSING_TOOL


class OutputError(KtttError):
    """The output cannot be written where it was asked to go."""

    code = "output"
    exit_status = ExitStatus.OUTPUT


class LimitExceeded(KtttError):
    """One document's work went over a limit of the process that ran it."""

    code = "limit"
    exit_status = ExitStatus.LIMIT


class TimeLimit(LimitExceeded):
    code = "timeout"


class MemoryLimit(LimitExceeded):
    code = "memory"


class PatternTimeout(LimitExceeded):
    """A rule's pattern went over its own time limit on this text."""

    code = "pattern-timeout"


class ProcessDied(LimitExceeded):
    """The process doing the work ended without an answer (killed, or crashed in native code)."""

    code = "crashed"


class Interrupted(KtttError):
    """Ctrl-C, with what was kept and how to finish in the message (exit 130)."""

    code = "interrupted"
    exit_status = ExitStatus.INTERRUPTED


class SomeFailed(KtttError):
    """Several documents were asked for and some failed; the others were written (exit 9)."""

    code = "some-failed"
    exit_status = ExitStatus.BATCH_FAILURES


class Busy(KtttError):
    code = "busy"
    exit_status = ExitStatus.BUSY


class RuleFileError(KtttError):
    """A rule file that cannot be loaded; `line`/`col` are 1-based positions in it."""

    code = "rules"
    exit_status = ExitStatus.RULES

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int = 1,
        col: int = 1,
        rule_id: str | None = None,
    ) -> None:
        super().__init__(message, path=path)
        self.line_no = line
        self.col = col
        self.rule_id = rule_id

    def line(self) -> str:
        rid = f"{self.rule_id}: " if self.rule_id else ""
        return printable(f"{self.path}:{self.line_no}:{self.col}: {rid}{self.message}")


class InternalFailure(Exception):
    """A bug (an exception that is not a KtttError) in the child process that did the work;
    `details` is its traceback. The boundary reports it as exit 70."""

    def __init__(self, message: str, details: str | None) -> None:
        super().__init__(message)
        self.details = details
