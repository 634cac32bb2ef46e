"""Typed errors of the library; only `kttt_extract.cli` turns them into exit codes and messages."""

from __future__ import annotations

from enum import IntEnum


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
        self.path = path
        self.hint = hint

    def line(self) -> str:
        """The one-line form: `<file>: <what> (<what to do>)`."""
        where = f"{self.path}: " if self.path else ""
        tail = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{tail}"


class UnsupportedInput(KtttError):
    code = "unsupported"
    exit_status = ExitStatus.UNSUPPORTED


class UnreadableInput(KtttError):
    code = "unreadable"
    exit_status = ExitStatus.UNREADABLE


class InputTooLarge(UnreadableInput):
    code = "too-large"


class EncryptedPdf(KtttError):
    code = "encrypted"
    exit_status = ExitStatus.ENCRYPTED


class NoTextLayer(KtttError):
    code = "no-text"
    exit_status = ExitStatus.NO_TEXT


class MissingTool(KtttError):
    code = "missing-tool"
    exit_status = ExitStatus.MISSING_TOOL


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
        return f"{self.path}:{self.line_no}:{self.col}: {rid}{self.message}"
