"""What reading annotation appearances and signatures costs the PDF loader, in ms a page.

    PYTHONPATH=src /work/venv/bin/python benchmarks/annotations_bench.py [--seeds DIR] [--repeat N]

PDFs are built from the seed texts with fpdf2 (DejaVuSans): plain ones; the same with a link
annotation on every page (annotations the loader looks at and skips); and one signed with
pyHanko, with a visible signature stamp on page 1. `pdf.load` is timed as it is ("after") and
with pdfium's annotation and signature counts forced to zero ("before": the loader as it was
without the check, which also skips the stamp and signature reading). Medians of N runs,
interleaved. Needs the test extra (fpdf2, pyHanko).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pypdfium2.raw as pdfium_c

from kttt_extract.loaders import LoadOptions, pdf, pdfannots, pdfsig

FONTS = Path("/usr/share/fonts/truetype/dejavu")
SEEDS = Path("/work/shared/seeds")


def build(text: str, links: bool = False) -> bytes:
    """A PDF of the text's lines (wrapped), with a link annotation on each page if asked."""
    from fpdf import FPDF

    doc = FPDF()
    doc.add_font("dv", "", str(FONTS / "DejaVuSans.ttf"))
    doc.set_font("dv", "", 12)
    doc.add_page()
    for line in text.splitlines():
        if line.strip():
            doc.multi_cell(0, 6, line.strip().lstrip("#* "), new_x="LMARGIN", new_y="NEXT")
    if links:
        for page in range(1, doc.pages_count + 1):
            doc.page = page
            doc.link(20, 280, 40, 8, "https://example.org/van-ban")
    return bytes(doc.output())


def sign(data: bytes) -> bytes:
    """Sign with a self-signed certificate and a visible text stamp on page 1."""
    from asn1crypto import keys, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "UBND tỉnh Lào Cai")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (cx509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=365)).sign(key, hashes.SHA256()))
    signing_cert = x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    signer = signers.SimpleSigner(
        signing_cert=signing_cert,
        signing_key=keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([signing_cert]))
    meta = signers.PdfSignatureMetadata(field_name="VanThu", reason="Phát hành", location="Lào Cai")
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=TextStampStyle(),
                                   new_field_spec=fields.SigFieldSpec("VanThu",
                                                                      box=(300, 700, 560, 780)))
    out = BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(data)), output=out)
    return out.getvalue()


def _blind() -> Any:
    """pypdfium2.raw, except that no page has annotations and no document signatures
    (a plain namespace: attribute look-ups cost what they cost on the module)."""
    namespace = SimpleNamespace(**vars(pdfium_c))
    namespace.FPDFPage_GetAnnotCount = lambda page: 0
    namespace.FPDF_GetSignatureCount = lambda doc: 0
    return namespace


@contextmanager
def before() -> Iterator[None]:
    saved = pdf.pdfium_c
    pdf.pdfium_c = _blind()
    try:
        yield
    finally:
        pdf.pdfium_c = saved


def _load(data: bytes) -> int:
    return pdf.load(data, "bench.pdf", LoadOptions(), "pdf").source.pages or 1


def measure(data: bytes, repeat: int) -> tuple[float, float, int]:
    """Fastest ms a page before and after (the least disturbed run: the machine is shared),
    and the page count."""
    times: dict[str, list[float]] = {"before": [], "after": []}
    pages = _load(data)
    for _ in range(repeat):
        for label in ("before", "after"):
            t = time.perf_counter()
            if label == "before":
                with before():
                    _load(data)
            else:
                _load(data)
            times[label].append((time.perf_counter() - t) * 1000 / pages)
    return min(times["before"]), min(times["after"]), pages


def one_off(label: str, run: Callable[[], object], repeat: int, unit: float = 1.0) -> None:
    """Fastest and median time of `run` in ms, divided by `unit` (e.g. per page)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000 / unit)
    print(f"{label:<48} {min(times):8.4f} ms (median {statistics.median(times):.4f})")


def checks(data: bytes, repeat: int) -> None:
    """The per-page cost of the check alone, and of looking at a page's annotations."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    pages = [doc[i] for i in range(len(doc))]
    one_off("  FPDFPage_GetAnnotCount, a page",
            lambda: [pdfium_c.FPDFPage_GetAnnotCount(p) for p in pages], repeat, len(pages))
    one_off("  pdfannots.pieces on a page of links only",
            lambda: [pdfannots.pieces(doc, p, i) for i, p in enumerate(pages)], repeat,
            len(pages))
    for page in pages:
        page.close()
    doc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    texts = {p.stem[:12]: p.read_text(encoding="utf-8") for p in sorted(args.seeds.glob("*.txt"))}
    print(f"{'PDF (fastest of N)':<28} {'pages':>5} {'before ms/p':>11} {'after ms/p':>11} "
          f"{'change':>8}")
    signed_source = ""
    for name, text in texts.items():
        signed_source = signed_source or text
        for kind, data in (("plain", build(text)), ("links", build(text, links=True))):
            old, new, pages = measure(data, args.repeat)
            print(f"{name + ' ' + kind:<28} {pages:>5} {old:>11.2f} {new:>11.2f} "
                  f"{(new - old) / old:>+8.1%}")
    print("per page, on the links PDF of the first seed:")
    checks(build(signed_source, links=True), args.repeat * 20)
    signed = sign(build(signed_source))
    old, new, pages = measure(signed, args.repeat)
    print(f"{'signed (stamp on page 1)':<28} {pages:>5} {old:>11.2f} {new:>11.2f} "
          f"{(new - old) / old:>+8.1%}")
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(signed)
    page = doc[0]
    one_off("stamp text of page 1 (pdfannots.pieces)",
            lambda: pdfannots.pieces(doc, page, 0), args.repeat)
    one_off("signatures (pdfsig.signatures, warm imports)",
            lambda: pdfsig.signatures(signed, None), args.repeat)
    print("stamp text read:", [p.text for p in pdfannots.pieces(doc, page, 0)])
    print("signature:", pdfsig.signatures(signed, None)[0])
    page.close()
    doc.close()


if __name__ == "__main__":
    main()
