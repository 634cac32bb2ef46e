"""Everything a real DOCX holds, through the whole pipeline: a footnote that cites a resolution,
a text box holding a task, tracked insertions, deletions and moves, and a reviewer's comment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from kttt_extract import extract
from kttt_extract.model import Result

W = nsdecls("w")
FOOTNOTE = "Nghị quyết số 10-NQ/TW ngày 10/02/2022 của Ban Chấp hành Trung ương Đảng."
BOXED_TASK = ("1. Phòng Nông nghiệp và PTNT chủ trì hướng dẫn thành lập 10 hợp tác xã mới "
              "trong năm 2024.")
COMMENT = "Đề nghị sửa thành 90% hợp tác xã"


def add_footnotes(doc: Any, notes: dict[int, str]) -> None:
    """A footnotes part (python-docx has no API for one) with the separator Word writes."""
    body = "".join(f'<w:footnote w:id="{i}"><w:p><w:r><w:footnoteRef/></w:r>'
                   f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>'
                   for i, text in notes.items())
    xml = (f'<w:footnotes {W}><w:footnote w:type="separator" w:id="-1"><w:p><w:r>'
           f'<w:separator/></w:r></w:p></w:footnote>{body}</w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, xml.encode(), doc.part.package)
    doc.part.relate_to(part, RT.FOOTNOTES)


def cite(paragraph: Any, note_id: int) -> None:
    paragraph._p.append(parse_xml(f'<w:r {W}><w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'
                                  f'<w:footnoteReference w:id="{note_id}"/></w:r>'))


def text_box(paragraph: Any, text: str) -> None:
    """A DrawingML text box with its VML fallback copy, as Word writes it."""
    content = f"<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
    paragraph._p.append(parse_xml(
        f'<w:r {W} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
        'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>'
        f'<mc:Choice Requires="wps"><w:drawing><wps:txbx>{content}</wps:txbx></w:drawing>'
        f'</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape>'
        '</w:pict></mc:Fallback></mc:AlternateContent></w:r>'))


def tracked(paragraph: Any, tag: str, text: str, change_id: int) -> None:
    """A tracked change: `ins`/`moveTo` hold w:t, `del`/`moveFrom` hold w:delText or w:t."""
    inner = "delText" if tag == "del" else "t"
    paragraph._p.append(parse_xml(
        f'<w:{tag} {W} w:id="{change_id}" w:author="Chuyên viên" w:date="2024-03-01T08:00:00Z">'
        f'<w:r><w:{inner} xml:space="preserve">{text}</w:{inner}></w:r></w:{tag}>'))


def build(path: Path) -> Path:
    doc = Document()
    for line in ("ỦY BAN NHÂN DÂN", "HUYỆN TAM ĐƯỜNG", "Số: 45/KH-UBND",
                 "Tam Đường, ngày 05 tháng 3 năm 2024", "KẾ HOẠCH",
                 "Phát triển kinh tế tập thể năm 2024"):
        doc.add_paragraph(line)
    add_footnotes(doc, {1: FOOTNOTE})
    preamble = doc.add_paragraph("Thực hiện Nghị quyết của Trung ương về kinh tế tập thể")
    cite(preamble, 1)
    preamble.add_run(", Ủy ban nhân dân huyện Tam Đường ban hành Kế hoạch như sau:")
    doc.add_paragraph("I. MỤC TIÊU")
    target = doc.add_paragraph("Phấn đấu đến năm 2025 có ")
    tracked(target, "del", "80%", 11)
    tracked(target, "ins", "95%", 12)
    commented = target.add_run(" hợp tác xã hoạt động hiệu quả")
    tracked(target, "moveFrom", " trong năm 2023", 13)
    tracked(target, "moveTo", ".", 14)
    doc.add_comment(commented, text=COMMENT, author="Chuyên viên")
    doc.add_paragraph("II. NHIỆM VỤ")
    text_box(doc.add_paragraph(), BOXED_TASK)
    doc.add_paragraph("III. TỔ CHỨC THỰC HIỆN")
    doc.add_paragraph("Phòng Tài chính - Kế hoạch phối hợp bố trí kinh phí.")
    out = path / "ke-hoach-45.docx"
    doc.save(str(out))
    return out


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Result:
    return extract(build(tmp_path_factory.mktemp("docx")))


def test_reference_cited_in_a_footnote(result: Result) -> None:
    (ref,) = [r for r in result.document.references if r.number == "10-NQ/TW"]
    assert (ref.kind, ref.date) == ("Nghị quyết", "2022-02-10")
    text = result.text or ""
    assert all(text[a:b].startswith("Nghị quyết số 10-NQ/TW") for a, b in ref.spans)
    assert text.index(FOOTNOTE) > text.index("ban hành Kế hoạch như sau:")  # after its citation


def test_tracked_changes_read_as_accepted(result: Result) -> None:
    text = result.text or ""
    assert "Phấn đấu đến năm 2025 có 95% hợp tác xã hoạt động hiệu quả." in text
    assert "80%" not in text and "trong năm 2023" not in text
    percent = [(t.value, t.year) for t in result.targets if t.metric == "percent"]
    assert percent == [(95.0, 2025)]


def test_comment_is_not_text(result: Result) -> None:
    assert "Đề nghị sửa" not in (result.text or "")
    assert all(t.value != 90 for t in result.targets)


def test_text_box_task_is_extracted(result: Result) -> None:
    text = result.text or ""
    assert BOXED_TASK in text
    agency = next(a for a in result.agencies
                  if a.name == "Phòng Nông nghiệp và Phát triển nông thôn")
    assert "lead" in {m.role for m in agency.mentions}
    (target,) = [t for t in result.targets if t.unit == "hợp tác xã" and t.value == 10]
    assert text[target.span[0]:target.span[1]] in BOXED_TASK
    assert any(d.date == "2024-12-31" for d in result.deadlines)
    assert any(agency.id in task.lead and "thành lập 10 hợp tác xã" in task.text
               for task in result.tasks)


def test_header_metadata(result: Result) -> None:
    doc = result.document
    assert (doc.kind, doc.number, doc.date, doc.place) == (
        "Kế hoạch", "45/KH-UBND", "2024-03-05", "Tam Đường")
    assert doc.signatures == ()
