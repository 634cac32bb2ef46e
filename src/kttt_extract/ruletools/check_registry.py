"""Checks of the registry of organisations (`registry` rules), across all files in force.

- a name listed by two entries (in one rule or two);
- a spelling or abbreviation (`table` key) that maps to two names, or that is another entry's
  name, or that maps to a name no entry has;
- an entry that no `match` example of its rule names (`expect.name` or `expect.parent`
  starting with the entry's name).

The `emit` keys and values of registry rules are checked with every other rule's, against the
slots of the registry (kttt_extract.extractors.registry.RegistryRules).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kttt_extract.extractors.registry import RegistryEmit, entries_of, name_key
from kttt_extract.ruleset.vocab import validate_emit
from kttt_extract.ruletools.report import FileState, Problem


def registry_problems(states: Sequence[FileState]) -> list[Problem]:
    """Every problem of the registry rules of `states` (in load order)."""
    rules = [(state, i, rule) for state in states if state.parsed is not None
             and state.parsed.concern == "registry" for i, rule in enumerate(state.parsed.rules)]
    out: list[Problem] = []
    names: dict[str, tuple[str, str]] = {}  # key -> (name, where first)
    for state, i, rule in rules:
        emit = validate_emit(RegistryEmit, rule.emit)[0] or RegistryEmit()
        for j, (_, entry) in enumerate(entries_of(rule.id, rule.words, emit, False)):
            key = name_key(entry.name)
            if key in names:
                out.append(_problem(state, i, ("words", j), rule.id,
                                    f"name {entry.name!r} listed twice (first in {names[key][1]})",
                                    "registry-dup"))
                continue
            names[key] = (entry.name, f"{Path(state.path).name}: {rule.id}")
            if not _has_example(entry.name, rule.examples.match):
                out.append(_problem(state, i, ("words", j), rule.id,
                                    f"entry {entry.name!r} has no match example naming it",
                                    "no-example"))
    out.extend(_table_problems(rules, names))
    return out


def _table_problems(rules: list[tuple[FileState, int, Any]], names: dict[str, tuple[str, str]]
                    ) -> Iterator[Problem]:
    spellings: dict[str, str] = {}
    for state, i, rule in rules:
        for form, target in rule.table.items():
            key, target_key = name_key(form), name_key(target)
            if target_key not in names:
                yield _problem(state, i, ("table", form), rule.id,
                               f"{form!r} maps to {target!r}, which no registry entry names",
                               "registry-target")
            elif key in names and key != target_key:
                yield _problem(state, i, ("table", form), rule.id,
                               f"{form!r} is the name of an entry, not a spelling of {target!r}",
                               "registry-dup")
            elif spellings.setdefault(key, target_key) != target_key:
                first = names[spellings[key]][0]
                yield _problem(state, i, ("table", form), rule.id,
                               f"{form!r} maps to two names: {first!r} and {target!r}",
                               "registry-abbreviation")


def _has_example(name: str, examples: Sequence[Any]) -> bool:
    key = name_key(name).split()
    for ex in examples:
        for field in ("name", "parent"):
            value = ex.expect.get(field)
            if isinstance(value, str) and name_key(value).split()[:len(key)] == key:
                return True
    return False


def _problem(state: FileState, i: int, sub: tuple[Any, ...], rule_id: str, message: str,
             code: str) -> Problem:
    line, col = state.at(i, sub)
    return Problem(str(state.path), line, col, rule_id, message, code=code)
