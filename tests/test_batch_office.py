"""A batch converts its .doc/.rtf/.odt files in groups, one LibreOffice process per worker, and
gives the same JSON as converting each file alone; a file a group cannot convert fails alone."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kttt_extract import batch_office
from kttt_extract.batch import BatchOptions, run_batch
from kttt_extract.loaders import office

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")

LINES = ("ỦY BAN NHÂN DÂN HUYỆN TAM ĐƯỜNG", "KẾ HOẠCH", "Phát triển kinh tế tập thể",
         "I. MỤC TIÊU", "Đến năm 2030 có {n}0 hợp tác xã.", "II. NHIỆM VỤ",
         "1. Phòng Nông nghiệp và PTNT chủ trì, báo cáo trước ngày 15/12/2024.")


def _office_folder(root: Path, count: int) -> Path:
    """`count` plans as .doc, .rtf and .odt, made from DOCX files by LibreOffice."""
    from docx import Document

    work = root / "docx"
    work.mkdir(parents=True)
    for i in range(count):
        doc = Document()
        for line in LINES:
            doc.add_paragraph(line.format(n=i + 1))
        doc.save(str(work / f"kh-{i}.docx"))
    src = root / "in"
    for fmt in ("doc", "rtf", "odt"):
        files = sorted(str(p) for p in work.glob("*.docx"))[("doc", "rtf", "odt").index(fmt)::3]
        if not files:
            continue
        subprocess.run([SOFFICE or "soffice", f"-env:UserInstallation={(root / 'p').as_uri()}",
                        "--headless", "--convert-to", fmt, "--outdir", str(src / fmt), *files],
                       check=True, capture_output=True, timeout=300)
    (src / "doc" / "damaged.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    return src


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.name.startswith("manifest")}


def test_group_conversion_gives_the_bytes_of_one_file_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = _office_folder(tmp_path, 6)
    starts: list[int] = []
    group = office.convert_group

    def counted(sources: list[Path], outdir: Path, timeout: float) -> dict[Path, Path]:
        starts.append(len(sources))
        return group(sources, outdir, timeout)

    monkeypatch.setattr(batch_office, "convert_group", counted)
    grouped = run_batch(src, tmp_path / "grouped", BatchOptions(jobs=2))
    assert sorted(starts) == [3, 4]  # 7 files, one LibreOffice per worker
    monkeypatch.setattr(batch_office, "converted_ahead", _nothing_ahead)
    alone = run_batch(src, tmp_path / "alone", BatchOptions(jobs=2))
    assert (grouped.ok, grouped.failed) == (alone.ok, alone.failed) == (6, 1)
    assert _files(tmp_path / "grouped") == _files(tmp_path / "alone")


class _nothing_ahead:  # stands in for the context manager
    def __init__(self, *args: Any) -> None:
        pass

    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: Any) -> None:
        return None


def test_a_group_that_overruns_leaves_each_file_to_its_worker(tmp_path: Path) -> None:
    src = _office_folder(tmp_path, 3)
    made = office.convert_group(sorted(src.rglob("kh-*.*")), tmp_path / "o", 0.001)
    assert made == {}
    summary = run_batch(src, tmp_path / "out", BatchOptions(jobs=1))
    assert (summary.ok, summary.failed) == (3, 1)
