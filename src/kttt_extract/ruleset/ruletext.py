"""What every reader of rule files shares, without YAML: the limits on reading them, their
text, and the positions of their values (YAML itself is read in yamlread.py, imported only when
a rule file is parsed: a rule set read back from the store, ruleset.stored, needs no YAML)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kttt_extract.errors import KtttError, RuleFileError
from kttt_extract.fileio import MB, read_regular

Pos = tuple[int, int]
Where = dict[tuple[Any, ...], Pos]


@dataclass(frozen=True)
class RuleLimits:
    """Limits on reading rule files (`--max-rule-size`, `--max-aliases`)."""

    max_bytes: int = 5 * MB  # a rule file larger than this is refused (shipped: under 0.2 MB)
    max_aliases: int = 1000  # uses of YAML aliases, counted as the data is expanded


def read_rule_text(path: Path, limits: RuleLimits) -> str:
    """The text of a rule file: a regular file, UTF-8, within the size limit."""
    name = str(path)
    try:
        data = read_regular(path, limits.max_bytes)
    except KtttError as exc:
        message = exc.message.replace("raise it with --max-size", "raise it with --max-rule-size")
        hint = (exc.hint or "").replace("--max-size", "--max-rule-size") or None
        raise RuleFileError(f"cannot read rule file: {message}" + (f" ({hint})" if hint else ""),
                            path=name) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleFileError("rule file is not UTF-8", path=name) from None


def nearest(where: Where, loc: tuple[Any, ...]) -> Pos:
    """The position of `loc`, or of its nearest parent that has one."""
    while loc and loc not in where:
        loc = loc[:-1]
    return where.get(loc, (1, 1))
