"""Shared fixtures: the shipped rule set (loaded once), paths, and a CLI runner helper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from kttt_extract.ruleset import RuleSet, load_rules

ROOT = Path(__file__).resolve().parents[1]
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
