"""Issue 15, the environment: special files, undecodable names, output paths, permissions, a full
or read-only file system, two batches at once, a killed parent. Each case gives its documented
exit code and one exact line, reads nothing it should not and loses nothing it had done."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.batch import MANIFEST, BatchOptions, lock_folder, run_batch
from kttt_extract.errors import ExitStatus
from tests.conftest import (
    SAMPLES,
    invoke,
    remount,
    run_kttt,
    small_filesystem,
    unprivileged,
)

SAMPLE = SAMPLES / "vinh-linh-cv-20nq.txt"
PLAN = ("KẾ HOẠCH\nI. MỤC TIÊU\n- Đến năm 2030 có {n}0 hợp tác xã.\nII. TỔ CHỨC THỰC HIỆN\n"
        "Phòng Nông nghiệp chủ trì, báo cáo trước ngày 15/12 hằng năm.\n")
BAD_NAME = os.fsdecode(b"k\xe9-ho\xff.txt")  # Latin-1 bytes: not UTF-8
FAST = BatchOptions(jobs=2, timeout=60)


def _err(path: Path | str, what: str) -> str:
    return f"kttt: error: {path}: {what}\n"


def _manifest(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    return {d["path"]: d for d in map(json.loads, lines)}


def _folder(root: Path, count: int = 2, padding: int = 0) -> Path:
    """`count` small plans (each `padding` lines of text longer) in `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = PLAN.format(n=i + 1) + "Các cơ quan, đơn vị triển khai thực hiện.\n" * padding
        (root / f"kh-{i}.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "plan.txt"
    os.mkfifo(path)
    return path


@contextlib.contextmanager
def _socket_file(path: Path) -> Iterator[Path]:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        yield path
    finally:
        sock.close()


# --------------------------------------------------------------------------- only regular files


def test_fifo_is_refused_at_once(fifo: Path, capfd: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    res = invoke(["extract", str(fifo)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(fifo, "not a regular file: a FIFO (named pipe) (give a regular "
                                    "file)")
    assert time.monotonic() - started < 10


def test_link_to_dev_zero_is_refused(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    res = invoke(["extract", str(link)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(link, "not a regular file: a character device (give a regular "
                                    "file)")


def test_socket_and_broken_link_are_refused(tmp_path: Path,
                                            capfd: pytest.CaptureFixture[str]) -> None:
    with _socket_file(tmp_path / "s.txt") as sock:
        res = invoke(["text", str(sock)], code=ExitStatus.UNREADABLE, capfd=capfd)
        assert res.stderr == _err(sock, "not a regular file: a socket (give a regular file)")
    broken = tmp_path / "gone.txt"
    broken.symlink_to(tmp_path / "nowhere.txt")
    res = invoke(["extract", str(broken)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(broken, "a broken symbolic link (its target does not exist)")


def test_rule_files_that_are_not_regular_files(tmp_path: Path, fifo: Path,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.yaml").symlink_to(fifo)
    res = invoke(["extract", "--rules", str(rules), str(SAMPLE)], code=ExitStatus.RULES,
                 capfd=capfd)
    assert res.stderr == _err(f"{rules / 'a.yaml'}:1:1", "cannot read rule file: not a regular "
                                                          "file: a FIFO (named pipe) (give a "
                                                          "regular file)")
    (rules / "a.yaml").unlink()
    (rules / "z.yaml").symlink_to("/dev/zero")
    res = invoke(["rules", "check", str(rules)], code=ExitStatus.FINDINGS, capfd=capfd)
    assert "z.yaml:1:1: cannot read rule file: not a regular file: a character device" in (
        res.stdout)


def test_batch_records_special_files_and_goes_on(tmp_path: Path, fifo: Path) -> None:
    src = _folder(tmp_path / "in")
    os.mkfifo(src / "pipe.txt")
    (src / "zero.txt").symlink_to("/dev/zero")
    with _socket_file(src / "sock.md"):
        summary = run_batch(src, tmp_path / "out", FAST)
    manifest = _manifest(tmp_path / "out")
    assert {k: (v["status"], v["code"]) for k, v in manifest.items()} == {
        "kh-0.md": ("ok", None), "kh-1.md": ("ok", None),
        "pipe.txt": ("error", "not-regular"), "zero.txt": ("error", "outside"),
        "sock.md": ("error", "not-regular")}
    assert manifest["pipe.txt"]["message"] == ("not a regular file: a FIFO (named pipe) (give a "
                                               "regular file)")
    assert (summary.ok, summary.failed) == (2, 3)
    run_batch(src, tmp_path / "out", BatchOptions(jobs=2, follow_links=True))
    assert _manifest(tmp_path / "out")["zero.txt"]["message"] == (
        "not a regular file: a character device (give a regular file)")


# --------------------------------------------------------------------------- names and links


def test_undecodable_file_name(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / BAD_NAME
    path.write_text(PLAN.format(n=5), encoding="utf-8")
    data = json.loads(invoke(["extract", str(path)], capfd=capfd).stdout)
    assert data["source"]["path"] == f"{tmp_path}/k\\xe9-ho\\xff.txt"
    assert [t["value"] for t in data["targets"]] == [50]
    missing = tmp_path / os.fsdecode(b"m\xff.pdf")
    res = invoke(["extract", str(missing)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(f"{tmp_path}/m\\xff.pdf", "no such file")


def test_undecodable_password_is_a_usage_error(capfd: pytest.CaptureFixture[str]) -> None:
    res = invoke(["extract", str(SAMPLE), "--password", os.fsdecode(b"\xff")],
                 code=ExitStatus.USAGE, capfd=capfd)
    assert res.stderr == "kttt: error: --password: not valid UTF-8 (type the password as UTF-8 " \
                         "text)\n"


def test_batch_with_an_undecodable_name_finishes_and_resumes(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in")
    (src / BAD_NAME).write_text(PLAN.format(n=7), encoding="utf-8")
    out = tmp_path / "out"
    assert run_batch(src, out, FAST).ok == 3
    escaped = "k\\xe9-ho\\xff.txt"
    assert _manifest(out)[escaped]["status"] == "ok"
    assert json.loads((out / f"{escaped}.json").read_bytes())["targets"][0]["value"] == 70
    assert escaped in (out / "targets.csv").read_text(encoding="utf-8-sig")
    again = run_batch(src, out, FAST)  # the rerun does not die at the same file
    assert (again.ok, again.skipped, again.failed) == (0, 3, 0)


def test_batch_follows_links_only_inside_the_input(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("MẬT\nI. MỤC TIÊU\n- Đến năm 2030 có 990 tỷ đồng.\n", encoding="utf-8")
    src = _folder(tmp_path / "in")
    (src / "inside.md").symlink_to(src / "kh-0.md")
    (src / "outside.txt").symlink_to(secret)
    out = tmp_path / "out"
    run_batch(src, out, FAST)
    manifest = _manifest(out)
    assert manifest["inside.md"]["status"] == "ok"
    assert (manifest["outside.txt"]["code"], manifest["outside.txt"]["message"]) == (
        "outside", "a symbolic link to a file outside the input folder (pass --follow-symlinks "
                   "to read it)")
    written = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert "990 tỷ".encode() not in written and not (out / "outside.txt.json").exists()
    run_batch(src, out, BatchOptions(jobs=2, follow_links=True))
    assert _manifest(out)["outside.txt"]["status"] == "ok"


def test_input_folder_named_like_an_output_file(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in")
    (src / "targets.csv").mkdir()
    (src / "targets.csv" / "kh-9.md").write_text(PLAN.format(n=9), encoding="utf-8")
    out = tmp_path / "out"
    summary = run_batch(src, out, FAST)
    entry = _manifest(out)["targets.csv/kh-9.md"]
    assert (entry["code"], entry["message"]) == (
        "unsafe-path", "its folder 'targets.csv' has the name of one of the batch's own output "
                       "files (rename the folder)")
    assert (out / "targets.csv").is_file() and summary.ok == 2


def test_batch_writes_nothing_through_links_in_its_folder(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "targets.csv").symlink_to(outside)
    run_batch(src, out, FAST)
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not (out / "targets.csv").is_symlink() and (out / "targets.csv").is_file()
    (out / "manifest.partial.jsonl").symlink_to(outside)
    ran = run_kttt(["batch", str(src), "-o", str(out), "-q"])
    assert (ran.code, ran.stderr) == (ExitStatus.OUTPUT, _err(
        out / "manifest.partial.jsonl", "is a symbolic link: a batch keeps its manifest in its own "
                                        "folder (remove the link)"))
    assert outside.read_text(encoding="utf-8") == "keep me"


# --------------------------------------------------------------------------- -o


def test_output_never_replaces_the_input(tmp_path: Path,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(PLAN.format(n=3), encoding="utf-8")
    before = plan.read_bytes()
    hard = tmp_path / "hard.json"
    os.link(plan, hard)
    soft = tmp_path / "soft.json"
    soft.symlink_to(plan)
    for target in (plan, hard, soft):
        res = invoke(["extract", str(plan), "-o", str(target)], code=ExitStatus.OUTPUT,
                     capfd=capfd)
        assert res.stderr == _err(target, "is the input file (choose another output file)")
    assert plan.read_bytes() == before and soft.is_symlink()


def test_output_never_replaces_a_device_or_a_folder(tmp_path: Path,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    to_stdout = tmp_path / "out.json"
    to_stdout.symlink_to("/dev/null")
    res = invoke(["extract", str(SAMPLE), "-o", str(to_stdout)], code=ExitStatus.OUTPUT,
                 capfd=capfd)
    assert res.stderr == _err(to_stdout, "not a regular file: a character device (write to "
                                         "stdout without -o, or give a file name)")
    assert to_stdout.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    res = invoke(["extract", str(SAMPLE), "-o", str(tmp_path)], code=ExitStatus.OUTPUT,
                 capfd=capfd)
    assert res.stderr == _err(tmp_path, "is a directory (give a file name)")
    res = invoke(["extract", str(SAMPLE), "-o", ""], code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == _err(".", "is a directory (give a file name)")
    through = tmp_path / "plan.txt"
    through.write_text("x", encoding="utf-8")
    res = invoke(["extract", str(SAMPLE), "-o", str(through / "x.json")], code=ExitStatus.OUTPUT,
                 capfd=capfd)
    assert res.stderr == _err(through / "x.json", "cannot write: a part of its path is a file, "
                                                  "not a folder")


def test_batch_output_folder_is_not_the_input(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    src = _folder(tmp_path / "in")
    res = invoke(["batch", str(src), "-o", str(src)], code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == _err(src, "is the input folder (choose another -o folder)")
    assert sorted(p.name for p in src.iterdir()) == ["kh-0.md", "kh-1.md"]


def test_output_through_a_link_writes_its_target(tmp_path: Path,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "real.json"
    link = tmp_path / "link.json"
    link.symlink_to(target)
    invoke(["extract", str(SAMPLE), "-o", str(link)], capfd=capfd)
    assert link.is_symlink() and json.loads(target.read_bytes())["schema_version"] == "1"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_full_stdout() -> None:
    ran = run_kttt(["extract", str(SAMPLE)], stdout_to="/dev/full")
    assert (ran.code, ran.stderr) == (ExitStatus.OUTPUT, "kttt: error: <stdout>: cannot write: "
                                                         "no space left on device\n")
    ran = run_kttt(["--version"], stdout_to="/dev/full")
    assert (ran.code, ran.stderr) == (ExitStatus.OUTPUT, "kttt: error: <stdout>: no space left "
                                                         "on device\n")


# --------------------------------------------------------------------------- permissions


def test_unreadable_input_and_folder(tmp_path: Path) -> None:
    prefix = unprivileged()
    src = _folder(tmp_path / "in")
    locked = src / "locked"
    _folder(locked, 1)
    secret = src / "secret.md"
    secret.write_text(PLAN.format(n=4), encoding="utf-8")
    os.chmod(secret, 0)
    os.chmod(locked, 0)
    try:
        ran = run_kttt(["extract", str(secret)], prefix=prefix)
        assert (ran.code, ran.stderr) == (ExitStatus.UNREADABLE, _err(secret, "permission denied"))
        ran = run_kttt(["batch", str(src), "-o", str(tmp_path / "out"), "-q"], prefix=prefix)
    finally:
        os.chmod(locked, 0o755)
        os.chmod(secret, 0o644)
    assert ran.code == ExitStatus.BATCH_FAILURES
    manifest = _manifest(tmp_path / "out")
    assert (manifest["locked/"]["code"], manifest["locked/"]["message"]) == (
        "unreadable", "cannot list folder: permission denied (its files were not read)")
    assert (manifest["secret.md"]["code"], manifest["secret.md"]["message"]) == (
        "unreadable", "permission denied")
    assert manifest["kh-0.md"]["status"] == manifest["kh-1.md"]["status"] == "ok"


def test_read_only_output_folder(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in")
    with small_filesystem(tmp_path / "ro", "1m") as out:
        remount(out, "ro")
        ran = run_kttt(["batch", str(src), "-o", str(out), "-q"])
        assert (ran.code, ran.stderr) == (ExitStatus.OUTPUT, _err(
            out / "manifest.partial.jsonl", "cannot write: read-only file system (free some "
                                            "space or fix the folder, then rerun: finished files "
                                            "are kept)"))
        ran = run_kttt(["extract", str(SAMPLE), "-o", str(out / "plan.json")])
        assert (ran.code, ran.stderr) == (ExitStatus.OUTPUT, _err(
            out / "plan.json", "cannot write: read-only file system"))
        assert list(out.iterdir()) == []


def test_full_disk_loses_nothing(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in", 6, padding=400)
    clean = tmp_path / "clean"
    run_batch(src, clean, FAST)
    with small_filesystem(tmp_path / "small", "128k") as out:
        ran = run_kttt(["batch", str(src), "-o", str(out), "-j", "1", "-q"])
        assert ran.code == ExitStatus.OUTPUT, ran.stderr
        assert ran.stderr.count("\n") == 1 and "no space left on device" in ran.stderr
        remount(out, "size=8m")
        ran = run_kttt(["batch", str(src), "-o", str(out), "-q"])
        assert (ran.code, ran.stderr) == (0, "")
        names = sorted(p.name for p in out.iterdir())
        assert names == sorted(p.name for p in clean.iterdir())
        for name in ("targets.csv", "deadlines.csv", "tasks.csv", "rollup.xlsx",
                     *(f"kh-{i}.md.json" for i in range(6))):
            assert (out / name).read_bytes() == (clean / name).read_bytes(), name
        assert all(e["status"] in ("ok", "skipped") for e in _manifest(out).values())


# --------------------------------------------------------------------------- two runs, a killed one


def test_second_batch_into_the_same_folder_is_refused(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    with lock_folder(out):  # a first run holds the folder
        ran = run_kttt(["batch", str(src), "-o", str(out)])
    assert (ran.code, ran.stderr) == (ExitStatus.BUSY, _err(
        out, "another kttt batch is writing into this folder (wait for it to finish, or choose "
             "another -o folder)"))
    assert list(out.iterdir()) == []
    run_batch(src, out, FAST)  # once it is free, it runs
    assert len(_manifest(out)) == 2


_SLOW_BATCH = """
import sys, time
from kttt_extract import pipeline
from kttt_extract.batch import BatchOptions, run_batch
real = pipeline.extract_loaded
def slow(loaded, *a, **k):
    time.sleep(float(sys.argv[3]))
    return real(loaded, *a, **k)
pipeline.extract_loaded = slow
run_batch(sys.argv[1], sys.argv[2], BatchOptions(jobs=2, timeout=120))
"""


def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_two_concurrent_batches_and_a_killed_parent(tmp_path: Path) -> None:
    src = _folder(tmp_path / "in", 4)
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-c", _SLOW_BATCH, str(src), str(out), "30"],
                             stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while len(_children(first.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(first.pid)
        assert len(workers) == 2
        ran = run_kttt(["batch", str(src), "-o", str(out), "-q"])
        assert (ran.code, ran.stderr) == (ExitStatus.BUSY, _err(
            out, "another kttt batch is writing into this folder (wait for it to finish, or "
                 "choose another -o folder)"))
        first.send_signal(signal.SIGKILL)  # only the parent
        first.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers)
    finally:
        with contextlib.suppress(ProcessLookupError):
            first.kill()
        first.wait()
    summary = run_batch(src, out, FAST)  # the folder is free again and nothing was lost
    assert summary.ok == 4 and len(_manifest(out)) == 4
