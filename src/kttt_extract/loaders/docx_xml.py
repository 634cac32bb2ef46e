"""WordprocessingML helpers for the DOCX loader: tag names, property values, a paragraph's runs.

Pure functions over lxml elements; python-docx is not imported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kttt_extract.textnorm import nfc

Element = Any  # an lxml element; lxml ships no type information

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_VAL = f"{W}val"
P, TBL, TR, TC, _R, _T = (f"{W}{t}" for t in ("p", "tbl", "tr", "tc", "r", "t"))
_TXBX = f"{W}txbxContent"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
WRAPPERS = frozenset(f"{W}{t}" for t in ("sdt", "sdtContent", "customXml", "smartTag"))
# never descended into when collecting a paragraph's runs: properties, deleted text, and the
# VML copy of a text box that also exists as DrawingML (it would be read twice)
_SKIP = frozenset({*(f"{W}{t}" for t in ("pPr", "rPr", "del", "moveFrom")), _FALLBACK})
_NOTE_REFS = {f"{W}footnoteReference": "footnote", f"{W}endnoteReference": "endnote"}
_RUN_CHARS = {f"{W}tab": "\t", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}


def val(el: Element | None) -> str | None:
    return None if el is None else el.get(_VAL)


def to_int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def onoff(el: Element | None) -> bool | None:
    """A Word on/off property: absent is None, present without a value is on."""
    return None if el is None else el.get(_VAL) not in ("0", "false", "off")


def children(el: Element, tag: str) -> Iterator[Element]:
    """Children with `tag`, looking through content controls and custom XML wrappers."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in WRAPPERS:
            yield from children(child, tag)


@dataclass
class Inline:
    """What a paragraph holds: its runs (tracked deletions left out), text boxes, note citations."""

    runs: list[Element] = field(default_factory=list)
    boxes: list[Element] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)


def _collect(el: Element, out: Inline) -> None:
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
    return bool(onoff(run.find(f"{W}rPr/{W}vanish")))


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


def paragraph_text(p: Element) -> tuple[str, Inline, list[str]]:
    """The paragraph's NFC text, what it holds, and the text of each run."""
    inline = Inline()
    _collect(p, inline)
    texts = [_run_text(run) for run in inline.runs]
    return nfc("".join(texts)).strip(), inline, texts
