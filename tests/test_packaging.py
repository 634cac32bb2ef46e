"""The package as users get it: every subpackage listed, rule files inside the wheel, and a plain
(non-editable) install that runs from another directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES


def test_every_subpackage_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT / "src").parts)
        for p in (ROOT / "src").rglob("__init__.py")
    }
    assert found | {"kttt_extract.rules"} == listed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    return next(out.glob("kttt_extract-*.whl"))


def test_rule_files_ship_in_the_wheel(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("kttt_extract/rules/")}
    assert {p.name for p in (ROOT / "rules").glob("*.yaml")} <= shipped
    assert "kttt_extract/py.typed" in names


@pytest.mark.skipif(os.environ.get("KTTT_SKIP_INSTALL_TEST") == "1", reason="asked to skip")
def test_plain_install_runs_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    # the dependencies come from this environment through a .pth file (appended after the new
    # venv's own site-packages, so the freshly installed wheel is the one imported)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    py = env_dir / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(wheel)], check=True, capture_output=True, env=clean)
    run = subprocess.run([str(env_dir / "bin" / "kttt"), "extract", "--no-text",
                          str(SAMPLES / "vinh-linh-cv-20nq.txt")], cwd=tmp_path,
                         capture_output=True, text=True, check=False, env=clean)
    assert run.returncode == 0, run.stderr
    assert '"tasks":[{' in run.stdout
