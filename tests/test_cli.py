"""The command line: payload on stdout, one error line on stderr, documented exit codes."""

from __future__ import annotations

import json
import os
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


def test_help_lists_every_command_and_a_command_imports_only_its_own_module() -> None:
    proc = subprocess.run([sys.executable, "-m", "kttt_extract", "--help"], capture_output=True,
                          text=True, check=False)
    listed = {line.split()[0] for line in proc.stdout.split("Commands:")[1].splitlines()
              if line.startswith("  ")}
    assert listed == {"batch", "extract", "text", "schema", "report", "eval", "rules"}
    code = ("import sys\nfrom kttt_extract.cli import main\nmain(['report', '--help'])\n"
            "print(' '.join(m for m in sys.modules if m.startswith('kttt_extract.cli.')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    loaded = set(proc.stdout.split("\n")[-2].split())
    assert "kttt_extract.cli.report" in loaded, proc.stdout + proc.stderr
    assert not loaded & {"kttt_extract.cli.batch", "kttt_extract.cli.extract",
                         "kttt_extract.cli.rules"}


def test_each_command_is_registered_by_the_module_the_cli_imports_for_it() -> None:
    # the map kttt uses to import one module per call must say where each command lives
    code = ("import json, importlib\nfrom kttt_extract.cli import app, _COMMANDS, _MODULES\n"
            "seen, where = set(), {}\n"
            "for module in _MODULES:\n"
            "    importlib.import_module('kttt_extract.cli.' + module)\n"
            "    names = {c.name for c in app.registered_commands}\n"
            "    names |= {g.name for g in app.registered_groups}\n"
            "    where.update(dict.fromkeys(names - seen, module)); seen |= names\n"
            "print(json.dumps([where, _COMMANDS]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    where, commands = json.loads(proc.stdout.splitlines()[-1])
    assert where == commands, proc.stderr


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


# --------------------------------------------------------------------------- formats and outputs

MD_SAMPLE = SAMPLES / "muong-te-kh-20nq.md"


def test_several_files_as_json_lines(capfd: pytest.CaptureFixture[str]) -> None:
    out = invoke(["extract", str(SAMPLE), str(MD_SAMPLE), "-f", "jsonl", "-q"], capfd=capfd)
    lines = out.stdout.splitlines()
    assert [json.loads(x)["source"]["path"] for x in lines] == [str(SAMPLE), str(MD_SAMPLE)]


@pytest.mark.parametrize(("suffix", "starts"), [
    (".csv", b"\xef\xbb\xbfpath,doc_kind"), (".xlsx", b"PK\x03\x04"), (".md", b"# "),
    (".html", b"<!DOCTYPE html>"), (".jsonl", b'{"schema_version":"1"'),
    (".json", b'{"schema_version":"1"')])
def test_the_format_follows_the_output_suffix(suffix: str, starts: bytes, tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"plan{suffix}"
    assert invoke(["extract", str(SAMPLE), "-o", str(target)], capfd=capfd).stdout == ""
    assert target.read_bytes().startswith(starts)


def test_csv_table_choice_and_names(capfd: pytest.CaptureFixture[str]) -> None:
    import csv
    import io

    out = invoke(["extract", str(SAMPLE), "-f", "csv", "--table", "agencies"], capfd=capfd)
    rows = list(csv.DictReader(io.StringIO(out.stdout.lstrip("\ufeff"))))
    pnn = next(r for r in rows if r["name"] == "Phòng Nông nghiệp và Phát triển nông thôn")
    assert "lead" in pnn["roles"] and pnn["path"] == str(SAMPLE)


def test_several_documents_into_a_folder(tmp_path: Path, capfd: pytest.CaptureFixture[str]
                                         ) -> None:
    out = tmp_path / "out"
    invoke(["extract", str(SAMPLE), str(MD_SAMPLE), "-o", str(out), "-q"], capfd=capfd)
    assert sorted(p.name for p in out.iterdir()) == ["muong-te-kh-20nq.md.json",
                                                     "vinh-linh-cv-20nq.txt.json"]
    invoke(["extract", str(SAMPLE), str(MD_SAMPLE), "-o", str(tmp_path / "pages"), "-f", "html",
            "-q"], capfd=capfd)
    assert (tmp_path / "pages" / "vinh-linh-cv-20nq.txt.html").read_bytes().startswith(
        b"<!DOCTYPE html>")


@pytest.mark.parametrize(("words", "line"), [
    (["-f", "csv", "-o", "x.xlsx"], "-o x.xlsx ends in .xlsx but --format is csv (drop one of "
                                    "them, or make them agree)"),
    (["-f", "pdf"], "--format 'pdf' is not one of json, jsonl, csv, xlsx, md, html"),
    (["--table", "tasks"], "--table chooses the table of a CSV (add --format csv)"),
    (["-f", "csv", "--table", "people"], "--table 'people' is not one of targets, deadlines, "
                                         "tasks, agencies"),
    (["-q", "-v"], "--quiet and --verbose ask for opposite things (choose one)"),
])
def test_output_words_that_do_not_fit(words: list[str], line: str,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    res = invoke(["extract", str(SAMPLE), *words], code=ExitStatus.USAGE, capfd=capfd)
    assert res.stderr == f"kttt: error: {line}\n" and res.stdout == ""


def test_several_json_documents_need_a_folder(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    res = invoke(["extract", str(SAMPLE), str(MD_SAMPLE)], code=ExitStatus.USAGE, capfd=capfd)
    assert res.stderr == ("kttt: error: 2 documents as json need -o FOLDER (one file each) (or "
                          "use --format jsonl, csv, xlsx or md for one stream)\n")
    a_file = tmp_path / "plan.json"
    a_file.write_text("{}", encoding="utf-8")
    res = invoke(["extract", str(SAMPLE), str(MD_SAMPLE), "-o", str(a_file)],
                 code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == (f"kttt: error: {a_file}: is not a folder: several documents are "
                          "written one file each (give a folder, or --format jsonl, csv, xlsx "
                          "or md for one file)\n")
    assert a_file.read_text(encoding="utf-8") == "{}"
    res = invoke(["extract", str(SAMPLE), str(MD_SAMPLE), "-o", str(a_file / "out")],
                 code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == (f"kttt: error: {a_file / 'out'}: cannot create the folder: not a "
                          "directory\n")


def test_two_inputs_with_one_name_are_refused(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").mkdir()
    twin = tmp_path / "a" / SAMPLE.name
    twin.write_bytes(SAMPLE.read_bytes())
    out = tmp_path / "out"
    res = invoke(["extract", str(SAMPLE), str(twin), "-o", str(out)], code=ExitStatus.USAGE,
                 capfd=capfd)
    assert res.stderr == (f"kttt: error: {SAMPLE} and {twin} would both be written to "
                          f"{out / (SAMPLE.name + '.json')} (run them separately, or use kttt "
                          "batch on their folder)\n")
    assert not out.exists()


def test_output_path_mistakes_exit_10_before_any_work(tmp_path: Path,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "note.txt"
    a_file.write_text("x", encoding="utf-8")
    res = invoke(["extract", str(SAMPLE), "-o", str(a_file / "plan.json")],
                 code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == (f"kttt: error: {a_file / 'plan.json'}: cannot write: a part of its "
                          "path is a file, not a folder\n")
    res = invoke(["extract", str(SAMPLE), "-o", str(tmp_path), "-f", "csv"],
                 code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == f"kttt: error: {tmp_path}: is a directory (give a file name)\n"
    res = invoke(["extract", str(SAMPLE), "-o", str(SAMPLE), "-f", "md"],
                 code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == f"kttt: error: {SAMPLE}: is the input file (choose another output file)\n"


def test_a_workbook_is_not_written_to_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    res = invoke(["extract", str(SAMPLE), "-f", "xlsx"], code=ExitStatus.OUTPUT, capfd=capfd)
    assert res.stderr == ("kttt: error: <stdout>: is a terminal: a workbook is binary (give -o "
                          "FILE.xlsx, or redirect the output)\n")


def _program(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "kttt_extract", *args], input=stdin,
                          capture_output=True, check=False, timeout=120)


def test_standard_input() -> None:
    ran = _program(["extract", "-", "--no-text"], SAMPLE.read_bytes())
    assert ran.returncode == 0, ran.stderr
    data = json.loads(ran.stdout)
    assert data["source"]["path"] == "<stdin>" and data["tasks"]
    ran = _program(["extract", "-"], b"  \n")
    assert (ran.returncode, ran.stderr) == (ExitStatus.UNREADABLE,
                                            b"kttt: error: <stdin>: empty input\n")
    ran = _program(["extract", "-", "-", "-f", "jsonl"], b"x")
    assert ran.stderr == b"kttt: error: standard input (-) named more than once\n"


# --------------------------------------------------------------------------- the terminal


def _no_sections(tmp_path: Path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text("Phấn đấu đến năm 2030 có 50 hợp tác xã.\n", encoding="utf-8")
    return path


def test_warnings_go_to_stderr_one_line_each(tmp_path: Path,
                                             capfd: pytest.CaptureFixture[str]) -> None:
    note = _no_sections(tmp_path)
    res = invoke(["extract", str(note)], capfd=capfd)
    assert json.loads(res.stdout)["warnings"][0]["code"] == "no-sections"
    assert res.stderr == f"kttt: warning: {note}: no-sections: no section heading found\n"
    assert invoke(["extract", str(note), "--quiet"], capfd=capfd).stderr == ""


def test_verbose_says_what_each_document_did(capfd: pytest.CaptureFixture[str]) -> None:
    err = invoke(["extract", str(SAMPLE), "-v"], capfd=capfd).stderr.splitlines()
    assert err[0] == f"kttt: {SAMPLE}: reading"
    assert f"kttt: {SAMPLE}: extracting" in err
    assert err[-1].startswith(f"kttt: {SAMPLE}: txt; 4 targets, 24 deadlines, ")


def test_one_failing_document_of_several(tmp_path: Path,
                                         capfd: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    res = invoke(["extract", str(empty), str(SAMPLE), "-f", "jsonl", "-q"],
                 code=ExitStatus.BATCH_FAILURES, capfd=capfd)
    assert len(res.stdout.splitlines()) == 1
    assert res.stderr == (f"kttt: error: {empty}: empty file\nkttt: error: 1 of 2 documents "
                          "failed (their errors are above; the others were written)\n")


def test_ctrl_c_says_what_was_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capfd: pytest.CaptureFixture[str]) -> None:
    from kttt_extract import guard

    real_wait = guard.wait
    calls = []

    def wait(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real_wait(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(guard, "wait", wait)
    out = tmp_path / "out"
    res = invoke(["extract", str(SAMPLE), str(MD_SAMPLE), "-o", str(out), "-q"],
                 code=ExitStatus.INTERRUPTED, capfd=capfd)
    assert res.stderr == (f"kttt: interrupted: 1 of 2 documents were written into {out}; not "
                          f"done: {MD_SAMPLE} (run kttt extract on those with the same -o to "
                          "finish)\n")
    assert [p.name for p in out.iterdir()] == [SAMPLE.name + ".json"]
    calls.clear()
    res = invoke(["extract", str(SAMPLE), str(MD_SAMPLE), "-o", str(tmp_path / "t.csv")],
                 code=ExitStatus.INTERRUPTED, capfd=capfd)
    assert res.stderr == (f"kttt: interrupted: nothing was written; {tmp_path / 't.csv'} is "
                          "unchanged (run the command again)\n")


def test_short_help_version_and_completion(capfd: pytest.CaptureFixture[str]) -> None:
    assert "--format" in invoke(["extract", "-h"], capfd=capfd).stdout
    assert invoke(["-V"], capfd=capfd).stdout.startswith("kttt ")
    script = _program(["--show-completion", "bash"], b"")
    assert script.returncode == 0 and b"complete -o default -F" in script.stdout
    words = subprocess.run(
        [sys.executable, "-m", "kttt_extract"], capture_output=True, text=True, check=False,
        env={**os.environ, "_KTTT_COMPLETE": "complete_bash", "COMP_WORDS":
             "kttt extract --for", "COMP_CWORD": "2"})
    assert "--format" in words.stdout


# --------------------------------------------------------------------------- the Python API


def test_extract_keeps_compiled_rules_between_calls(tmp_path: Path) -> None:
    import shutil

    from kttt_extract import Extractor, clear_rule_cache, extract_text
    from kttt_extract.rulecache import RuleCache, default_cache

    clear_rule_cache()
    extract_text("KẾ HOẠCH\nI. MỤC TIÊU\n")
    first = default_cache().get()
    extract_text("KẾ HOẠCH\nII. NHIỆM VỤ\n")
    assert default_cache().get() is first and len(default_cache()) == 1
    clear_rule_cache()
    assert len(default_cache()) == 0

    extra = tmp_path / "rules"
    extra.mkdir()
    shutil.copy(ROOT_RULES / "layout.yaml", extra / "layout.yaml")
    cache = RuleCache(size=1)
    one = cache.get(extra)
    assert cache.get(extra) is one
    text = (extra / "layout.yaml").read_text(encoding="utf-8")
    (extra / "layout.yaml").write_text(text + "\n# edited\n", encoding="utf-8")
    assert cache.get(extra) is not one  # an edited rule file is read again
    assert cache.get() is not None and len(cache) == 1  # bounded: the oldest went

    ex = Extractor()
    assert ex.extract_text("KẾ HOẠCH\n").source.path == "<text>.md"
    assert ex.extract(SAMPLE).tasks and ex.rules is ex.options.rules


ROOT_RULES = SAMPLES.parent / "rules"


def test_every_imported_library_is_declared() -> None:
    import ast
    import tomllib

    config = tomllib.loads((SAMPLES.parent / "pyproject.toml").read_text(encoding="utf-8"))
    project = config["project"]
    declared = {_dist(d) for d in project["dependencies"]}
    declared |= {_dist(d) for deps in project["optional-dependencies"].values() for d in deps}
    dist_of = {"yaml": "pyyaml", "docx": "python-docx", "pdfminer": "pdfminer.six",
               "PIL": "pillow", "distributed": "dask"}  # dask[distributed]
    stdlib = set(sys.stdlib_module_names) | {"kttt_extract"}
    imported = set()
    for path in (SAMPLES.parent / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module
                     and not node.level else [])
            imported |= {n.split(".")[0] for n in names} - stdlib
    assert {dist_of.get(m, m).lower() for m in imported} <= declared
    assert "pdfplumber" in imported  # declared because the ruled-table reader uses it


def _dist(requirement: str) -> str:
    import re

    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower()


def test_ctrl_c_in_a_batch_says_how_to_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    from kttt_extract import batch

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run_batch", interrupted)
    (tmp_path / "in").mkdir()
    out = tmp_path / "out"
    res = invoke(["batch", str(tmp_path / "in"), "-o", str(out), "-q"],
                 code=ExitStatus.INTERRUPTED, capfd=capfd)
    assert res.stderr == ("kttt: interrupted: the files that finished are kept and recorded in "
                          f"{out / 'manifest.partial.jsonl'} (run the same command again to do "
                          "the rest)\n")


def _stderr_on_a_terminal(code: str) -> str:
    """Run `code` with stderr on a pseudo-terminal (stdout piped) and return what it drew."""
    import pty
    import select

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    drawn = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        drawn += chunk
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.stdout is not None and proc.stdout.read().startswith(b'{"schema_version"')
    return drawn.decode("utf-8", "replace")


def test_progress_is_drawn_on_a_terminal_only() -> None:
    code = ("import sys; from kttt_extract.cli import progress, main; progress.DELAY = 0; "
            f"sys.exit(main(['extract', {str(SAMPLE)!r}]))")
    drawn = _stderr_on_a_terminal(code)
    assert "vinh-linh-cv-20nq.txt: " in drawn and " s)" in drawn  # the stage and the seconds
    piped = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert piped.returncode == 0 and piped.stderr == b""
