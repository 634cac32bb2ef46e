"""Inputs that used to pass in silence get a warning (issue 14): a stray NUL byte in a text file,
a DTD inside a DOCX part (never expanded, never fetched)."""

from __future__ import annotations

import io
import zipfile

from kttt_extract.loaders import LoadOptions, load_bytes

TEXT = "KẾ HOẠCH\nI. MỤC TIÊU\nĐến năm 2030 có 50 hợp tác xã.\n"


def test_a_stray_nul_byte_is_a_warning() -> None:
    data = TEXT.replace("50 hợp", "50\x00 hợp").encode("utf-8")
    loaded = load_bytes(data, "plan.txt")
    [notice] = [w for w in loaded.warnings if w.code == "nul-bytes"]
    assert notice.message.startswith("1 NUL character(s) in the text, read as spaces")
    assert "\x00" not in "".join(b.text for b in loaded.blocks)
    assert any("50  hợp tác xã" in b.text for b in loaded.blocks)


def test_utf16_text_has_no_nul_warning() -> None:
    loaded = load_bytes(TEXT.encode("utf-16"), "plan.txt")
    assert not [w for w in loaded.warnings if w.code == "nul-bytes"]


def _docx(doctype: str | None) -> bytes:
    from docx import Document

    doc = Document()
    for line in TEXT.splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    if doctype is None:
        return buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head, _, rest = data.partition(b"?>")
                data = head + b"?>" + doctype.encode() + rest.replace(b"2030", b"2030&x;", 1)
            dst.writestr(info, data)
    return out.getvalue()


def test_a_dtd_in_a_docx_part_is_a_warning_and_is_not_expanded() -> None:
    doctype = ('<!DOCTYPE w:document [<!ENTITY x "EXPANDED">'
               '<!ENTITY ext SYSTEM "http://example.invalid/x.dtd">]>')
    loaded = load_bytes(_docx(doctype), "plan.docx", LoadOptions())
    [notice] = [w for w in loaded.warnings if w.code == "docx-dtd"]
    assert notice.message.startswith("a DTD (<!DOCTYPE>) in word/document.xml: ")
    assert "never expanded or fetched" in notice.message
    assert not any("EXPANDED" in b.text for b in loaded.blocks)  # the entity used in the text
    assert [b.text for b in loaded.blocks][:2] == TEXT.splitlines()[:2]


def test_a_plain_docx_has_no_dtd_warning() -> None:
    loaded = load_bytes(_docx(None), "plan.docx", LoadOptions())
    assert not [w for w in loaded.warnings if w.code == "docx-dtd"]
