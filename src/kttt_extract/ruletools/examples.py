"""Run the inline examples of rule files through the whole pipeline: the one place that does it.

An example's text goes through `pipeline.extract_text` with the rule set in force, and the items
attributable to the rule are compared with the example's `expect`:

- a rule that produces items (sections, targets, deadlines, references, agency mentions, tasks)
  owns the items whose `rule` (or a section's `kind_rule`) is its id;
- a metadata rule owns the `document` (its fields are the item);
- a lookup table (`emit: {lookup: true}`), a `numbers`/`layout`/`encodings` rule, or a word or
  table rule that no item names, is read through other rules: a `match` example passes when any
  item of the result satisfies `expect` (or, with no `expect`, when the rule's pattern matches);
- section rules that place no heading (`body.end`) are checked by their pattern alone.

`match` passes when some owned item has every key of `expect` equal; `no_match` when the rule owns
no item (for a rule read through other rules: when no item sets a field its `match` examples
test; for a pattern-only rule: when its pattern does not match); `todo` is run like `match` and
reported, never failing.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kttt_extract.model import Document, Result
from kttt_extract.ruleset.load import CompiledRule, RuleSet, read_rule_file
from kttt_extract.ruleset.schema import RuleFile
from kttt_extract.textnorm import fold_tones

ExampleKind = Literal["match", "no_match", "todo"]
Item = Mapping[str, Any]
Extractor = Callable[[str, RuleSet], Result]
Mode = Literal["direct", "document", "indirect", "structural"]

INDIRECT_CONCERNS = frozenset({"numbers", "layout", "encodings"})
KINDS: tuple[ExampleKind, ...] = ("match", "no_match", "todo")
_DOC_FIELDS = frozenset(Document.model_fields)


@dataclass(frozen=True)
class Example:
    """One inline example of a rule, with where it is written."""

    file: Path
    rule_id: str
    kind: ExampleKind
    index: int  # 1-based within its kind
    text: str
    expect: Mapping[str, Any]
    line: int
    col: int

    @property
    def test_id(self) -> str:
        """`deadlines/deadline.quarter-end/match-2`: the id of its generated test."""
        return f"{self.file.stem}/{self.rule_id}/{self.kind}-{self.index}"


@dataclass(frozen=True)
class Outcome:
    """What running one example gave; `ok` says whether its expectation held."""

    example: Example
    ok: bool
    message: str
    crashed: bool = False  # extraction itself failed, so the rule was never tried

    @property
    def passed(self) -> bool:
        """False only for a failing `match` or `no_match`; a todo never fails."""
        return self.ok or self.example.kind == "todo"

    @property
    def rule_id(self) -> str:
        return self.example.rule_id

    @property
    def file(self) -> Path:
        return self.example.file

    @property
    def line(self) -> int:
        return self.example.line

    @property
    def kind(self) -> ExampleKind:
        return self.example.kind


def examples_of(parsed: RuleFile, where: Mapping[tuple[Any, ...], tuple[int, int]], path: Path
                ) -> list[Example]:
    """Every example of a parsed rule file, positioned by the line map of `read_rule_file`."""
    out: list[Example] = []
    for i, rule in enumerate(parsed.rules):
        for kind in KINDS:
            for j, ex in enumerate(getattr(rule.examples, kind)):
                text, expect = (ex, {}) if isinstance(ex, str) else (ex.text, ex.expect)
                line, col = _position(where, ("rules", i, "examples", kind, j))
                out.append(Example(path, rule.id, kind, j + 1, text, expect, line, col))
    return out


def read_examples(path: Path) -> list[Example]:
    """The examples of one rule file (raises RuleFileError if the file is invalid)."""
    parsed, where = read_rule_file(path)
    return examples_of(parsed, where, path)


def _position(where: Mapping[tuple[Any, ...], tuple[int, int]], loc: tuple[Any, ...]
              ) -> tuple[int, int]:
    while loc and loc not in where:
        loc = loc[:-1]
    return where.get(loc, (1, 1))


def pipeline_extractor(text: str, rules: RuleSet) -> Result:
    """The default extractor: the whole pipeline on a Markdown string."""
    from kttt_extract.pipeline import extract_text

    return extract_text(text, rules=rules)


class ExampleRunner:
    """Runs examples against one rule set, extracting each distinct text once."""

    def __init__(self, rules: RuleSet, extract: Extractor | None = None) -> None:
        self.rules = rules
        self.extract = extract or pipeline_extractor
        self._cache: dict[str, Result | str] = {}

    def result(self, text: str) -> Result | str:
        """The result for `text`, or the error message when extraction failed."""
        if text not in self._cache:
            try:
                self._cache[text] = self.extract(text, self.rules)
            except Exception as exc:
                # anyone's, and whatever they make the pipeline do is this example's failure,
                # never the end of the check
                self._cache[text] = f"extraction failed: {_why(exc)}"
        return self._cache[text]

    def run(self, example: Example) -> Outcome:
        """Run one example of a rule that is in force."""
        rule = self.rules.rules.get(example.rule_id)
        if rule is None:
            return Outcome(example, False, "rule is not in the rule set (retired by an alias?)",
                           crashed=True)
        result = self.result(example.text)
        if isinstance(result, str):
            return Outcome(example, False, result, crashed=True)
        if example.kind == "no_match":
            ok, detail = _check_no_match(rule, example, result)
        else:
            ok, detail = _check_match(rule, example, result)
        return Outcome(example, ok, _message(example, ok, detail))

    def run_all(self, examples: Iterable[Example]) -> list[Outcome]:
        """Run the examples of rules whose definition in force is the one beside the example."""
        return [self.run(ex) for ex in examples if self.owns(ex)]

    def owns(self, example: Example) -> bool:
        """False when the rule was replaced by a rule of another file (or retired)."""
        rule = self.rules.rules.get(example.rule_id)
        return rule is not None and rule.file == example.file


def _why(exc: Exception) -> str:
    """An exception in one line: a RuleFileError with its position, others with their type."""
    line = getattr(exc, "line", None)
    if callable(line):
        return str(line())
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _message(example: Example, ok: bool, detail: str) -> str:
    what = f"{example.kind} example {example.index}"
    if example.kind == "todo":
        return "todo: now passes" if ok else f"todo: still fails: {detail}"
    return f"{what} passes" if ok else f"{what} fails: {detail} (text: {example.text!r})"


def mode(rule: CompiledRule) -> Mode:
    """How the items of a rule are found in a result (see the module docstring)."""
    emit = rule.rule.emit
    if emit.get("lookup") or rule.concern in INDIRECT_CONCERNS:
        return "indirect"
    if rule.concern == "metadata":
        return "document"
    if rule.concern == "sections" and not ({"rank", "kind"} & emit.keys()):
        return "structural"
    return "direct"


def _check_match(rule: CompiledRule, example: Example, result: Result) -> tuple[bool, str]:
    expect = example.expect
    how = mode(rule)
    items = attributed(result, rule.id)
    if how == "direct" and not items and rule.rule.pattern is None:
        how = "indirect"  # a word list or table read by other rules
    if not expect:
        if items:
            return True, ""
        if how == "direct":
            return False, _nothing(result, rule.id)
        found = _pattern_matches(rule, example.text)
        return found, "" if found else "the rule's pattern does not match"
    if how == "document":
        items = [*items, document_item(result.document)]
    elif how != "direct":
        items = all_items(result)
    if not items:
        return False, _nothing(result, rule.id)
    if any(satisfies(item, expect) for item in items):
        return True, ""
    return False, _closest(items, expect)


def _check_no_match(rule: CompiledRule, example: Example, result: Result) -> tuple[bool, str]:
    how = mode(rule)
    if how == "indirect":
        return _indirect_no_match(rule, example, result)
    if how == "structural":
        return _no_pattern_match(rule, example.text)
    items = attributed(result, rule.id)
    if how == "document":
        filled = _filled_fields(rule, result.document)
        if filled is None:
            return _no_pattern_match(rule, example.text)
        if filled:
            return False, "document fields set: " + ", ".join(sorted(filled))
    if items:
        return False, "produced " + _brief(items[0])
    return True, ""


def _indirect_no_match(rule: CompiledRule, example: Example, result: Result
                       ) -> tuple[bool, str]:
    """No item carries a value for the fields the rule's match examples test (or, when they
    test none, the rule's own pattern does not match)."""
    keys = sorted({k for ex in rule.rule.examples.match for k in ex.expect})
    if not keys:
        return _no_pattern_match(rule, example.text) if rule.rule.pattern else (True, "")
    for item in all_items(result):
        hit = [k for k in keys if _has_value(item.get(k))]
        if hit:
            what = item.get("rule") or "the document"
            return False, f"{what} set {hit[0]}={_show(item[hit[0]])}"
    return True, ""


def _has_value(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_value(v) for v in value.values())
    return value not in (None, "", (), [], False)


def _no_pattern_match(rule: CompiledRule, text: str) -> tuple[bool, str]:
    found = _pattern_matches(rule, text)
    return not found, "the rule's pattern matches" if found else ""


def _filled_fields(rule: CompiledRule, document: Document) -> set[str] | None:
    """Document fields the rule writes that are set; None when the rule names no field."""
    names = set(rule.regex.groupindex)
    if isinstance(rule.rule.emit.get("field"), str):
        names.add(rule.rule.emit["field"])
    fields = names & _DOC_FIELDS
    if not fields:
        return None
    data = document_item(document)
    return {f for f in fields if _has_value(data.get(f))}


def _pattern_matches(rule: CompiledRule, text: str) -> bool:
    target = fold_tones(text) if (rule.rule.words or rule.rule.table) else text
    return rule.regex.search(target, timeout=5.0) is not None


def attributed(result: Result, rule_id: str) -> list[Item]:
    """The items of a result that name `rule_id` as the rule that produced them."""
    items: list[Item] = [
        s.model_dump() for s in result.sections if rule_id in (s.rule, s.kind_rule)
    ]
    for seq in (result.targets, result.deadlines, result.document.references):
        items.extend(x.model_dump() for x in seq if x.rule == rule_id)
    items.extend(i for i in task_items(result) if i["rule"] == rule_id)
    items.extend(i for i in agency_items(result) if rule_id in (i["rule"], i["role_rule"]))
    return items


def task_items(result: Result) -> list[Item]:
    """One item per task, with the names of its units and the dates of its deadlines beside
    their ids: `leads`, `supports`, `monitors`, `reports_to`, `dates`."""
    names = {a.id: a.name for a in result.agencies}
    dates = {d.id: d.date or d.day or d.kind for d in result.deadlines}
    return [{**t.model_dump(),
             "leads": [names.get(i, i) for i in t.lead],
             "supports": [names.get(i, i) for i in t.support],
             "monitors": [names.get(i, i) for i in t.monitor],
             "reports_to": [names.get(i, i) for i in t.report_to],
             "dates": [dates.get(i, i) for i in t.deadlines]} for t in result.tasks]


def agency_items(result: Result) -> list[Item]:
    """One item per agency mention: the agency's fields with the mention's role, span and rule."""
    out: list[Item] = []
    for agency in result.agencies:
        base = agency.model_dump(exclude={"mentions"})
        roles = tuple(dict.fromkeys(m.role for m in agency.mentions))
        for m in agency.mentions:
            out.append({**base, "roles": roles, **m.model_dump()})
    return out


def document_item(document: Document) -> dict[str, Any]:
    return document.model_dump()


def all_items(result: Result) -> list[Item]:
    """Every item of a result, of any list, and the document."""
    items: list[Item] = [s.model_dump() for s in result.sections]
    for seq in (result.targets, result.deadlines, result.document.references):
        items.extend(x.model_dump() for x in seq)
    return [*items, *task_items(result), *agency_items(result), document_item(result.document)]


def satisfies(item: Item, expect: Mapping[str, Any]) -> bool:
    """Every key of `expect` is in `item` with an equal value."""
    return all(key in item and same(value, item[key]) for key, value in expect.items())


def same(expected: Any, actual: Any) -> bool:
    """Equality for examples: numbers numerically, lists equal to tuples, strings exactly."""
    if isinstance(expected, dt.date):
        expected = expected.isoformat()
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and math.isclose(
            float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, list | tuple):
        return (isinstance(actual, list | tuple) and len(expected) == len(actual)
                and all(same(e, a) for e, a in zip(expected, actual, strict=True)))
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and satisfies(actual, expected)
    return bool(expected == actual)


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        value = value.isoformat()
    return json.dumps(value, ensure_ascii=False, default=str)


def _closest(items: Sequence[Item], expect: Mapping[str, Any]) -> str:
    """Say how the item that agrees on most keys differs from `expect`."""
    having = [i for i in items if all(k in i for k in expect)]
    if not having:
        return "no item has the field(s) " + ", ".join(k for k in expect)

    def agree(item: Item) -> int:
        return sum(1 for k, v in expect.items() if same(v, item[k]))

    best = max(having, key=agree)
    diffs = [f"{k}: expected {_show(v)}, got {_show(best[k])}"
             for k, v in expect.items() if not same(v, best[k])]
    return "; ".join(diffs)


def _nothing(result: Result, rule_id: str) -> str:
    others = sorted({str(i.get("rule")) for i in all_items(result) if i.get("rule")} - {rule_id})
    tail = f" (found instead: {', '.join(others)})" if others else ""
    return f"no item from {rule_id}{tail}"


def _brief(item: Item) -> str:
    keys = [k for k in ("text", "number", "heading", "name", "kind", "date") if item.get(k)]
    return ", ".join(f"{k}={_show(item[k])}" for k in keys[:3]) or _show(dict(item))[:80]
