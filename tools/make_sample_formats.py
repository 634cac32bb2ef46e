"""Make the DOCX and PDF copies of a text sample (`samples/<doc>.docx`, `samples/<doc>.pdf`).

The copies carry the same words as the text sample, so they are scored against the same
expected file: the DOCX with Word's automatic list numbering for the numbered items (the
numbers are not in the text, as in real files), the PDF hard-wrapped on A4 pages with a
running header and page numbers, as printed plans are. Run from the repository root:

    python tools/make_sample_formats.py samples/vinh-linh-cv-20nq.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

import regex

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_NUMBERED = regex.compile(r"^(\d{1,2}(?:\.\d{1,2})?)\.\s+(.*)$")


def paragraphs(path: Path) -> list[str]:
    """The sample's paragraphs as the tool reads them (re-joined lines)."""
    from kttt_extract.loaders import load
    from kttt_extract.normalize import normalize

    text: str = normalize(load(path).blocks).text
    return text.split("\n")


def _numbering(document: object) -> None:
    """Add a decimal list "%1." / "%1.%2." as numId 1 to the document's numbering part."""
    from docx.oxml import parse_xml

    part = document.part.numbering_part  # type: ignore[attr-defined]
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        f'<w:lvlText w:val="{text}"/></w:lvl>'
        for i, text in enumerate(("%1.", "%1.%2."))
    )
    part.element.append(parse_xml(f'<w:abstractNum {ns} w:abstractNumId="90">{levels}'
                                  "</w:abstractNum>"))
    part.element.append(parse_xml(f'<w:num {ns} w:numId="90"><w:abstractNumId w:val="90"/>'
                                  "</w:num>"))


def make_docx(paras: list[str], out: Path) -> None:
    from docx import Document
    from docx.oxml import parse_xml

    doc = Document()
    _numbering(doc)
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    for text in paras:
        m = _NUMBERED.match(text)
        p = doc.add_paragraph(m.group(2) if m else text)
        if m:
            level = m.group(1).count(".")
            p._p.get_or_add_pPr().append(parse_xml(
                f'<w:numPr {ns}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    doc.save(str(out))


def make_pdf(paras: list[str], out: Path, header: str) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSerif.ttf"))
    pdf.set_auto_page_break(auto=True, margin=25)
    pdf.set_margins(25, 20, 20)

    def running_header() -> None:
        pdf.set_y(8)
        pdf.set_font("DejaVu", size=8)
        pdf.cell(0, 5, header, align="C")
        pdf.set_y(20)
        pdf.set_font("DejaVu", size=12)

    def page_number() -> None:
        pdf.set_y(-15)
        pdf.set_font("DejaVu", size=9)
        pdf.cell(0, 5, str(pdf.page_no()), align="C")

    pdf.header = running_header  # type: ignore[method-assign]
    pdf.footer = page_number  # type: ignore[method-assign]
    pdf.add_page()
    for text in paras:
        pdf.multi_cell(0, 6.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(out))


def main(argv: list[str]) -> int:
    for name in argv:
        src = Path(name)
        paras = paragraphs(src)
        make_docx(paras, src.with_suffix(".docx"))
        make_pdf(paras, src.with_suffix(".pdf"), header=paras[0][:60])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
