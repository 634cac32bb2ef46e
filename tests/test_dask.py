"""`kttt batch --engine dask`: the same bytes as the local engine, on a local cluster of 2 worker
processes on the loopback interface; a worker lost midway loses and doubles nothing.

Dask runs in a fresh interpreter (`_scenario`), never in the test process: its threads and
imports would swell the process that later tests fork to measure memory."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.batch import MANIFEST, BatchOptions, Entry, run_batch
from kttt_extract.errors import ExitStatus, MissingTool
from tests.conftest import ROOT, make_pdf, run_kttt

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                       reason="the dask extra is not installed"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork workers"),
]

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


# --------------------------------------------------------------------------- in a fresh Python


def _on_cluster(src: str, outs: list[str], kill_after: int, forced: list[bool]
                ) -> dict[str, Any]:
    """Start a local cluster of 2 worker processes (one thread each) on 127.0.0.1, run the
    batch into each of `outs` in turn through its scheduler's address (with --force where
    `forced` says); with `kill_after`, kill one worker process when that many documents are
    recorded."""
    import logging
    import signal

    import distributed

    seen: list[str] = []
    summaries = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        with distributed.Client(cluster) as client:
            victim = sorted(client.run(os.getpid).values())[0]

        def kill_one(done: int, total: int, entry: Entry) -> None:
            seen.append(entry.path)
            if len(seen) == kill_after:  # a worker dies with documents queued on it
                os.kill(victim, signal.SIGKILL)

        for out, force in zip(outs, forced, strict=True):
            summary = run_batch(src, out, BatchOptions(
                engine="dask", scheduler=cluster.scheduler_address, force=force),
                progress=kill_one if kill_after else None)
            summaries.append([summary.ok, summary.skipped, summary.failed])
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2, timeout=60)  # a killed worker is brought back
            workers = len(client.scheduler_info()["workers"])
    return {"summaries": summaries, "seen": seen, "workers": workers}


def _scenario(*args: Any) -> dict[str, Any]:
    """`_on_cluster(*args)` run in a fresh interpreter."""
    code = ("import json, sys; from tests.test_dask import _on_cluster; "
            "print(json.dumps(_on_cluster(*json.loads(sys.argv[1]))))")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- tests


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A mixed folder and what the local engine made of it."""
    root = tmp_path_factory.mktemp("dask")
    src = _mixed(root / "in")
    run_batch(src, root / "local", BatchOptions(jobs=2))
    return src, root / "local"


def test_dask_on_a_scheduler_gives_the_local_engine_bytes_and_resumes(
        mixed: tuple[Path, Path], tmp_path: Path) -> None:
    src, local = mixed
    outs = [tmp_path / "out", tmp_path / "out", tmp_path / "forced"]
    ran = _scenario(str(src), [str(o) for o in outs], 0, [False, False, True])
    assert ran["summaries"] == [[8, 0, 1], [0, 8, 1], [8, 0, 1]]  # run, rerun, --force
    for out in (tmp_path / "out", tmp_path / "forced"):
        assert _files(out) == _files(local)
    assert _manifest(tmp_path / "forced") == _manifest(local)
    assert _manifest(tmp_path / "out") == [  # the rerun skipped what was done
        {**e, "status": "skipped"} if e["status"] == "ok" else e for e in _manifest(local)]
    broken = next(e for e in _manifest(tmp_path / "out") if e["path"] == "broken.pdf")
    assert (broken["status"], broken["code"]) == ("error", "unreadable")


def test_a_worker_lost_midway_loses_and_doubles_nothing(tmp_path: Path) -> None:
    src = _mixed(tmp_path / "in", plans=24)
    run_batch(src, tmp_path / "local", BatchOptions(jobs=2))
    ran = _scenario(str(src), [str(tmp_path / "out")], 3, [False])
    assert ran["summaries"] == [[26, 0, 1]]
    assert len(ran["seen"]) == len(set(ran["seen"])) == 27  # each document recorded once
    assert _files(tmp_path / "out") == _files(tmp_path / "local")
    assert _manifest(tmp_path / "out") == _manifest(tmp_path / "local")
    assert ran["workers"] == 2


def test_without_an_address_dask_starts_a_local_cluster_of_j_workers(
        mixed: tuple[Path, Path], tmp_path: Path) -> None:
    src, local = mixed
    ran = run_kttt(["batch", str(src), "-o", str(tmp_path / "out"), "--engine", "dask", "-j",
                    "2", "-q"], timeout=300)
    assert ran.code == ExitStatus.BATCH_FAILURES, ran.stderr
    assert _files(tmp_path / "out") == _files(local)


def test_engine_and_scheduler_options_are_checked(tmp_path: Path) -> None:
    src = _mixed(tmp_path / "in", plans=1)
    out = str(tmp_path / "o")
    ran = run_kttt(["batch", str(src), "-o", out, "--engine", "ray"])
    assert ran.code == ExitStatus.USAGE and "'ray' is not one of local, dask" in ran.stderr
    ran = run_kttt(["batch", str(src), "-o", out, "--scheduler", "tcp://127.0.0.1:1"])
    assert ran.code == ExitStatus.USAGE and "needs --engine dask" in ran.stderr
    ran = run_kttt(["batch", str(src), "-o", out, "--engine", "dask", "--scheduler",
                    "tcp://127.0.0.1:1"])
    assert ran.code == ExitStatus.USAGE, ran.stderr
    assert ran.stderr.startswith("kttt: error: tcp://127.0.0.1:1: cannot reach the Dask "
                                 "scheduler: ")


def test_without_the_extra_dask_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _mixed(tmp_path / "in", plans=1)
    monkeypatch.setitem(sys.modules, "distributed", None)
    sys.modules.pop("kttt_extract.engines.dask", None)
    try:
        with pytest.raises(MissingTool) as caught:
            run_batch(src, tmp_path / "out", BatchOptions(engine="dask"))
    finally:
        sys.modules.pop("kttt_extract.engines.dask", None)  # imported without Dask: forget it
    assert caught.value.hint == "pip install 'kttt-extract[dask]'"
