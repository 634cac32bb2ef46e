"""The digital signatures of a PDF: who signed, when, why and where. Read, never verified.

pdfminer (which pdfplumber brings) walks the AcroForm's signature fields; asn1crypto reads the
signer's certificate subject and signing time out of the CMS (PKCS#7) blob in `/Contents`.
Whatever a damaged dictionary or blob still gives is kept, with a `signature-unreadable`
warning; nothing here raises. Imported only for PDFs in which pdfium counted a signature.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import regex

from kttt_extract.model import Notice, Signature

_PDF_DATE = regex.compile(
    r"^D?:?(?P<Y>\d{4})(?P<m>\d\d)?(?P<d>\d\d)?(?P<H>\d\d)?(?P<M>\d\d)?(?P<S>\d\d)?"
    r"(?:(?P<z>[Zz])(?:00'?(?:00'?)?)?|(?P<sign>[+\-])(?P<oh>\d\d)(?:'?(?P<om>\d\d))?'?)?")
_MAX_DEPTH = 16  # of the field tree
# what asn1crypto raises on a malformed blob (it parses lazily, so also on access)
_BAD_CMS: tuple[type[BaseException], ...] = (ValueError, TypeError, KeyError, IndexError,
                                             OverflowError)


def signatures(data: bytes, password: str | None) -> tuple[list[Signature], list[Notice]]:
    """One Signature per signed field, in field order, and a notice for each that was damaged."""
    from pdfminer.psexceptions import PSException

    damaged: tuple[type[BaseException], ...] = (PSException, AttributeError, RecursionError,
                                                 *_BAD_CMS)
    found: list[Signature] = []
    notices: list[Notice] = []
    try:
        for field, value in _signed_fields(data, password):
            signature, problem = _signature(field, value)
            found.append(signature)
            if problem:
                notices.append(_unreadable(f"signature {field or '(unnamed)'}: {problem}"))
    except damaged as exc:
        notices.append(_unreadable(f"signature fields cannot be read ({type(exc).__name__})"))
    return found, notices


def _unreadable(message: str) -> Notice:
    return Notice(code="signature-unreadable", message=message)


# --------------------------------------------------------------------------- PDF objects


def _signed_fields(data: bytes, password: str | None) -> Iterator[tuple[str | None, Any]]:
    """(full field name, signature dictionary) of every signature field holding a value."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    doc = PDFDocument(PDFParser(BytesIO(data)), password=password or "")
    form = _dict(doc.catalog.get("AcroForm"))
    yield from _walk(_list(form.get("Fields")), None, None, 0, set())


def _walk(items: list[Any], parent: str | None, inherited: str | None, depth: int,
          seen: set[int]) -> Iterator[tuple[str | None, Any]]:
    from pdfminer.pdftypes import PDFObjRef

    for item in items:
        if isinstance(item, PDFObjRef):
            if item.objid in seen:
                continue  # a field tree with a cycle
            seen.add(item.objid)
        field = _dict(item)
        part = _text(field.get("T"))
        name = f"{parent}.{part}" if parent and part else part or parent
        kind = _name(field.get("FT")) or inherited
        value = _dict(field.get("V"))
        if kind == "Sig" and value:
            yield name, value
        if depth < _MAX_DEPTH:
            yield from _walk(_list(field.get("Kids")), name, kind, depth + 1, seen)


def _dict(obj: Any) -> dict[str, Any]:
    from pdfminer.pdftypes import resolve1

    found = resolve1(obj)
    return found if isinstance(found, dict) else {}


def _list(obj: Any) -> list[Any]:
    from pdfminer.pdftypes import resolve1

    found = resolve1(obj)
    return found if isinstance(found, list) else []


def _name(obj: Any) -> str | None:
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral

    found = resolve1(obj)
    return str(found.name) if isinstance(found, PSLiteral) else None


def _text(obj: Any) -> str | None:
    """A PDF text string: UTF-16BE or UTF-8 with a byte order mark, else PDFDocEncoding."""
    from pdfminer.pdftypes import resolve1
    from pdfminer.utils import decode_text

    raw = resolve1(obj)
    if not isinstance(raw, bytes):
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8", errors="replace")
    else:
        text = decode_text(raw)
    text = unicodedata.normalize("NFC", text).replace("\x00", "").strip()
    return text or None


def pdf_date(text: str | None) -> str | None:
    """A PDF date (`D:20260715083000+07'00'`) in ISO 8601 (`2026-07-15T08:30:00+07:00`);
    without a zone it has no offset. None if it is not a date."""
    m = _PDF_DATE.fullmatch(text.strip()) if text else None
    if m is None:
        return None
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    month, day = int(g.get("m", 1)), int(g.get("d", 1))
    hour, minute, second = (int(g.get(k, 0)) for k in ("H", "M", "S"))
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None
    iso = f"{g['Y']}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{min(second, 59):02d}"
    if "z" in g:
        return iso + "+00:00"
    if "sign" in g:
        return iso + f"{g['sign']}{g['oh']}:{g.get('om', '00')}"
    return iso


# --------------------------------------------------------------------------- one signature


def _signature(field: str | None, value: dict[str, Any]) -> tuple[Signature, str | None]:
    """The signature in one signature dictionary and what could not be read of it."""
    from pdfminer.pdftypes import resolve1

    stamp = _text(value.get("M"))
    signed_at = pdf_date(stamp)
    problem = f"signing time {stamp!r} is not a PDF date" if stamp and not signed_at else None
    contents = resolve1(value.get("Contents"))
    name = organization = cms_time = None
    if not isinstance(contents, bytes) or not contents.strip(b"\x00"):
        problem = "no signature value (/Contents)"
    else:
        try:
            name, organization, cms_time = _signer(contents)
        except _BAD_CMS as exc:
            problem = f"the signer's certificate cannot be read ({type(exc).__name__})"
    return Signature(
        name=name or _text(value.get("Name")),
        organization=organization,
        signed_at=signed_at or cms_time,
        reason=_text(value.get("Reason")),
        location=_text(value.get("Location")),
        field=field,
    ), problem


def _signer(contents: bytes) -> tuple[str | None, str | None, str | None]:
    """Common name and organisation of the signer's certificate and the CMS signing time."""
    from asn1crypto import cms, core  # type: ignore[import-untyped]

    info = cms.ContentInfo.load(contents, strict=False)  # /Contents is padded with zeros
    if info["content_type"].native != "signed_data":
        raise ValueError("not CMS signed data")
    signed = info["content"]
    signer = signed["signer_infos"][0]
    cert = _certificate(signed["certificates"], signer["sid"])
    subject = cert.subject.native if cert is not None else {}
    when = None
    attrs = signer["signed_attrs"]
    for attr in () if isinstance(attrs, core.Void) else attrs:
        if attr["type"].native == "signing_time" and len(attr["values"]):
            when = attr["values"][0].native.isoformat()
    return _one(subject.get("common_name")), _one(subject.get("organization_name")), when


def _certificate(certs: Any, sid: Any) -> Any:
    """The certificate the signer info points at (issuer and serial, or key identifier);
    the first certificate if none matches."""
    from asn1crypto import core

    chosen = [c.chosen for c in (() if isinstance(certs, core.Void) else certs)
              if c.name == "certificate"]
    for cert in chosen:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (cert.issuer == wanted["issuer"]
                    and cert.serial_number == wanted["serial_number"].native):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return chosen[0] if chosen else None


def _one(value: Any) -> str | None:
    """A subject attribute: one string, several joined with ', '."""
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = unicodedata.normalize("NFC", str(value)).strip() if value else ""
    return text or None
