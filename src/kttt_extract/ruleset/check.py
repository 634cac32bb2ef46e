"""Check rule directories: validate every file, lint, time the patterns, then run the examples.

Every problem is reported, not only the first, as `file:line:col: rule-id: message`. Files are
validated first (YAML, schema, patterns); the examples of a file that is invalid are not run.

Checking a user directory (`kttt rules check my-rules/`) checks it *together with the shipped
rules it extends*, in the order `kttt extract --rules my-rules/` loads them: the shipped files are
validated too, the user's rules replace shipped rules of the same id, and the shipped examples of
rules that were not replaced are run against the merged set (an added rule can steal a shipped
rule's match). Duplicate ids are errors within one directory, an override across directories.
A shipped file byte-identical to a user file of the same name (a copy being edited) is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.examples import ExampleRunner, Extractor, Outcome, examples_of
from kttt_extract.ruleset.load import (
    CompiledRule,
    RuleLimits,
    RuleSet,
    _nearest,
    _rule_id_at,
    compile_rule,
    compose,
    parse_rule_text,
    read_rule_text,
    shipped_rules_dir,
)
from kttt_extract.ruleset.patterncost import SLOW_SECONDS, slow_input
from kttt_extract.ruleset.schema import Rule, RuleFile
from kttt_extract.textnorm import fold_tones

Severity = Literal["error", "warning"]
Where = dict[tuple[Any, ...], tuple[int, int]]
DEFAULT_REFERENCE_DATE = dt.date(2026, 1, 1)

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


def check_rules(rules_dir: Path | str | None = None, *, examples: bool = True,
                timeout: float = SLOW_SECONDS, extract: Extractor | None = None,
                limits: RuleLimits | None = None) -> Report:
    """Check a user rule directory together with the shipped rules (or the shipped ones alone)."""
    shipped = shipped_rules_dir()
    if rules_dir is None or _same_dir(Path(rules_dir), shipped):
        return check_dirs([shipped], examples=examples, timeout=timeout, extract=extract,
                          limits=limits)
    user = Path(rules_dir)
    if not user.is_dir():
        raise RuleFileError("not a rule directory", path=str(user))
    skip = {p for p in shipped.glob("*.yaml") if _identical(p, user / p.name)}
    return check_dirs([shipped, user], examples=examples, timeout=timeout, extract=extract,
                      skip=skip, limits=limits)


def check_dirs(dirs: Sequence[Path], *, examples: bool = True, timeout: float = SLOW_SECONDS,
               extract: Extractor | None = None, skip: set[Path] | None = None,
               example_dirs: Sequence[Path] | None = None,
               limits: RuleLimits | None = None) -> Report:
    """Check directories merged in this order (no shipped rules added).

    `example_dirs` runs only the examples of files in those directories (default: all)."""
    report = Report()
    states: list[FileState] = []
    for folder in dirs:
        if not folder.is_dir():
            raise RuleFileError("not a rule directory", path=str(folder))
        paths = [p for p in sorted(folder.glob("*.yaml")) if p not in (skip or set())]
        folder_states = [check_file(p, report.problems, timeout, limits) for p in paths]
        report.problems.extend(_duplicate_ids(folder_states))
        report.problems.extend(_overrides(states, folder_states))
        states.extend(folder_states)
        report.files.extend(paths)
    report.problems.extend(_registry_problems(states))
    if examples:
        only = None if example_dirs is None else {d.resolve() for d in example_dirs}
        run_examples(states, assemble(states), report, extract, only)
    return report


def _registry_problems(states: Sequence[FileState]) -> list[Problem]:
    """The registry's own checks (duplicate names, abbreviations, entries without example)."""
    from kttt_extract.ruleset.check_registry import registry_problems

    return registry_problems(states)


def run_examples(states: Sequence[FileState], ruleset: RuleSet, report: Report,
                 extract: Extractor | None = None, only: set[Path] | None = None) -> None:
    """Run the examples of the valid files; failures become problems, todos that pass warnings.

    While some file is invalid, examples whose extraction fails (it may need rules of that file)
    are summed up in one problem instead of one each.
    """
    runner = ExampleRunner(ruleset, extract)
    invalid = [s for s in states if not s.valid]
    crashed: list[Outcome] = []
    for state in states:
        if not state.valid or state.parsed is None:
            continue
        if only is not None and state.path.parent.resolve() not in only:
            continue
        for outcome in runner.run_all(examples_of(state.parsed, state.where, state.path)):
            report.outcomes.append(outcome)
            if invalid and outcome.crashed:
                crashed.append(outcome)
                continue
            problem = _outcome_problem(outcome)
            if problem is not None:
                report.problems.append(problem)
    if crashed:
        first = crashed[0]
        names = ", ".join(s.path.name for s in invalid)
        report.problems.append(Problem(
            str(first.file), first.line, first.example.col, first.rule_id,
            f"{len(crashed)} examples could not run while {names} is invalid "
            f"(first: {first.message})", code="example"))


def _outcome_problem(outcome: Outcome) -> Problem | None:
    ex = outcome.example
    if ex.kind == "todo":
        if not outcome.ok:
            return None
        return Problem(str(ex.file), ex.line, ex.col, ex.rule_id, outcome.message, "warning",
                       "todo-passes")
    if outcome.ok:
        return None
    return Problem(str(ex.file), ex.line, ex.col, ex.rule_id, outcome.message, "error", "example")


def check_file(path: Path, problems: list[Problem], timeout: float | None = SLOW_SECONDS,
               limits: RuleLimits | None = None) -> FileState:
    """Validate, compile and lint one file, appending what is wrong to `problems`.

    `timeout=None` skips timing the patterns."""
    state = FileState(path)
    lim = limits or RuleLimits()
    try:
        state.text = read_rule_text(path, lim)
        state.parsed, state.where = parse_rule_text(state.text, str(path), lim)
    except RuleFileError as exc:
        first = Problem(str(path), exc.line_no, exc.col, exc.rule_id, exc.message, code="schema")
        more = schema_problems(state.text, str(path), lim) if state.text is not None else []
        problems.extend(more or [first])
        state.valid = False
        return state
    for i, rule in enumerate(state.parsed.rules):
        at = _at(state, i)
        try:
            compiled = compile_rule(rule, state.parsed.concern, path, at(())[0])
        except RuleFileError as exc:
            line, col = at(("pattern",))
            problems.append(Problem(str(path), line, col, rule.id, exc.message, code="pattern"))
            state.valid = False
            continue
        state.compiled.append(compiled)
        problems.extend(lint_rule(rule, str(path), at))
        slow = slow_input(compiled, timeout) if timeout is not None else None
        if slow is not None:
            line, col = at(("pattern",) if rule.pattern else ())
            problems.append(Problem(str(path), line, col, rule.id,
                                    f"pattern too slow (over {timeout:g} s on {slow})",
                                    code="slow"))
    return state


def schema_problems(text: str, name: str, limits: RuleLimits) -> list[Problem]:
    """Every schema error of a file that parses as YAML (`parse_rule_text` stops at the first)."""
    try:
        data, where = compose(text, name, limits)
        RuleFile.model_validate(data)
    except RuleFileError:
        return []  # parse_rule_text's own message says it
    except ValidationError as exc:
        out: dict[tuple[int, int, str], Problem] = {}
        for err in exc.errors():
            loc = tuple(err["loc"])
            line, col = _nearest(where, loc)
            what = err["msg"] if err["type"] != "extra_forbidden" else f"unknown key {loc[-1]!r}"
            message = f"{'.'.join(str(p) for p in loc)}: {what}"
            out.setdefault((line, col, message), Problem(
                name, line, col, _rule_id_at(data, loc), message, code="schema"))
        return list(out.values())
    return []


def _at(state: FileState, i: int) -> Any:
    """A function giving the (line, col) of a path inside rule `i`, or of its nearest parent."""
    def at(sub: tuple[Any, ...]) -> tuple[int, int]:
        loc: tuple[Any, ...] = ("rules", i, *sub)
        while len(loc) > 2 and loc not in state.where:
            loc = loc[:-1]
        return state.where.get(loc, (1, 1))

    return at


def lint_rule(rule: Rule, file: str, at: Any) -> list[Problem]:
    """Duplicate words or table keys (tone-folded, casefolded) and missing examples."""
    out: list[Problem] = []
    seen: dict[str, str] = {}
    for j, word in enumerate(rule.words):
        key = _fold(word)
        if key in seen:
            line, col = at(("words", j))
            out.append(Problem(file, line, col, rule.id,
                               f"word {word!r} listed twice (as {seen[key]!r})", code="dup-word"))
        seen.setdefault(key, word)
    keys: dict[str, str] = {}
    for name in rule.table:
        key = _fold(name)
        if key in keys:
            line, col = at(("table", name))
            out.append(Problem(file, line, col, rule.id,
                               f"table key {name!r} listed twice (as {keys[key]!r})",
                               code="dup-word"))
        keys.setdefault(key, name)
    line, col = at(())
    if not rule.examples.match:
        out.append(Problem(file, line, col, rule.id, "no match example", code="no-example"))
    if not rule.examples.no_match:
        out.append(Problem(file, line, col, rule.id, "no no_match example", code="no-example"))
    return out


def _fold(text: str) -> str:
    return " ".join(fold_tones(text).casefold().split())


def _duplicate_ids(states: Sequence[FileState]) -> list[Problem]:
    """Ids defined twice in one directory, and aliases that still name a live rule there."""
    out: list[Problem] = []
    first: dict[str, tuple[Path, int]] = {}
    for state in states:
        for i, rule in enumerate(state.parsed.rules if state.parsed else ()):
            line, col = _at(state, i)(("id",))
            if rule.id in first:
                where = _short_where(*first[rule.id], state.path)
                out.append(Problem(str(state.path), line, col, rule.id,
                                   f"duplicate rule id (first defined at {where})",
                                   code="dup-id"))
            first.setdefault(rule.id, (state.path, line))
    for state in states:
        for i, rule in enumerate(state.parsed.rules if state.parsed else ()):
            for alias in rule.aliases:
                if alias in first:
                    line, col = _at(state, i)(("aliases",))
                    where = _short_where(*first[alias], state.path)
                    out.append(Problem(str(state.path), line, col, rule.id,
                                       f"alias {alias!r} is still a rule id (at {where})",
                                       code="dup-id"))
    return out


def _overrides(earlier: Sequence[FileState], later: Sequence[FileState]) -> list[Problem]:
    """Warn when a rule replacing one of an earlier directory drops some of its words or keys:
    a replacement is whole, so a user's copy of a table must keep the shipped entries."""
    before = {c.id: c for s in earlier for c in s.compiled}
    out: list[Problem] = []
    for state in later:
        for i, rule in enumerate(state.parsed.rules if state.parsed else ()):
            old = before.get(rule.id)
            if old is None:
                continue
            lost = ({_fold(w) for w in old.rule.words} - {_fold(w) for w in rule.words}) | (
                {_fold(k) for k in old.rule.table} - {_fold(k) for k in rule.table})
            if lost:
                line, col = _at(state, i)(("id",))
                sample = ", ".join(repr(w) for w in sorted(lost)[:3])
                more = ", ..." if len(lost) > 3 else ""
                out.append(Problem(
                    str(state.path), line, col, rule.id,
                    f"replaces {old.file.parent.name}/{old.file.name}:{old.line} and drops "
                    f"{len(lost)} of its entries ({sample}{more}); a replacement is whole: "
                    "copy the entries you keep", "warning", "override"))
    return out


def _short_where(path: Path, line: int, current: Path) -> str:
    return f"line {line}" if path == current else f"{path.name}:{line}"


def assemble(states: Sequence[FileState]) -> RuleSet:
    """The merged rule set of whatever compiled, in load order (as `load_rules` merges)."""
    rules: dict[str, CompiledRule] = {}
    ref = DEFAULT_REFERENCE_DATE
    digest = hashlib.sha256()
    for state in states:
        if state.parsed is None:
            continue
        digest.update((state.text or "").encode("utf-8"))
        ref = state.parsed.reference_date or ref
        for compiled in state.compiled:
            rules[compiled.id] = compiled
            for old in compiled.rule.aliases:
                rules.pop(old, None)
    files = tuple(s.path for s in states if s.parsed is not None)
    return RuleSet(files, rules, ref, digest.hexdigest()[:16])


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _identical(a: Path, b: Path) -> bool:
    try:
        return (b.is_file() and a.stat().st_size == b.stat().st_size
                and a.read_bytes() == b.read_bytes())
    except OSError:
        return False
