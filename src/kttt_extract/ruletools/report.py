"""What a check of rule files found: positioned problems, the state of each file, and the
outcome of every example that ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kttt_extract.ruleset.load import CompiledRule
from kttt_extract.ruleset.ruletext import Pos, Where
from kttt_extract.ruleset.schema import RuleFile

if TYPE_CHECKING:
    from kttt_extract.ruletools.examples import Outcome

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding, positioned in a rule file."""

    file: str
    line: int
    col: int
    rule_id: str | None
    message: str
    severity: Severity = "error"
    code: str = "rules"

    def render(self) -> str:
        """`file:line:col: rule-id: message` (the rule id left out when there is none)."""
        rid = f"{self.rule_id}: " if self.rule_id else ""
        return f"{self.file}:{self.line}:{self.col}: {rid}{self.message}"


@dataclass
class Report:
    """Everything a check found, with the outcome of every example that ran."""

    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class FileState:
    """A rule file as far as it could be read: parsed, compiled, and whether it is valid."""

    path: Path
    text: str | None = None  # as read, once: the file is not read again
    parsed: RuleFile | None = None
    where: Where = field(default_factory=dict)
    compiled: list[CompiledRule] = field(default_factory=list)
    valid: bool = True

    def at(self, i: int, sub: tuple[Any, ...] = ()) -> Pos:
        """The (line, col) of a path inside rule `i`, or of its nearest parent in the rule."""
        loc: tuple[Any, ...] = ("rules", i, *sub)
        while len(loc) > 2 and loc not in self.where:
            loc = loc[:-1]
        return self.where.get(loc, (1, 1))

    def problem(self, i: int, sub: tuple[Any, ...], message: str, code: str,
                severity: Severity = "error") -> Problem:
        """A problem at a path inside rule `i`."""
        line, col = self.at(i, sub)
        rule_id = self.parsed.rules[i].id if self.parsed is not None else None
        return Problem(str(self.path), line, col, rule_id, message, severity, code)
