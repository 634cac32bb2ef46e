"""What rule authors write: named fragments, verbose mode only for block patterns (and the lint
for a space laid out in a one-line pattern), and word lists with a position."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
import regex

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.fragments import FragmentError, expand, references
from kttt_extract.ruleset.load import RuleLimits, compile_rule, load_rules, parse_rule_text
from kttt_extract.ruletools.check import check_dirs

HEAD = "concern: targets\nschema_version: 1\n"


def rule_file(body: str, fragments: str = "") -> str:
    return HEAD + dedent(fragments) + "rules:\n" + dedent(body)


def compiled(text: str, fragments: dict[str, str] | None = None) -> regex.Pattern[str]:
    """The pattern of the first rule of a rule file's text."""
    parsed, _ = parse_rule_text(text, "t.yaml", RuleLimits())
    return compile_rule(parsed.rules[0], parsed.concern, Path("t.yaml"), 1,
                        fragments=fragments or {}).regex


def one_rule(pattern_lines: str, extra: str = "") -> str:
    """A rule file of one rule whose body is `pattern_lines` (each line indented by four)."""
    lines = ["  - id: target.test-rule", "    description: A rule written for this test.",
             *(f"    {x}" for x in pattern_lines.splitlines()),
             *([f"    {extra}"] if extra else []),
             "    emit: {lookup: true}", "    examples:", '      match: ["x"]',
             '      no_match: ["y"]']
    return HEAD + "rules:\n" + "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- fragments


def test_a_fragment_is_put_in_as_one_atom() -> None:
    fragments = {"number": r"\d+(?:,\d+)?", "share": r"{number}\s*%"}
    assert expand(r"(?P<v>{share})", fragments) == r"(?P<v>(?:(?:\d+(?:,\d+)?)\s*%))"
    pattern = regex.compile(expand(r"đạt\s+(?P<v>{number})", fragments))
    assert pattern.search("đạt 12,5").group("v") == "12,5"  # type: ignore[union-attr]


def test_regex_braces_are_never_fragments() -> None:
    source = r"\d{4}\s{1,3}(?:ab){e<=1}\p{Lu}\{year}"
    assert references(source) == []
    assert expand(source, {"year": "x"}) == source


def test_unknown_and_circular_fragments_are_errors() -> None:
    with pytest.raises(FragmentError, match=r"unknown fragment \{numbr\} \(did you mean "
                                            r"\{number\}\?\)"):
        expand("{numbr}", {"number": r"\d+"})
    with pytest.raises(FragmentError, match="fragments use each other: aa -> bb -> aa"):
        expand("{aa}", {"aa": "{bb}", "bb": "{aa}"})


def test_rules_use_the_fragments_of_the_rule_set(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(rule_file("""\
        - id: target.test-share
          description: A share written with the shipped number fragment and one of this file.
          pattern: chiếm\\s+(?P<v>{number})\\s*{percent}
          emit: {lookup: true}
          examples:
            match: ["chiếm 30 phần trăm"]
            no_match: ["chiếm lĩnh"]
        """, fragments="fragments:\n  percent: '%|phần\\s+trăm'\n"), encoding="utf-8")
    rules = load_rules(tmp_path)
    m = rules.rules["target.test-share"].regex.search("chiếm 1.500 phần trăm")
    assert m is not None and m.group("v") == "1.500"
    assert rules.fragments["percent"] == r"%|phần\s+trăm"


def test_a_fragment_error_is_positioned(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(one_rule("pattern: '{nuber}%'"), encoding="utf-8")
    with pytest.raises(RuleFileError) as err:
        load_rules(tmp_path)
    assert (err.value.line_no, err.value.col) == (6, 5)
    assert err.value.rule_id == "target.test-rule"
    assert "unknown fragment {nuber} (did you mean {number}?)" in err.value.message
    path.write_text(HEAD + "fragments:\n  gap: 'a b'\nrules: []\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="a space or `#` in a fragment") as err:
        load_rules(tmp_path)
    assert err.value.line_no == 4


# ----------------------------------------------------------------------------- verbose mode


def test_a_one_line_pattern_keeps_its_spaces() -> None:
    pattern = compiled(one_rule("pattern: ^Nơi nhận"))
    assert pattern.match("Nơi nhận:") and not pattern.match("Nơinhận:")


def test_a_block_pattern_is_verbose() -> None:
    pattern = compiled(one_rule("pattern: |\n  ^Nơi\\s+nhận   # the recipients' list\n"
                                "  | ^Kính\\s+gửi"))
    assert pattern.match("Nơi nhận:") and pattern.match("Kính gửi:")
    not_verbose = compiled(one_rule("pattern: |-\n  ^Nơi nhận", extra="verbose: false"))
    assert not_verbose.match("Nơi nhận") and not not_verbose.match("Nơinhận")


def test_a_space_laid_out_in_a_one_line_pattern_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(one_rule("pattern: (?:Nơi\\s+nhận | Kính\\s+gửi)"), encoding="utf-8")
    report = check_dirs([tmp_path], examples=False)
    assert [p.render() for p in report.problems] == [
        f"{path}:6:5: target.test-rule: a space beside | ( or ) in a one-line pattern is "
        "matched as written; to lay a pattern out, write it as a block (pattern: |) or set "
        "verbose: true"]
    assert report.ok  # a warning
    path.write_text(one_rule("pattern: Nơi nhận"), encoding="utf-8")
    assert check_dirs([tmp_path], examples=False).problems == []


# ----------------------------------------------------------------------------- positions


def words(position: str) -> regex.Pattern[str]:
    return compiled(one_rule('words: ["Căn cứ", "của"]', extra=f"position: {position}"))


def test_line_start_words_open_a_paragraph_only() -> None:
    pattern = words("line-start")
    assert pattern.search("Căn cứ Luật") and pattern.search("x\nCăn cứ Luật")
    assert not pattern.search("theo căn cứ nào")
    assert not pattern.search("Căn cứu")


def test_after_and_before_place_a_word_beside_what_was_read() -> None:
    after, before = words("after"), words("before")
    text = "Nhà đầu tư của 02 dự án"
    assert after.match(text, 10) and not after.match(text, 0)  # just after "Nhà đầu tư"
    assert before.search(text, 0, 15) and not before.search(text, 0, 22)  # just before "02"


def test_a_position_places_words_only() -> None:
    with pytest.raises(RuleFileError, match="`position` places a word list"):
        compiled(one_rule("pattern: của", extra="position: before"))
