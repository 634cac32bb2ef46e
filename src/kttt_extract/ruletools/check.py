"""Check rule directories: validate every file, lint, time the patterns, hold the rules against
the stages that read them, then run the examples (and, `strict`, each rule switched off).

Every problem is reported, not only the first, as `file:line:col: rule-id: message`. Files are
validated first (YAML, schema, fragments, patterns); the examples of a file that is invalid are
not run, and a rule that does not fit the stage that reads it is left out of the rule set the
examples run with (an earlier definition of its id shows through). An example whose extraction
fails, however, fails alone: the check goes on.

Checking a user directory (`kttt rules check my-rules/`) checks it *together with the shipped
rules it extends*, in the order `kttt extract --rules my-rules/` loads them: the shipped files are
validated too, the user's rules replace shipped rules of the same id, and the shipped examples of
rules that were not replaced are run against the merged set (an added rule can steal a shipped
rule's match). Duplicate ids are errors within one directory, an override across directories.
A shipped file byte-identical to a user file of the same name (a copy being edited) is skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.load import (
    DEFAULT_REFERENCE_DATE,
    CompiledRule,
    RuleSet,
    shipped_rules_dir,
)
from kttt_extract.ruleset.ruletext import RuleLimits
from kttt_extract.ruleset.slots import Slots
from kttt_extract.ruletools.check_registry import registry_problems
from kttt_extract.ruletools.contract import check_contract
from kttt_extract.ruletools.examples import ExampleRunner, Extractor, Outcome, examples_of
from kttt_extract.ruletools.files import (
    compile_state,
    duplicate_ids,
    fragment_problems,
    overrides,
    read_state,
)
from kttt_extract.ruletools.report import FileState, Problem, Report
from kttt_extract.ruletools.timing import SLOW_SECONDS

__all__ = ["Problem", "Report", "assemble", "check_dirs", "check_rules", "pipeline_stages"]


def pipeline_stages() -> tuple[type[Slots], ...]:
    """The slots of every stage of the pipeline (and of its loaders)."""
    from kttt_extract.pipeline import STAGES

    return STAGES


def check_rules(rules_dir: Path | str | None = None, *, examples: bool = True,
                timeout: float = SLOW_SECONDS, extract: Extractor | None = None,
                limits: RuleLimits | None = None, strict: bool = False) -> Report:
    """Check a user rule directory together with the shipped rules (or the shipped ones alone),
    held against the stages of the pipeline."""
    shipped = shipped_rules_dir()
    stages = pipeline_stages()
    if rules_dir is None or _same_dir(Path(rules_dir), shipped):
        return check_dirs([shipped], examples=examples, timeout=timeout, extract=extract,
                          limits=limits, stages=stages, strict=strict)
    user = Path(rules_dir)
    if not user.is_dir():
        raise RuleFileError("not a rule directory", path=str(user))
    skip = {p for p in shipped.glob("*.yaml") if _identical(p, user / p.name)}
    return check_dirs([shipped, user], examples=examples, timeout=timeout, extract=extract,
                      skip=skip, limits=limits, stages=stages, strict=strict, strict_dirs=[user])


def check_dirs(dirs: Sequence[Path], *, examples: bool = True, timeout: float = SLOW_SECONDS,
               extract: Extractor | None = None, skip: set[Path] | None = None,
               example_dirs: Sequence[Path] | None = None, limits: RuleLimits | None = None,
               stages: Sequence[type[Slots]] | None = None, strict: bool = False,
               strict_dirs: Sequence[Path] | None = None) -> Report:
    """Check directories merged in this order (no shipped rules added). `stages`: hold the
    rules against their slots (default: none, for a partial set of rules); `example_dirs` runs
    only the examples of files in those directories (default: all); `strict` switches off each
    rule of `strict_dirs` (default: the example directories) in turn."""
    report = Report()
    folders: list[list[FileState]] = []
    for folder in dirs:
        if not folder.is_dir():
            raise RuleFileError("not a rule directory", path=str(folder))
        paths = [p for p in sorted(folder.glob("*.yaml")) if p not in (skip or set())]
        folders.append([read_state(p, report.problems, limits) for p in paths])
        report.files.extend(paths)
    fragments, found = fragment_problems(folders)
    report.problems += found
    states: list[FileState] = []
    for folder_states in folders:
        for state in folder_states:
            compile_state(state, fragments, report.problems, timeout)
        report.problems += duplicate_ids(folder_states) + overrides(states, folder_states)
        states += folder_states
    report.problems += registry_problems(states)
    ruleset = assemble(states, fragments)
    broken: set[tuple[str, str]] = set()
    if stages:
        contract = check_contract(ruleset, stages)
        report.problems += contract.problems
        broken = contract.broken
    if examples or strict:
        runnable = assemble(states, fragments, broken) if broken else ruleset
        only = None if example_dirs is None else {d.resolve() for d in example_dirs}
        runner = ExampleRunner(runnable, extract)
        run_examples(states, runner, report, only, sorted({rid for _, rid in broken}))
        if strict:
            from kttt_extract.ruletools.strict import strict_problems

            dirs_off = only if strict_dirs is None else {d.resolve() for d in strict_dirs}
            report.problems += strict_problems(states, runnable, report.outcomes, extract,
                                               dirs_off)
    order = {str(p): i for i, p in enumerate(report.files)}
    report.problems.sort(key=lambda p: order.get(p.file, len(order)))  # by file, stable
    return report


def run_examples(states: Sequence[FileState], runner: ExampleRunner, report: Report,
                 only: set[Path] | None = None, broken: Sequence[str] = ()) -> None:
    """Run the examples of the valid files; failures become problems, todos that pass warnings.

    While some file (or rule) is invalid, examples whose extraction fails (they may need what
    is invalid) are summed up in one problem instead of one each.
    """
    invalid = [s.path.name for s in states if not s.valid] + list(broken)
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
        report.problems.append(Problem(
            str(first.file), first.line, first.example.col, first.rule_id,
            f"{len(crashed)} examples could not run while {', '.join(invalid)} "
            f"{'is' if len(invalid) == 1 else 'are'} invalid (first: {first.message})",
            code="example"))


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


def assemble(states: Sequence[FileState], fragments: dict[str, str] | None = None,
             leave_out: set[tuple[str, str]] | None = None) -> RuleSet:
    """The merged rule set of whatever compiled, in load order (as `load_rules` merges), without
    the rules of `leave_out` ((file, id): their id keeps an earlier definition, if any)."""
    rules: dict[str, CompiledRule] = {}
    retired: dict[str, CompiledRule] = {}
    ref = DEFAULT_REFERENCE_DATE
    digest = hashlib.sha256()
    for state in states:
        if state.parsed is None:
            continue
        digest.update((state.text or "").encode("utf-8"))
        ref = state.parsed.reference_date or ref
        for compiled in state.compiled:
            if (str(compiled.file), compiled.id) in (leave_out or set()):
                continue
            rules[compiled.id] = compiled
            for old in compiled.rule.aliases:
                rules.pop(old, None)
                retired[old] = compiled
    files = tuple(s.path for s in states if s.parsed is not None)
    return RuleSet(files, rules, ref, digest.hexdigest()[:16], dict(fragments or {}), retired)


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
