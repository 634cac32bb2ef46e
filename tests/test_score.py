"""The scorer on small hand-made results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.model import (
    Agency,
    Deadline,
    Document,
    Mention,
    Reference,
    Result,
    Section,
    SignerInfo,
    Source,
    Target,
    Task,
)
from kttt_extract.score import (
    ListScore,
    Summary,
    find_samples,
    match,
    regressions,
    score,
    task_prefix,
)


def result(**lists: Any) -> Result:
    base: dict[str, Any] = {"sections": (), "targets": (), "deadlines": (), "agencies": (),
                            "tasks": (), "warnings": (), "document": Document()}
    return Result(source=Source(path="x.md", format="md", sha256="0"), **{**base, **lists})


def section(i: int, number: str, heading: str, kind: str, level: int = 1,
            parent: str | None = None, rule: str = "section.roman") -> Section:
    return Section(id=f"s{i}", number=number, heading=heading, kind=kind,  # type: ignore[arg-type]
                   level=level, parent=parent, span=(0, 1), rule=rule)


def target(value: float, unit: str | None, *, metric: str = "count", comparator: str = "eq",
           year: int | None = 2030, indicator: str | None = None, rule: str = "target.count"
           ) -> Target:
    return Target(id="t", text="...", indicator=indicator or unit, metric=metric,  # type: ignore[arg-type]
                  value=value, unit=unit, comparator=comparator, year=year,  # type: ignore[arg-type]
                  span=(0, 1), section=None, rule=rule)


def deadline(kind: str, date: str | None = None, recurrence: str | None = None,
             rule: str = "deadline.x") -> Deadline:
    return Deadline(id="d", text="...", kind=kind, date=date,  # type: ignore[arg-type]
                    recurrence=recurrence, span=(0, 1), section=None, rule=rule)  # type: ignore[arg-type]


def agency(i: int, name: str, *roles: str, rule: str = "agency.names") -> Agency:
    mentions = tuple(Mention(span=(0, 1), section=None, role=r, rule=rule)  # type: ignore[arg-type]
                     for r in roles)
    return Agency(id=f"a{i}", name=name, aliases=(name,), mentions=mentions)


def exp_target(value: float, unit: str, **kw: Any) -> dict[str, Any]:
    return {"text": "...", "indicator": unit, "metric": "count", "value": value,
            "value_max": None, "unit": unit, "comparator": "eq", "year": 2030, **kw}


def test_list_score_numbers() -> None:
    s = ListScore(tp=2, fp=1, fn=1)
    assert (s.precision, s.recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert s.f1 == pytest.approx(2 / 3)
    assert ListScore().f1 == 1.0  # nothing expected, nothing produced
    assert ListScore(fp=1).f1 == 0.0


def test_sections_match_on_parent_number_and_heading_prefix() -> None:
    produced = result(sections=(
        section(1, "II", "MỤC TIÊU", "objectives"),
        section(2, "1", "Mục tiêu chung đến năm 2030, toàn huyện", "objectives", 2, "s1",
                rule="section.decimal"),
        section(3, "2", "Mục tiêu cụ thể", "tasks", 2, "s1", rule="section.decimal"),
    ))
    expected = {"sections": [
        {"number": "II", "heading": "MỤC TIÊU", "kind": "objectives", "level": 1, "parent": None},
        {"number": "1", "heading": "Mục tiêu chung đến năm 2030", "kind": "objectives",
         "level": 2, "parent": "II"},
        {"number": "2", "heading": "Mục tiêu cụ thể", "kind": "objectives", "level": 2,
         "parent": "II"},
    ]}
    doc = score(produced, expected, "d")
    s = doc.lists["sections"]
    assert (s.tp, s.fp, s.fn) == (2, 1, 1)
    assert s.missed[0]["kind"] == "objectives" and s.invented[0]["kind"] == "tasks"
    assert doc.rules == {"section.decimal": (1, 1), "section.roman": (1, 0)}


def test_targets_units_numbers_and_bipartite_matching() -> None:
    produced = result(targets=(
        target(15, "tổ hợp tác"),
        target(230.0, "thành viên hợp tác xã"),  # expected unit contained in it
        target(50, None, indicator="hợp tác xã nông nghiệp"),  # unit found in the indicator
        target(5, "%", metric="percent"),
        target(5, "người"),  # invented
    ))
    expected = {"targets": [
        exp_target(15, "tổ hợp tác"), exp_target(230, "thành viên"),
        exp_target(50, "hợp tác xã"), exp_target(5, "%", metric="percent"),
        exp_target(7, "lần", metric="multiple"),
    ]}
    s = score(produced, expected).lists["targets"]
    assert (s.tp, s.fp, s.fn) == (4, 1, 1)
    assert s.invented[0]["unit"] == "người" and s.missed[0]["unit"] == "lần"


def test_exact_units_are_exact() -> None:
    produced = result(targets=(target(5, "% dân số", metric="percent"),))
    s = score(produced, {"targets": [exp_target(5, "%", metric="percent")]}).lists["targets"]
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)


def test_bipartite_finds_the_maximum_matching() -> None:
    expected = [{"k": 1, "u": "a"}, {"k": 1, "u": "ab"}]
    produced = [{"k": 1, "u": "ab"}, {"k": 1, "u": "a"}]
    # "a" fits both produced rows, "ab" only the first: greedy in order would pair 0-0 and fail.
    pairs = match(expected, produced, key=lambda r: r["k"],
                  same=lambda e, p: e["u"] in p["u"])
    assert sorted(pairs) == [(0, 1), (1, 0)]


def test_deadlines_are_a_multiset() -> None:
    produced = result(deadlines=(deadline("by", "2030-12-31"), deadline("by", "2030-12-31"),
                                 deadline("recurring", recurrence="yearly")))
    row = {"text": "đến năm 2030", "kind": "by", "date": "2030-12-31", "recurrence": None,
           "day": None, "period": None}
    s = score(produced, {"deadlines": [row, row, row]}).lists["deadlines"]
    assert (s.tp, s.fp, s.fn) == (2, 1, 1)


def test_agencies_and_roles_fold_names() -> None:
    produced = result(agencies=(agency(1, "Uỷ ban nhân dân  huyện", "lead", "support"),
                                agency(2, "Phòng Tư pháp", "mentioned")))
    expected = {"agencies": [
        {"name": "Ủy ban nhân dân huyện", "aliases": [], "roles": ["lead", "report_to"],
         "group": False}]}
    doc = score(produced, expected)
    a, r = doc.lists["agencies"], doc.lists["agency_roles"]
    assert (a.tp, a.fp, a.fn) == (1, 1, 0)
    assert (r.tp, r.fp, r.fn) == (1, 2, 1)
    assert r.missed == ({"name": "Ủy ban nhân dân huyện", "role": "report_to"},)


def test_tasks_need_text_prefix_and_equal_leads() -> None:
    agencies = (agency(1, "Phòng Nông nghiệp và Phát triển nông thôn", "lead"),
                agency(2, "Phòng Tài chính - Kế hoạch", "lead"))
    tasks = (
        Task(id="k1", text="- Chủ trì, phối hợp với các đơn vị liên quan tham mưu UBND huyện",
             section=None, span=(0, 1), rule="task.item", lead=("a1",)),
        Task(id="k2", text="Thường xuyên kiểm tra, theo dõi, đôn đốc", section=None,
             span=(0, 1), rule="task.item", lead=("a1",)),
    )
    expected = {"tasks": [
        {"text": "Chủ trì, phối hợp với các đơn vị liên quan tham mưu", "support": [],
         "lead": ["Phòng Nông nghiệp và Phát triển nông thôn"], "report_to": []},
        {"text": "Thường xuyên kiểm tra, theo dõi, đôn đốc, tổng hợp", "support": [],
         "lead": ["Phòng Tài chính - Kế hoạch"], "report_to": []},
    ]}
    s = score(result(agencies=agencies, tasks=tasks), expected).lists["tasks"]
    assert (s.tp, s.fp, s.fn) == (1, 1, 1)
    assert task_prefix("a) Thường xuyên") == task_prefix("Thường xuyên")


def test_references_and_document_fields() -> None:
    refs = (
        Reference(kind="Nghị quyết", number="20-NQ/TW", date="2022-06-16", issuer=None,
                  text="...", spans=((0, 1),), rule="reference.numbered"),
        Reference(kind="Luật", number=None, date="2012", issuer=None, text="Luật Hợp tác xã",
                  spans=((0, 1),), rule="reference.law"),
        Reference(kind="Luật", number=None, date="2020", issuer=None, text="...",
                  spans=((0, 1),), rule="reference.law"),
    )
    document = Document(kind="Kế hoạch", number="67-KH/HU", date="2023-02", references=refs,
                        signer=SignerInfo(name="Trần Văn A", position="Phó Bí thư"),
                        recipients=("Các chi bộ", "Lưu VT"))
    expected = {"document": {
        "kind": "Kế hoạch", "number": "67-KH/HU", "date": "2023-02-10", "title": None,
        "signer": {"name": "Trần Văn A", "position": "Bí thư"},
        "recipients": ["Lưu VT", "các chi bộ"],
        "references": [{"kind": "Nghị quyết", "number": "20-NQ/TW", "date": "2022-06-16"},
                       {"kind": "Luật", "number": None, "date": "2012"}]}}
    doc = score(result(document=document), expected)
    s = doc.lists["references"]
    assert (s.tp, s.fp, s.fn) == (2, 1, 0)
    assert doc.fields == {"kind": True, "number": True, "title": True, "date": False,
                          "signer.name": True, "signer.position": False, "recipients": True}
    assert doc.accuracy == pytest.approx(5 / 7)
    assert doc.rules["reference.law"] == (1, 1)


def test_failed_extraction_misses_everything() -> None:
    doc = score(None, {"deadlines": [{"kind": "ongoing"}]}, "d", error="boom")
    assert doc.error == "boom" and doc.lists["deadlines"].fn == 1


def test_summary_baseline_and_regressions() -> None:
    good = score(result(deadlines=(deadline("ongoing"),)), {"deadlines": [{"kind": "ongoing"}]},
                 "a")
    bad = score(result(), {"deadlines": [{"kind": "ongoing"}]}, "b")
    summary = Summary([good, bad])
    assert summary.lists["deadlines"].f1 == pytest.approx(2 / 3)
    base = summary.baseline()
    assert base["documents"]["b"]["deadlines"] == 0.0
    assert regressions(summary, base) == []
    base["lists"]["deadlines"]["f1"] = 0.7
    assert regressions(summary, base, margin=0.05) == []
    assert regressions(summary, base, margin=0.02) == [
        "deadlines: F1 0.667 fell below the baseline 0.700 by more than 0.02"]


def test_find_samples_scores_every_format_richest_first(tmp_path: Path) -> None:
    for name in ("a.md", "a.docx", "a.png", "a.expected.json", "b.expected.json", "c.txt"):
        (tmp_path / name).write_text(json.dumps({}), encoding="utf-8")
    found = find_samples(tmp_path)
    assert [(s.name, s.input.name) for s in found] == [("a", "a.docx"), ("a.md", "a.md")]
