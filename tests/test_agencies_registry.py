"""The registry of organisations: compiled once per rule set, matched whatever the writing, and
validated by `kttt rules check` (duplicate names, abbreviations mapped to two names, entries
without an example, emit values)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import regex
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kttt_extract.extractors.registry import Registry, name_key, registry_of
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruletools.check import check_rules
from kttt_extract.textnorm import fold_tones, unify_chars

SPACES = [" ", "  ", "\n"]
SEPARATORS = [*SPACES, ", ", " - ", " – ", " & ", " và "]
WORD = regex.compile(r"[\p{L}\p{M}\d]+")  # what a word of a name is made of


def registry_rule(rule_id: str, words: list[str], *, table: dict[str, str] | None = None,
                  emit: dict[str, Any] | None = None, examples: list[str] | None = None
                  ) -> dict[str, Any]:
    """A registry rule whose match examples name the given entries."""
    named = words if examples is None else examples
    rule: dict[str, Any] = {
        "id": rule_id, "description": f"Test entries of {rule_id}.", "words": words,
        "examples": {"match": [{"text": f"{n} chủ trì thực hiện.", "expect": {"name": n}}
                               for n in named],
                     "no_match": ["không có cơ quan nào"]}}
    if table:
        rule["table"] = table
    if emit:
        rule["emit"] = emit
    return rule


def rule_dir(tmp_path: Path, *rules: dict[str, Any]) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    data = {"concern": "registry", "schema_version": 1, "rules": list(rules)}
    (folder / "registry-test.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                               encoding="utf-8")
    return folder


def registry_messages(folder: Path) -> list[str]:
    report = check_rules(folder, examples=False)
    return [p.render() for p in report.problems
            if p.code.startswith(("registry", "no-example", "slot", "emit-key"))]


def test_the_registry_is_built_once_per_rule_set(rules: RuleSet) -> None:
    assert registry_of(rules) is registry_of(rules)


def test_the_shipped_registry_is_valid() -> None:
    report = check_rules(None, examples=False)
    assert [p.render() for p in report.errors] == []


def test_a_name_listed_twice_is_reported(tmp_path: Path) -> None:
    folder = rule_dir(tmp_path, registry_rule("registry.test-one", ["Ban Thi đua Khen thưởng"]),
                      registry_rule("registry.test-two", ["Ban Thi đua - Khen thưởng"]))
    messages = registry_messages(folder)
    assert any("registry.test-two: name 'Ban Thi đua - Khen thưởng' listed twice" in m
               for m in messages), messages


def test_an_abbreviation_mapped_to_two_names_is_reported(tmp_path: Path) -> None:
    folder = rule_dir(
        tmp_path,
        registry_rule("registry.test-one", ["Ban Thi đua Khen thưởng"],
                      table={"BTĐKT": "Ban Thi đua Khen thưởng"}),
        registry_rule("registry.test-two", ["Ban Tôn giáo Khu vực"],
                      table={"BTĐKT": "Ban Tôn giáo Khu vực"}))
    messages = registry_messages(folder)
    assert any("'BTĐKT' maps to two names: 'Ban Thi đua Khen thưởng' and 'Ban Tôn giáo Khu vực'"
               in m for m in messages), messages


def test_an_entry_without_an_example_is_reported(tmp_path: Path) -> None:
    folder = rule_dir(tmp_path, registry_rule(
        "registry.test-one", ["Ban Thi đua Khen thưởng", "Ban Tôn giáo Khu vực"],
        examples=["Ban Thi đua Khen thưởng"]))
    messages = registry_messages(folder)
    assert len(messages) == 1
    assert "entry 'Ban Tôn giáo Khu vực' has no match example naming it" in messages[0]


def test_a_spelling_of_an_unknown_name_and_a_bad_emit_are_reported(tmp_path: Path) -> None:
    folder = rule_dir(tmp_path, registry_rule(
        "registry.test-one", ["Ban Thi đua Khen thưởng"], table={"BTĐ": "Ban Thi đua"},
        emit={"level": "village", "colour": "blue"}))
    messages = " | ".join(registry_messages(folder))
    assert "'BTĐ' maps to 'Ban Thi đua', which no registry entry names" in messages
    assert ("emit.level: 'village' is not one of central, region, province, district, commune"
            in messages)
    assert "emit.colour: no stage reads this key from this rule" in messages


def test_a_valid_user_registry_passes(tmp_path: Path) -> None:
    folder = rule_dir(tmp_path, registry_rule("registry.test-one", ["Ban Thi đua Khen thưởng"],
                                              emit={"kind": "ban", "level": "province"}))
    report = check_rules(folder)
    assert report.ok, [p.render() for p in report.errors]


def test_name_key_ignores_case_tone_placement_separators_and_va() -> None:
    assert name_key("Sở Văn hoá – Thể thao và Du lịch") == name_key("SỞ VĂN HÓA, THỂ THAO DU LỊCH")


@st.composite
def written_forms(draw: st.DrawFn, names: list[str]) -> tuple[str, str]:
    """A registry name written with random case, line breaks and, before a capitalised word,
    any separator; with its canonical name."""
    name = draw(st.sampled_from(names))
    words = [w for w in name.replace(",", " ").replace(" - ", " ").split() if w != "và"]
    out = words[0]
    for word in words[1:]:
        out += draw(st.sampled_from(SEPARATORS if word[:1].isupper() else SPACES)) + word
    if draw(st.booleans()):
        out = out.upper()
    return name, unify_chars(fold_tones(out))


def _plain_names(registry: Registry) -> list[str]:
    """Names found whatever their case, with no level word needed after them."""
    return sorted(n for n, e in registry.by_name.items() if not e.capital and not e.needs_level)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_plain_name_is_found_however_it_is_written(data: st.DataObject,
                                                         rules: RuleSet) -> None:
    registry = registry_of(rules)
    plain = _plain_names(registry)
    name, written = data.draw(written_forms(plain))
    text = f"Giao {written} thực hiện."
    assert [h.entry.name for h in registry.find(text, 0, len(text))] == [name], written


WORD_TEXT = st.text(alphabet="aăêođƯỜNgHỉ\u0301\u0323 9,-/&\n", max_size=60)


@settings(max_examples=300, deadline=None)
@given(text=WORD_TEXT, cut=st.tuples(st.integers(0, 60), st.integers(0, 60)))
def test_the_words_of_a_span_are_read_once_for_the_whole_text(text: str, cut: tuple[int, int],
                                                              rules: RuleSet) -> None:
    """A span's words, taken from the index of the whole text, are those the word pattern
    finds in the span alone: a word its edge cuts is cut, and so are the openers."""
    registry = registry_of(rules)
    lo, hi = sorted(min(c, len(text)) for c in cut)
    view = registry.index(text).view(lo, hi)
    alone = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text, lo, hi)]
    assert [(w.start, w.end, w.text) for w in view] == alone
    assert [w.folded for w in view] == [w.casefold() for _, _, w in alone]
    assert list(view.openers(registry)) == [
        i for i, (_, _, w) in enumerate(alone)
        if w.casefold() in registry.plain or w in registry.marked]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_names_found_with_the_index_of_the_text_are_those_of_the_span(data: st.DataObject,
                                                                       rules: RuleSet) -> None:
    registry = registry_of(rules)
    plain = _plain_names(registry)
    parts = data.draw(st.lists(st.one_of(written_forms(plain).map(lambda p: p[1]),
                                         st.sampled_from(["giao", "và", "-", ", ", "số 5/"])),
                               min_size=1, max_size=6))
    text = " ".join(parts)
    lo, hi = sorted(data.draw(st.tuples(st.integers(0, len(text)), st.integers(0, len(text)))))
    index = registry.index(text)
    assert list(registry.find(text, lo, hi, index)) == list(registry.find(text, lo, hi))


@settings(max_examples=200, deadline=None)
@given(text=WORD_TEXT, cut=st.tuples(st.integers(0, 60), st.integers(0, 60)),
       pos=st.integers(0, 61))
def test_the_first_word_at_a_position_counts_a_cut_word_where_the_span_starts(
        text: str, cut: tuple[int, int], pos: int, rules: RuleSet) -> None:
    lo, hi = sorted(min(c, len(text)) for c in cut)
    view = registry_of(rules).index(text).view(lo, hi)
    assert view.first_at(pos) == next((i for i, w in enumerate(view) if w.start >= pos),
                                      len(view))
