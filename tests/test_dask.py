"""`kttt batch --engine dask`: the same bytes as the local engine, on a local cluster of 2 worker
processes on the loopback interface; a worker lost midway loses and doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.batch import MANIFEST, BatchOptions, Entry, run_batch
from kttt_extract.errors import ExitStatus, MissingTool
from tests.conftest import invoke, make_pdf

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork workers")

PLAN = """\
ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG
KẾ HOẠCH
Phát triển kinh tế tập thể năm 2024

I. MỤC TIÊU
- Đến năm 2030 có {n}0 hợp tác xã, trên 230 thành viên.

II. NHIỆM VỤ
1. Phòng Nông nghiệp và PTNT chủ trì, phối hợp với các xã, báo cáo kết quả trước ngày 15/12/2024.
"""


def _mixed(root: Path, plans: int = 6) -> Path:
    """Text, Markdown, DOCX and PDF plans in nested folders, and a broken file."""
    from docx import Document

    for i in range(plans):
        path = root / f"nhóm-{i % 3}" / f"kh-{i}.{'md' if i % 2 else 'txt'}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PLAN.format(n=i + 1), encoding="utf-8")
    doc = Document()
    for line in PLAN.format(n=7).splitlines():
        doc.add_paragraph(line)
    doc.save(str(root / "kh-docx.docx"))
    (root / "kh-pdf.pdf").write_bytes(make_pdf(PLAN.format(n=8).splitlines()))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    return root


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith("manifest")}


def _manifest(out: Path) -> list[dict[str, Any]]:
    """The manifest's lines without their timings (the one field two runs never share)."""
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in lines]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A local cluster of 2 worker processes (one thread each) on 127.0.0.1."""
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as local:
        yield local


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A mixed folder and what the local engine made of it."""
    root = tmp_path_factory.mktemp("dask")
    src = _mixed(root / "in")
    run_batch(src, root / "local", BatchOptions(jobs=2))
    return src, root / "local"


def test_dask_on_a_scheduler_gives_the_local_engine_bytes(
        cluster: Any, mixed: tuple[Path, Path], tmp_path: Path) -> None:
    src, local = mixed
    summary = run_batch(src, tmp_path / "out", BatchOptions(
        engine="dask", scheduler=cluster.scheduler_address))
    assert (summary.ok, summary.failed) == (8, 1)
    assert _files(tmp_path / "out") == _files(local)
    assert _manifest(tmp_path / "out") == _manifest(local)
    broken = next(e for e in _manifest(tmp_path / "out") if e["path"] == "broken.pdf")
    assert broken["status"] == "error" and broken["code"] == "unreadable"


def test_dask_rerun_skips_and_force_redoes(cluster: Any, mixed: tuple[Path, Path],
                                           tmp_path: Path) -> None:
    src, local = mixed
    options = BatchOptions(engine="dask", scheduler=cluster.scheduler_address)
    run_batch(src, tmp_path / "out", options)
    again = run_batch(src, tmp_path / "out", options)
    assert (again.ok, again.skipped) == (0, 8)
    forced = run_batch(src, tmp_path / "out", BatchOptions(
        engine="dask", scheduler=cluster.scheduler_address, force=True))
    assert forced.ok == 8
    assert _files(tmp_path / "out") == _files(local)


def test_a_worker_lost_midway_loses_and_doubles_nothing(
        cluster: Any, tmp_path: Path) -> None:
    src = _mixed(tmp_path / "in", plans=24)
    run_batch(src, tmp_path / "local", BatchOptions(jobs=2))
    with distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    seen: list[str] = []

    def kill_one(done: int, total: int, entry: Entry) -> None:
        seen.append(entry.path)
        if len(seen) == 3:  # a worker dies with documents queued on it
            os.kill(victim, signal.SIGKILL)

    summary = run_batch(src, tmp_path / "out", BatchOptions(
        engine="dask", scheduler=cluster.scheduler_address), progress=kill_one)
    assert (summary.ok, summary.failed) == (26, 1)
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 27  # each recorded once
    assert _files(tmp_path / "out") == _files(tmp_path / "local")
    assert _manifest(tmp_path / "out") == _manifest(tmp_path / "local")
    with distributed.Client(cluster) as client:  # the nanny brought a worker back
        client.wait_for_workers(2, timeout=60)


def test_without_an_address_dask_starts_a_local_cluster_of_j_workers(
        mixed: tuple[Path, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    src, local = mixed
    invoke(["batch", str(src), "-o", str(tmp_path / "out"), "--engine", "dask", "-j", "2",
            "-q"], code=ExitStatus.BATCH_FAILURES, capfd=capfd)
    assert _files(tmp_path / "out") == _files(local)


def test_engine_and_scheduler_options_are_checked(tmp_path: Path,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    src = _mixed(tmp_path / "in", plans=1)
    invoke(["batch", str(src), "-o", str(tmp_path / "o"), "--engine", "ray"],
           code=ExitStatus.USAGE, stderr_has="'ray' is not one of local, dask", capfd=capfd)
    invoke(["batch", str(src), "-o", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1"],
           code=ExitStatus.USAGE, stderr_has="needs --engine dask", capfd=capfd)
    invoke(["batch", str(src), "-o", str(tmp_path / "o"), "--engine", "dask", "--scheduler",
            "tcp://127.0.0.1:1"], code=ExitStatus.USAGE,
           stderr_has="cannot reach the Dask scheduler", capfd=capfd)


def test_without_the_extra_dask_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _mixed(tmp_path / "in", plans=1)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingTool) as caught:
        run_batch(src, tmp_path / "out", BatchOptions(engine="dask"))
    assert caught.value.hint == "pip install 'kttt-extract[dask]'"
