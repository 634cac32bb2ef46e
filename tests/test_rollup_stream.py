"""The batch's roll-up tables written as documents come (emit/rollup.py): rows reach their files
before the end, nothing replaces the old tables before `commit`, and what is written is the
same, byte for byte, as the tables rendered at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.emit import readable
from kttt_extract.emit.atomic import AtomicFile
from kttt_extract.emit.rollup import TABLES, XLSX, Rollup
from kttt_extract.emit.sheets import Sheet, csv_bytes, xlsx_bytes
from kttt_extract.errors import OutputError
from tests.result_factory import make_result

FILES = (*(f"{t}.csv" for t in TABLES), XLSX)


def _docs(count: int) -> list[dict[str, Any]]:
    return [json.loads(make_result(path=f"kh-{i:03d}.pdf").model_dump_json())
            for i in range(count)]


def _at_once(docs: list[dict[str, Any]]) -> dict[str, bytes]:
    """The tables rendered from every row held in memory, as the renderers do for one file."""
    from kttt_extract.model import Result

    results = [Result.model_validate(d) for d in docs]
    columns = {t: (*readable.DOC_COLUMNS, *readable.COLUMNS[t]) for t in TABLES}
    rows = {t: [r for res in results for r in readable.doc_rows(t, res)] for t in TABLES}
    out = {f"{t}.csv": csv_bytes(columns[t], rows[t]) for t in TABLES}
    out[XLSX] = xlsx_bytes(Sheet(t, columns[t], rows[t]) for t in TABLES)
    return out


def test_streamed_tables_are_the_tables_rendered_at_once(tmp_path: Path) -> None:
    docs = _docs(5)
    with Rollup(tmp_path) as tables:
        for doc in docs:
            tables.add(doc)
        tables.commit()
    assert {n: (tmp_path / n).read_bytes() for n in FILES} == _at_once(docs)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no temporary left


def test_rows_reach_the_file_as_documents_come(tmp_path: Path) -> None:
    (tmp_path / "targets.csv").write_bytes(b"old table")
    with Rollup(tmp_path) as tables:
        sizes = []
        for doc in _docs(3):
            tables.add(doc)
            tables.csv["targets"].file.flush()
            sizes.append(Path(tables.csv["targets"].tmp).stat().st_size)
        assert sizes[0] < sizes[1] < sizes[2]
        assert (tmp_path / "targets.csv").read_bytes() == b"old table"
        tables.commit()
    assert (tmp_path / "targets.csv").read_bytes() != b"old table"


def test_an_error_midway_leaves_the_old_tables(tmp_path: Path) -> None:
    for name in FILES:
        (tmp_path / name).write_bytes(b"old " + name.encode())
    with pytest.raises(RuntimeError), Rollup(tmp_path) as tables:
        tables.add(_docs(1)[0])
        raise RuntimeError("stopped")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        name: b"old " + name.encode() for name in FILES}


def test_a_malformed_document_adds_nothing(tmp_path: Path) -> None:
    docs = _docs(2)
    broken = dict(docs[1], targets=[{"not": "a target"}])
    with Rollup(tmp_path) as tables:
        tables.add(docs[0])
        with pytest.raises(ValueError):
            tables.add(broken)
        tables.commit()
    assert {n: (tmp_path / n).read_bytes() for n in FILES} == _at_once(docs[:1])


def test_an_atomic_file_is_whole_or_absent(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with AtomicFile(target) as out:
        out.write(b"first")
        assert not target.exists()
    assert target.read_bytes() == b"first"
    with pytest.raises(KeyError), AtomicFile(target) as out:
        out.write(b"second")
        raise KeyError("stop")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        AtomicFile(tmp_path / "folder")


_GIVE_UP = """
import json, sys
from pathlib import Path
from kttt_extract.emit.rollup import Rollup
from tests.result_factory import make_result
tables = Rollup(Path(sys.argv[1]))
tables.add(json.loads(make_result().model_dump_json()))
tables.discard()
"""


def test_tables_given_up_midway_say_nothing(tmp_path: Path) -> None:
    """A batch that stops (a full disk) discards its half-written tables quietly: the one
    line on stderr is the batch's own (left open, openpyxl's streaming writers would print a
    traceback when collected at exit)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    ran = subprocess.run([sys.executable, "-c", _GIVE_UP, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert (ran.returncode, ran.stderr) == (0, "")
    assert list(tmp_path.iterdir()) == []
