"""Hostile and odd inputs: each gives its documented exit code and one exact stderr line, quickly
and in bounded memory; fuzzing the loaders and the pipeline lets only KtttError escape."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import random
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kttt_extract.errors import ExitStatus, KtttError, UnreadableInput
from kttt_extract.loaders import MB, LoadOptions, load, load_bytes
from tests.conftest import invoke, make_pdf, run_kttt

FONTS = Path("/usr/share/fonts/truetype/dejavu")
BOUND_MB = 150  # peak resident memory of `kttt` and its child refusing a large input
PLAN = ("KẾ HOẠCH\nThực hiện Nghị quyết số 20-NQ/TW ngày 16/6/2022\nII. MỤC TIÊU\n"
        "- Phấn đấu đến năm 2030 có 50 hợp tác xã hoạt động hiệu quả.\n"
        "III. TỔ CHỨC THỰC HIỆN\nPhòng Nông nghiệp chủ trì, báo cáo trước ngày 15/12 hằng năm.\n")


def _err(path: Path, what: str) -> str:
    return f"kttt: error: {path}: {what}\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _pdf(lines: list[str], password: str | None = None) -> bytes:
    return make_pdf(lines, password=password)


def _docx(extra: dict[str, int] | None = None) -> bytes:
    """A DOCX of PLAN; `extra` adds members of that many zero bytes (a zip bomb)."""
    from docx import Document

    doc = Document()
    for line in PLAN.splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    if not extra:
        return buf.getvalue()
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        for name, size in extra.items():
            with zf.open(name, "w", force_zip64=True) as member:
                chunk = bytes(MB)
                for _ in range(size // MB):
                    member.write(chunk)
                member.write(bytes(size % MB))
    return buf.getvalue()


def _unzipped_mb(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return f"{sum(i.file_size for i in zf.infolist()) / MB:.3g}"


def _items(data: dict[str, Any]) -> tuple[Any, ...]:
    """What must not change with the input's encoding: text, sections, targets, deadlines."""
    drop = ("source", "warnings")
    return tuple(json.dumps(data[k], ensure_ascii=False) for k in sorted(data) if k not in drop)


def _extract(path: Path, capfd: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    out = invoke(["extract", str(path), *args], capfd=capfd).stdout
    data: dict[str, Any] = json.loads(out)
    return data


# --------------------------------------------------------------------------- refused inputs


def test_empty_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "empty.docx", b"")
    res = invoke(["extract", str(path)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert (res.stdout, res.stderr) == ("", _err(path, "empty file"))


def test_blank_file(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "blank.txt", b" \r\n\t\n")
    res = invoke(["extract", str(path)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(path, "empty file")


@pytest.mark.parametrize("cut", [0.5, 0.1])
def test_truncated_pdf(tmp_path: Path, cut: float, capfd: pytest.CaptureFixture[str]) -> None:
    data = _pdf(PLAN.splitlines())
    path = _write(tmp_path, "cut.pdf", data[: int(len(data) * cut)])
    res = invoke(["extract", str(path)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(path, "damaged PDF: bad PDF structure (the file is truncated or "
                                    "corrupt; save or download it again)")


def test_corrupt_pdf(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    junk = random.Random(7).randbytes(4000)
    path = _write(tmp_path, "junk.pdf", b"%PDF-1.7\n" + junk)
    res = invoke(["extract", str(path)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(path, "damaged PDF: bad PDF structure (the file is truncated or "
                                    "corrupt; save or download it again)")


def test_encrypted_pdf(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "locked.pdf", _pdf(PLAN.splitlines(), password="s3cret-pw"))
    line = _err(path, "encrypted PDF (pass --password)")
    res = invoke(["extract", str(path)], code=ExitStatus.ENCRYPTED, capfd=capfd)
    assert (res.stdout, res.stderr) == ("", line)
    res = invoke(["extract", str(path), "--password", "wrong"], code=ExitStatus.ENCRYPTED,
                 capfd=capfd)
    assert res.stderr == line
    data = _extract(path, capfd, "--password", "s3cret-pw")
    assert [(t["value"], t["unit"], t["year"]) for t in data["targets"]] == [
        (50, "hợp tác xã", 2030)]


def test_zip_that_is_not_a_docx(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/readme.txt", "not a document")
    path = _write(tmp_path, "fake.docx", buf.getvalue())
    res = invoke(["extract", str(path)], code=ExitStatus.UNSUPPORTED, capfd=capfd)
    assert res.stderr == _err(path, "not a DOCX (zip) file (a ZIP archive without "
                                    "word/document.xml)")


def test_docx_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = _write(tmp_path, "bomb.docx", _docx({"word/media/zeros.bin": 200 * MB}))
    assert path.stat().st_size < 2 * MB
    ran = run_kttt(["extract", str(path)])
    assert _unzipped_mb(path.read_bytes()) == "201"
    assert (ran.code, ran.stderr) == (ExitStatus.UNREADABLE, _err(
        path, "DOCX expands to 201 MB, over the 200 MB limit (raise it with --max-unzipped)"))
    assert ran.max_rss_mb < BOUND_MB


def test_max_unzipped_option(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "padded.docx", _docx({"word/media/zeros.bin": 3 * MB}))
    res = invoke(["extract", str(path), "--max-unzipped", "2"], code=ExitStatus.UNREADABLE,
                 capfd=capfd)
    size = _unzipped_mb(path.read_bytes())
    assert res.stderr == _err(path, f"DOCX expands to {size} MB, over the 2 MB limit "
                                    "(raise it with --max-unzipped)")
    data = _extract(path, capfd, "--max-unzipped", "5")
    assert [t["value"] for t in data["targets"]] == [50]


def test_random_bytes(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "plan.pdf.bin", random.Random(3).randbytes(8000))
    res = invoke(["extract", str(path)], code=ExitStatus.UNSUPPORTED, capfd=capfd)
    assert res.stderr == _err(path, "not a document this tool reads (supported: PDF, DOCX, "
                                    "DOC/RTF/ODT with LibreOffice, text)")


def test_directory(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    res = invoke(["extract", str(tmp_path)], code=ExitStatus.UNSUPPORTED, capfd=capfd)
    assert res.stderr == _err(tmp_path, "is a directory (use `kttt batch` for folders)")


def test_hundred_megabytes_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(100 * MB)  # sparse: nothing is written, nothing must be read
    ran = run_kttt(["extract", str(path)])
    assert (ran.code, ran.stderr) == (ExitStatus.UNREADABLE, _err(
        path, "file is 100.0 MB, over the 50 MB limit (raise it with --max-size)"))
    assert ran.max_rss_mb < BOUND_MB


def test_max_size_option(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "long.txt", (PLAN + "Ghi chú thêm.\n" * 80_000).encode())
    assert MB < path.stat().st_size < 2 * MB
    res = invoke(["extract", str(path), "--max-size", "1"], code=ExitStatus.UNREADABLE,
                 capfd=capfd)
    assert res.stderr == _err(path, "file is 1.2 MB, over the 1 MB limit "
                                    "(raise it with --max-size)")
    opts = LoadOptions(max_bytes=2 * MB)
    assert load(path, opts).source.format == "txt"


def test_file_of_nul_bytes(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "zeros.txt", bytes(4096))
    res = invoke(["extract", str(path)], code=ExitStatus.UNREADABLE, capfd=capfd)
    assert res.stderr == _err(path, "no text in file")


# --------------------------------------------------------------------------- odd but readable


def test_nul_bytes_inside_text_are_spaces(tmp_path: Path,
                                          capfd: pytest.CaptureFixture[str]) -> None:
    clean = _extract(_write(tmp_path, "clean.txt", PLAN.encode()), capfd)
    dirty = PLAN.replace("hiệu quả.", "hiệu quả.\x00\x00").encode()
    data = _extract(_write(tmp_path, "nul.txt", dirty), capfd)
    assert [t["value"] for t in data["targets"]] == [t["value"] for t in clean["targets"]]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_unicode_transformation_formats(tmp_path: Path, encoding: str,
                                        capfd: pytest.CaptureFixture[str]) -> None:
    clean = _extract(_write(tmp_path, "clean.txt", PLAN.encode()), capfd)
    data = _extract(_write(tmp_path, f"{encoding}.txt", PLAN.encode(encoding)), capfd)
    assert _items(data) == _items(clean)
    assert data["warnings"] == clean["warnings"]


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows wrote it: a letter, then its tone as its own byte."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            tone = next(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            out += unicodedata.normalize("NFC", parts.replace(tone, "")).encode("cp1258")
            out += tone.encode("cp1258")
    return bytes(out)


def test_windows_1258(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    clean = _extract(_write(tmp_path, "clean.txt", PLAN.encode()), capfd)
    data = _extract(_write(tmp_path, "cp1258.txt", _cp1258(PLAN)), capfd)
    assert _items(data) == _items(clean)
    assert {"code": "legacy-encoding", "message": "text decoded as Windows-1258"} in (
        data["warnings"])


def test_decomposed_text_is_composed(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    clean = _extract(_write(tmp_path, "clean.txt", PLAN.encode()), capfd)
    nfd = unicodedata.normalize("NFD", PLAN)
    assert nfd != PLAN
    data = _extract(_write(tmp_path, "nfd.txt", nfd.encode()), capfd)
    assert _items(data) == _items(clean)


def test_utf16_without_bom_heavy_in_diacritics(tmp_path: Path,
                                               capfd: pytest.CaptureFixture[str]) -> None:
    heavy = "II. MỤC TIÊU\n- Ủy ban nhân dân tỉnh phấn đấu đạt 95% hộ được dùng nước sạch.\n"
    clean = _extract(_write(tmp_path, "clean.txt", heavy.encode()), capfd)
    data = _extract(_write(tmp_path, "le.txt", heavy.encode("utf-16-le")), capfd)
    assert _items(data) == _items(clean)


# --------------------------------------------------------------------------- fuzzing

FORMATS = {"txt": "text", "md": "text", "docx": "docx", "pdf": "pdf"}
_DOCX = _docx()


def _load_as(data: bytes, fmt: str) -> None:
    module = importlib.import_module(f"kttt_extract.loaders.{FORMATS[fmt]}")
    with contextlib.suppress(KtttError):
        module.load(data, "fuzz", LoadOptions(max_unzipped=4 * MB), fmt)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000), fmt=st.sampled_from(sorted(FORMATS)))
def test_random_bytes_raise_only_our_errors(data: bytes, fmt: str) -> None:
    _load_as(data, fmt)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      min_size=1, max_size=8),
       cut=st.floats(0.05, 1.0))
def test_damaged_docx_raises_only_our_errors(edits: list[tuple[float, int]], cut: float) -> None:
    data = bytearray(_DOCX[: max(1, int(len(_DOCX) * cut))])
    for where, value in edits:
        data[int(where * len(data))] = value
    _load_as(bytes(data), "docx")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
                      min_size=1, max_size=8),
       cut=st.floats(0.05, 1.0))
def test_damaged_pdf_raises_only_our_errors(edits: list[tuple[float, int]], cut: float) -> None:
    pdf = _pdf(PLAN.splitlines())
    data = bytearray(pdf[: max(1, int(len(pdf) * cut))])
    for where, value in edits:
        data[int(where * len(data))] = value
    _load_as(bytes(data), "pdf")


TOKENS = ["II.", "1.", "a)", "-", "MỤC TIÊU", "NHIỆM VỤ", "TỔ CHỨC THỰC HIỆN", "Kế hoạch",
          "50", "1.500", "1,5", "95%", "2030", "năm", "đến năm", "trước ngày 15/12", "hằng năm",
          "hợp tác xã", "tỷ đồng", "trên", "khoảng", "từ 10 đến 15", "|", " | ", "Chỉ tiêu",
          "ĐVT", "%", "Năm 2025", "≥", "chủ trì", "phối hợp", "UBND", "Phòng NN&PTNT", "số",
          "20-NQ/TW", "ngày 16/6/2022", "quý I", "\n", "\n\n", "**", "#", "Céng", "hoäi", "µ",
          "\u00ad", "\x00", "\u0301", "\ufeff", "…", "(", ")", ";", ":", "/", ".", ","]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=400),
                      st.lists(st.sampled_from(TOKENS), max_size=80).map(" ".join)))
def test_random_text_raises_only_our_errors(text: str) -> None:
    from kttt_extract.pipeline import extract_text

    try:
        result = extract_text(text)
    except KtttError:
        return
    assert result.text is not None
    spans = [x.span for x in result.targets] + [x.span for x in result.deadlines]
    for start, end in spans + [x.span for x in result.tasks]:
        assert 0 <= start <= end <= len(result.text)


def test_fuzz_helper_lets_our_errors_pass() -> None:
    with pytest.raises(UnreadableInput):
        importlib.import_module("kttt_extract.loaders.docx").load(b"PK\x03\x04", "x",
                                                                   LoadOptions(), "docx")
    _load_as(b"PK\x03\x04", "docx")


def test_zip_of_an_unknown_version_is_damaged_not_a_crash() -> None:
    """Found by the fuzz run: zipfile raises NotImplementedError for a version it does not know."""
    import struct
    from io import BytesIO

    from docx import Document as NewDocument

    buf = BytesIO()
    NewDocument().save(buf)
    data = bytearray(buf.getvalue())
    at = data.rfind(b"PK\x01\x02")  # the last central directory entry
    struct.pack_into("<H", data, at + 6, 64)  # "version needed to extract": 6.4
    with pytest.raises(UnreadableInput) as err:
        load_bytes(bytes(data), "v64.docx")
    assert "damaged" in err.value.message
