"""The command line: payload on stdout, one error line on stderr, documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kttt_extract.errors import ExitStatus
from tests.conftest import SAMPLES, invoke

SAMPLE = SAMPLES / "vinh-linh-cv-20nq.txt"


def test_extract_prints_contract_json(capfd: pytest.CaptureFixture[str]) -> None:
    out = invoke(["extract", str(SAMPLE)], capfd=capfd).stdout
    data = json.loads(out)
    assert data["schema_version"] == "1"
    assert data["source"]["format"] == "txt"
    for key in ("document", "sections", "targets", "deadlines", "agencies", "tasks", "warnings",
                "text"):
        assert key in data
    for item in data["targets"] + data["deadlines"]:
        start, end = item["span"]
        assert 0 <= start < end <= len(data["text"])


def test_no_text_flag(capfd: pytest.CaptureFixture[str]) -> None:
    data = json.loads(invoke(["extract", "--no-text", str(SAMPLE)], capfd=capfd).stdout)
    assert "text" not in data


def test_output_file_is_written_whole(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "plan.json"
    res = invoke(["extract", str(SAMPLE), "-o", str(target), "--pretty"], capfd=capfd)
    assert res.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["schema_version"] == "1"
    assert [p.name for p in target.parent.iterdir()] == ["plan.json"]


def test_missing_file(capfd: pytest.CaptureFixture[str]) -> None:
    res = invoke(["extract", "/no/such/file.pdf"], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == "kttt: error: /no/such/file.pdf: no such file\n"
    assert res.stdout == ""


def test_empty_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    res = invoke(["extract", str(empty)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == f"kttt: error: {empty}: empty file\n"


def test_zip_that_is_not_docx(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import zipfile

    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    res = invoke(["extract", str(path)], code=ExitStatus.UNSUPPORTED, capfd=capfd)
    assert res.stderr.startswith(f"kttt: error: {path}: not a DOCX (zip) file")


def test_size_limit(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (2 * 1024 * 1024))
    res = invoke(["extract", "--max-size", "1", str(big)], code=ExitStatus.UNREADABLE,
                 capfd=capfd)
    assert "over the 1 MB limit (raise it with --max-size)" in res.stderr


def test_broken_rule_dir(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("concern: deadlines\nschema_version: 1\nrules:\n"
                                       "  - id: deadline.x\n    description: broken rule here\n"
                                       "    patern: abc\n", encoding="utf-8")
    res = invoke(["extract", "--rules", str(tmp_path), str(SAMPLE)], code=ExitStatus.RULES,
                 capfd=capfd)
    assert res.stderr == (f"kttt: error: {tmp_path / 'bad.yaml'}:6:5: deadline.x: "
                          "rules.0.patern: unknown key 'patern'\n")


def test_version_and_schema(capfd: pytest.CaptureFixture[str]) -> None:
    assert invoke(["--version"], capfd=capfd).stdout.startswith("kttt ")
    schema = json.loads(invoke(["schema"], capfd=capfd).stdout)
    assert "targets" in schema["properties"]


def test_text_command(capfd: pytest.CaptureFixture[str]) -> None:
    out = invoke(["text", str(SAMPLE)], capfd=capfd).stdout
    assert "Phòng Nông nghiệp và PTNT huyện chủ trì" in out


def test_usage_error(capfd: pytest.CaptureFixture[str]) -> None:
    invoke(["extract"], code=ExitStatus.USAGE, capfd=capfd)


def test_help_runs_as_a_program() -> None:
    proc = subprocess.run([sys.executable, "-m", "kttt_extract", "--help"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "extract" in proc.stdout


def test_exit_code_of_a_command_is_kept(capfd: pytest.CaptureFixture[str]) -> None:
    # a library error raised inside a command keeps its own exit code through the boundary
    from kttt_extract.cli import main

    assert main(["extract", "--rules", "/no/such/dir", str(SAMPLE)]) == ExitStatus.RULES


def test_output_file_mode_follows_umask(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import os

    target = tmp_path / "plan.json"
    invoke(["extract", str(SAMPLE), "-o", str(target)], capfd=capfd)
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_public_api_names_resolve_to_what_they_say() -> None:
    import kttt_extract
    from kttt_extract import extract as extract_fn
    from kttt_extract.pipeline import extract

    assert extract_fn is extract and callable(kttt_extract.extract_text)
    assert kttt_extract.Result.__name__ == "Result"


# --------------------------------------------------------------------------- every exit code


def _exit_table() -> dict[int, str]:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:3] for line in section.splitlines()
            if line.startswith("| ") and line[2].isdigit()]
    return {int(code): name.strip() for code, name in rows}


def test_readme_lists_every_exit_code() -> None:
    assert _exit_table() == {int(s): s.name for s in ExitStatus}


def _scenario(status: ExitStatus, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Command-line words that end with `status` (with the environment arranged for it)."""
    from kttt_extract import guard
    from tests.conftest import make_pdf

    def write(name: str, data: bytes) -> str:
        (tmp / name).write_bytes(data)
        return str(tmp / name)

    rules = tmp / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("concern: deadlines\nschema_version: 1\nrules: 3\n",
                                    encoding="utf-8")
    batch_in = tmp / "in"
    batch_in.mkdir()
    (batch_in / "empty.txt").write_bytes(b"")
    if status is ExitStatus.MISSING_TOOL:
        monkeypatch.setenv("PATH", str(tmp))
    if status is ExitStatus.INTERRUPTED:
        real_wait = guard.wait

        def interrupted(*args: object, **kwargs: object) -> object:
            monkeypatch.setattr(guard, "wait", real_wait)
            raise KeyboardInterrupt

        monkeypatch.setattr(guard, "wait", interrupted)
    if status is ExitStatus.INTERNAL:
        from kttt_extract import pipeline

        monkeypatch.setattr(pipeline, "build_view", lambda *a, **k: 1 / 0)
    if status is ExitStatus.LIMIT:
        import time

        from kttt_extract import pipeline

        monkeypatch.setattr(pipeline, "build_view", lambda *a, **k: time.sleep(30))
    return {
        ExitStatus.OK: ["extract", str(SAMPLE)],
        ExitStatus.FINDINGS: ["rules", "check", str(rules)],
        ExitStatus.USAGE: ["extract"],
        ExitStatus.UNSUPPORTED: ["extract", write("x.bin", bytes(range(256)) * 16)],
        ExitStatus.UNREADABLE: ["extract", str(tmp / "missing.pdf")],
        ExitStatus.ENCRYPTED: ["extract", write("e.pdf", make_pdf(["KẾ HOẠCH"], password="pw"))],
        ExitStatus.NO_TEXT: ["extract", "--ocr", "never", write("scan.pdf", make_pdf([]))],
        ExitStatus.RULES: ["extract", "--rules", str(rules), str(SAMPLE)],
        ExitStatus.MISSING_TOOL: ["extract", write("old.rtf", b"{\\rtf1 KE HOACH}")],
        ExitStatus.BATCH_FAILURES: ["batch", str(batch_in), "-o", str(tmp / "out"), "-q"],
        ExitStatus.OUTPUT: ["extract", str(SAMPLE), "-o", str(tmp)],
        ExitStatus.LIMIT: ["extract", str(SAMPLE), "--timeout", "0.5"],
        ExitStatus.BUSY: ["batch", str(batch_in), "-o", str(tmp / "busy"), "-q"],
        ExitStatus.INTERNAL: ["extract", str(SAMPLE)],
        ExitStatus.INTERRUPTED: ["extract", str(SAMPLE)],
    }[status]


@pytest.mark.parametrize("status", list(ExitStatus), ids=lambda s: s.name)
def test_every_exit_code_is_reached(status: ExitStatus, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capfd: pytest.CaptureFixture[str]) -> None:
    import contextlib

    from kttt_extract.batch import lock_folder

    args = _scenario(status, tmp_path, monkeypatch)
    held = contextlib.nullcontext()
    if status is ExitStatus.BUSY:
        (tmp_path / "busy").mkdir()
        held = lock_folder(tmp_path / "busy")  # type: ignore[assignment]
    with held:
        res = invoke(args, code=status, capfd=capfd)
    if status not in (ExitStatus.OK, ExitStatus.FINDINGS, ExitStatus.USAGE):
        assert res.stderr.count("\n") == 1 and res.stderr.startswith("kttt: "), res.stderr
