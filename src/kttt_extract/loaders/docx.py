"""DOCX: body paragraphs and tables in document order, with Word's automatic list numbers rendered.

python-docx opens the package and finds its parts; the walk itself reads the XML, because
python-docx neither renders list numbers nor tells tracked insertions from deletions, and does
not read footnotes or text boxes. Comments live in their own part and are never read.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from docx.exceptions import PythonDocxError
from docx.oxml.exceptions import XmlchemyError

from kttt_extract import encodings
from kttt_extract.errors import UnreadableInput
from kttt_extract.loaders import LoadOptions, sha256, ziplimit
from kttt_extract.loaders.docx_numbering import Numbering, Styles
from kttt_extract.loaders.docx_numbering import format_counter as _format  # noqa: F401 (tests)
from kttt_extract.loaders.docx_xml import (
    TBL,
    TC,
    TR,
    WRAPPERS,
    Element,
    P,
    W,
    children,
    paragraph_text,
    val,
)
from kttt_extract.loaders.ziplimit import ZIP_ERRORS
from kttt_extract.model import (
    Block,
    BlockKind,
    Cell,
    Hints,
    Loaded,
    Notice,
    Source,
    SourceFormat,
)
from kttt_extract.textnorm import nfc

_HEADING = re.compile(r"heading\s*([1-9])", re.IGNORECASE)
_HINT = "open it in Word or LibreOffice and save it again"

# what python-docx, lxml (XMLSyntaxError is a SyntaxError) and zipfile raise on a damaged package
_DAMAGED: tuple[type[BaseException], ...] = (PythonDocxError, XmlchemyError, SyntaxError, KeyError,
                                             ValueError, IndexError, EOFError, OSError, zlib.error,
                                             zipfile.BadZipFile, NotImplementedError)
# python-docx's package reader fails this way on package XML of the wrong shape
_MISSHAPEN: tuple[type[BaseException], ...] = (AttributeError, TypeError)


# --------------------------------------------------------------------------- the walk

_RFONTS = f"{W}rPr/{W}rFonts"


def _font_name(el: Element | None) -> str | None:
    return None if el is None else el.get(f"{W}ascii") or el.get(f"{W}hAnsi")


@dataclass(frozen=True)
class _Legacy:
    """The legacy font encodings of one document: the codec of the rule set in force, and
    whether the document default or any style names such a font (looked at once)."""

    codec: encodings.Codec
    in_styles: bool

    @classmethod
    def of(cls, codec: encodings.Codec, styles: Styles) -> _Legacy:
        return cls(codec, any(codec.font_encoding(_font_name(el))
                              for el in styles.declared_fonts()))

    def text(self, styles: Styles, runs: list[Element], texts: list[str], pstyle: str | None
             ) -> str | None:
        """The paragraph's text with runs in a legacy font encoding (`.VnTime`, `VNI-Times`)
        converted to Unicode, or None when no run is in such a font. When no style names such a
        font only the runs' own fonts can, which is cheaper to look at."""
        if self.in_styles:
            fonts = [styles.font(r, pstyle) if t.strip() else None
                     for r, t in zip(runs, texts, strict=True)]
        else:
            fonts = [_font_name(r.find(_RFONTS)) if t.strip() else None
                     for r, t in zip(runs, texts, strict=True)]
        if not any(self.codec.font_encoding(f) for f in fonts):
            return None
        return nfc("".join(self.codec.convert_run(t, f)
                           for t, f in zip(texts, fonts, strict=True))).strip()


@dataclass
class _Walker:
    """Turns a story (body, header, text box, table cell) into blocks in reading order."""

    styles: Styles
    numbering: Numbering
    notes: dict[tuple[str, str], str]
    legacy: _Legacy
    header: bool = False
    in_cell: bool = False  # keep numbered empty paragraphs: a table's "STT" column
    tables: list[int] = field(default_factory=lambda: [0])  # tables met so far, shared
    blocks: list[Block] = field(default_factory=list)

    def container(self, el: Element) -> None:
        for child in el:
            if child.tag == P:
                self.paragraph(child)
            elif child.tag == TBL:
                self.table(child)
            elif child.tag in WRAPPERS:
                self.container(child)

    def paragraph(self, p: Element) -> None:
        text, inline, texts = paragraph_text(p)
        if not text and p.find(f"{W}pPr/{W}rPr/{W}del") is not None:
            return  # a deleted paragraph: it takes no list number either
        pstyle = val(p.find(f"{W}pPr/{W}pStyle")) or self.styles.default_para
        text = self.legacy.text(self.styles, inline.runs, texts, pstyle) or text
        label, level = self.numbering.number(p, pstyle) or (None, None)
        if text or (self.in_cell and label not in (None, "-")):
            visible = [r for r, t in zip(inline.runs, texts, strict=True) if t.strip()]
            hints = self._hints(p, pstyle, visible)
            kind: BlockKind = ("heading" if hints.heading_level
                               else "list_item" if label else "paragraph")
            self.blocks.append(Block(kind=kind, text=text, number=label,
                                     level=level if label else None, hints=hints))
        self._notes(inline.notes)
        for box in inline.boxes:
            self.container(box)

    def _hints(self, p: Element, pstyle: str | None, visible: list[Element]) -> Hints:
        name = self.styles.name(pstyle)
        heading = _HEADING.fullmatch(name or "")
        jc = p.find(f"{W}pPr/{W}jc")
        if jc is None:
            jc = self.styles.find(pstyle, f"{W}pPr/{W}jc")
        return Hints(
            bold=bool(visible) and all(self.styles.flag(r, pstyle, "b") for r in visible),
            italic=bool(visible) and all(self.styles.flag(r, pstyle, "i") for r in visible),
            heading_level=int(heading.group(1)) if heading else None,
            centered=val(jc) == "center",
            font=self.styles.font(visible[0], pstyle) if visible else None,
            style="header" if self.header else name,
        )

    def _notes(self, refs: list[tuple[str, str]]) -> None:
        self.blocks += [Block(kind="note", text=self.notes[ref], hints=self._plain)
                        for ref in refs if self.notes.get(ref)]

    @property
    def _plain(self) -> Hints:
        return Hints(style="header") if self.header else Hints()

    def table(self, tbl: Element) -> None:
        """One table_row block per row with its cells on the grid: a horizontal merge widens a
        cell, a vertical merge marks the cells below the first as `merged`; notes follow their
        row."""
        index = self.tables[0]
        self.tables[0] += 1
        for tr in children(tbl, TR):
            cells: list[Cell] = []
            notes: list[Block] = []
            col = 0
            for tc in children(tr, TC):
                if val(tc.find(f"{W}tcPr/{W}hMerge")) not in (None, "restart"):
                    if cells:  # old-style horizontal merge: the cell on the left holds the text
                        cells[-1] = cells[-1].model_copy(update={"width": cells[-1].width + 1})
                    col += 1
                    continue
                span = val(tc.find(f"{W}tcPr/{W}gridSpan")) or "1"
                width = int(span) if span.isdigit() and 0 < int(span) < 64 else 1
                merge = tc.find(f"{W}tcPr/{W}vMerge")
                if merge is not None and val(merge) != "restart":
                    cells.append(Cell(text="", col=col, width=width, merged=True))
                    col += width
                    continue
                sub = _Walker(self.styles, self.numbering, self.notes, self.legacy, self.header,
                              in_cell=True, tables=self.tables)
                sub.container(tc)
                notes += [b for b in sub.blocks if b.kind == "note"]
                text = "\n".join(f"{b.number} {b.text}".strip() if b.number else b.text
                                 for b in sub.blocks if b.kind != "note")
                cells.append(Cell(text=text, col=col, width=width))
                col += width
            if any(c.text for c in cells):
                self.blocks.append(Block(kind="table_row", text=" | ".join(c.text for c in cells),
                                         cells=tuple(cells), table=index, hints=self._plain))
            self.blocks += notes


# --------------------------------------------------------------------------- the package


@dataclass(frozen=True)
class _Parts:
    """The XML roots the walk reads; getting them is all python-docx is used for."""

    body: Element
    header: Element | None
    styles: Element | None
    numbering: Element | None
    notes: dict[str, Element | None]


def _related(part: Any, reltype: str) -> Element | None:
    """Root element of the part that `part` points to with `reltype`, if there is one."""
    from docx.oxml.parser import parse_xml

    for rel in part.rels.values():
        if rel.reltype == reltype and not rel.is_external:
            target = rel.target_part
            element = getattr(target, "element", None)
            return element if element is not None else parse_xml(target.blob)
    return None


def _header(doc: Any) -> Element | None:
    """The first section's first-page header if it has one, else its default header."""
    if not len(doc.sections):
        return None
    first = doc.sections[0]
    header = first.first_page_header if first.different_first_page_header_footer else first.header
    return None if header.is_linked_to_previous else header.part.element


def _open(data: bytes, path: str) -> _Parts:
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    doc = docx.Document(BytesIO(data))
    body = doc.element.body
    if body is None:
        raise UnreadableInput("damaged DOCX: no document body", path=path, hint=_HINT)
    notes = {kind: _related(doc.part, rt) for kind, rt in (("footnote", RT.FOOTNOTES),
                                                           ("endnote", RT.ENDNOTES))}
    return _Parts(body=body, header=_header(doc), styles=_related(doc.part, RT.STYLES),
                  numbering=_related(doc.part, RT.NUMBERING), notes=notes)


def _note_texts(parts: _Parts) -> dict[tuple[str, str], str]:
    """Footnote and endnote texts by (kind, id); separators left out."""
    notes: dict[tuple[str, str], str] = {}
    for kind, root in parts.notes.items():
        for note in root.iterchildren(f"{W}{kind}") if root is not None else ():
            if note.get(f"{W}type") in (None, "normal"):
                texts = (paragraph_text(p)[0] for p in note.iter(P))
                notes[(kind, note.get(f"{W}id") or "")] = " ".join(t for t in texts if t)
    return notes


def _walk(parts: _Parts, codec: encodings.Codec) -> list[Block]:
    styles = Styles(parts.styles)
    numbering = Numbering(parts.numbering, styles)
    notes = _note_texts(parts)
    legacy = _Legacy.of(codec, styles)
    header = _Walker(styles, numbering, notes, legacy, header=True)
    if parts.header is not None:
        header.container(parts.header)
    body = _Walker(styles, numbering, notes, legacy)
    body.container(parts.body)
    return header.blocks + body.blocks


def _check_size(data: bytes, path: str, options: LoadOptions) -> list[str]:
    """Refuse a package that expands beyond `max_unzipped`, counted while inflating (zip bombs,
    lying headers); return the XML parts that carry a DTD (`<!DOCTYPE`), which Word never
    writes. The parser of python-docx neither expands nor fetches it (lxml with
    resolve_entities=False and no network); the parts are only named in a warning."""
    ziplimit.check_package(data, path, options.max_unzipped)
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            return [info.filename for info in zf.infolist() if _has_dtd(zf, info)]
    except ZIP_ERRORS:
        raise UnreadableInput("damaged DOCX: not a valid ZIP archive", path=path,
                              hint="the file is truncated or corrupt") from None


def _has_dtd(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when an XML part declares a DTD before its root element (its first 2 KB read)."""
    if not info.filename.endswith((".xml", ".rels")) or info.is_dir():
        return False
    with zf.open(info) as member:
        head = member.read(2048)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    return b"<!doctype" in head.lower()


def _damaged(exc: BaseException, path: str) -> UnreadableInput:
    lines = str(exc.args[0] if exc.args else exc).strip().splitlines() or [type(exc).__name__]
    reason = re.sub(r" \(<string>, line \d+\)$", "", lines[0])[:120]
    if isinstance(exc, KeyError):
        reason = "missing part " + re.sub(r"^There is no item named (.*) in the archive$", r"\1",
                                          reason)
    elif isinstance(exc, SyntaxError):
        reason = f"bad XML: {reason}"
    elif isinstance(exc, _MISSHAPEN):
        reason = "package parts of the wrong shape"
    return UnreadableInput(f"damaged DOCX: {reason}", path=path, hint=_HINT)


def load(data: bytes, path: str, options: LoadOptions, fmt: SourceFormat) -> Loaded:
    """Read a DOCX: header (letterhead) blocks first, then the body in document order."""
    dtds = _check_size(data, path, options)
    try:
        parts = _open(data, path)
    except _DAMAGED + _MISSHAPEN as exc:
        raise _damaged(exc, path) from None
    codec = encodings.Codec.of(options.ruleset())
    try:
        blocks = _walk(parts, codec)
    except _DAMAGED as exc:
        raise _damaged(exc, path) from None
    if not blocks:
        raise UnreadableInput("no text in DOCX", path=path,
                              hint="it may hold only pictures; convert it to PDF and use --ocr")
    source = Source(path=path, format="docx", sha256=sha256(data), pages=None)
    legacy = {e for b in blocks if (e := codec.font_encoding(b.hints.font))}
    warnings = tuple(Notice(code="legacy-encoding", message=f"text in the {encodings.NAMES[e]} "
                            "font encoding, converted to Unicode") for e in sorted(legacy))
    if dtds:
        warnings += (Notice(code="docx-dtd", message=(
            f"a DTD (<!DOCTYPE>) in {', '.join(dtds[:5])}: Word never writes one; it was "
            "ignored (never expanded or fetched), but the file may have been tampered with")),)
    return Loaded(source=source, blocks=tuple(blocks), warnings=warnings)
