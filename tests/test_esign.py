"""E-signed PDFs: the signature stamp writes the number and day into the header's blanks.

The fixture is made as a document system makes one: fpdf2 lays out the letterhead with
`Số:        /UBND-XD` and `ngày       tháng 7 năm 2026` left blank, then pyHanko signs it with a
self-signed certificate and a visible signature whose appearance puts "123" and "15" in them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
import types
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from kttt_extract import extract
from kttt_extract.errors import KtttError
from kttt_extract.loaders import LoadOptions
from kttt_extract.loaders.pdf import load
from kttt_extract.loaders.pdfsig import pdf_date
from kttt_extract.model import Block, Loaded, Result

fpdf = pytest.importorskip("fpdf", reason="fpdf2 (test extra) builds the fixture PDFs")
pytest.importorskip("pyhanko", reason="pyHanko (test extra) signs the fixture PDFs")

FONTS = Path("/usr/share/fonts/truetype/dejavu")
if not (FONTS / "DejaVuSans.ttf").exists() or not (FONTS / "DejaVuSans-Bold.ttf").exists():
    pytest.skip(f"DejaVu fonts not found in {FONTS} (needed for Vietnamese glyphs)",
                allow_module_level=True)

PT = 72 / 25.4  # points per millimetre
PAGE_HEIGHT = 297.0  # mm, A4
ROW = 34.0  # mm from the top: the baseline of the number and date row
LEFT, RIGHT = 15.0, 105.0  # mm: the letterhead's two columns
NUMBER_LINE = "Số:        /UBND-XD"
DATE_LINE = "Lào Cai, ngày       tháng 7 năm 2026"
SIGNED_AT = dt.datetime(2026, 7, 15, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
CN, ORG = "Ủy ban nhân dân tỉnh Lào Cai", "UBND tỉnh Lào Cai"
BODY = [
    ("B", "KẾ HOẠCH"),
    ("B", "Phát triển kinh tế tập thể năm 2026"),
    ("", "Thực hiện Nghị quyết số 20-NQ/TW ngày 16/6/2022 của Ban Chấp hành Trung ương,"),
    ("", "Ủy ban nhân dân tỉnh Lào Cai ban hành Kế hoạch như sau:"),
    ("B", "I. MỤC ĐÍCH, YÊU CẦU"),
    ("", "Phấn đấu đến năm 2027 có 95% hợp tác xã hoạt động hiệu quả."),
    ("B", "II. NHIỆM VỤ"),
    ("", "1. Sở Xây dựng chủ trì rà soát quy hoạch, hoàn thành trong quý III năm 2026."),
]


@dataclass(frozen=True)
class Header:
    """A letterhead PDF and where, in PDF points (y up), its blanks are."""

    data: bytes
    baseline: float
    number_end: float  # left edge of the "/" after the number blank
    day: tuple[float, float]  # the blank between "ngày" and "tháng"


def _header_pdf(number_line: str = NUMBER_LINE, date_line: str = DATE_LINE) -> Header:
    doc = fpdf.FPDF()
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("dv", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.add_page()
    # like a Word table exported by LibreOffice: the left column first, then the right
    for x, lines in ((LEFT, ["ỦY BAN NHÂN DÂN", "TỈNH LÀO CAI", number_line]),
                     (RIGHT, ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                              "Độc lập - Tự do - Hạnh phúc", date_line])):
        for y, line in zip((ROW - 14, ROW - 8, ROW), lines, strict=True):
            doc.set_font("dv", "" if y == ROW else "B", 12 if y == ROW else 11)
            doc.text(x, y, line)
    doc.set_font("dv", "", 12)
    width = doc.get_string_width
    number_end = (LEFT + width(number_line.split("/")[0])) * PT
    head, tail = date_line.split("ngày")
    day = ((RIGHT + width(head + "ngày")) * PT,
           (RIGHT + width(head + "ngày" + tail[:len(tail) - len(tail.lstrip())])) * PT)
    doc.set_y(ROW + 12)
    for style, line in BODY:
        doc.set_font("dv", style, 12)
        doc.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return Header(bytes(doc.output()), (PAGE_HEIGHT - ROW) * PT, number_end, day)


def _stamp_pdf(path: Path, size: tuple[float, float], items: list[tuple[float, float, str]]
               ) -> None:
    """The stamp's appearance: a page of the field's size with text at (x, baseline) points."""
    width, height = size
    doc = fpdf.FPDF(unit="pt", format=(width, height))
    doc.set_auto_page_break(False)
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_page()
    doc.set_font("dv", "", 12)
    doc.set_text_color(200, 0, 0)
    for x, y, text in items:
        doc.text(x, height - y, text)
    doc.output(str(path))


def _certificate() -> tuple[Any, Any]:
    """A self-signed certificate for the issuing office and its key, as asn1crypto objects."""
    from asn1crypto import keys, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, CN),
                       cx509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                       cx509.NameAttribute(NameOID.COUNTRY_NAME, "VN")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(20260715)
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return (x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            keys.PrivateKeyInfo.load(der))


@pytest.fixture(scope="module")
def signer() -> Any:
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert, key = _certificate()
    return signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                cert_registry=SimpleCertificateStore.from_certs([cert]))


@pytest.fixture(autouse=True)
def _signing_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyHanko takes the signing time from the clock: fix it at 15/7/2026 08:30 (+07:00)."""
    from pyhanko.sign.signers import pdf_signer

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Clock:
            return SIGNED_AT  # type: ignore[return-value]

    monkeypatch.setattr(pdf_signer, "datetime", Clock)


def _sign(pdf: bytes, tmp_path: Path, signer: Any, box: tuple[int, int, int, int],
          items: list[tuple[float, float, str]]) -> bytes:
    """Sign with a visible signature field over `box` whose appearance draws `items`
    (text at page coordinates in points)."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    left, bottom, right, top = box
    stamp = tmp_path / "stamp.pdf"
    _stamp_pdf(stamp, (right - left, top - bottom),
               [(x - left, y - bottom, text) for x, y, text in items])
    style = StaticStampStyle.from_pdf_file(
        str(stamp), border_width=0, background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins.uniform(0)))
    meta = signers.PdfSignatureMetadata(field_name="VanThu", reason="Phát hành văn bản",
                                        location="Lào Cai")
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                   new_field_spec=fields.SigFieldSpec("VanThu", box=box))
    out = BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), output=out)
    return out.getvalue()


def _number_and_day(header: Header) -> list[tuple[float, float, str]]:
    """'123' ending just before the "/" and '15' centred in the day's blank."""
    doc = fpdf.FPDF(unit="pt")
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.set_font("dv", "", 12)
    number_x = header.number_end - doc.get_string_width("123") - 0.5
    day_x = (sum(header.day) - doc.get_string_width("15")) / 2
    return [(number_x, header.baseline, "123"), (day_x, header.baseline, "15")]


def _box(items: list[tuple[float, float, str]]) -> tuple[int, int, int, int]:
    xs, ys = [x for x, _, _ in items], [y for _, y, _ in items]
    return (math.floor(min(xs)) - 2, math.floor(min(ys)) - 5, math.ceil(max(xs)) + 30,
            math.ceil(max(ys)) + 14)


def _extract(data: bytes, tmp_path: Path) -> Result:
    path = tmp_path / "signed.pdf"
    path.write_bytes(data)
    return extract(path)


def _load(data: bytes) -> Loaded:
    return load(data, "signed.pdf", LoadOptions(), "pdf")


@pytest.fixture
def signed(tmp_path: Path, signer: Any) -> bytes:
    header = _header_pdf()
    items = _number_and_day(header)
    return _sign(header.data, tmp_path, signer, _box(items), items)


# --------------------------------------------------------------------------- stamps


def test_unsigned_header_has_blanks(tmp_path: Path) -> None:
    result = _extract(_header_pdf().data, tmp_path)
    assert result.document.number is None
    assert result.document.date == "2026-07"
    assert result.document.signatures == ()
    assert not any(w.code == "stamp-metadata" for w in result.warnings)


def test_pages_without_annotations_pay_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the annotation reader nor the signature reader runs on a plain PDF."""
    from kttt_extract.loaders import pdfannots, pdfsig

    def fail(*args: Any) -> Any:
        raise AssertionError("called on a PDF without annotations or signatures")

    monkeypatch.setattr(pdfannots, "pieces", fail)
    monkeypatch.setattr(pdfsig, "signatures", fail)
    loaded = _load(_header_pdf().data)
    assert loaded.signatures == () and not any(b.hints.stamp for b in loaded.blocks)


def test_stamp_text_is_merged_into_the_header_lines(signed: bytes) -> None:
    blocks = [b for b in _load(signed).blocks if b.kind == "paragraph"]
    texts = [b.text for b in blocks]
    assert "Số: 123/UBND-XD" in texts
    assert "Lào Cai, ngày 15 tháng 7 năm 2026" in texts
    assert [b.text for b in blocks if b.hints.stamp] == ["Số: 123/UBND-XD",
                                                         "Lào Cai, ngày 15 tháng 7 năm 2026"]
    assert "KẾ HOẠCH" in texts and "123" not in texts and "15" not in texts


def test_signed_document_number_date_and_signature(signed: bytes, tmp_path: Path) -> None:
    result = _extract(signed, tmp_path)
    doc = result.document
    assert doc.number == "123/UBND-XD"
    assert doc.date == "2026-07-15"
    assert doc.place == "Lào Cai"
    assert doc.kind == "Kế hoạch"
    (signature,) = doc.signatures
    assert signature.name == CN
    assert signature.organization == ORG
    assert signature.signed_at == "2026-07-15T08:30:00+07:00"
    assert signature.reason == "Phát hành văn bản"
    assert signature.location == "Lào Cai"
    assert signature.field == "VanThu"
    stamp = {w.message for w in result.warnings if w.code == "stamp-metadata"}
    assert stamp == {"number read from the e-signature stamp",
                     "date read from the e-signature stamp"}
    assert not any(w.code == "signature-unreadable" for w in result.warnings)
    assert "Số: 123/UBND-XD" in (result.text or "")
    assert any(r.number == "20-NQ/TW" for r in doc.references)


def test_stamp_on_no_line_is_a_line_of_its_own_and_a_blank_date_stays(
        tmp_path: Path, signer: Any) -> None:
    """A stamp in empty space (the signer's name under the header) keeps its place in the
    reading order; the day left blank is not filled from the signing time."""
    header = _header_pdf()
    items = [(RIGHT * PT, header.baseline - 8 * PT, "Ký bởi: Văn phòng UBND tỉnh")]
    data = _sign(header.data, tmp_path, signer, _box(items), items)
    blocks = [b for b in _load(data).blocks if b.kind == "paragraph"]
    texts = [b.text for b in blocks]
    at = texts.index("Ký bởi: Văn phòng UBND tỉnh")
    assert texts[at - 1] == "Lào Cai, ngày tháng 7 năm 2026" and texts[at + 1] == "KẾ HOẠCH"
    assert [b.text for b in blocks if b.hints.stamp] == ["Ký bởi: Văn phòng UBND tỉnh"]
    result = _extract(data, tmp_path)
    assert result.document.number is None
    assert result.document.date == "2026-07"
    assert result.document.signatures[0].signed_at == "2026-07-15T08:30:00+07:00"
    assert not any(w.code == "stamp-metadata" for w in result.warnings)


def test_stamp_printed_over_the_body_splits_no_paragraph(tmp_path: Path, signer: Any) -> None:
    """A stamp over a line of text (not in a blank) is kept, after the page's own lines."""
    header = _header_pdf()
    body_line = (PAGE_HEIGHT - ROW - 12 - 8 * 5 - 5.5) * PT  # baseline of BODY[5]
    items = [(40 * PT, body_line, "Đã ký số")]
    data = _sign(header.data, tmp_path, signer, _box(items), items)
    texts = [b.text for b in _load(data).blocks if b.kind == "paragraph"]
    assert BODY[5][1] in texts and texts.index(BODY[5][1]) < len(texts) - 3
    assert texts[-1] == "Đã ký số", texts


# --------------------------------------------------------------------------- damage


def _corrupt_contents(data: bytes) -> bytes:
    """Overwrite the start of the signature's /Contents hex string (same length)."""
    at = data.index(b"/Contents <") + len(b"/Contents <")
    return data[:at] + b"ff" * 40 + data[at + 80:]


def test_corrupted_contents_gives_a_warning_not_a_crash(signed: bytes, tmp_path: Path) -> None:
    result = _extract(_corrupt_contents(signed), tmp_path)
    (signature,) = result.document.signatures
    assert signature.name is None and signature.organization is None
    assert signature.signed_at == "2026-07-15T08:30:00+07:00"  # /M is still there
    assert (signature.reason, signature.location, signature.field) == (
        "Phát hành văn bản", "Lào Cai", "VanThu")
    (warning,) = [w for w in result.warnings if w.code == "signature-unreadable"]
    assert warning.message.startswith("signature VanThu: the signer's certificate cannot be read")
    assert result.document.number == "123/UBND-XD"


def test_damaged_signature_dictionary_gives_a_warning(signed: bytes) -> None:
    at = signed.index(b"/M (D\\07220260715")  # pyHanko writes the colon as \072
    damaged = signed[:at] + b"/M (D\\0722026XX15" + signed[at + 17:]
    assert damaged != signed
    loaded = _load(damaged)
    (signature,) = loaded.signatures
    assert signature.name == CN and signature.field == "VanThu"
    assert signature.signed_at == "2026-07-15T01:30:00+00:00"  # the CMS signing-time, in UTC
    assert [(w.code, w.message) for w in loaded.warnings] == [
        ("signature-unreadable",
         "signature VanThu: signing time \"D:2026XX15083000+07'00'\" is not a PDF date")]


@pytest.mark.parametrize("seed", range(12))
def test_damage_around_the_signature_raises_only_library_errors(signed: bytes, seed: int) -> None:
    """Bytes scrambled in the signature dictionary, the field or the AcroForm: a result with
    warnings, or one of our errors; never a traceback from pdfminer or asn1crypto."""
    rng = random.Random(seed)
    anchor = signed.index([b"/ByteRange", b"/FT /Sig", b"/AcroForm"][seed % 3])
    data = bytearray(signed)
    for _ in range(8):
        data[anchor + rng.randrange(-40, 200)] = rng.randrange(256)
    try:
        loaded = _load(bytes(data))
    except KtttError:
        return
    assert all(w.code in {"signature-unreadable", "pdf-truncated", "pdf-pages-without-text"}
               for w in loaded.warnings)


def test_a_signed_scan_keeps_its_signature(tmp_path: Path, signer: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A scanned PDF goes to OCR; its signature is still read."""
    doc = fpdf.FPDF()
    doc.add_page()
    doc.rect(40, 60, 120, 80)
    data = _sign(bytes(doc.output()), tmp_path, signer, (300, 100, 400, 140), [])
    from kttt_extract.loaders.ocr import OcrRead

    ocr = types.ModuleType("kttt_extract.loaders.ocr")
    ocr.tesseract = lambda lang, path: None  # type: ignore[attr-defined]
    ocr.read_pages = lambda data, path, options, rules, pages: OcrRead(  # type: ignore[attr-defined]
        blocks={1: [Block(kind="paragraph", text="Số: 123/UBND-XD", page=1)]})
    monkeypatch.setitem(sys.modules, "kttt_extract.loaders.ocr", ocr)
    loaded = load(data, "scan.pdf", LoadOptions(ocr=True), "pdf")
    assert loaded.source.ocr
    assert [s.name for s in loaded.signatures] == [CN]


@pytest.mark.parametrize(("raw", "iso"), [
    ("D:20260715083000+07'00'", "2026-07-15T08:30:00+07:00"),
    ("D:20260715083000+07'00", "2026-07-15T08:30:00+07:00"),
    ("D:20260715013000Z", "2026-07-15T01:30:00+00:00"),
    ("D:20260715013000Z00'00'", "2026-07-15T01:30:00+00:00"),
    ("D:20260715013000-05'30'", "2026-07-15T01:30:00-05:30"),
    ("D:20260715", "2026-07-15T00:00:00"),
    ("20260715083000", "2026-07-15T08:30:00"),
    ("D:20261315", None),
    ("hôm qua", None),
    (None, None),
])
def test_pdf_dates(raw: str | None, iso: str | None) -> None:
    assert pdf_date(raw) == iso
