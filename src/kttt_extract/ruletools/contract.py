"""The rules held against the stages that read them (their slots, ruleset.slots).

Per stage: a rule the stage reads by id that is missing, a rule without the body the stage reads
(`words`, a `table`), a table value or an `emit` value outside the vocabulary, a required `emit`
key or named group that is missing. Across all stages: a rule no stage reads, an `emit` key no
stage reads from that rule, a named group no stage reads. Each positioned in its file, with a
"did you mean" where a close spelling exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kttt_extract.ruleset.load import CompiledRule, RuleSet
from kttt_extract.ruleset.slots import Slots, Use
from kttt_extract.ruleset.vocab import did_you_mean, named_groups
from kttt_extract.ruletools.report import Problem


@dataclass
class Contract:
    """What the check found: the problems, and the rules whose problems stop a stage from
    binding (left out of the rule set the examples run with, so that an earlier definition of
    the same id shows through)."""

    problems: list[Problem] = field(default_factory=list)
    broken: set[tuple[str, str]] = field(default_factory=set)  # (file, rule id)


def check_contract(rules: RuleSet, stages: Sequence[type[Slots]]) -> Contract:
    """Every rule of `rules` held against the slots of `stages`."""
    found = Contract()
    seen: set[tuple[str, int, int, str]] = set()
    for stage in stages:
        for p in stage.problems(rules):
            if (p.file, p.line, p.col, p.message) in seen:
                continue
            seen.add((p.file, p.line, p.col, p.message))
            found.problems.append(Problem(p.file, p.line, p.col, p.rule_id, p.message,
                                          code="slot"))
            rule = rules.rules.get(p.rule_id or "")
            if rule is not None and str(rule.file) == p.file:
                found.broken.add((p.file, rule.id))
    uses: dict[str, list[Use]] = {}
    for stage in stages:
        for use in stage.uses(rules):
            uses.setdefault(use.rule.id, []).append(use)
    for rule in rules.rules.values():
        read = uses.get(rule.id)
        if read is None:
            found.problems.append(_unread(rule, rules, stages, uses))
            continue
        found.problems += _emit_keys(rule, read) + _groups(rule, read)
    return found


def _problem(rule: CompiledRule, path: tuple[str, ...], message: str, code: str) -> Problem:
    line, col = rule.at(path)
    return Problem(str(rule.file), line, col, rule.id, message, code=code)


def _unread(rule: CompiledRule, rules: RuleSet, stages: Sequence[type[Slots]],
            uses: dict[str, list[Use]]) -> Problem:
    by_id = sorted(i for i, us in uses.items() if any(u.by_id for u in us)
                   and rules.rules[i].concern == rule.concern)
    families = [f"{stage.stage} reads {family.describe()}" for stage in stages
                for family in stage.families() if family.concern == rule.concern]
    if rule.rule.emit.get("lookup") or not families:
        hint = did_you_mean(rule.id, by_id) or (
            f" (rules of concern {rule.concern!r} are read by their id)" if by_id else "")
        return _problem(rule, ("id",), f"no stage reads this rule{hint}", "unread")
    return _problem(rule, ("id",), f"no stage reads this rule: {'; '.join(families)}"
                                   f"{did_you_mean(rule.id, by_id)}", "unread")


def _emit_keys(rule: CompiledRule, read: Iterable[Use]) -> list[Problem]:
    allowed = {key for use in read for key in use.emit}
    out = []
    for key in rule.rule.emit:
        if key == "lookup" or key in allowed:
            continue
        known = ", ".join(sorted(allowed)) or "none"
        out.append(_problem(rule, ("emit", key),
                            f"emit.{key}: no stage reads this key from this rule"
                            f"{did_you_mean(key, allowed)} (read: {known})", "emit-key"))
    return out


def _groups(rule: CompiledRule, read: Iterable[Use]) -> list[Problem]:
    if rule.rule.pattern is None:
        return []
    allowed = {group for use in read for group in use.groups}
    out = []
    for group in sorted(named_groups(rule.regex) - allowed):
        known = ", ".join(sorted(allowed)) or "none"
        out.append(_problem(rule, ("pattern",),
                            f"the named group {group!r} is never read{did_you_mean(group, allowed)}"
                            f" (read: {known}); make it (?:...) if it only groups", "group"))
    return out
