"""DOCX: body paragraphs and tables in document order, with Word's automatic list numbers rendered.

python-docx opens the package and finds its parts; the walk itself reads the XML, because
python-docx neither renders list numbers nor tells tracked insertions from deletions, and does
not read footnotes or text boxes. Comments live in their own part and are never read.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any
from weakref import WeakKeyDictionary

from docx.exceptions import PythonDocxError
from docx.oxml.exceptions import XmlchemyError

from kttt_extract import encodings
from kttt_extract.errors import InputTooLarge, UnreadableInput
from kttt_extract.loaders import MB, LoadOptions, sha256
from kttt_extract.model import Block, BlockKind, Hints, Loaded, Notice, Source, SourceFormat
from kttt_extract.textnorm import nfc

Element = Any  # an lxml element; lxml ships no type information

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_VAL = f"{W}val"
_P, _TBL, _TR, _TC, _R, _T = (f"{W}{t}" for t in ("p", "tbl", "tr", "tc", "r", "t"))
_TXBX = f"{W}txbxContent"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WRAPPERS = frozenset(f"{W}{t}" for t in ("sdt", "sdtContent", "customXml", "smartTag"))
# never descended into when collecting a paragraph's runs: properties, deleted text, and the
# VML copy of a text box that also exists as DrawingML (it would be read twice)
_SKIP = frozenset({*(f"{W}{t}" for t in ("pPr", "rPr", "del", "moveFrom")), _FALLBACK})
_NOTE_REFS = {f"{W}footnoteReference": "footnote", f"{W}endnoteReference": "endnote"}
_RUN_CHARS = {f"{W}tab": "\t", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}
_HEADING = re.compile(r"heading\s*([1-9])", re.IGNORECASE)
_HINT = "open it in Word or LibreOffice and save it again"

# what python-docx, lxml (XMLSyntaxError is a SyntaxError) and zipfile raise on a damaged package
_DAMAGED: tuple[type[BaseException], ...] = (PythonDocxError, XmlchemyError, SyntaxError, KeyError,
                                             ValueError, IndexError, EOFError, OSError, zlib.error,
                                             zipfile.BadZipFile)
# python-docx's package reader fails this way on package XML of the wrong shape
_MISSHAPEN: tuple[type[BaseException], ...] = (AttributeError, TypeError)


def _val(el: Element | None) -> str | None:
    return None if el is None else el.get(_VAL)


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _onoff(el: Element | None) -> bool | None:
    """A Word on/off property: absent is None, present without a value is on."""
    return None if el is None else el.get(_VAL) not in ("0", "false", "off")


def _children(el: Element, tag: str) -> Iterator[Element]:
    """Children with `tag`, looking through content controls and custom XML wrappers."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


# --------------------------------------------------------------------------- styles


class _Styles:
    """Paragraph and character styles with their basedOn chains, read from styles.xml."""

    def __init__(self, root: Element | None) -> None:
        self._by_id: dict[str, Element] = {}
        self.default_para: str | None = None
        fonts = f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}rFonts"
        self._default_font = root.find(fonts) if root is not None else None
        for st in root.iterchildren(f"{W}style") if root is not None else ():
            sid = st.get(f"{W}styleId")
            self._by_id[sid] = st
            if st.get(f"{W}type") == "paragraph" and st.get(f"{W}default") in ("1", "true", "on"):
                self.default_para = sid

    def chain(self, sid: str | None) -> Iterator[Element]:
        """The style and the styles it is based on, nearest first (cycles cut)."""
        seen: set[str] = set()
        while sid is not None and sid in self._by_id and sid not in seen:
            seen.add(sid)
            yield self._by_id[sid]
            sid = _val(self._by_id[sid].find(f"{W}basedOn"))

    def find(self, sid: str | None, path: str) -> Element | None:
        return next((el for st in self.chain(sid) if (el := st.find(path)) is not None), None)

    def name(self, sid: str | None) -> str | None:
        from docx.styles import BabelFish

        name = _val(self._by_id[sid].find(f"{W}name")) if sid in self._by_id else None
        return BabelFish.internal2ui(name) if name else None

    def flag(self, run: Element, pstyle: str | None, prop: str) -> bool:
        """Whether run property `prop` (b, i) is on: direct, else from the run's styles."""
        rpr = run.find(f"{W}rPr")
        direct = _onoff(rpr.find(f"{W}{prop}")) if rpr is not None else None
        if direct is not None:
            return direct
        rstyle = _val(rpr.find(f"{W}rStyle")) if rpr is not None else None
        for sid in (rstyle, pstyle):
            found = _onoff(self.find(sid, f"{W}rPr/{W}{prop}"))
            if found is not None:
                return found
        return False

    def font(self, run: Element, pstyle: str | None) -> str | None:
        """The run's font name: direct, then from its styles, then the document default."""
        path, rstyle = f"{W}rPr/{W}rFonts", _val(run.find(f"{W}rPr/{W}rStyle"))
        found = (run.find(path), self.find(rstyle, path), self.find(pstyle, path))
        for el in (*found, self._default_font):
            name = None if el is None else el.get(f"{W}ascii") or el.get(f"{W}hAnsi")
            if name:
                return str(name)
        return None


# --------------------------------------------------------------------------- list numbering

_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _format(n: int, fmt: str) -> str:
    """One counter in a numFmt: decimal, upper/lowerRoman, upper/lowerLetter (a..z, aa..)."""
    if fmt in ("upperRoman", "lowerRoman") and n > 0:
        out = ""
        for value, symbol in _ROMAN:
            count, n = divmod(n, value)
            out += symbol * count
        return out if fmt == "upperRoman" else out.lower()
    if fmt in ("upperLetter", "lowerLetter") and n > 0:
        out = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return out if fmt == "upperLetter" else out.lower()
    if fmt == "decimalZero":
        return f"{n:02d}"
    return "" if fmt in ("none", "bullet") else str(n)


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str  # lvlText such as "%1.%2."
    start: int
    restart: int | None  # lvlRestart: 1-based level after which this one restarts; 0 never
    pstyle: str | None
    legal: bool  # isLgl: every counter in decimal


def _level(lvl: Element) -> tuple[int, _Level]:
    restart = _val(lvl.find(f"{W}lvlRestart"))
    return _int(lvl.get(f"{W}ilvl"), 0), _Level(
        fmt=_val(lvl.find(f"{W}numFmt")) or "decimal",
        text=_val(lvl.find(f"{W}lvlText")) or "",
        start=_int(_val(lvl.find(f"{W}start")), 0),
        restart=None if restart is None else _int(restart, 0),
        pstyle=_val(lvl.find(f"{W}pStyle")),
        legal=bool(_onoff(lvl.find(f"{W}isLgl"))),
    )


@dataclass(frozen=True)
class _Num:
    abstract: str  # the w:num instance's abstractNumId, and its lvlOverrides:
    starts: dict[int, int]
    levels: dict[int, _Level]


def _num(num: Element) -> _Num:
    starts: dict[int, int] = {}
    levels: dict[int, _Level] = {}
    for override in num.iterchildren(f"{W}lvlOverride"):
        ilvl = _int(override.get(f"{W}ilvl"), 0)
        start = _val(override.find(f"{W}startOverride"))
        if start is not None:
            starts[ilvl] = _int(start, 0)
        if (lvl := override.find(f"{W}lvl")) is not None:
            levels[ilvl] = _level(lvl)[1]
    return _Num(_val(num.find(f"{W}abstractNumId")) or "", starts, levels)


class _Numbering:
    """Renders Word's automatic list labels ("1.", "2.1.", "a)", "II.", "-") in document order.

    Counters belong to the abstractNum, so a list continues across the w:num instances sharing
    it and across tables and other lists in between; a startOverride restarts it the first time
    its w:num is used; deeper levels restart when a shallower one advances (or per lvlRestart).
    """

    def __init__(self, root: Element | None, styles: _Styles) -> None:
        self._styles = styles
        self._abstract: dict[str, Element] = {}
        self._parsed: dict[str, tuple[str, dict[int, _Level]]] = {}
        self._nums: dict[str, _Num] = {}
        self._counters: dict[str, dict[int, int]] = {}
        self._used: set[str] = set()
        for el in root.iterchildren(f"{W}abstractNum") if root is not None else ():
            self._abstract[el.get(f"{W}abstractNumId")] = el
        for el in root.iterchildren(f"{W}num") if root is not None else ():
            self._nums[el.get(f"{W}numId")] = _num(el)

    def _levels(self, abstract_id: str, depth: int = 0) -> tuple[str, dict[int, _Level]]:
        """The abstractNum's id and levels, following a numStyleLink to the list style's own."""
        if abstract_id not in self._parsed:
            el = self._abstract.get(abstract_id)
            link = _val(el.find(f"{W}numStyleLink")) if el is not None else None
            num_id = _val(self._styles.find(link, f"{W}pPr/{W}numPr/{W}numId")) if link else None
            if num_id in self._nums and depth < 4:
                return self._levels(self._nums[num_id or ""].abstract, depth + 1)
            lvls = el.iterchildren(f"{W}lvl") if el is not None else ()
            self._parsed[abstract_id] = (abstract_id, dict(_level(lvl) for lvl in lvls))
        return self._parsed[abstract_id]

    def _numpr(self, p: Element, pstyle: str | None) -> tuple[str, int] | None:
        """numId and ilvl of a paragraph: its own numPr, else inherited along its style chain."""
        own = p.find(f"{W}pPr/{W}numPr")
        num_id = _val(own.find(f"{W}numId")) if own is not None else None
        ilvl = _val(own.find(f"{W}ilvl")) if own is not None else None
        for st in self._styles.chain(pstyle):
            if num_id is not None and ilvl is not None:
                break
            if (inherited := st.find(f"{W}pPr/{W}numPr")) is not None:
                num_id = num_id or _val(inherited.find(f"{W}numId"))
                ilvl = ilvl or _val(inherited.find(f"{W}ilvl"))
        if num_id is None or num_id not in self._nums:  # numId 0 switches numbering off
            return None
        if ilvl is None:  # a list style's level names the paragraph style it belongs to
            levels = self._levels(self._nums[num_id].abstract)[1]
            return num_id, next((k for k, lv in levels.items() if lv.pstyle == pstyle), 0)
        return num_id, _int(ilvl, 0)

    def number(self, p: Element, pstyle: str | None) -> tuple[str | None, int] | None:
        """Advance the paragraph's list counter; its label (None if blank) and level."""
        found = self._numpr(p, pstyle)
        if found is None:
            return None
        num_id, ilvl = found
        num = self._nums[num_id]
        abstract_id, base = self._levels(num.abstract)
        levels = {**base, **num.levels}
        if ilvl not in levels:
            return None
        counts = self._counters.setdefault(abstract_id, {})
        if num_id not in self._used:
            self._used.add(num_id)
            for k in num.starts:
                counts.pop(k, None)
        counts[ilvl] = counts.get(ilvl, num.starts.get(ilvl, levels[ilvl].start) - 1) + 1
        for k in [k for k in counts if k > ilvl]:
            lv = levels.get(k)
            restart = lv.restart if lv is not None and lv.restart is not None else k
            if restart and ilvl < restart:
                del counts[k]
        return _render(levels, counts, num.starts, ilvl), ilvl


def _render(levels: dict[int, _Level], counts: dict[int, int], starts: dict[int, int],
            ilvl: int) -> str | None:
    lvl = levels[ilvl]
    if lvl.fmt == "bullet":
        return "-"

    def counter(m: re.Match[str]) -> str:
        k = int(m.group(1)) - 1
        ref = levels.get(k)
        n = counts.get(k, starts.get(k, ref.start if ref else 1))
        return _format(n, "decimal" if lvl.legal or ref is None else ref.fmt)

    return re.sub(r"%([1-9])", counter, lvl.text).strip() or None


# --------------------------------------------------------------------------- the walk


@dataclass
class _Inline:
    """What a paragraph holds: its runs (tracked deletions left out), text boxes, note citations."""

    runs: list[Element] = field(default_factory=list)
    boxes: list[Element] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)


def _collect(el: Element, out: _Inline) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP or (tag == _R and _hidden(child)):
            continue
        if tag == _TXBX:
            out.boxes.append(child)
        elif tag in _NOTE_REFS:
            out.notes.append((_NOTE_REFS[tag], child.get(f"{W}id") or ""))
        else:
            if tag == _R:
                out.runs.append(child)
            _collect(child, out)


def _hidden(run: Element) -> bool:
    return bool(_onoff(run.find(f"{W}rPr/{W}vanish")))


def _run_text(run: Element) -> str:
    """Text of a run: w:t, tabs and line breaks (page breaks give nothing; never w:delText)."""
    parts: list[str] = []
    for child in run:
        if child.tag == _T:
            parts.append(child.text or "")
        elif child.tag == f"{W}br":
            parts.append("" if child.get(f"{W}type") in ("page", "column") else "\n")
        elif child.tag in _RUN_CHARS:
            parts.append(_RUN_CHARS[child.tag])
    return "".join(parts)


def _paragraph_text(p: Element) -> tuple[str, _Inline, list[str]]:
    """The paragraph's NFC text, what it holds, and the text of each run."""
    inline = _Inline()
    _collect(p, inline)
    texts = [_run_text(run) for run in inline.runs]
    return nfc("".join(texts)).strip(), inline, texts


_RFONTS = f"{W}rPr/{W}rFonts"
_STYLES_WITH_LEGACY_FONT: WeakKeyDictionary[_Styles, bool] = WeakKeyDictionary()


def _font_name(el: Element | None) -> str | None:
    return None if el is None else el.get(f"{W}ascii") or el.get(f"{W}hAnsi")


def _styles_name_a_legacy_font(styles: _Styles) -> bool:
    """Whether the document default or any style names a legacy font (looked at once)."""
    if styles not in _STYLES_WITH_LEGACY_FONT:
        fonts = [styles._default_font, *(st.find(_RFONTS) for st in styles._by_id.values())]
        _STYLES_WITH_LEGACY_FONT[styles] = any(encodings.font_encoding(_font_name(el))
                                               for el in fonts)
    return _STYLES_WITH_LEGACY_FONT[styles]


def _legacy_text(styles: _Styles, runs: list[Element], texts: list[str], pstyle: str | None
                 ) -> str | None:
    """The paragraph's text with runs in a legacy font encoding (`.VnTime`, `VNI-Times`)
    converted to Unicode, or None when no run is in such a font. When no style names such a
    font only the runs' own fonts can, which is cheaper to look at."""
    if _styles_name_a_legacy_font(styles):
        fonts = [styles.font(r, pstyle) if t.strip() else None
                 for r, t in zip(runs, texts, strict=True)]
    else:
        fonts = [_font_name(r.find(_RFONTS)) if t.strip() else None
                 for r, t in zip(runs, texts, strict=True)]
    if not any(encodings.font_encoding(f) for f in fonts):
        return None
    return nfc("".join(encodings.convert_run(t, f)
                       for t, f in zip(texts, fonts, strict=True))).strip()


@dataclass
class _Walker:
    """Turns a story (body, header, text box, table cell) into blocks in reading order."""

    styles: _Styles
    numbering: _Numbering
    notes: dict[tuple[str, str], str]
    header: bool = False
    in_cell: bool = False  # keep numbered empty paragraphs: a table's "STT" column
    blocks: list[Block] = field(default_factory=list)

    def container(self, el: Element) -> None:
        for child in el:
            if child.tag == _P:
                self.paragraph(child)
            elif child.tag == _TBL:
                self.table(child)
            elif child.tag in _WRAPPERS:
                self.container(child)

    def paragraph(self, p: Element) -> None:
        text, inline, texts = _paragraph_text(p)
        if not text and p.find(f"{W}pPr/{W}rPr/{W}del") is not None:
            return  # a deleted paragraph: it takes no list number either
        pstyle = _val(p.find(f"{W}pPr/{W}pStyle")) or self.styles.default_para
        text = _legacy_text(self.styles, inline.runs, texts, pstyle) or text
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
            centered=_val(jc) == "center",
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
        """One table_row block per row; a merged cell counts once, notes follow their row."""
        for tr in _children(tbl, _TR):
            cells: list[str] = []
            notes: list[Block] = []
            for tc in _children(tr, _TC):
                if _val(tc.find(f"{W}tcPr/{W}hMerge")) not in (None, "restart"):
                    continue  # old-style horizontal merge: the cell on the left holds the text
                merge = tc.find(f"{W}tcPr/{W}vMerge")
                if merge is not None and _val(merge) != "restart":
                    cells.append("")  # the text is in the row above; keep the column
                    continue
                sub = _Walker(self.styles, self.numbering, self.notes, self.header, in_cell=True)
                sub.container(tc)
                notes += [b for b in sub.blocks if b.kind == "note"]
                cells.append("\n".join(f"{b.number} {b.text}".strip() if b.number else b.text
                                       for b in sub.blocks if b.kind != "note"))
            if any(cells):
                self.blocks.append(Block(kind="table_row", text=" | ".join(cells),
                                         cells=tuple(cells), hints=self._plain))
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
                texts = (_paragraph_text(p)[0] for p in note.iter(_P))
                notes[(kind, note.get(f"{W}id") or "")] = " ".join(t for t in texts if t)
    return notes


def _walk(parts: _Parts) -> list[Block]:
    styles = _Styles(parts.styles)
    numbering = _Numbering(parts.numbering, styles)
    notes = _note_texts(parts)
    header = _Walker(styles, numbering, notes, header=True)
    if parts.header is not None:
        header.container(parts.header)
    body = _Walker(styles, numbering, notes)
    body.container(parts.body)
    return header.blocks + body.blocks


def _check_size(data: bytes, path: str, options: LoadOptions) -> None:
    """Refuse a package whose members declare more than `max_unzipped` bytes (a zip bomb)."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise UnreadableInput("damaged DOCX: not a valid ZIP archive", path=path,
                              hint="the file is truncated or corrupt") from None
    if total > options.max_unzipped:
        raise InputTooLarge(f"DOCX expands to {total / MB:.3g} MB, over the "
                            f"{options.max_unzipped / MB:.3g} MB limit",
                            path=path, hint="raise it with --max-unzipped")


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
    _check_size(data, path, options)
    try:
        parts = _open(data, path)
    except _DAMAGED + _MISSHAPEN as exc:
        raise _damaged(exc, path) from None
    try:
        blocks = _walk(parts)
    except _DAMAGED as exc:
        raise _damaged(exc, path) from None
    if not blocks:
        raise UnreadableInput("no text in DOCX", path=path,
                              hint="it may hold only pictures; convert it to PDF and use --ocr")
    source = Source(path=path, format="docx", sha256=sha256(data), pages=None)
    legacy = {e for b in blocks if (e := encodings.font_encoding(b.hints.font))}
    warnings = tuple(Notice(code="legacy-encoding", message=f"text in the {encodings.NAMES[e]} "
                            "font encoding, converted to Unicode") for e in sorted(legacy))
    return Loaded(source=source, blocks=tuple(blocks), warnings=warnings)
