"""`rules check` on broken rule sets written into tmp_path: every problem, on the right line.

Examples run through a stand-in extractor (each deadline rule's matches become deadlines, with
`emit` and the named groups as fields) so that these tests do not depend on the extractors;
one test runs the real pipeline, and one checks the shipped rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent, indent

import pytest
from typer.testing import CliRunner

from kttt_extract.model import Deadline, Document, Result, Source
from kttt_extract.ruleset import load as load_mod
from kttt_extract.ruleset.load import RuleSet
from kttt_extract.ruletools import check as check_mod
from kttt_extract.ruletools.check import Report, check_dirs

RULES = Path(__file__).resolve().parents[1] / "rules"
HEAD = "concern: deadlines\nschema_version: 1\nrules:\n"


def fake_extract(text: str, rules: RuleSet) -> Result:
    """A stand-in pipeline: matches of deadline rules become deadlines."""
    found: list[Deadline] = []
    for rule in rules.of("deadlines"):
        for m in rule.regex.finditer(text) if rule.regex is not None else ():
            fields = {**rule.rule.emit, **{k: v for k, v in m.groupdict().items() if v}}
            found.append(Deadline(id=f"d{len(found) + 1}", text=m.group(), span=m.span(),
                                  section=None, rule=rule.id, kind=fields.get("kind", "by"),
                                  date=fields.get("date")))
    return Result(source=Source(path="<text>.md", format="md", sha256="0"), document=Document(),
                  sections=(), targets=(), deadlines=tuple(found), agencies=(), tasks=(),
                  warnings=())


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(HEAD + indent(dedent(body), "  "), encoding="utf-8")
    return path


def check(folder: Path, **kw: object) -> Report:
    return check_dirs([folder], extract=fake_extract, **kw)  # type: ignore[arg-type]


def lines(report: Report) -> list[str]:
    return [p.render() for p in report.problems]


GOOD = """\
  - id: deadline.test-end
    description: A test phrase ("hạn chót 2024") due at the end of a year.
    pattern: hạn\\s+chót\\s+(?P<date>\\d{4})
    emit: {kind: by}
    examples:
      match:
        - {text: "hạn chót 2024", expect: {kind: by, date: "2024"}}
      no_match:
        - "hạn mức"
"""


def test_a_good_rule_set_is_clean(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    report = check(tmp_path)
    assert lines(report) == []
    assert report.ok
    assert [(o.example.test_id, o.passed) for o in report.outcomes] == [
        ("good/deadline.test-end/match-1", True), ("good/deadline.test-end/no_match-1", True)]


def test_bad_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", """\
      - id: deadline.bad-yaml
        description: A rule whose file is broken: the colon makes a mapping.
        pattern: x
    """)
    assert lines(check(tmp_path)) == [
        f"{path}:5:45: invalid YAML: mapping values are not allowed in this context"]


def test_unknown_key_and_every_schema_error(tmp_path: Path) -> None:
    path = write(tmp_path, "b.yaml", """\
      - id: deadline.unknown-key
        description: short
        pattern: hạn\\s+chót
        colour: red
    """)
    assert lines(check(tmp_path)) == [
        f"{path}:5:5: deadline.unknown-key: rules.0.description: "
        "String should have at least 8 characters",
        f"{path}:7:5: deadline.unknown-key: rules.0.colour: unknown key 'colour'",
    ]


def test_bad_regex(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", """\
      - id: deadline.bad-regex
        description: A rule whose pattern does not compile.
        pattern: (?P<date>\\d{4}
        examples:
          match: ["2024"]
          no_match: ["x"]
    """)
    (line,) = lines(check(tmp_path))
    assert line.startswith(f"{path}:6:5: deadline.bad-regex: pattern does not compile: missing )")


def test_failing_examples_point_at_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.yaml", GOOD.replace('date: "2024"', 'date: "2025"')
                 .replace('"hạn mức"', '"hạn chót 2030"'))
    assert lines(check(tmp_path)) == [
        f"{path}:10:11: deadline.test-end: match example 1 fails: "
        "date: expected \"2025\", got \"2024\" (text: 'hạn chót 2024')",
        f"{path}:12:11: deadline.test-end: no_match example 1 fails: "
        "produced text=\"hạn chót 2030\", kind=\"by\", date=\"2030\" (text: 'hạn chót 2030')",
    ]


def test_todo_is_reported_but_never_fails(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", GOOD + """\
      todo:
        - {text: "hạn chót 2031", expect: {date: "2031"}}
        - {text: "chậm nhất năm 2032", expect: {date: "2032"}}
""")
    report = check(tmp_path)
    assert report.ok
    assert lines(report) == [f"{path}:14:11: deadline.test-end: todo: now passes"]
    assert report.problems[0].severity == "warning"
    todo = [o for o in report.outcomes if o.kind == "todo"]
    assert [(o.ok, o.passed) for o in todo] == [(True, True), (False, True)]


def stop_extract(text: str, rules: RuleSet) -> Result:
    """The stand-in pipeline with lookup rules read through it: a `deadline.test-cue` match
    adds nothing of its own, a `deadline.test-stop` match drops the deadlines it falls in."""
    result = fake_extract(text, rules)
    kept = [d for d in result.deadlines if not rules.rules[d.rule].rule.emit.get("lookup")]
    stop = rules.rules.get("deadline.test-stop")
    if stop is not None:
        kept = [d for d in kept if not stop.regex.search(d.text)]
    return result.model_copy(update={"deadlines": tuple(kept)})


LOOKUPS = """\
  - id: deadline.test-cue
    description: A cue that no example needs (the deadline rule reads its own words).
    pattern: hạn\\s+chót
    emit: {lookup: true}
    examples:
      match:
        - {text: "hạn chót 2024", expect: {kind: by}}
      no_match:
        - "hạn mức"
  - id: deadline.test-stop
    description: Years that are never a deadline of the plan (a blocking rule).
    pattern: "1999"
    emit: {lookup: true}
    examples:
      match:
        - {text: "hạn chót 2024", expect: {kind: by}}
      no_match:
        - "hạn chót 1999"
"""


def test_strict_reports_a_rule_no_example_needs(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", GOOD + LOOKUPS)
    plain = check_dirs([tmp_path], extract=stop_extract)
    assert plain.ok and lines(plain) == []
    strict = check_dirs([tmp_path], extract=stop_extract, strict=True)
    # the direct rule owns its items, and the blocking rule is proved by its no_match example
    # (the deadline it drops comes back without it); the cue is proved by nothing
    assert lines(strict) == [
        f"{path}:13:5: deadline.test-cue: strict: every example passes with this rule switched "
        "off; add one that needs it, or say why none can in `strict_exempt`"]
    assert not strict.ok


def test_strict_exempt_must_be_true(tmp_path: Path) -> None:
    body = (GOOD + LOOKUPS).replace(
        "    emit: {lookup: true}\n",
        "    emit: {lookup: true}\n    strict_exempt: kept for a rule folder of its own\n")
    path = write(tmp_path, "s.yaml", body)
    strict = check_dirs([tmp_path], extract=stop_extract, strict=True)
    assert strict.ok
    assert lines(strict) == [
        f"{path}:27:5: deadline.test-stop: strict: no_match example 1 fails without this rule, "
        "so `strict_exempt` is not needed"]
    assert strict.problems[0].severity == "warning"


def test_slow_pattern(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", """\
      - id: deadline.slow
        description: Catastrophic backtracking on a long run of letters.
        pattern: (a+)+$
        examples:
          match: ["aaa"]
          no_match: ["b"]
    """)
    assert lines(check(tmp_path, examples=False)) == [
        f"{path}:6:5: deadline.slow: pattern too slow (over 0.5 s on 'a' * 5000 + '!')"]


def test_duplicate_ids_across_files_and_stale_aliases(tmp_path: Path) -> None:
    write(tmp_path, "e1.yaml", GOOD)
    path = write(tmp_path, "e2.yaml", GOOD.replace(
        "    pattern:", "    aliases: [deadline.test-end]\n    pattern:"))
    assert lines(check(tmp_path, examples=False)) == [
        f"{path}:4:5: deadline.test-end: duplicate rule id (first defined at e1.yaml:4)",
        f"{path}:6:5: deadline.test-end: alias 'deadline.test-end' is still a rule id "
        "(at e1.yaml:4)",
    ]


def test_duplicate_words_and_table_keys_after_folding(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", """\
      - id: deadline.words
        description: Words with a repeat that differs only in tone placement and case.
        words:
          - khóa
          - Khoá
        examples:
          match: ["khóa"]
          no_match: ["khác"]
      - id: deadline.table
        description: A table with a key repeated in another case.
        table:
          "thứ hai": "1"
          "Thứ Hai": "1"
        emit: {lookup: true}
    """)
    assert lines(check(tmp_path, examples=False)) == [
        f"{path}:8:9: deadline.words: word 'Khoá' listed twice (as 'khóa')",
        f"{path}:16:7: deadline.table: table key 'Thứ Hai' listed twice (as 'thứ hai')",
        f"{path}:12:5: deadline.table: no match example",
        f"{path}:12:5: deadline.table: no no_match example",
    ]


def test_a_replacement_that_drops_entries_is_a_warning(tmp_path: Path) -> None:
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    shipped.mkdir()
    user.mkdir()
    words = """\
      - id: deadline.words
        description: Words that a user's copy of the rule should keep.
        words: [{}]
        examples:
          match: ["khóa"]
          no_match: ["khác"]
    """
    write(shipped, "w.yaml", words.format("khóa, hạn, kỳ"))
    path = write(user, "w.yaml", words.format("Khoá, kỳ, đợt"))
    report = check_dirs([shipped, user], examples=False)
    assert lines(report) == [
        f"{path}:4:5: deadline.words: replaces shipped/w.yaml:4 and drops 1 of its entries "
        "('hạn'); a replacement is whole: copy the entries you keep"]
    assert report.ok


def test_every_file_is_reported_and_invalid_files_run_no_examples(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    broken = write(tmp_path, "c.yaml", GOOD.replace("(?P<date>", "(?P<date").replace(
        "test-end", "broken"))
    other = write(tmp_path, "d.yaml", "  - id: deadline.x\n    description: no body at all\n")
    report = check(tmp_path)
    files = [p.file for p in report.problems]
    assert files == [str(broken), str(other)]
    assert report.problems[1].message.startswith("rules.0: Value error, a rule needs")
    assert {o.example.file.name for o in report.outcomes} == {"good.yaml"}


def test_user_rules_run_through_the_real_pipeline(tmp_path: Path) -> None:
    path = write(tmp_path, "deadlines.yaml", """\
      - id: deadline.user-quarter
        description: A user's copy of the quarter rule with a wrong expectation.
        pattern: cuối\\s+quý\\s+(?P<q>IV|III|II|I)\\s+năm\\s+(?P<y>\\d{4})
        priority: 90
        emit: {kind: by}
        examples:
          match:
            - {text: "hoàn thành cuối quý II năm 2024", expect: {date: "2024-06-01"}}
          no_match:
            - "cuối năm"
    """)
    report = check_dirs([RULES, tmp_path], example_dirs=[tmp_path])
    mine = [p.render() for p in report.problems if p.file == str(path)]
    assert mine == [
        f"{path}:11:11: deadline.user-quarter: match example 1 fails: date: expected "
        "\"2024-06-01\", got \"2024-06-30\" (text: 'hoàn thành cuối quý II năm 2024')"]


def test_shipped_rules_pass_check() -> None:
    """Every shipped rule file is clean, held against the stages that read it, and strict."""
    from kttt_extract.pipeline import STAGES

    report = check_dirs([RULES], stages=STAGES, strict=True)
    assert [p.render() for p in report.errors] == []
    # --strict: each rule is needed by one of its examples, or says why none can be written
    assert [p.render() for p in report.problems if p.code == "strict"] == []


def test_the_documented_schema_is_the_one_the_loader_validates_with() -> None:
    from kttt_extract.ruleset.jsonschema import rule_file_schema

    documented = (RULES.parent / "docs" / "rules.schema.json").read_text(encoding="utf-8")
    assert documented == rule_file_schema()
    schema = json.loads(documented)
    rule = schema["$defs"]["Rule"]["properties"]
    assert {"position", "verbose", "strict_exempt"} <= set(rule)
    assert "fragments" in schema["properties"]


# ----------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI with the repository's rules as the shipped ones."""
    monkeypatch.setattr(check_mod, "shipped_rules_dir", lambda: RULES)
    monkeypatch.setattr(check_mod, "pipeline_stages", lambda: ())  # the stand-in has none
    monkeypatch.setattr(load_mod, "shipped_rules_dir", lambda: RULES)
    monkeypatch.setattr("kttt_extract.ruletools.examples.pipeline_extractor", fake_extract)
    from kttt_extract.cli import _register

    _register()
    return CliRunner()


def invoke(args: list[str], code: int) -> str:
    from kttt_extract.cli import app

    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout


def test_cli_check_formats(tmp_path: Path, cli: CliRunner) -> None:
    path = write(tmp_path, "x.yaml", GOOD.replace('date: "2024"', 'date: "2025"'))
    out = invoke(["rules", "check", str(tmp_path)], 1)
    mine = [x for x in out.splitlines() if x.startswith(str(path))]
    assert mine == [f"{path}:10:11: deadline.test-end: match example 1 fails: "
                    "date: expected \"2025\", got \"2024\" (text: 'hạn chót 2024')"]
    assert out.splitlines()[-1].endswith("warnings")
    data = json.loads(invoke(["rules", "check", str(tmp_path), "--format", "json"], 1))
    assert any(p["line"] == 10 and p["rule"] == "deadline.test-end" for p in data["problems"])
    gh = invoke(["rules", "check", str(tmp_path), "--format", "github"], 1)
    assert any(x.startswith("::error file=") and "line=10,col=11,title=deadline.test-end::"
               in x for x in gh.splitlines())
    xml = invoke(["rules", "check", str(tmp_path), "--format", "junit"], 1)
    assert 'name="x/deadline.test-end/match-1"' in xml and "<failure" in xml


def test_cli_rules_test_baseline(tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
                                 ) -> None:
    import kttt_extract.pipeline as pipeline

    monkeypatch.setattr(pipeline, "extract", lambda path, rules: fake_extract(
        Path(path).read_text(encoding="utf-8"), rules))
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "doc.md").write_text("Hoàn thành hạn chót 2024.\n", encoding="utf-8")
    expected = {"document": {}, "deadlines": [
        {"text": "hạn chót 2024", "kind": "by", "date": "2024", "recurrence": None,
         "day": None, "period": None},
        {"text": "hàng năm", "kind": "recurring", "date": None, "recurrence": "yearly",
         "day": None, "period": None}]}
    (samples / "doc.expected.json").write_text(json.dumps(expected), encoding="utf-8")
    rules = tmp_path / "rules"
    rules.mkdir()
    write(rules, "deadlines.yaml", GOOD)
    base = tmp_path / "baseline.json"
    out = invoke(["rules", "test", str(rules), "--samples", str(samples),
                  "--save-baseline", str(base), "--junit", str(tmp_path / "j.xml")], 0)
    assert "missed   deadlines:" in out and "hàng năm" in out
    saved = json.loads(base.read_text(encoding="utf-8"))
    assert saved["lists"]["deadlines"]["f1"] == pytest.approx(2 / 3, abs=1e-3)
    saved["lists"]["deadlines"]["f1"] = 0.9
    base.write_text(json.dumps(saved), encoding="utf-8")
    gh = invoke(["rules", "test", str(rules), "--samples", str(samples), "--baseline", str(base),
                 "--format", "github"], 1)
    assert "::error file=" in gh and "deadlines: F1 0.667 fell below the baseline 0.900" in gh
    xml = (tmp_path / "j.xml").read_text(encoding="utf-8")
    assert xml.count("<testcase") == 7 and 'classname="doc" name="deadlines"' in xml
