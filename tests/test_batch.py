"""`kttt batch` and kttt_extract.batch: statuses, resume, determinism, tables, failure isolation."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kttt_extract import batch
from kttt_extract.batch import (
    DOC_COLUMNS,
    MANIFEST,
    PARTIAL,
    BatchOptions,
    Entry,
    Summary,
    UnsafePath,
    item_columns,
    output_path,
    run_batch,
)

PLAN = """\
ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG
Số: {n}/KH-UBND
KẾ HOẠCH
Phát triển kinh tế tập thể năm 2024

I. MỤC TIÊU
- Đến năm 2030 có {n}0 hợp tác xã, trên 230 thành viên.
- Phấn đấu 95% hợp tác xã hoạt động hiệu quả.

II. NHIỆM VỤ
1. Phòng Nông nghiệp và PTNT chủ trì, phối hợp với các cơ quan liên quan, báo cáo kết quả
trước ngày 15/12/2024.

III. TỔ CHỨC THỰC HIỆN
Ủy ban nhân dân các xã báo cáo định kỳ hằng năm.
"""

GOOD = ("plan.md", "nested/deep/khác.txt", "thư mục/Kế hoạch số 1 năm 2024.md")
BAD = {  # name -> expected error code
    "broken.pdf": "unreadable",
    "empty.txt": "unreadable",
    "x.pdf": "unsupported",
    "image.txt": "unsupported",
}
FAST = BatchOptions(jobs=2, timeout=60)
fork_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                               reason="patches reach the workers through fork")


def _corpus(root: Path, extra_good: int = 0) -> Path:
    """A folder with good plans, nested folders, a spaced Vietnamese name and bad files."""
    rng = random.Random(7)
    names = [*GOOD, *(f"more/kh-{i:02d}.md" for i in range(extra_good))]
    for i, name in enumerate(names, start=1):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(PLAN.format(n=i), encoding="utf-8")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (root / "empty.txt").write_bytes(b"")
    (root / "x.pdf").write_bytes(b"\x01\x02" + rng.randbytes(4096))
    (root / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(32)) * 64)
    (root / "notes.csv").write_text("not;a;document\n", encoding="utf-8")  # not a supported type
    (root / ".hidden.md").write_text(PLAN.format(n=9), encoding="utf-8")  # dot files are skipped
    return root


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _corpus(tmp_path / "in")


def _manifest(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    return {d["path"]: d for d in map(json.loads, lines)}


def _outputs(out: Path) -> dict[str, bytes]:
    """Every file the run wrote except the manifest (which holds timings)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith("manifest")}


def _csv(out: Path, table: str) -> list[list[str]]:
    raw = (out / f"{table}.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{table}.csv has no UTF-8 BOM"
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def _json(out: Path, rel: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / f"{rel}.json").read_bytes())
    return data


# --------------------------------------------------------------------------- one run


def test_manifest_records_every_input(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_batch(corpus, out, FAST)
    manifest = _manifest(out)
    assert list(manifest) == sorted(manifest)
    assert set(manifest) == set(GOOD) | set(BAD)  # notes.csv and .hidden.md are not inputs
    for rel in GOOD:
        entry = manifest[rel]
        assert (entry["status"], entry["code"]) == ("ok", None), entry
        assert entry["rules_version"] and len(entry["sha256"]) == 64
        doc = _json(out, rel)
        assert doc["source"]["path"] == rel
        assert doc["source"]["sha256"] == entry["sha256"]
        assert entry["targets"] == len(doc["targets"]) and entry["tasks"] == len(doc["tasks"])
    for rel, code in BAD.items():
        assert (manifest[rel]["status"], manifest[rel]["code"]) == ("error", code), manifest[rel]
        assert manifest[rel]["message"]
        assert not (out / f"{rel}.json").exists()
    assert (summary.ok, summary.failed, summary.skipped, summary.not_run) == (3, 4, 0, 0)
    assert summary.totals["targets"] == sum(manifest[r]["targets"] for r in GOOD)
    assert len(summary.slowest) == 5
    assert not (out / PARTIAL).exists()
    assert not [p for p in out.rglob("*.tmp")]


def test_tables_have_bom_headers_and_one_row_per_item(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(corpus, out, FAST)
    docs = {rel: _json(out, rel) for rel in GOOD}
    for table in ("targets", "deadlines", "tasks"):
        rows = _csv(out, table)
        header = [*DOC_COLUMNS, *item_columns(table)]
        assert rows[0] == header
        body = [dict(zip(header, row, strict=True)) for row in rows[1:]]
        assert len(body) == sum(len(d[table]) for d in docs.values())
        assert [r["path"] for r in body] == sorted(r["path"] for r in body)
        for rel, doc in docs.items():
            mine = [r for r in body if r["path"] == rel]
            assert [r["id"] for r in mine] == [item["id"] for item in doc[table]]
            assert [r["text"] for r in mine] == [_as_text(item["text"]) for item in doc[table]]
    names = {rel: {a["id"]: a["name"] for a in d["agencies"]} for rel, d in docs.items()}
    header = _csv(out, "tasks")[0]
    for row in _csv(out, "tasks")[1:]:
        rec = dict(zip(header, row, strict=True))
        task = next(t for t in docs[rec["path"]]["tasks"] if t["id"] == rec["id"])
        assert rec["lead"] == "; ".join(names[rec["path"]][a] for a in task["lead"])


def _as_text(value: str) -> str:
    """A CSV cell as a spreadsheet must read it: text, never a formula."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def test_xlsx_has_a_sheet_per_table(corpus: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "out"
    run_batch(corpus, out, FAST)
    book = load_workbook(out / "rollup.xlsx", read_only=True)
    assert book.sheetnames == ["targets", "deadlines", "tasks"]
    for table in book.sheetnames:
        rows = list(book[table].iter_rows(values_only=True))
        assert list(rows[0]) == [*DOC_COLUMNS, *item_columns(table)]
        assert len(rows) == len(_csv(out, table))
    book.close()


# --------------------------------------------------------------------------- reruns


def test_rerun_skips_done_files_and_is_byte_identical(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(corpus, out, FAST)
    first = _outputs(out)
    summary = run_batch(corpus, out, FAST)
    manifest = _manifest(out)
    assert {manifest[r]["status"] for r in GOOD} == {"skipped"}
    assert {manifest[r]["status"] for r in BAD} == {"error"}  # failures are retried
    assert (summary.ok, summary.skipped, summary.failed) == (0, 3, 4)
    assert summary.totals["targets"] == sum(manifest[r]["targets"] for r in GOOD)
    assert _outputs(out) == first
    run_batch(corpus, out, FAST)  # a skipped line counts as done too
    assert {_manifest(out)[r]["status"] for r in GOOD} == {"skipped"}


def test_force_redoes_everything(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(corpus, out, FAST)
    first = _outputs(out)
    summary = run_batch(corpus, out, BatchOptions(jobs=2, force=True))
    assert {_manifest(out)[r]["status"] for r in GOOD} == {"ok"}
    assert summary.ok == 3
    assert _outputs(out) == first


def test_two_clean_runs_are_identical(corpus: Path, tmp_path: Path) -> None:
    run_batch(corpus, tmp_path / "a", BatchOptions(jobs=1))
    run_batch(corpus, tmp_path / "b", BatchOptions(jobs=2))
    assert _outputs(tmp_path / "a") == _outputs(tmp_path / "b")


def test_changed_file_or_rules_are_redone(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(corpus, out, FAST)
    (corpus / "plan.md").write_text(PLAN.format(n=5), encoding="utf-8")
    run_batch(corpus, out, FAST)
    manifest = _manifest(out)
    assert manifest["plan.md"]["status"] == "ok"
    assert manifest["nested/deep/khác.txt"]["status"] == "skipped"
    lines = (out / MANIFEST).read_text(encoding="utf-8").replace(
        manifest["plan.md"]["rules_version"], "older-rules")
    (out / MANIFEST).write_text(lines, encoding="utf-8")
    run_batch(corpus, out, FAST)
    assert {_manifest(out)[r]["status"] for r in GOOD} == {"ok"}


def test_missing_json_is_redone(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_batch(corpus, out, FAST)
    (out / "plan.md.json").unlink()
    run_batch(corpus, out, FAST)
    assert _manifest(out)["plan.md"]["status"] == "ok"
    assert (out / "plan.md.json").exists()


# --------------------------------------------------------------------------- interruptions


def test_half_done_run_resumes_to_the_clean_result(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in", extra_good=6)
    run_batch(src, tmp_path / "clean", FAST)
    out = tmp_path / "out"
    run_batch(src, out, FAST)
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    for line in lines[::2]:  # forget half of the work, as a killed run would
        (out / (json.loads(line)["path"] + ".json")).unlink(missing_ok=True)
    (out / MANIFEST).unlink()
    (out / PARTIAL).write_text("\n".join(lines[1::2]) + '\n{"path": "torn', encoding="utf-8")
    for name in ("targets.csv", "rollup.xlsx"):
        (out / name).unlink()
    summary = run_batch(src, out, FAST)
    assert summary.skipped == sum(json.loads(x)["status"] == "ok" for x in lines[1::2])
    assert _outputs(out) == _outputs(tmp_path / "clean")
    assert not (out / PARTIAL).exists()


def test_fail_fast_stops_and_a_rerun_finishes(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in", extra_good=6)
    run_batch(src, tmp_path / "clean", FAST)
    out = tmp_path / "out"
    summary = run_batch(src, out, BatchOptions(jobs=1, fail_fast=True))
    assert summary.failed == 1 and summary.not_run > 0  # broken.pdf sorts first
    assert len(_manifest(out)) == summary.ok + summary.failed
    run_batch(src, out, FAST)
    assert _outputs(out) == _outputs(tmp_path / "clean")


def test_ctrl_c_keeps_the_partial_manifest(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in", extra_good=10)
    run_batch(src, tmp_path / "clean", FAST)
    out = tmp_path / "out"
    seen: list[str] = []

    def interrupt(done: int, total: int, entry: Entry) -> None:
        seen.append(entry.path)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(src, out, FAST, progress=interrupt)
    partial = (out / PARTIAL).read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["path"] for x in partial] == seen
    assert len(seen) < 17
    assert not (out / MANIFEST).exists()
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    run_batch(src, out, FAST)
    assert _outputs(out) == _outputs(tmp_path / "clean")


# --------------------------------------------------------------------------- isolation


def _sleepy(*args: Any, **kwargs: Any) -> Any:
    time.sleep(30)


def _buggy(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("boom")


def _greedy(*args: Any, **kwargs: Any) -> Any:
    return bytearray(4 * 1024**3)


def _dies(*args: Any, **kwargs: Any) -> Any:
    os._exit(3)


@fork_only
@pytest.mark.parametrize(("culprit", "code", "options"), [
    (_sleepy, "timeout", BatchOptions(jobs=2, timeout=0.5)),
    (_buggy, "internal", FAST),
    (_greedy, "memory", BatchOptions(jobs=2, max_memory_mb=1024)),
    (_dies, "crashed", FAST),
], ids=["timeout", "internal", "memory", "crashed"])
def test_one_bad_file_does_not_stop_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, culprit: Any, code: str,
        options: BatchOptions) -> None:
    from kttt_extract import pipeline

    src = _corpus(tmp_path / "in", extra_good=3)
    real = pipeline.extract_loaded

    def patched(loaded: Any, *args: Any, **kwargs: Any) -> Any:
        if loaded.source.path == "plan.md":
            return culprit()
        return real(loaded, *args, **kwargs)

    monkeypatch.setattr(pipeline, "extract_loaded", patched)
    summary = run_batch(src, tmp_path / "out", options)
    manifest = _manifest(tmp_path / "out")
    assert (manifest["plan.md"]["status"], manifest["plan.md"]["code"]) == ("error", code)
    assert summary.ok == 5 and summary.failed == 5


def test_output_paths_stay_inside_the_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert output_path(out, "a/b/plan.pdf") == out.resolve() / "a/b/plan.pdf.json"
    for bad in ("../x.pdf", "a/../../x.pdf", "/etc/x.pdf", ""):
        with pytest.raises(UnsafePath):
            output_path(out, bad)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    out.mkdir()
    (out / "a").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePath):
        output_path(out, "a/plan.md")
    src = tmp_path / "in"
    (src / "a").mkdir(parents=True)
    (src / "a" / "plan.md").write_text(PLAN.format(n=1), encoding="utf-8")
    run_batch(src, out, FAST)
    assert _manifest(out)["a/plan.md"]["code"] == "unsafe-path"
    assert list(outside.iterdir()) == []


def test_output_folder_inside_input_is_not_read(corpus: Path) -> None:
    out = corpus / "out"
    run_batch(corpus, out, BatchOptions(jobs=2, glob="*"))
    run_batch(corpus, out, BatchOptions(jobs=2, glob="*"))
    assert not [p for p in _manifest(out) if p.startswith("out/")]


def test_glob_selects_files(corpus: Path, tmp_path: Path) -> None:
    run_batch(corpus, tmp_path / "out", BatchOptions(jobs=2, glob="*.md"))
    assert set(_manifest(tmp_path / "out")) == {"plan.md", "thư mục/Kế hoạch số 1 năm 2024.md"}


def test_summary_when_nothing_matches(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    summary = run_batch(tmp_path / "in", tmp_path / "out", FAST)
    assert isinstance(summary, Summary) and summary.ok == summary.failed == 0
    assert _csv(tmp_path / "out", "targets")[0][0] == "path"


# --------------------------------------------------------------------------- command line


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from kttt_extract.cli import main

    code = main(args)
    return code, capsys.readouterr().err


def test_cli_exit_9_when_some_files_fail(corpus: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, err = _main(["batch", str(corpus), "-o", str(out), "-j", "2"], capsys)
    assert code == 9
    assert "kttt: [1/7] " in err and "ok plan.md" in err
    assert "error empty.txt: unreadable: empty file" in err
    assert "3 ok, 0 skipped, 4 failed" in err
    assert err.rstrip().endswith(f"kttt: error: {out / MANIFEST}: 4 file(s) failed (their "
                                 "errors are in the manifest; a rerun retries them)")


def test_cli_exit_0_and_quiet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "plan.md").write_text(PLAN.format(n=1), encoding="utf-8")
    code, err = _main(["batch", str(src), "-o", str(tmp_path / "out"), "--quiet"], capsys)
    assert (code, err) == (0, "")
    code, err = _main(["batch", str(src), "-o", str(tmp_path / "out"), "-j", "1"], capsys)
    assert code == 0 and "skipped plan.md" in err and "0 ok, 1 skipped, 0 failed" in err


def test_cli_runner_and_bad_input_folder(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from kttt_extract.cli import _register, app

    _register()
    src = tmp_path / "in"
    src.mkdir()
    (src / "plan.md").write_text(PLAN.format(n=1), encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(src), "-o", str(tmp_path / "out"), "-j", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "plan.md.json").exists()
    code, err = _main(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "o")], capsys)
    assert code == 2 and err == f"kttt: error: {tmp_path / 'nope'}: input is not a folder\n"


def test_batch_module_imports_nothing_heavy() -> None:
    assert "openpyxl" not in vars(batch) and "rich" not in vars(batch)
