"""`kttt rules check`, `kttt rules test` and `kttt eval`: rule sets that can be checked in CI.

Exit 0 when clean, 1 (`ExitStatus.FINDINGS`) when a check or test found something; a rule file
that cannot be loaded by `rules test` or `eval` goes through the error boundary (exit 7).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from kttt_extract.cli import app, fail
from kttt_extract.cli.options import (
    MaxAliasesOpt,
    MaxMemoryOpt,
    MaxRuleSizeOpt,
    TimeoutOpt,
    limits,
    rule_limits,
)
from kttt_extract.cli.rules_output import (
    check_json,
    check_junit,
    check_summary,
    count_cases,
    esc,
    github,
    rel,
    render,
    xml,
)
from kttt_extract.errors import ExitStatus, printable, unescaped_bytes_shown

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from kttt_extract.guard import Limits
    from kttt_extract.model import Result
    from kttt_extract.ruleset import RuleSet
    from kttt_extract.ruleset.load import RuleLimits
    from kttt_extract.ruletools.report import Report
    from kttt_extract.score import DocScore, ListScore, Sample, Summary

MAX_JSON = 256 * 1024 * 1024  # an expected file or a baseline larger than this is refused

rules_app = typer.Typer(name="rules", help="Check and test rule files.", no_args_is_help=True,
                        rich_markup_mode=None)
app.add_typer(rules_app, name="rules")


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"


class TestFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


# readable=False on paths: click would turn an unreadable one into a usage error (exit 2)
RULES_DIR_ARG = typer.Argument(None, readable=False,
                               help="A rule directory (default: the shipped rules); it is "
                               "merged over the shipped rules as `kttt extract --rules` does.")
CHECK_FORMAT_OPT = typer.Option(CheckFormat.text, "--format", help="Output format.")
TEST_FORMAT_OPT = typer.Option(TestFormat.text, "--format", help="Output format.")
SAMPLES_OPT = typer.Option(..., "--samples", readable=False,
                           help="Folder of <doc>.<ext> files, each with a "
                           "hand-written <doc>.expected.json beside it.")
BASELINE_OPT = typer.Option(None, "--baseline", readable=False,
                            help="Fail when an F1 falls more than --margin "
                            "below this saved baseline (all documents, or any one document).")
MARGIN_OPT = typer.Option(0.02, "--margin", min=0.0, help="Allowed F1 drop.")
SAVE_BASELINE_OPT = typer.Option(None, "--save-baseline", readable=False,
                                 help="Write the scores here as a new baseline.")
JUNIT_OPT = typer.Option(None, "--junit", readable=False,
                         help="Also write JUnit XML here (one testcase per document and list).")
FILE_ARG = typer.Argument(..., readable=False, help="A document.")
EXPECTED_ARG = typer.Argument(..., readable=False, help="Its hand-written expected JSON.")
EXTRA_RULES_OPT = typer.Option(None, "--rules", readable=False,
                               help="Extra rule directory; its rules replace shipped ones by id.")


STRICT_OPT = typer.Option(False, "--strict",
                          help="Also run each rule's examples with the rule switched off, and "
                          "report a rule whose examples (match and no_match) all pass without "
                          "it (unless it says why in `strict_exempt`).")


EXAMPLES_OPT = typer.Option(True, "--examples/--no-examples",
                            help="Run the rules' examples (--no-examples: validate, hold "
                            "against the stages and lint only).")


def _check(task: tuple[Path | None, RuleLimits, bool, bool]) -> Report:
    from kttt_extract.ruletools.check import check_rules

    return check_rules(task[0], limits=task[1], examples=task[2], strict=task[3])


@rules_app.command("check")
def check_cmd(rules_dir: Path | None = RULES_DIR_ARG, fmt: CheckFormat = CHECK_FORMAT_OPT,
              examples: bool = EXAMPLES_OPT, strict: bool = STRICT_OPT,
              timeout: TimeoutOpt = 600.0, max_memory: MaxMemoryOpt = 2048,
              max_rule_size: MaxRuleSizeOpt = 5, max_aliases: MaxAliasesOpt = 1000) -> None:
    """Validate rule files, hold them against the stages that read them, lint them, time their
    patterns and run their examples."""
    from kttt_extract import guard

    task = (rules_dir, rule_limits(max_rule_size, max_aliases), examples, strict)
    report = guard.run(_check, task, limits(timeout, max_memory),
                       name=str(rules_dir or "rules"))
    if fmt is CheckFormat.json:
        _out(json.dumps(check_json(report), ensure_ascii=False, indent=2) + "\n")
    elif fmt is CheckFormat.junit:
        _out(xml(check_junit(report)))
    else:
        for p in report.problems:
            _out((github(p) if fmt is CheckFormat.github else render(p)) + "\n")
        _out(check_summary(report) + "\n")
    if not report.ok:
        raise typer.Exit(int(ExitStatus.FINDINGS))


@rules_app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of a rule file (for editors: completion and checks as you type)."""
    from kttt_extract.ruleset.jsonschema import rule_file_schema

    _out(rule_file_schema())


@rules_app.command("test")
def test_cmd(
    rules_dir: Path | None = RULES_DIR_ARG,
    samples: Path = SAMPLES_OPT,
    baseline: Path | None = BASELINE_OPT,
    margin: float = MARGIN_OPT,
    save_baseline: Path | None = SAVE_BASELINE_OPT,
    junit: Path | None = JUNIT_OPT,
    fmt: TestFormat = TEST_FORMAT_OPT,
    timeout: TimeoutOpt = 120.0,
    max_memory: MaxMemoryOpt = 2048,
    max_rule_size: MaxRuleSizeOpt = 5,
    max_aliases: MaxAliasesOpt = 1000,
) -> None:
    """Extract every sample with the merged rules and score it against its expected file."""
    from kttt_extract.ruleset import load_rules
    from kttt_extract.score import find_samples

    if not samples.is_dir():
        fail(f"{samples}: not a folder (give --samples DIR)", ExitStatus.USAGE)
    found = find_samples(samples)
    if not found:
        fail(f"{samples}: no <doc>.expected.json with a document beside it", ExitStatus.USAGE)
    ruleset = load_rules(rules_dir, limits=rule_limits(max_rule_size, max_aliases))
    summary = _score_samples(found, ruleset, limits(timeout, max_memory))
    old = _read_json(baseline) if baseline else None
    drops = _drops(summary, old, margin) if old is not None else {}
    _emit_test(summary, found, drops, fmt, baseline)
    if save_baseline:
        _write(save_baseline, json.dumps(summary.baseline(), ensure_ascii=False, indent=2) + "\n")
    if junit:
        _write(junit, xml(_test_junit(summary, drops)))
    if drops or any(d.error for d in summary.documents):
        raise typer.Exit(int(ExitStatus.FINDINGS))


@app.command("eval")
def eval_cmd(file: Path = FILE_ARG, expected: Path = EXPECTED_ARG,
             rules: Path | None = EXTRA_RULES_OPT, fmt: TestFormat = TEST_FORMAT_OPT,
             timeout: TimeoutOpt = 120.0, max_memory: MaxMemoryOpt = 2048,
             max_rule_size: MaxRuleSizeOpt = 5, max_aliases: MaxAliasesOpt = 1000) -> None:
    """Score one document against its expected JSON (P/R/F1, missed and invented items)."""
    from kttt_extract.ruleset import load_rules
    from kttt_extract.score import Sample

    sample = Sample(file.name, file, expected)
    ruleset = load_rules(rules, limits=rule_limits(max_rule_size, max_aliases))
    summary = _score_samples([sample], ruleset, limits(timeout, max_memory))
    _emit_test(summary, [sample], {}, fmt, None)
    if summary.documents[0].error:
        raise typer.Exit(int(ExitStatus.FINDINGS))


# ----------------------------------------------------------------------------- test output


def _extract(task: tuple[Path, RuleSet]) -> Result:
    from kttt_extract.pipeline import extract

    return extract(task[0], rules=task[1])


def _score_samples(samples: list[Sample], ruleset: RuleSet, bounds: Limits) -> Summary:
    """Extract each sample in a child process under `bounds` and score it."""
    from kttt_extract import guard
    from kttt_extract.errors import KtttError
    from kttt_extract.score import Summary, score

    scores = []
    for sample in samples:
        expected = _read_json(sample.expected)
        try:
            result = guard.run(_extract, (sample.input, ruleset), bounds,
                               name=printable(str(sample.input)))
        except KtttError as exc:
            scores.append(score(None, expected, sample.name, error=exc.line()))
            continue
        scores.append(score(result, expected, sample.name))
    return Summary(scores)


Drops = dict[tuple[str, str], str]  # (document or "*", list) -> message


def _drops(summary: Summary, baseline: dict[str, Any], margin: float) -> Drops:
    """Regressions over all documents (key "*") and per document."""
    from kttt_extract.score import regressions

    out: Drops = {("*", m.split(":")[0]): m for m in regressions(summary, baseline, margin)}
    old_docs = baseline.get("documents", {})
    for doc in summary.documents:
        for name, s in doc.lists.items():
            before = old_docs.get(doc.name, {}).get(name)
            if before is not None and s.f1 < float(before) - margin - 1e-9:
                out[(doc.name, name)] = (f"{doc.name}: {name}: F1 {s.f1:.3f} fell below "
                                         f"the baseline {float(before):.3f}")
    return out


def _emit_test(summary: Summary, samples: list[Sample], drops: Drops, fmt: TestFormat,
               baseline: Path | None) -> None:
    if fmt is TestFormat.json:
        data = _test_json(summary, drops)
        _out(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _out("\n".join(_test_text(summary)) + "\n")
    for message in drops.values():
        _out((f"::error file={esc(rel(baseline or ''), True)}::{esc(message)}"
              if fmt is TestFormat.github else f"regression: {message}") + "\n")
    if fmt is TestFormat.github:
        where = {s.name: rel(s.expected) for s in samples}
        for doc in summary.documents:
            if doc.error:
                _out(f"::error file={esc(where[doc.name], True)},line=1::{esc(doc.error)}\n")


def _row(name: str, s: ListScore) -> str:
    return (f"  {name:<13} P {s.precision:5.3f}  R {s.recall:5.3f}  F1 {s.f1:5.3f}  "
            f"(tp {s.tp}, fp {s.fp}, fn {s.fn})")


def _test_text(summary: Summary) -> list[str]:
    lines = []
    for doc in summary.documents:
        lines.append(f"{doc.name}" + (f"  ERROR: {doc.error}" if doc.error else ""))
        lines.extend(_row(n, s) for n, s in doc.lists.items())
        lines.append(f"  {'document':<13} accuracy {doc.accuracy:5.3f}  wrong: "
                     + (", ".join(k for k, v in doc.fields.items() if not v) or "none"))
        for n, s in doc.lists.items():
            lines.extend(f"    missed   {n}: {_item(i)}" for i in s.missed)
            lines.extend(f"    invented {n}: {_item(i)}" for i in s.invented)
    lines.append("all documents")
    lines.extend(_row(n, s) for n, s in summary.lists.items())
    lines.append(f"  {'document':<13} accuracy {summary.accuracy:5.3f}")
    lines.append("rules (true positives, false positives)")
    lines.extend(f"  {rid:<32} tp {tp:4d}  fp {fp:4d}" for rid, (tp, fp) in summary.rules.items())
    return lines


def _item(row: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items() if v not in (None, [], ())},
                      ensure_ascii=False, default=str)


def _test_json(summary: Summary, drops: Drops) -> dict[str, Any]:
    def doc_json(d: DocScore) -> dict[str, Any]:
        return {"name": d.name, "error": d.error, "accuracy": round(d.accuracy, 4),
                "fields": d.fields,
                "lists": {n: {**s.numbers(), "missed": s.missed, "invented": s.invented}
                          for n, s in d.lists.items()}}

    return {**summary.baseline(), "documents": [doc_json(d) for d in summary.documents],
            "rules": {r: {"tp": tp, "fp": fp} for r, (tp, fp) in summary.rules.items()},
            "regressions": list(drops.values())}


def _test_junit(summary: Summary, drops: Drops) -> Element:
    from xml.etree.ElementTree import Element, SubElement

    suites = Element("testsuites", name="kttt rules test")
    for doc in summary.documents:
        suite = SubElement(suites, "testsuite", name=doc.name)
        for name, s in doc.lists.items():
            case = SubElement(suite, "testcase", classname=doc.name, name=name)
            if doc.error:
                SubElement(case, "error", message=doc.error)
            elif (doc.name, name) in drops or ("*", name) in drops:
                msg = drops.get((doc.name, name)) or drops[("*", name)]
                SubElement(case, "failure", message=msg)
            SubElement(case, "system-out").text = "\n".join(
                [_row(name, s).strip()]
                + [f"missed {_item(i)}" for i in s.missed]
                + [f"invented {_item(i)}" for i in s.invented])
    count_cases(suites)
    return suites


# ----------------------------------------------------------------------------- helpers


def _read_json(path: Path) -> dict[str, Any]:
    """An expected file or a baseline: a regular file (a FIFO would block), then its JSON."""
    from kttt_extract.fileio import check_regular
    from kttt_extract.score import read_expected

    check_regular(path, MAX_JSON)
    return read_expected(path)


def _write(path: Path, text: str) -> None:
    from kttt_extract.emit.atomic import write_atomic

    write_atomic(path, text.encode("utf-8"))


def _out(text: str) -> None:
    sys.stdout.write(unescaped_bytes_shown(text))
