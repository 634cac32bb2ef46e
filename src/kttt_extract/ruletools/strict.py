"""`kttt rules check --strict`: the examples of each rule run again with the rule switched off
(its pattern matches nothing, its words and table are empty, its emit is kept so that every
stage still binds). A rule whose `match` and `no_match` examples all still pass is proved by none
of them: it needs an example that fails without it, or a `strict_exempt` that says why it cannot
have one. A rule that blocks (a `not-` list, a stop word) is proved by a `no_match` example: the
item it keeps out comes back when it is switched off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import regex

from kttt_extract.ruleset.load import RuleSet
from kttt_extract.ruletools.examples import Example, ExampleRunner, Extractor, Outcome
from kttt_extract.ruletools.report import FileState, Problem

_NEVER = regex.compile("(?!)")


def switched_off(rules: RuleSet, rule_id: str) -> RuleSet:
    """`rules` with one rule made inert (a new rule set: nothing bound is shared)."""
    inert = replace(rules.rules[rule_id], regex=_NEVER, lookup={}, inert=True)
    return replace(rules, rules={**rules.rules, rule_id: inert}, _built={})


def strict_problems(states: Sequence[FileState], rules: RuleSet, outcomes: Sequence[Outcome],
                    extract: Extractor | None = None, only: set[Path] | None = None
                    ) -> list[Problem]:
    """A problem for each rule (of the checked files) whose examples (`match` and `no_match`)
    all pass without it, and a warning for each `strict_exempt` that an example shows is not
    needed."""
    passed: dict[str, list[Example]] = {}
    failed: set[str] = set()
    for outcome in outcomes:
        if outcome.kind == "todo":
            continue
        if outcome.ok:
            passed.setdefault(outcome.rule_id, []).append(outcome.example)
        else:
            failed.add(outcome.rule_id)
    out: list[Problem] = []
    for state in states:
        if state.parsed is None or (only is not None and state.path.parent.resolve() not in only):
            continue
        for i, rule in enumerate(state.parsed.rules):
            examples = passed.get(rule.id, [])
            owned = rules.rules.get(rule.id)
            if not examples or rule.id in failed or owned is None or owned.file != state.path:
                continue
            runner = ExampleRunner(switched_off(rules, rule.id), extract)
            needed = [ex for ex in examples if not runner.run(ex).ok]
            if not needed and rule.strict_exempt is None:
                out.append(state.problem(
                    i, ("id",), "strict: every example passes with this rule switched off; "
                    "add one that needs it, or say why none can in `strict_exempt`",
                    "strict"))
            elif needed and rule.strict_exempt is not None:
                out.append(state.problem(
                    i, ("strict_exempt",), f"strict: {needed[0].kind} example "
                    f"{needed[0].index} fails without this rule, so `strict_exempt` is not needed",
                    "strict", "warning"))
    return out
