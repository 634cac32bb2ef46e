"""One test per inline example of the shipped rules (sqlfluff's generator).

Ids read `deadlines/deadline.quarter-end/match-2`, so `pytest -k quarter-end` runs one rule.
`todo` examples are expected failures (not strict: a todo that starts passing is reported by
`kttt rules check`, then moved to `match` by hand). An invalid rule file gives one failing test.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from kttt_extract.errors import RuleFileError
from kttt_extract.ruletools.check import assemble
from kttt_extract.ruletools.examples import Example, ExampleRunner, read_examples
from kttt_extract.ruletools.files import compile_state, fragment_problems, read_state
from kttt_extract.ruletools.report import Problem

RULES = Path(__file__).resolve().parents[1] / "rules"


def _params() -> list[object]:
    params: list[object] = []
    for path in sorted(RULES.glob("*.yaml")):
        try:
            examples = read_examples(path)
        except RuleFileError as exc:
            params.append(pytest.param(exc.line(), id=f"{path.stem}/invalid"))
            continue
        for ex in examples:
            marks = [pytest.mark.xfail(strict=False, reason="todo")] if ex.kind == "todo" else []
            params.append(pytest.param(ex, id=ex.test_id, marks=marks))
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "example" in metafunc.fixturenames:
        metafunc.parametrize("example", _params())


@cache
def runner() -> ExampleRunner:
    """The repository's rules, merged as `load_rules` merges them (patterns not timed here)."""
    problems: list[Problem] = []
    states = [read_state(p, problems) for p in sorted(RULES.glob("*.yaml"))]
    fragments, _ = fragment_problems([states])
    for state in states:
        compile_state(state, fragments, problems, timeout=None)
    return ExampleRunner(assemble(states, fragments))


def test_example(example: Example | str) -> None:
    if isinstance(example, str):
        pytest.fail(example)  # the rule file does not load
    run = runner()
    assert run.owns(example), f"{example.rule_id} is defined twice or retired by an alias"
    outcome = run.run(example)
    if not outcome.ok:
        pytest.fail(f"{example.file.name}:{example.line}: {outcome.message}", pytrace=False)
