"""Shared fixtures: the shipped rule set (loaded once), paths, and a CLI runner helper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from kttt_extract.ruleset import RuleSet, load_rules

ROOT = Path(__file__).resolve().parents[1]
FONTS = Path("/usr/share/fonts/truetype/dejavu")
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"


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
