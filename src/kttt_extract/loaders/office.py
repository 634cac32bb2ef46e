""".doc, .rtf and .odt: LibreOffice converts them to DOCX, which the DOCX loader reads.

LibreOffice keeps Word's automatic list numbers and the run fonts (so `.VnTime` text is still
recognised); antiword and catdoc lose the numbers. Each conversion runs headless in its own
temporary directory with its own user profile (`-env:UserInstallation`), so parallel runs never
share or lock a profile, in its own process group, which is killed when `LoadOptions.timeout`
runs out (measured: 1.4 s warm, 2.0 s cold a document).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from kttt_extract.errors import MissingTool, UnreadableInput
from kttt_extract.loaders import LoadOptions, sha256
from kttt_extract.loaders import docx as docx_loader
from kttt_extract.model import Loaded, SourceFormat

INSTALL_HINT = "apt-get install libreoffice-writer"
_NAMES = {"doc": "Word 97-2003 (.doc)", "rtf": "RTF", "odt": "OpenDocument (.odt)"}


def soffice(path: str | None = None) -> str:
    """The LibreOffice program on PATH (`path` names the file that needs it, in the error)."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise MissingTool("LibreOffice is needed to read .doc/.rtf/.odt", path=path,
                      hint=INSTALL_HINT)


def _command(program: str, source: Path, outdir: Path, profile: Path) -> list[str]:
    return [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
            "--nologo", "--nodefault", "--norestore", "--nolockcheck",
            "--convert-to", "docx", "--outdir", str(outdir), str(source)]


def _run(command: list[str], workdir: Path, timeout: float, path: str) -> str:
    """Run LibreOffice in a new process group; kill the whole group if it overruns."""
    env = {**os.environ, "HOME": str(workdir)}  # nothing of the user's profile is touched
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=workdir, env=env,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise UnreadableInput(f"LibreOffice did not convert it within {timeout:g} s", path=path,
                              hint="the file may be damaged, huge or password-protected; "
                                   "open it in LibreOffice or Word and save it as DOCX") from None
    except BaseException:  # Ctrl-C: leave no LibreOffice behind
        _kill_group(proc)
        raise
    return out.decode("utf-8", errors="replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the group led by `proc` (still running, so its id is still its own) and reap it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()


def convert(data: bytes, path: str, fmt: SourceFormat, timeout: float) -> bytes:
    """The DOCX bytes LibreOffice makes of a .doc/.rtf/.odt file."""
    program = soffice(path)
    with tempfile.TemporaryDirectory(prefix="kttt-office-") as tmp:
        work = Path(tmp)
        source = work / f"input.{fmt}"
        source.write_bytes(data)
        outdir = work / "out"
        output = _run(_command(program, source, outdir, work / "profile"), work, timeout, path)
        result = outdir / "input.docx"
        if not result.is_file():
            last = output.strip().splitlines()[-1][:160] if output.strip() else "no output"
            raise UnreadableInput(
                f"LibreOffice could not convert this {_NAMES.get(fmt, fmt)} file: {last}",
                path=path, hint="it may be damaged or password-protected; "
                                "open it in LibreOffice or Word and save it as DOCX")
        return result.read_bytes()


def convert_group(sources: list[Path], outdir: Path, timeout: float) -> dict[Path, Path]:
    """Convert many files with one LibreOffice process, within `timeout` seconds for all; the
    DOCX made of each source that converted (none when LibreOffice overran or is missing)."""
    try:
        program = soffice()
    except MissingTool:
        return {}
    with tempfile.TemporaryDirectory(prefix="kttt-office-") as tmp:
        work = Path(tmp)
        inputs = work / "in"
        inputs.mkdir()
        names = {}
        for i, source in enumerate(sources):  # numbered names: two inputs may share a name
            name = inputs / f"{i}{source.suffix.lower()}"
            name.symlink_to(source.resolve())
            names[source] = name
        command = _command(program, inputs / "-", outdir, work / "profile")[:-1]
        try:
            _run([*command, *map(str, names.values())], work, timeout, str(inputs))
        except UnreadableInput:  # it overran: each file is converted alone, with its own error
            return {}
    made = {source: outdir / f"{name.stem}.docx" for source, name in names.items()}
    return {source: docx for source, docx in made.items() if docx.is_file()}


def _cached(data: bytes, options: LoadOptions) -> bytes | None:
    if options.office_cache is None:
        return None
    path = Path(options.office_cache) / f"{sha256(data)}.docx"
    with contextlib.suppress(OSError):
        return path.read_bytes()
    return None


def load(data: bytes, path: str, options: LoadOptions, fmt: SourceFormat) -> Loaded:
    """Convert with LibreOffice (or take the DOCX a group conversion made), read the DOCX, and
    describe the original file."""
    converted = _cached(data, options) or convert(data, path, fmt, options.timeout)
    loaded = docx_loader.load(converted, path, options, "docx")
    source = loaded.source.model_copy(update={"format": fmt, "sha256": sha256(data)})
    return loaded.model_copy(update={"source": source})
