"""The output of `kttt rules check` (text, JSON, GitHub annotations, JUnit XML) and the
helpers the rules commands share to write reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    from kttt_extract.ruletools.report import Problem, Report


def render(p: Problem) -> str:
    return p.render().replace(f"{p.file}:", f"{rel(p.file)}:", 1)


def check_summary(report: Report) -> str:
    ran = [o for o in report.outcomes if o.example.kind != "todo"]
    failed = sum(1 for o in ran if not o.ok)
    todo_now = sum(1 for o in report.outcomes if o.example.kind == "todo" and o.ok)
    errors, warnings = len(report.errors), len(report.problems) - len(report.errors)
    return (f"{len(report.files)} rule files, {len(ran)} examples run, {failed} failed, "
            f"{todo_now} todo now passing: {errors} errors, {warnings} warnings")


def check_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "files": [rel(p) for p in report.files],
        "problems": [{"file": rel(p.file), "line": p.line, "col": p.col, "rule": p.rule_id,
                      "severity": p.severity, "code": p.code, "message": p.message}
                     for p in report.problems],
        "examples": [{"id": o.example.test_id, "file": rel(o.file), "line": o.line,
                      "rule": o.rule_id, "kind": o.kind, "passed": o.passed, "ok": o.ok,
                      "message": o.message} for o in report.outcomes],
    }


def check_junit(report: Report) -> Element:
    from xml.etree.ElementTree import Element, SubElement

    suites = Element("testsuites", name="kttt rules check")
    files: dict[str, list[Problem]] = {rel(f): [] for f in report.files}
    for p in report.problems:
        if p.code not in ("example", "todo-passes"):
            files.setdefault(rel(p.file), []).append(p)
    suite = SubElement(suites, "testsuite", name="validate")
    for name, problems in files.items():
        case = SubElement(suite, "testcase", classname="validate", name=name)
        errs = [p for p in problems if p.severity == "error"]
        if errs:
            SubElement(case, "failure", message=f"{len(errs)} problems").text = "\n".join(
                render(p) for p in errs)
    suite = SubElement(suites, "testsuite", name="examples")
    for o in report.outcomes:
        case = SubElement(suite, "testcase", classname=Path(o.file).stem, name=o.example.test_id,
                          file=rel(o.file), line=str(o.line))
        if o.example.kind == "todo" and not o.ok:
            SubElement(case, "skipped", message=o.message)
        elif not o.passed:
            SubElement(case, "failure", message=o.message)
    count_cases(suites)
    return suites



def count_cases(suites: Element) -> None:
    for suite in suites:
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attr, str(sum(1 for c in cases if c.find(tag) is not None)))


def xml(root: Element) -> str:
    from xml.etree.ElementTree import indent, tostring

    indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + tostring(root, encoding="unicode") + "\n"


def github(p: Problem) -> str:
    level = "error" if p.severity == "error" else "warning"
    props = f"file={esc(rel(p.file), True)},line={p.line},col={p.col}"
    if p.rule_id:
        props += f",title={esc(p.rule_id, True)}"
    return f"::{level} {props}::{esc(p.message)}"


def esc(text: str, prop: bool = False) -> str:
    """GitHub workflow-command escaping (properties also escape `:` and `,`)."""
    out = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return out.replace(":", "%3A").replace(",", "%2C") if prop else out


def rel(path: str | Path) -> str:
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)
