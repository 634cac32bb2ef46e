"""The batch's index (manifest.sqlite): a rerun with nothing to do reads no input and no JSON."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kttt_extract import batch, batch_plan
from kttt_extract.batch import MANIFEST, BatchOptions, run_batch
from kttt_extract.batch_index import INDEX

PLAN = """\
ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG
KẾ HOẠCH
Phát triển kinh tế tập thể năm 2024

I. MỤC TIÊU
- Đến năm 2030 có {n}0 hợp tác xã, trên 230 thành viên.

II. NHIỆM VỤ
1. Phòng Nông nghiệp và PTNT chủ trì, báo cáo kết quả trước ngày 15/12/2024.
"""
FAST = BatchOptions(jobs=2, timeout=60)
TABLES = ("targets.csv", "deadlines.csv", "tasks.csv", "rollup.xlsx")


def _folder(root: Path, count: int = 4) -> Path:
    for i in range(count):
        path = root / f"d{i % 2}" / f"kh-{i}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PLAN.format(n=i + 1), encoding="utf-8")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    return root


def _manifest(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    return {d["path"]: d for d in map(json.loads, lines)}


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a rerun with nothing to do read what it did not need")


def test_rerun_with_nothing_to_do_hashes_nothing_and_reads_no_json(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = _folder(tmp_path / "in"), tmp_path / "out"
    run_batch(src, out, FAST)
    run_batch(src, out, FAST)  # the first rerun marks everything skipped
    tables = {n: (out / n).read_bytes() for n in TABLES}
    stamps = {n: os.stat(out / n).st_mtime_ns for n in TABLES}
    digest = batch_plan.digest_regular

    def only_failed(path: str, limit: int) -> str:  # failed files are retried: read again
        assert path.endswith("broken.pdf"), f"{path} was hashed again"
        return digest(path, limit)

    monkeypatch.setattr(batch_plan, "digest_regular", only_failed)
    monkeypatch.setattr(batch, "write_rollups", _refuse)
    summary = run_batch(src, out, FAST)
    assert (summary.ok, summary.skipped, summary.failed) == (0, 4, 1)
    assert summary.totals["targets"] == sum(e["targets"] for e in _manifest(out).values())
    assert {n: (out / n).read_bytes() for n in TABLES} == tables
    assert {n: os.stat(out / n).st_mtime_ns for n in TABLES} == stamps
    assert (out / INDEX).is_file()


def test_a_touched_file_is_hashed_and_a_changed_one_redone(tmp_path: Path) -> None:
    src, out = _folder(tmp_path / "in"), tmp_path / "out"
    run_batch(src, out, FAST)
    touched, changed = src / "d0" / "kh-0.md", src / "d1" / "kh-1.md"
    os.utime(touched, ns=(1, 1))  # same bytes, another mtime: hashed, found the same
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("230", "231"), encoding="utf-8")  # same size
    os.utime(changed, ns=(os.stat(touched).st_atime_ns, os.stat(out / MANIFEST).st_mtime_ns))
    run_batch(src, out, FAST)
    manifest = _manifest(out)
    assert manifest["d0/kh-0.md"]["status"] == "skipped"
    assert manifest["d1/kh-1.md"]["status"] == "ok"
    assert "231" in (out / "targets.csv").read_text(encoding="utf-8-sig")


def test_missing_tables_are_written_again(tmp_path: Path) -> None:
    src, out = _folder(tmp_path / "in"), tmp_path / "out"
    run_batch(src, out, FAST)
    first = {n: (out / n).read_bytes() for n in TABLES}
    (out / "tasks.csv").unlink()
    (out / "targets.csv").write_bytes(b"edited")
    run_batch(src, out, FAST)
    assert {n: (out / n).read_bytes() for n in TABLES} == first


def test_removed_inputs_leave_the_manifest_and_the_tables(tmp_path: Path) -> None:
    src, out = _folder(tmp_path / "in"), tmp_path / "out"
    run_batch(src, out, FAST)
    (src / "d0" / "kh-2.md").unlink()
    summary = run_batch(src, out, FAST)
    assert "d0/kh-2.md" not in _manifest(out)
    assert (summary.skipped, len(_manifest(out))) == (3, 4)
    assert "d0/kh-2.md" not in (out / "targets.csv").read_text(encoding="utf-8-sig")


def test_a_lost_or_foreign_index_is_rebuilt_from_the_manifest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = _folder(tmp_path / "in"), tmp_path / "out"
    run_batch(src, out, FAST)
    (out / INDEX).unlink()
    run_batch(src, out, FAST)  # hashes once, from the manifest's digests
    assert {e["status"] for p, e in _manifest(out).items() if p != "broken.pdf"} == {"skipped"}
    (out / INDEX).write_bytes(b"not a database")
    with pytest.raises(batch.OutputError):
        run_batch(src, out, FAST)


def test_force_redoes_everything_and_a_rerun_skips_again(tmp_path: Path) -> None:
    src, out = _folder(tmp_path / "in"), tmp_path / "out"
    run_batch(src, out, FAST)
    summary = run_batch(src, out, BatchOptions(jobs=2, force=True))
    assert summary.ok == 4
    assert run_batch(src, out, FAST).skipped == 4


def test_each_output_folder_is_listed_once_per_pass(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """At archive scale an output folder holds thousands of JSON files: planning and the
    roll-ups list each folder once, not once per file (that was quadratic)."""
    src, out = _folder(tmp_path / "in", count=12), tmp_path / "out"
    run_batch(src, out, FAST)
    (out / INDEX).unlink()  # the next run rebuilds the index and writes the tables again
    listed: list[str] = []
    scandir = os.scandir

    def counted(path: Any = ".") -> Any:
        if not isinstance(path, int):  # a folder by its descriptor: rmtree's
            listed.append(os.path.realpath(path))
        return scandir(path)

    monkeypatch.setattr(batch_plan.os, "scandir", counted)
    summary = run_batch(src, out, FAST)
    assert summary.skipped == 12
    outputs = [p for p in listed if p.startswith(os.path.realpath(out))]
    folders = sorted(os.path.realpath(out / d) for d in ("", "d0", "d1"))  # broken.pdf at top
    assert sorted(set(outputs)) == folders
    assert len(outputs) <= 2 * len(folders)  # the plan's pass and the roll-ups' pass


def test_an_output_that_is_a_link_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    src, out = _folder(tmp_path / "in", count=2), tmp_path / "out"
    run_batch(src, out, FAST)
    outside = tmp_path / "elsewhere.json"
    outside.write_text("{}", encoding="utf-8")
    (out / "d0" / "kh-0.md.json").unlink()
    (out / "d0" / "kh-0.md.json").symlink_to(outside)
    (src / "d0" / "kh-0.md").write_text(PLAN.format(n=7), encoding="utf-8")
    summary = run_batch(src, out, FAST)
    assert summary.failed >= 1
    assert _manifest(out)["d0/kh-0.md"]["code"] == "unsafe-path"
    assert outside.read_text(encoding="utf-8") == "{}"


def _tables(out: Path) -> dict[str, bytes]:
    return {n: (out / n).read_bytes() for n in TABLES}


def test_tables_filled_during_the_run_are_the_tables_made_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent writes the roll-up rows while the workers run (batch_feed.py); the tables
    are byte for byte those made from the index at the end."""
    src, out = _folder(tmp_path / "in", count=9), tmp_path / "out"
    monkeypatch.setattr(batch, "write_rollups", _refuse)  # the feed made them
    summary = run_batch(src, out, FAST)
    assert (summary.ok, summary.failed) == (9, 1)
    made = _tables(out)
    monkeypatch.undo()
    index_entries = list(batch.read_manifest(out).values())
    assert batch.write_rollups(out, sorted(index_entries, key=lambda e: e.path)) == []
    assert _tables(out) == made
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


def test_a_resumed_run_tables_the_documents_done_before(tmp_path: Path) -> None:
    src, out = _folder(tmp_path / "in", count=6), tmp_path / "out"
    run_batch(src, out, FAST)
    first = _tables(out)
    (src / "d1" / "kh-5.md").write_text(PLAN.format(n=6), encoding="utf-8")  # same text
    (src / "d1" / "kh-3.md").write_text(PLAN.format(n=9), encoding="utf-8")  # another
    summary = run_batch(src, out, FAST)
    assert (summary.ok, summary.skipped) == (1, 5)  # kh-5 touched, not changed
    targets = (out / "targets.csv").read_text(encoding="utf-8-sig")
    assert "90 hợp tác xã" in targets and "40 hợp tác xã" not in targets
    assert targets.count("\n") == first["targets.csv"].decode("utf-8-sig").count("\n")


def test_a_run_stopped_early_tables_what_the_index_holds(tmp_path: Path) -> None:
    src, out = _folder(tmp_path / "in", count=4), tmp_path / "out"
    run_batch(src, out, FAST)
    (src / "d0" / "kh-2.md").write_text(PLAN.format(n=8), encoding="utf-8")
    summary = run_batch(src, out, replace(FAST, fail_fast=True))  # broken.pdf stops it
    assert summary.failed == 1
    made = _tables(out)
    done = sorted(batch.read_manifest(out).values(), key=lambda e: e.path)
    assert batch.write_rollups(out, done) == []
    assert _tables(out) == made


def test_tables_that_cannot_be_written_stop_the_run_at_its_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A roll-up table the disk refuses is the run's OutputError (exit 10), raised once every
    document is done and recorded, never a problem blamed on a document; the old tables stay."""
    from kttt_extract.emit import atomic
    from kttt_extract.errors import OutputError

    src, out = _folder(tmp_path / "in", count=6), tmp_path / "out"
    run_batch(src, out, FAST)
    before = _tables(out)
    real = atomic.AtomicFile.write

    def full(self: atomic.AtomicFile, data: bytes) -> None:
        if self.target.name == "tasks.csv" and self.file.tell() > 0:  # past its header
            raise OutputError("cannot write: no space left on device", path=self.name)
        real(self, data)

    monkeypatch.setattr(atomic.AtomicFile, "write", full)
    for i in range(6):
        (src / f"d{i % 2}" / f"kh-{i}.md").write_text(PLAN.format(n=i + 3), encoding="utf-8")
    with pytest.raises(OutputError, match="no space left"):
        run_batch(src, out, FAST)
    assert _tables(out) == before
    assert all(e["status"] in ("ok", "error") for e in _manifest(out).values())
    assert sum(e["status"] == "ok" for e in _manifest(out).values()) == 6
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
