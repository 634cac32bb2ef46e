"""Shared fixtures: the shipped rule set (loaded once), paths, CLI runners (in-process and as a
program, with its peak memory), and the means to build environment faults: a small file system,
a process without the right to bypass file permissions.

Hypothesis profiles: `ci` (derandomized: the same examples on every run; .ci/run selects it with
HYPOTHESIS_PROFILE=ci) and `fuzz` (many more examples, random, for the bounded fuzz step)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kttt_extract.ruleset import RuleSet, load_rules

ROOT = Path(__file__).resolve().parents[1]
FONTS = Path("/usr/share/fonts/truetype/dejavu")
SAMPLES = ROOT / "samples"
SEEDS = SAMPLES  # the seed documents as the repository holds them (two of them as .txt)

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
# CI's bounded fuzz run is derandomized too: the same examples each run, so that a red run is a
# regression, not luck; `fuzz-random` explores new examples (run it by hand, e.g. before a release)
_FUZZ = int(os.environ.get("KTTT_FUZZ_EXAMPLES", "2000"))
settings.register_profile("fuzz", max_examples=_FUZZ, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz-random", max_examples=_FUZZ, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Compiled rule sets are stored in a folder of this run (ruleset.stored), never in the user's
# cache; the programs the tests start inherit it.
_STORE = tempfile.mkdtemp(prefix="kttt-rule-store-")
os.environ["KTTT_CACHE_DIR"] = _STORE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_STORE, ignore_errors=True)


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@dataclass
class Invoked:
    code: int
    stdout: str
    stderr: str


def invoke(args: Sequence[str], code: int = 0, stdout_has: str | None = None,
           stderr_has: str | None = None, capfd: pytest.CaptureFixture[str] | None = None
           ) -> Invoked:
    """Run `kttt` in-process through its error boundary and check the outcome."""
    from kttt_extract.cli import main

    assert capfd is not None
    capfd.readouterr()
    status = main(list(args))
    out, err = capfd.readouterr()
    assert status == code, f"exit {status} != {code}\nstdout: {out[:500]}\nstderr: {err}"
    if stdout_has is not None:
        assert stdout_has in out
    if stderr_has is not None:
        assert stderr_has in err, err
    return Invoked(status, out, err)


def make_pdf(lines: Sequence[str], *, password: str | None = None, wrap: bool = False) -> bytes:
    """A one-font PDF with one line (or, with `wrap`, one wrapped paragraph) per item."""
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 (test extra) builds the fixture PDFs")
    if not (FONTS / "DejaVuSans.ttf").exists():
        pytest.skip(f"DejaVu fonts not found in {FONTS}")
    doc = fpdf.FPDF()
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_page()
    doc.set_font("dv", "", 12)
    for line in lines:
        write = doc.multi_cell if wrap else doc.cell
        write(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    if password:
        doc.set_encryption(owner_password="owner-pw", user_password=password)
    return bytes(doc.output())


@dataclass
class Ran:
    """The outcome of `kttt` run as a program: exit code, output, the peak resident memory of it
    and its children (from wait4), and how long it took."""

    code: int
    stdout: str
    stderr: str
    max_rss_mb: float
    seconds: float


# A fresh, small interpreter that runs the measured command and reports its peak memory: a
# process forked from the test process starts with the test process's pages resident, and
# Linux keeps that high-water mark across exec, so measuring a direct child would count
# whatever the test process holds by then.
_LAUNCHER = """
import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
def forward(sig, frame):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, forward)
_, status, usage = os.wait4(pid, 0)
with open(os.environ["KTTT_TEST_MAXRSS"], "w") as fh:
    fh.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
if code < 0:
    signal.signal(-code, signal.SIG_DFL)
    os.kill(os.getpid(), -code)
sys.exit(code)
"""


def run_kttt(args: Sequence[str], *, prefix: Sequence[str] = (), stdout_to: str | None = None,
             timeout: float = 120) -> Ran:
    """Run `python -m kttt_extract ARGS` as a program (after `prefix`, a command such as
    setpriv; with stdout going to `stdout_to` when given) and measure it."""
    import selectors
    import signal
    import tempfile
    import time

    started = time.monotonic()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    argv = [*prefix, sys.executable, "-m", "kttt_extract", *args]
    fd, rss_file = tempfile.mkstemp(prefix="kttt-maxrss-")
    os.close(fd)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child execs at once
        os.setpgid(0, 0)  # a group of its own, so that a timeout ends the command too
        target = os.open(stdout_to, os.O_WRONLY) if stdout_to else out_w
        os.dup2(target, 1)
        os.dup2(err_w, 2)
        os.environ["KTTT_TEST_MAXRSS"] = rss_file
        os.execv(sys.executable, [sys.executable, "-c", _LAUNCHER, *argv])
    os.close(out_w)
    os.close(err_w)
    chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
    with selectors.DefaultSelector() as sel:
        for fd in chunks:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            if time.monotonic() - started > timeout:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            for key, _ in sel.select(1.0):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    sel.unregister(key.fd)
                    os.close(key.fd)
    _, status, usage = os.wait4(pid, 0)
    try:
        with open(rss_file, encoding="ascii") as fh:
            max_rss_kb = float(fh.read() or usage.ru_maxrss)
    finally:
        os.unlink(rss_file)
    return Ran(os.waitstatus_to_exitcode(status),
               b"".join(chunks[out_r]).decode("utf-8", "replace"),
               b"".join(chunks[err_r]).decode("utf-8", "replace"),
               max_rss_kb / 1024, time.monotonic() - started)


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root keeps its uid but loses the
    capabilities that bypass them); skips the test where that cannot be arranged."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root and cannot drop the capabilities that bypass permissions")
    return prefix


@contextlib.contextmanager
def small_filesystem(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `where` (root only; skips otherwise), unmounted after."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small file system needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def remount(where: Path, options: str) -> None:
    """Change the options of a file system mounted by small_filesystem (size=..., ro, rw)."""
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True,
                   capture_output=True)
