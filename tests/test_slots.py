"""Rule slots (ruleset.slots): a stage declares what it reads and gets it bound and typed, once
per rule set; what does not fit is a positioned problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
import regex

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.load import CompiledRule, RuleSet, compile_rule, load_rules
from kttt_extract.ruleset.schema import Rule as RuleModel
from kttt_extract.ruleset.slots import Family, Matcher, Pattern, Rule, Slots, Table, Words
from kttt_extract.ruleset.vocab import Choice, Emit, integer
from kttt_extract.ruletools.strict import switched_off


def compiled(concern: str = "deadlines", line: int = 1, **fields: Any) -> CompiledRule:
    fields.setdefault("description", "a rule written for this test")
    return compile_rule(RuleModel(**fields), concern, Path("test.yaml"), line,
                        where={("emit", "kind"): (line + 3, 12), ("table", "a"): (line + 2, 9)})


def ruleset(*rules: CompiledRule) -> RuleSet:
    return RuleSet((Path("test.yaml"),), {r.id: r for r in rules}, load_rules().reference_date,
                   "test")


class PhraseEmit(Emit):
    kind: Literal["by", "recurring"]
    every: str | None = None
    refs = ("every",)


class Stage(Slots):
    stage = "the test stage"
    phrases = Family("deadlines", PhraseEmit, groups={"y": (), "n": ("unit",), "unit": ()})
    cue = Pattern("test.cue")
    words = Words("test.words")
    units = Table("test.units", integer)
    names = Matcher("test.names", Choice(("a", "b")))
    one = Rule("test.one", PhraseEmit, required=("y",))


def good() -> list[CompiledRule]:
    return [
        compiled(id="test.low", pattern=r"x(?P<y>\d)", priority=1, emit={"kind": "by"}),
        compiled(id="test.high", pattern=r"z", priority=9,
                 emit={"kind": "recurring", "every": "test.cue"}),
        compiled(id="test.lookup", pattern="w", emit={"lookup": True}),
        compiled(id="test.cue", pattern=r"hằng\s+năm", emit={"lookup": True}),
        compiled(id="test.words", words=["Trang", "page"], emit={"lookup": True}),
        compiled(id="test.units", table={"Ngày": "1", "tuần": "7"}, emit={"lookup": True}),
        compiled(id="test.names", table={"Sở": "a", "Bộ": "b"}, emit={"lookup": True}),
        compiled(concern="metadata", id="test.one", pattern=r"(?P<y>\d{4})",
                 emit={"kind": "by"}),
    ]


def test_slots_are_bound_typed() -> None:
    bound = Stage.of(ruleset(*good()))
    assert [r.id for r in bound.phrases] == ["test.high", "test.low"]  # priority, no lookup
    assert bound.phrases[0].emit == PhraseEmit(kind="recurring", every="test.cue")
    assert bound.phrases[0].refs["every"].search("báo cáo hằng năm")  # the rule it names
    assert isinstance(bound.cue, regex.Pattern)
    assert bound.words == ("Trang", "page")
    assert bound.units == {"ngày": 1, "tuần": 7}  # casefolded, one tone placement, numbers
    assert bound.names.raw == {"Sở": "a", "Bộ": "b"} and bound.names.regex.search("sở")
    assert bound.one.emit.kind == "by" and bound.one.id == "test.one"


def test_bound_once_per_rule_set_and_never_shared() -> None:
    first, second = ruleset(*good()), ruleset(*good())
    assert Stage.of(first) is Stage.of(first)
    assert Stage.of(first) is not Stage.of(second)


def test_every_problem_is_positioned_with_a_did_you_mean() -> None:
    rules = [r for r in good() if r.id not in ("test.units", "test.one")]
    rules += [
        compiled(id="test.bad", line=30, pattern=r"(?P<n>\d+)", emit={"kind": "byy"}),
        compiled(id="test.unit", line=40, table={"a": "x"}, emit={"lookup": True}),
        compiled(concern="metadata", id="test.one", line=50, pattern=r"\d{4}",
                 emit={"kind": "by"}),
        compiled(id="test.ref", line=60, pattern="q", emit={"kind": "by", "every": "test.cu"}),
    ]
    found = [(p.line, p.col, p.rule_id, p.message) for p in Stage.problems(ruleset(*rules))]
    assert found == [
        (33, 12, "test.bad", "emit.kind: 'byy' is not one of by, recurring (did you mean "
                             "'by'?)"),
        (30, 1, "test.bad", "the named group 'n' needs a group (?P<unit>...) beside it (the "
                            "test stage reads them together)"),
        (60, 1, "test.ref", "emit.every: no rule 'test.cu' in the rule set (did you mean "
                            "'test.cue'?)"),
        (1, 1, "test.units", "the test stage reads the rule 'test.units', which is not in the "
                             "rule set (did you mean 'test.unit'?)"),
        (50, 1, "test.one", "the test stage needs a named group (?P<y>...) in this pattern"),
    ]
    with pytest.raises(RuleFileError) as caught:
        Stage.bind(ruleset(*rules))
    assert caught.value.line() == ("test.yaml:33:12: test.bad: emit.kind: 'byy' is not one of "
                                   "by, recurring (did you mean 'by'?)")


def test_a_table_value_and_the_body_a_stage_reads() -> None:
    rules = [r for r in good() if r.id not in ("test.units", "test.words")]
    rules += [compiled(id="test.units", table={"a": "một"}, emit={"lookup": True}),
              compiled(id="test.words", pattern="trang", emit={"lookup": True})]
    found = [p.message for p in Stage.problems(ruleset(*rules))]
    assert found == ["the test stage reads the words of this rule; it has a pattern and no words",
                     "table['a']: 'một' is not a whole number"]


def test_a_switched_off_rule_binds_to_nothing() -> None:
    rules = ruleset(*good())
    for rule_id in ("test.units", "test.words", "test.cue", "test.high", "test.names"):
        off = Stage.of(switched_off(rules, rule_id))
        assert not off.units or rule_id != "test.units"
        assert not off.words or rule_id != "test.words"
        assert not off.cue.search("hằng năm") or rule_id != "test.cue"
        assert [r.id for r in off.phrases] == (["test.low"] if rule_id == "test.high"
                                               else ["test.high", "test.low"])
    assert Stage.of(rules).units  # the rule set switched off from is untouched


def test_a_slot_may_not_hide_a_method() -> None:
    with pytest.raises(TypeError, match="slot 'of' hides a method of Slots"):
        type("Bad", (Slots,), {"of": Pattern("test.cue")})


def test_the_shipped_rules_bind_to_every_stage(rules: RuleSet) -> None:
    from kttt_extract.pipeline import STAGES
    from kttt_extract.ruletools.contract import check_contract

    assert [p.render() for p in check_contract(rules, STAGES).problems] == []
    read = {u.rule.id for stage in STAGES for u in stage.uses(rules)}
    assert read == set(rules.rules)  # every shipped rule is read by some stage
