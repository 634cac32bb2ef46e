"""`kttt report`: one workbook and one review page across a batch's documents, each row naming
its document and page."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from kttt_extract.emit import report
from kttt_extract.emit.json import dumps
from kttt_extract.errors import ExitStatus
from tests.conftest import SAMPLES, invoke
from tests.result_factory import make_result


def _results_folder(tmp_path: Path) -> Path:
    """Two documents as `kttt extract -o DIR` writes them (no manifest)."""
    folder = tmp_path / "results"
    (folder / "2025").mkdir(parents=True)
    (folder / "kh-12.pdf.json").write_bytes(dumps(make_result()))
    other = make_result(path="2025/kh-13.pdf").model_copy(
        update={"document": make_result().document.model_copy(update={"number": "13/KH"})})
    (folder / "2025" / "kh-13.pdf.json").write_bytes(dumps(other))
    (folder / "notes.json").write_text('{"not": "a result"}', encoding="utf-8")
    return folder


def _sheet(path: Path, name: str) -> list[dict[str, object]]:
    from openpyxl import load_workbook

    rows = list(load_workbook(path)[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_report_tables_name_document_and_page(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    folder = _results_folder(tmp_path)
    res = invoke(["report", str(folder)], capfd=capfd)
    assert res.stderr.startswith("kttt: 2 documents: 8 task rows, 4 deadlines, 2 targets; ")
    book = folder / "report.xlsx"
    tasks = _sheet(book, "tasks")
    assert [(r["agency"], r["role"], r["document"]) for r in tasks[:3]] == [
        ("Sở Nông nghiệp và Phát triển nông thôn", "lead", "2025/kh-13.pdf"),
        ("Sở Nông nghiệp và Phát triển nông thôn", "lead", "kh-12.pdf"),
        ("Sở Nông nghiệp và Phát triển nông thôn", "report_to", "2025/kh-13.pdf")]
    assert tasks[0]["due"] == dt.datetime(2025, 12, 15) and tasks[0]["page"] == 1
    assert tasks[0]["number"] == "13/KH"
    deadlines = _sheet(book, "deadlines")
    assert [(r["month"], r["page"]) for r in deadlines] == [("2025-12", 1), ("2025-12", 1),
                                                            (None, 2), (None, 2)]
    targets = _sheet(book, "targets")
    assert [(r["horizon"], r["indicator"], r["figure"]) for r in targets] == [
        ("2025", "hợp tác xã", "50 hợp tác xã (2025)")] * 2
    docs = _sheet(book, "documents")
    assert [d["document"] for d in docs] == ["2025/kh-13.pdf", "kh-12.pdf"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert page.count("</td></tr>") == 8 + 4 + 2 + 2 and "2025/kh-13.pdf" in page


def test_report_over_a_batch_uses_its_manifest(tmp_path: Path,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    from kttt_extract.batch import BatchOptions, run_batch

    src = tmp_path / "in"
    src.mkdir()
    for name in ("vinh-linh-cv-20nq.txt", "muong-te-kh-20nq.md"):
        shutil.copy(SAMPLES / name, src / name)
    (src / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    run_batch(src, out, BatchOptions(jobs=1))
    (out / "stray.json").write_bytes(dumps(make_result()))  # not in the manifest: not read
    report_dir = tmp_path / "report"
    invoke(["report", str(out), "-o", str(report_dir), "-q"], capfd=capfd)
    docs = _sheet(report_dir / "report.xlsx", "documents")
    assert [d["document"] for d in docs] == ["muong-te-kh-20nq.md", "vinh-linh-cv-20nq.txt"]
    tasks = _sheet(report_dir / "report.xlsx", "tasks")
    led = {r["agency"] for r in tasks if r["role"] == "lead"}
    assert "Phòng Nông nghiệp và Phát triển nông thôn" in led
    agencies = [report.fold(str(r["agency"])) for r in tasks if r["agency"]]
    assert agencies == sorted(agencies)


def test_unreadable_results_are_named_and_left_out(tmp_path: Path,
                                                   capfd: pytest.CaptureFixture[str]) -> None:
    folder = _results_folder(tmp_path)
    broken = json.loads((folder / "kh-12.pdf.json").read_text(encoding="utf-8"))
    broken["tasks"][0]["lead"] = 5
    (folder / "kh-12.pdf.json").write_text(json.dumps(broken), encoding="utf-8")
    res = invoke(["report", str(folder)], capfd=capfd)
    assert res.stderr.startswith("kttt: warning: kh-12.pdf: could not be read; left out\n")
    assert [d["document"] for d in _sheet(folder / "report.xlsx", "documents")] == [
        "2025/kh-13.pdf"]


def test_report_mistakes(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    res = invoke(["report", str(tmp_path / "nope")], code=ExitStatus.USAGE, capfd=capfd)
    assert res.stderr == (f"kttt: error: {tmp_path / 'nope'}: not a folder (give the -o folder "
                          "of a kttt batch run)\n")
    res = invoke(["report", str(tmp_path)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == (f"kttt: error: {tmp_path}: no kttt results found (run kttt batch "
                          "IN_DIR -o BATCH_DIR first)\n")
    folder = _results_folder(tmp_path)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    res = invoke(["report", str(folder), "-o", str(a_file)], code=ExitStatus.OUTPUT,
                 capfd=capfd)
    assert res.stderr == f"kttt: error: {a_file}: is not a folder (give a folder for the report)\n"
    (folder / "report.xlsx").mkdir()
    res = invoke(["report", str(folder)], code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == (f"kttt: error: {folder / 'report.xlsx'}: is a directory (give a file "
                          "name)\n")
    assert not (folder / "report.html").exists()
