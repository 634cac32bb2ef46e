"""Broken rule files (issue 18): each gives its positioned error, `file:line:col: rule-id:
message` with a "did you mean" where one fits, with exit 1 from `kttt rules check` and, where it
would stop a stage, exit 7 from `kttt extract --rules`: never 70. A rule that only does nothing
(a key or a group no stage reads, a rule no stage reads) fails the check and leaves extraction
alone."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent, indent

import pytest

from kttt_extract.errors import ExitStatus
from kttt_extract.pipeline import STAGES
from kttt_extract.ruleset import shipped_rules_dir
from kttt_extract.ruletools.check import check_dirs
from tests.conftest import SAMPLES, invoke

SAMPLE = SAMPLES / "vinh-linh-cv-20nq.txt"


def user_dir(tmp_path: Path, concern: str, body: str) -> tuple[Path, Path]:
    """A rule directory with one file of `concern` holding the rules of `body`."""
    folder = tmp_path / "my-rules"
    folder.mkdir(exist_ok=True)
    path = folder / f"{concern}.yaml"
    path.write_text(f"concern: {concern}\nschema_version: 1\nrules:\n"
                    + indent(dedent(body), "  "), encoding="utf-8")
    return folder, path


def shipped_rule(rule_id: str) -> str:
    """The text of one shipped rule (a user's copy starts from it)."""
    for path in shipped_rules_dir().glob("*.yaml"):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if line == f"  - id: {rule_id}":
                end = next((j for j in range(i + 1, len(lines))
                            if lines[j].startswith("  - id: ")), len(lines))
                return dedent("\n".join(lines[i:end])) + "\n"
    raise LookupError(rule_id)


QUARTER = """\
- id: deadline.user-quarter
  description: The end of a quarter written "hết quý 2/2024".
  pattern: hết\\s+quý\\s+(?P<q>[1-4])\\s*/\\s*(?P<y>{year})
  priority: 90
  emit: {kind: by}
  examples:
    match:
      - {text: "hoàn thành hết quý 2/2024", expect: {date: "2024-06-30"}}
    no_match:
      - "hết quý"
"""

STOPPING = {
    # the first example: a deadline phrase without emit.kind
    "no-emit-kind": ("deadlines", QUARTER.replace("  emit: {kind: by}\n", ""), (4, 5),
                     "deadline.user-quarter: emit.kind is required (one of by, recurring, "
                     "period, ongoing, relative)"),
    "emit-value": ("deadlines", QUARTER.replace("{kind: by}", "{kind: byy}"), (8, 12),
                   "deadline.user-quarter: emit.kind: 'byy' is not one of by, recurring, "
                   "period, ongoing, relative (did you mean 'by'?)"),
    # the second example: one wrong letter in a table value
    "table-value": ("targets", shipped_rule("target.comparators").replace(
        '"khoảng": "approx"', '"khoảng": "aprox"'), (6, 13),
        "target.comparators: table['khoảng']: 'aprox' is not one of eq, approx, gt, gte, lt, "
        "lte, range (did you mean 'approx'?)"),
    "missing-group": ("targets", """\
        - id: target.user-share
          description: A share written "một nửa" is no figure; this rule forgot its value group.
          pattern: chiếm\\s+\\d+\\s*phần\\s+trăm
          emit: {metric: percent, unit: "%"}
          examples:
            match: ["II. MỤC TIÊU\\n- Chiếm 30 phần trăm dân số."]
            no_match: ["chiếm"]
        """, (6, 5), "target.user-share: the targets stage needs a named group (?P<v>...) in "
                     "this pattern"),
    "retired-id": ("deadlines", QUARTER.replace(
        "  pattern:", "  aliases: [deadline.units]\n  pattern:"), (6, 5),
        "deadline.user-quarter: the alias 'deadline.units' retires a rule that the deadlines "
        "stage reads by that id (a rule that replaces it keeps its id)"),
    "ref-missing": ("roles", """\
        - id: role.user-lead
          description: A unit "đảm nhận" the work leads it.
          pattern: (?<![\\p{L}])đảm\\s+nhận(?![\\p{L}])
          emit: {role: lead, scope: before, gap: role.manor}
          examples:
            match: ["Sở Tài chính đảm nhận việc này"]
            no_match: ["đảm bảo"]
        """, (7, 39), "role.user-lead: emit.gap: no rule 'role.manor' in the rule set (did you "
                      "mean 'role.manner'?)"),
}


@pytest.mark.parametrize("case", sorted(STOPPING))
def test_a_rule_that_stops_its_stage(case: str, tmp_path: Path,
                                     capfd: pytest.CaptureFixture[str]) -> None:
    concern, body, (line, col), message = STOPPING[case]
    folder, path = user_dir(tmp_path, concern, body)
    expected = f"{path}:{line}:{col}: {message}"
    out = invoke(["rules", "check", str(folder), "--no-examples"], ExitStatus.FINDINGS,
                 capfd=capfd).stdout
    assert expected in out.splitlines(), out
    err = invoke(["extract", "--rules", str(folder), str(SAMPLE)], ExitStatus.RULES,
                 capfd=capfd).stderr
    assert err == f"kttt: error: {expected}\n"


LINT = {
    "emit-key": ("deadlines", QUARTER.replace("{kind: by}", "{kind: by, recurence: yearly}"),
                 (8, 22), "deadline.user-quarter: emit.recurence: no stage reads this key from "
                          "this rule (did you mean 'recurrence'?) (read: kind, recurrence, "
                          "recurs_with, unless_after)"),
    "group": ("deadlines", QUARTER.replace("(?P<y>", "(?P<yy>"), (6, 5),
              "deadline.user-quarter: the named group 'yy' is never read (did you mean 'y'?)"),
    "unread-rule": ("targets", """\
        - id: target.user-share
          description: A share of something, but without a metric no stage takes it.
          pattern: chiếm\\s+(?P<v>\\d+)\\s*phần\\s+trăm
          examples:
            match: ["II. MỤC TIÊU\\n- Chiếm 30 phần trăm dân số."]
            no_match: ["chiếm"]
        """, (4, 5), "target.user-share: no stage reads this rule: the targets stage reads "
                     "targets rules whose emit has `metric`"),
    "unread-lookup": ("metadata", """\
        - id: meta.user-positions
          description: A table of positions that no stage reads by this id.
          table: {"giám đốc": "Giám đốc"}
          emit: {lookup: true}
          examples:
            match: ["GIÁM ĐỐC"]
            no_match: ["x"]
        """, (4, 5), "meta.user-positions: no stage reads this rule (did you mean "
                     "'meta.positions'?)"),
}


@pytest.mark.parametrize("case", sorted(LINT))
def test_a_rule_that_does_nothing_fails_the_check_only(case: str, tmp_path: Path,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    concern, body, (line, col), message = LINT[case]
    folder, path = user_dir(tmp_path, concern, body)
    out = invoke(["rules", "check", str(folder), "--no-examples"], ExitStatus.FINDINGS,
                 capfd=capfd).stdout
    lines = [x for x in out.splitlines() if x.startswith(str(path))]
    assert lines[0].startswith(f"{path}:{line}:{col}: {message}"), out
    invoke(["extract", "--rules", str(folder), str(SAMPLE)], 0, capfd=capfd)


def test_a_crash_on_one_example_fails_that_example_and_the_check_goes_on(tmp_path: Path
                                                                          ) -> None:
    folder, path = user_dir(tmp_path, "deadlines", QUARTER + dedent("""\
        - id: deadline.user-named-day
          description: A due day whose day is captured as a word, which the resolver cannot read.
          pattern: hạn\\s+(?P<d>\\p{L}+)\\s+tháng\\s+(?P<m>\\d{1,2})\\s+năm\\s+(?P<y>{year})
          priority: 90
          emit: {kind: by}
          examples:
            match:
              - {text: "hạn mười tháng 3 năm 2025", expect: {date: "2025-03-10"}}
            no_match: ["hạn mức"]
        """))
    report = check_dirs([shipped_rules_dir(), folder], example_dirs=[folder], stages=STAGES,
                        timeout=None)
    mine = {(o.rule_id, o.kind): o for o in report.outcomes}
    assert mine[("deadline.user-quarter", "match")].ok  # the other rule's examples still ran
    crashed = mine[("deadline.user-named-day", "match")]
    assert not crashed.ok and crashed.crashed
    assert "ValueError: invalid literal for int() with base 10: 'mười'" in crashed.message
    assert mine[("deadline.user-named-day", "no_match")].ok  # and its other examples ran
    found = [p.render() for p in report.errors]
    assert len(found) == 1 and found[0].startswith(
        f"{path}:21:11: deadline.user-named-day: extraction failed: "), found


def test_extraction_that_the_user_rules_break_is_a_rule_error(tmp_path: Path,
                                                              capfd: pytest.CaptureFixture[str]
                                                              ) -> None:
    folder, _ = user_dir(tmp_path, "deadlines", """\
        - id: deadline.user-named-day
          description: A due day whose day is captured as a word, which the resolver cannot read.
          pattern: trước\\s+(?P<d>ngày)\\s+(?P<m>\\d{1,2})/(?P<y>{year})
          priority: 95
          emit: {kind: by}
          examples:
            match: ["trước ngày 12/2025"]
            no_match: ["trước"]
        """)
    doc = tmp_path / "doc.md"
    doc.write_text("II. NHIỆM VỤ\n- Báo cáo trước ngày 12/2025.\n", encoding="utf-8")
    err = invoke(["extract", "--rules", str(folder), str(doc)], ExitStatus.RULES,
                 capfd=capfd).stderr
    assert err.startswith(f"kttt: error: {folder}:1:1: the rules failed on this document: "
                          "ValueError: invalid literal for int()")
