"""The checks of rule files one by one, and across the files of a directory: YAML and schema,
fragments, patterns (compiled and timed), duplicates, lint."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.fragments import bare_layout
from kttt_extract.ruleset.load import (
    collect_fragments,
    compile_rule,
    parse_rule_text,
    rule_id_at,
    rule_positions,
)
from kttt_extract.ruleset.ruletext import RuleLimits, nearest, read_rule_text
from kttt_extract.ruleset.schema import Rule, RuleFile
from kttt_extract.ruleset.yamlread import compose
from kttt_extract.ruletools.report import FileState, Problem
from kttt_extract.ruletools.timing import SLOW_SECONDS, slow_input
from kttt_extract.textnorm import fold_tones


def read_state(path: Path, problems: list[Problem], limits: RuleLimits | None = None
               ) -> FileState:
    """Read and validate one file (every schema error of it is reported)."""
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


def compile_state(state: FileState, fragments: dict[str, str], problems: list[Problem],
                  timeout: float | None = SLOW_SECONDS) -> None:
    """Compile and lint the rules of a read file (`timeout=None`: patterns are not timed)."""
    if state.parsed is None:
        return
    positions = rule_positions(state.where)
    for i, rule in enumerate(state.parsed.rules):
        try:
            compiled = compile_rule(rule, state.parsed.concern, state.path, state.at(i)[0],
                                    fragments=fragments, where=positions.get(i, {}))
        except RuleFileError as exc:
            problems.append(Problem(str(state.path), exc.line_no, exc.col, rule.id, exc.message,
                                    code="pattern"))
            state.valid = False
            continue
        state.compiled.append(compiled)
        problems.extend(lint_rule(rule, state, i))
        slow = slow_input(compiled, timeout) if timeout is not None else None
        if slow is not None:
            problems.append(state.problem(i, ("pattern",) if rule.pattern else (),
                                          f"pattern too slow (over {timeout:g} s on {slow})",
                                          "slow"))


def check_file(path: Path, problems: list[Problem], timeout: float | None = SLOW_SECONDS,
               limits: RuleLimits | None = None,
               fragments: dict[str, str] | None = None) -> FileState:
    """Validate, compile and lint one file on its own (with the fragments given, else its own)."""
    state = read_state(path, problems, limits)
    own = dict(state.parsed.fragments) if state.parsed is not None else {}
    compile_state(state, {**own, **(fragments or {})}, problems, timeout)
    return state


def schema_problems(text: str, name: str, limits: RuleLimits) -> list[Problem]:
    """Every schema error of a file that parses as YAML (`parse_rule_text` stops at the first)."""
    try:
        composed = compose(text, name, limits)
        RuleFile.model_validate(composed.data)
    except RuleFileError:
        return []  # parse_rule_text's own message says it
    except ValidationError as exc:
        out: dict[tuple[int, int, str], Problem] = {}
        for err in exc.errors():
            loc = tuple(err["loc"])
            line, col = nearest(composed.where, loc)
            what = err["msg"] if err["type"] != "extra_forbidden" else f"unknown key {loc[-1]!r}"
            message = f"{'.'.join(str(p) for p in loc)}: {what}"
            out.setdefault((line, col, message), Problem(
                name, line, col, rule_id_at(composed.data, loc), message, code="schema"))
        return list(out.values())
    return []


def fragment_problems(folders: Sequence[Sequence[FileState]]
                      ) -> tuple[dict[str, str], list[Problem]]:
    """The fragments in force (a later directory replaces a name) and what is wrong with them:
    a name defined twice in one directory, spaces, a pattern that does not compile."""
    files = [(state.path.parent, state.path, state.parsed, state.where)
             for folder in folders for state in folder if state.parsed]
    merged, found = collect_fragments(files)
    return merged, [Problem(str(path), line, col, None, message, code="fragment")
                    for path, line, col, message in found]


def lint_rule(rule: Rule, state: FileState, i: int) -> list[Problem]:
    """Duplicate words or table keys (tone-folded, casefolded), missing examples, and spaces in
    a one-line pattern that look like layout (a one-line pattern is taken as written)."""
    out: list[Problem] = []
    seen: dict[str, str] = {}
    for j, word in enumerate(rule.words):
        key = _fold(word)
        if key in seen:
            out.append(state.problem(i, ("words", j), f"word {word!r} listed twice (as "
                                                      f"{seen[key]!r})", "dup-word"))
        seen.setdefault(key, word)
    keys: dict[str, str] = {}
    for name in rule.table:
        key = _fold(name)
        if key in keys:
            out.append(state.problem(i, ("table", name), f"table key {name!r} listed twice "
                                                         f"(as {keys[key]!r})", "dup-word"))
        keys.setdefault(key, name)
    if not rule.examples.match:
        out.append(state.problem(i, (), "no match example", "no-example"))
    if not rule.examples.no_match:
        out.append(state.problem(i, (), "no no_match example", "no-example"))
    if rule.pattern is not None and rule.verbose is False and _layout_spaces(rule.pattern):
        out.append(state.problem(
            i, ("pattern",), "a space beside | ( or ) in a one-line pattern is matched as "
            "written; to lay a pattern out, write it as a block (pattern: |) or set verbose: "
            "true", "pattern-space", "warning"))
    return out


def _layout_spaces(source: str) -> bool:
    """Whether a bare space of `source` stands beside `|`, `(` or `)`: layout, not text."""
    for i in bare_layout(source):
        around = source[max(0, i - 1):i] + source[i + 1:i + 2]
        if any(c in "|()" for c in around):
            return True
    return False


def _fold(text: str) -> str:
    return " ".join(fold_tones(text).casefold().split())


def duplicate_ids(states: Sequence[FileState]) -> list[Problem]:
    """Ids defined twice in one directory, and aliases that still name a live rule there."""
    out: list[Problem] = []
    first: dict[str, tuple[Path, int]] = {}
    for state in states:
        for i, rule in enumerate(state.parsed.rules if state.parsed else ()):
            line, _ = state.at(i, ("id",))
            if rule.id in first:
                where = _short_where(*first[rule.id], state.path)
                out.append(state.problem(i, ("id",), f"duplicate rule id (first defined at "
                                                     f"{where})", "dup-id"))
            first.setdefault(rule.id, (state.path, line))
    for state in states:
        for i, rule in enumerate(state.parsed.rules if state.parsed else ()):
            for alias in rule.aliases:
                if alias in first:
                    where = _short_where(*first[alias], state.path)
                    out.append(state.problem(i, ("aliases",), f"alias {alias!r} is still a "
                                                              f"rule id (at {where})", "dup-id"))
    return out


def overrides(earlier: Sequence[FileState], later: Sequence[FileState]) -> list[Problem]:
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
                sample = ", ".join(repr(w) for w in sorted(lost)[:3])
                more = ", ..." if len(lost) > 3 else ""
                out.append(state.problem(
                    i, ("id",),
                    f"replaces {old.file.parent.name}/{old.file.name}:{old.line} and drops "
                    f"{len(lost)} of its entries ({sample}{more}); a replacement is whole: "
                    "copy the entries you keep", "override", "warning"))
    return out


def _short_where(path: Path, line: int, current: Path) -> str:
    return f"line {line}" if path == current else f"{path.name}:{line}"
