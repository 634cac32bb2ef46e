"""The DOCX loader: blocks in document order, Word list numbers rebuilt from numbering.xml."""

from __future__ import annotations

import contextlib
import random
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from kttt_extract.errors import InputTooLarge, KtttError, UnreadableInput
from kttt_extract.loaders import MB, LoadOptions, load_bytes
from kttt_extract.loaders.docx import _format, load
from kttt_extract.model import Block

W = nsdecls("w")
Level = tuple[str, str]  # (numFmt, lvlText)


# --------------------------------------------------------------------------- fixture factories


def add_abstract(doc: Any, abstract_id: int, levels: list[Level], extra: str = "") -> None:
    """Add a w:abstractNum with the given (numFmt, lvlText) levels to the numbering part;
    `extra` goes into every level but the first (w:lvlRestart, w:isLgl)."""
    lvls = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'{extra if i else ""}<w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels))
    el = parse_xml(f'<w:abstractNum {W} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>')
    numbering = doc.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(el)  # the schema wants every abstractNum before the nums
    else:
        numbering.append(el)


def add_num(doc: Any, num_id: int, abstract_id: int, restart: int | None = None) -> None:
    """Add a w:num pointing at `abstract_id`, restarting level 0 at `restart` if given."""
    override = (f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{restart}"/></w:lvlOverride>'
                if restart is not None else "")
    doc.part.numbering_part.element.append(parse_xml(
        f'<w:num {W} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{override}'
        '</w:num>'))


def add_list(doc: Any, num_id: int, levels: list[Level]) -> int:
    """An abstractNum and one num for it, both with id `num_id`; returns the num id."""
    add_abstract(doc, num_id, levels)
    add_num(doc, num_id, num_id)
    return num_id


def item(doc: Any, text: str, num_id: int, ilvl: int = 0) -> Any:
    p = doc.add_paragraph(text)
    p._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {W}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    return p


def read(doc: Any, tmp_path: Path, options: LoadOptions | None = None) -> list[Block]:
    target = tmp_path / "doc.docx"
    doc.save(str(target))
    loaded = load(target.read_bytes(), str(target), options or LoadOptions(), "docx")
    assert loaded.source.format == "docx" and loaded.source.pages is None
    return list(loaded.blocks)


def numbers(blocks: list[Block]) -> list[tuple[str | None, str]]:
    return [(b.number, b.text) for b in blocks]


DECIMAL: Level = ("decimal", "%1.")


# --------------------------------------------------------------------------- list numbering


def test_decimal_list(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [DECIMAL])
    for text in ("Một", "Hai", "Ba"):
        item(doc, text, n)
    blocks = read(doc, tmp_path)
    assert numbers(blocks) == [("1.", "Một"), ("2.", "Hai"), ("3.", "Ba")]
    assert {(b.kind, b.level) for b in blocks} == {("list_item", 0)}


def test_multilevel_list(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [DECIMAL, ("decimal", "%1.%2.")])
    for text, ilvl in (("A", 0), ("A1", 1), ("A2", 1), ("B", 0), ("B1", 1)):
        item(doc, text, n, ilvl)
    blocks = read(doc, tmp_path)
    assert [b.number for b in blocks] == ["1.", "1.1.", "1.2.", "2.", "2.1."]
    assert [b.level for b in blocks] == [0, 1, 1, 0, 1]


@pytest.mark.parametrize(("extra", "expected"), [
    ("", ["1.", "1.1.", "2.", "2.1."]),
    ('<w:lvlRestart w:val="0"/>', ["1.", "1.1.", "2.", "2.2."]),  # never restarts
])
def test_lvl_restart(tmp_path: Path, extra: str, expected: list[str]) -> None:
    doc = Document()
    add_abstract(doc, 100, [DECIMAL, ("decimal", "%1.%2.")], extra)
    add_num(doc, 100, 100)
    for text, ilvl in (("A", 0), ("A1", 1), ("B", 0), ("B1", 1)):
        item(doc, text, 100, ilvl)
    assert [b.number for b in read(doc, tmp_path)] == expected


def test_legal_numbering_shows_every_counter_in_decimal(tmp_path: Path) -> None:
    doc = Document()
    add_abstract(doc, 100, [("upperRoman", "%1."), ("decimal", "%1.%2.")], "<w:isLgl/>")
    add_num(doc, 100, 100)
    item(doc, "A", 100)
    item(doc, "A1", 100, 1)
    assert [b.number for b in read(doc, tmp_path)] == ["I.", "1.1."]


@pytest.mark.parametrize(("n", "fmt", "expected"), [
    (4, "upperRoman", "IV"), (1994, "upperRoman", "MCMXCIV"), (9, "lowerRoman", "ix"),
    (1, "lowerLetter", "a"), (26, "upperLetter", "Z"), (27, "lowerLetter", "aa"),
    (3, "decimalZero", "03"), (12, "decimal", "12"), (2, "none", ""), (5, "ordinalText", "5"),
])
def test_counter_formats(n: int, fmt: str, expected: str) -> None:
    assert _format(n, fmt) == expected


def test_upper_roman(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [("upperRoman", "%1.")])
    for text in ("Mục tiêu", "Nhiệm vụ", "Giải pháp", "Tổ chức thực hiện"):
        item(doc, text, n)
    assert [b.number for b in read(doc, tmp_path)] == ["I.", "II.", "III.", "IV."]


def test_lower_letter_with_parenthesis(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [("lowerLetter", "%1)")])
    item(doc, "Sở Tài chính", n)
    item(doc, "Sở Nội vụ", n)
    assert [b.number for b in read(doc, tmp_path)] == ["a)", "b)"]


def test_start_override_restarts_and_shared_abstract_continues(tmp_path: Path) -> None:
    doc = Document()
    add_abstract(doc, 100, [DECIMAL])
    add_num(doc, 100, 100)
    add_num(doc, 101, 100, restart=1)  # Word's "restart numbering"
    add_num(doc, 102, 100)  # same list, no override: continues
    for text, num_id in (("a", 100), ("b", 100), ("c", 101), ("d", 101), ("e", 102)):
        item(doc, text, num_id)
    assert [b.number for b in read(doc, tmp_path)] == ["1.", "2.", "1.", "2.", "3."]


def test_list_continues_after_a_table(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [DECIMAL])
    item(doc, "Một", n)
    item(doc, "Hai", n)
    doc.add_table(rows=1, cols=2).rows[0].cells[0].text = "giữa"
    item(doc, "Ba", n)
    blocks = read(doc, tmp_path)
    assert [(b.kind, b.number) for b in blocks] == [
        ("list_item", "1."), ("list_item", "2."), ("table_row", None), ("list_item", "3.")]


def test_bullets_render_as_dash_and_numbering_resumes(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [DECIMAL])
    b = add_list(doc, 101, [("bullet", "\u2022")])
    item(doc, "Một", n)
    item(doc, "ý phụ", b)
    item(doc, "ý phụ nữa", b)
    item(doc, "Hai", n)
    assert [b.number for b in read(doc, tmp_path)] == ["1.", "-", "-", "2."]


def test_numbering_inherited_from_paragraph_style_chain(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [DECIMAL, ("decimal", "%1.%2.")])
    base = doc.styles.add_style("KH Muc", WD_STYLE_TYPE.PARAGRAPH)
    base.element.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {W}><w:ilvl w:val="0"/><w:numId w:val="{n}"/></w:numPr>'))
    child = doc.styles.add_style("KH Muc con", WD_STYLE_TYPE.PARAGRAPH)
    child.base_style = base  # only sets ilvl 1; the numId comes from the base style
    child.element.get_or_add_pPr().append(parse_xml(f'<w:numPr {W}><w:ilvl w:val="1"/></w:numPr>'))
    doc.add_paragraph("Mục một", style="KH Muc")
    doc.add_paragraph("Ý một", style="KH Muc con")
    doc.add_paragraph("Mục hai", style="KH Muc")
    doc.add_paragraph("Không số")
    doc.add_paragraph("Theo mẫu Word", style="List Number")  # the template's own definitions
    blocks = read(doc, tmp_path)
    assert numbers(blocks) == [("1.", "Mục một"), ("1.1.", "Ý một"), ("2.", "Mục hai"),
                               (None, "Không số"), ("1.", "Theo mẫu Word")]
    assert blocks[0].hints.style == "KH Muc"
    assert blocks[3].kind == "paragraph"


# --------------------------------------------------------------------------- hints and tables


def test_numbered_heading_stays_a_heading(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [("upperRoman", "%1.")])
    heading = doc.add_heading("MỤC TIÊU", level=1)
    heading._p.get_or_add_pPr().append(parse_xml(
        f'<w:numPr {W}><w:ilvl w:val="0"/><w:numId w:val="{n}"/></w:numPr>'))
    (block,) = read(doc, tmp_path)
    assert (block.kind, block.number, block.level, block.hints.heading_level) == (
        "heading", "I.", 0, 1)


def test_heading_bold_centered_and_font_hints(tmp_path: Path) -> None:
    doc = Document()
    doc.add_heading("Mục tiêu", level=2)
    p = doc.add_paragraph()
    run = p.add_run("KẾ HOẠCH")
    run.bold = True
    run.font.name = ".VnTime"
    p.add_run("  ")  # a blank run does not spoil "all bold"
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    mixed = doc.add_paragraph()
    mixed.add_run("Một phần ").bold = True
    mixed.add_run("đậm")
    heading, bold, plain = read(doc, tmp_path)
    assert heading.kind == "heading" and heading.hints.heading_level == 2
    assert heading.hints.style == "Heading 2" and heading.hints.bold  # bold from the style
    assert bold.kind == "paragraph" and bold.text == "KẾ HOẠCH"
    assert bold.hints.bold and bold.hints.centered and bold.hints.font == ".VnTime"
    assert not plain.hints.bold and not plain.hints.centered


def test_table_rows_in_order_with_merged_cells_once(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("Trước bảng")
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate([("STT", "Nhiệm vụ", "Chủ trì"), ("1", "Xây dựng", "Sở Xây dựng")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(2, 0).merge(table.cell(2, 1)).text = "Tổng cộng"
    table.cell(1, 2).merge(table.cell(2, 2))  # vertical: the lower row keeps an empty column
    doc.add_paragraph("Sau bảng")
    blocks = read(doc, tmp_path)
    assert [b.kind for b in blocks] == ["paragraph", "table_row", "table_row", "table_row",
                                        "paragraph"]
    assert tuple(c.text for c in blocks[1].cells) == ("STT", "Nhiệm vụ", "Chủ trì")
    assert blocks[1].text == "STT | Nhiệm vụ | Chủ trì"
    assert [(c.text, c.col, c.width, c.merged) for c in blocks[3].cells] == [
        ("Tổng cộng", 0, 2, False), ("", 2, 1, True)]  # gridSpan widens, vMerge continues
    assert {b.table for b in blocks[1:4]} == {0}


def test_auto_numbered_cells_keep_their_label(tmp_path: Path) -> None:
    doc = Document()
    n = add_list(doc, 100, [DECIMAL])
    table = doc.add_table(rows=2, cols=2)
    for r, task in enumerate(("Lập quy hoạch", "Kiểm tra")):
        cell = table.cell(r, 0)
        cell.paragraphs[0]._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W}><w:ilvl w:val="0"/><w:numId w:val="{n}"/></w:numPr>'))
        table.cell(r, 1).text = task
    assert [tuple(c.text for c in b.cells) for b in read(doc, tmp_path)] == [
        ("1.", "Lập quy hoạch"), ("2.", "Kiểm tra")]


# --------------------------------------------------------------------------- other stories


def add_footnote(doc: Any, note_id: int, text: str) -> None:
    xml = (f'<w:footnotes {W}>'
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
           '</w:footnote>'
           f'<w:footnote w:id="{note_id}"><w:p><w:r><w:footnoteRef/></w:r>'
           f'<w:r><w:t xml:space="preserve"> {text}</w:t></w:r></w:p></w:footnote>'
           '</w:footnotes>')
    part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, xml.encode(), doc.part.package)
    doc.part.relate_to(part, RT.FOOTNOTES)


def test_footnote_follows_the_citing_paragraph(tmp_path: Path) -> None:
    doc = Document()
    add_footnote(doc, 1, "Theo Nghị quyết số 12/NQ-HĐND.")
    p = doc.add_paragraph("Tăng trưởng 7%")
    p._p.append(parse_xml(f'<w:r {W}><w:footnoteReference w:id="1"/></w:r>'))
    doc.add_paragraph("Đoạn sau")
    blocks = read(doc, tmp_path)
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "Tăng trưởng 7%"), ("note", "Theo Nghị quyết số 12/NQ-HĐND."),
        ("paragraph", "Đoạn sau")]


TEXT_BOX = (
    '<w:r {ns} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>'
    '<mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r>'
    '<w:t>Nội dung hộp chữ</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>'
    '<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r>'
    '<w:t>Nội dung hộp chữ</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>'
    '</mc:Fallback></mc:AlternateContent></w:r>'
)


def test_text_box_read_once_in_body_order(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("Trước")
    doc.add_paragraph()._p.append(parse_xml(TEXT_BOX.format(ns=W)))
    doc.add_paragraph("Sau")
    assert [b.text for b in read(doc, tmp_path)] == ["Trước", "Nội dung hộp chữ", "Sau"]


def test_tracked_insertion_kept_and_deletion_dropped(tmp_path: Path) -> None:
    doc = Document()
    p = doc.add_paragraph("Hoàn thành ")
    p._p.append(parse_xml(f'<w:del {W} w:id="1" w:author="A"><w:r>'
                          '<w:delText>trước tháng 6</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {W} w:id="2" w:author="A"><w:r>'
                          '<w:t>trước 30/9/2025</w:t></w:r></w:ins>'))
    (block,) = read(doc, tmp_path)
    assert block.text == "Hoàn thành trước 30/9/2025"


def test_hidden_text_left_out(tmp_path: Path) -> None:
    doc = Document()
    p = doc.add_paragraph("Hiện ")
    p.add_run("ẩn").font.hidden = True
    (block,) = read(doc, tmp_path)
    assert block.text == "Hiện"


def test_comment_text_left_out(tmp_path: Path) -> None:
    doc = Document()
    run = doc.add_paragraph("Chỉ tiêu 95%").runs[0]
    doc.add_comment(run, text="bình luận nội bộ", author="Chuyên viên")
    (block,) = read(doc, tmp_path)
    assert block.text == "Chỉ tiêu 95%"


def test_letterhead_header_comes_first(tmp_path: Path) -> None:
    doc = Document()
    header = doc.sections[0].header
    header.paragraphs[0].text = "ỦY BAN NHÂN DÂN"
    header.add_paragraph("Số: 12/KH-UBND")
    doc.add_paragraph("KẾ HOẠCH")
    blocks = read(doc, tmp_path)
    assert [b.text for b in blocks] == ["ỦY BAN NHÂN DÂN", "Số: 12/KH-UBND", "KẾ HOẠCH"]
    assert [b.hints.style for b in blocks[:2]] == ["header", "header"]
    assert blocks[2].hints.style == "Normal"


def test_text_is_nfc(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("Ha\u0300 Nô\u0323i")  # decomposed tone marks
    (block,) = read(doc, tmp_path)
    assert block.text == "Hà Nội"


def test_through_load_bytes(tmp_path: Path) -> None:
    doc = Document()
    doc.add_paragraph("Xin chào")
    buf = BytesIO()
    doc.save(buf)
    loaded = load_bytes(buf.getvalue(), "x.docx")
    assert [b.text for b in loaded.blocks] == ["Xin chào"]
    assert len(loaded.source.sha256) == 64


# --------------------------------------------------------------------------- damaged input


def docx_bytes() -> bytes:
    doc = Document()
    doc.add_paragraph("Nội dung")
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same package with some members replaced or added."""
    with zipfile.ZipFile(BytesIO(data)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    return zip_of({**members, **replace})


def zip_of(members: dict[str, bytes]) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("data", [
    pytest.param(zip_of({"hello.txt": b"hi"}), id="not-a-docx-zip"),
    pytest.param(docx_bytes()[:3000], id="truncated"),
    pytest.param(b"PK\x03\x04 not really a zip", id="not-a-zip"),
    pytest.param(rezip(docx_bytes(), {"word/document.xml": b"<w:document><w:body>"}),
                 id="bad-xml"),
])
def test_damaged_docx_is_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableInput, match=r"^damaged DOCX: ") as info:
        load(data, "bad.docx", LoadOptions(), "docx")
    assert info.value.path == "bad.docx" and info.value.hint
    assert type(info.value) is UnreadableInput


def test_corrupted_parts_raise_only_library_errors() -> None:
    """Bytes flipped in the zip, or slices cut out of document.xml: a KtttError or blocks."""
    good = docx_bytes()
    with zipfile.ZipFile(BytesIO(good)) as zf:
        xml = zf.read("word/document.xml")
    rng = random.Random(7)
    for _ in range(40):
        data, part = bytearray(good), bytearray(xml)
        for _ in range(rng.randint(1, 10)):
            data[rng.randrange(len(data))] = rng.randrange(256)
            cut = rng.randrange(len(part))
            del part[cut:cut + rng.randint(1, 30)]
        for candidate in (bytes(data), rezip(good, {"word/document.xml": bytes(part)})):
            with contextlib.suppress(KtttError):
                load(candidate, "x.docx", LoadOptions(), "docx")


def test_zip_bomb_is_refused_before_opening() -> None:
    bomb = rezip(docx_bytes(), {"word/media/filler.bin": b" " * (3 * MB)})
    assert len(bomb) < MB  # spaces compress well; the declared size is what counts
    with pytest.raises(InputTooLarge) as info:
        load(bomb, "bomb.docx", LoadOptions(max_unzipped=2 * MB), "docx")
    assert info.value.message.startswith("DOCX expands to 3.")
    assert info.value.message.endswith("MB, over the 2 MB limit")
    assert info.value.hint == "raise it with --max-unzipped"

