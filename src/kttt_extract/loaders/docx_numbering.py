"""DOCX styles and Word's automatic list numbering, read from styles.xml and numbering.xml.

`Styles` resolves a property along a style's basedOn chain; `Numbering` renders the list labels
("1.", "2.1.", "a)", "II.", "-") in document order, which python-docx does not do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kttt_extract.loaders.docx_xml import Element, W, onoff, to_int, val


class Styles:
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
            sid = val(self._by_id[sid].find(f"{W}basedOn"))

    def find(self, sid: str | None, path: str) -> Element | None:
        return next((el for st in self.chain(sid) if (el := st.find(path)) is not None), None)

    def name(self, sid: str | None) -> str | None:
        from docx.styles import BabelFish

        name = val(self._by_id[sid].find(f"{W}name")) if sid in self._by_id else None
        return BabelFish.internal2ui(name) if name else None

    def flag(self, run: Element, pstyle: str | None, prop: str) -> bool:
        """Whether run property `prop` (b, i) is on: direct, else from the run's styles."""
        rpr = run.find(f"{W}rPr")
        direct = onoff(rpr.find(f"{W}{prop}")) if rpr is not None else None
        if direct is not None:
            return direct
        rstyle = val(rpr.find(f"{W}rStyle")) if rpr is not None else None
        for sid in (rstyle, pstyle):
            found = onoff(self.find(sid, f"{W}rPr/{W}{prop}"))
            if found is not None:
                return found
        return False

    def font(self, run: Element, pstyle: str | None) -> str | None:
        """The run's font name: direct, then from its styles, then the document default."""
        path, rstyle = f"{W}rPr/{W}rFonts", val(run.find(f"{W}rPr/{W}rStyle"))
        found = (run.find(path), self.find(rstyle, path), self.find(pstyle, path))
        for el in (*found, self._default_font):
            name = None if el is None else el.get(f"{W}ascii") or el.get(f"{W}hAnsi")
            if name:
                return str(name)
        return None

    def declared_fonts(self) -> list[Element | None]:
        """The rFonts of the document default and of every style (None where a style has none)."""
        return [self._default_font, *(st.find(f"{W}rPr/{W}rFonts") for st in self._by_id.values())]


# --------------------------------------------------------------------------- list numbering

_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def format_counter(n: int, fmt: str) -> str:
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
    restart = val(lvl.find(f"{W}lvlRestart"))
    return to_int(lvl.get(f"{W}ilvl"), 0), _Level(
        fmt=val(lvl.find(f"{W}numFmt")) or "decimal",
        text=val(lvl.find(f"{W}lvlText")) or "",
        start=to_int(val(lvl.find(f"{W}start")), 0),
        restart=None if restart is None else to_int(restart, 0),
        pstyle=val(lvl.find(f"{W}pStyle")),
        legal=bool(onoff(lvl.find(f"{W}isLgl"))),
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
        ilvl = to_int(override.get(f"{W}ilvl"), 0)
        start = val(override.find(f"{W}startOverride"))
        if start is not None:
            starts[ilvl] = to_int(start, 0)
        if (lvl := override.find(f"{W}lvl")) is not None:
            levels[ilvl] = _level(lvl)[1]
    return _Num(val(num.find(f"{W}abstractNumId")) or "", starts, levels)


class Numbering:
    """Renders Word's automatic list labels ("1.", "2.1.", "a)", "II.", "-") in document order.

    Counters belong to the abstractNum, so a list continues across the w:num instances sharing
    it and across tables and other lists in between; a startOverride restarts it the first time
    its w:num is used; deeper levels restart when a shallower one advances (or per lvlRestart).
    """

    def __init__(self, root: Element | None, styles: Styles) -> None:
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
            link = val(el.find(f"{W}numStyleLink")) if el is not None else None
            num_id = val(self._styles.find(link, f"{W}pPr/{W}numPr/{W}numId")) if link else None
            if num_id in self._nums and depth < 4:
                return self._levels(self._nums[num_id or ""].abstract, depth + 1)
            lvls = el.iterchildren(f"{W}lvl") if el is not None else ()
            self._parsed[abstract_id] = (abstract_id, dict(_level(lvl) for lvl in lvls))
        return self._parsed[abstract_id]

    def _numpr(self, p: Element, pstyle: str | None) -> tuple[str, int] | None:
        """numId and ilvl of a paragraph: its own numPr, else inherited along its style chain."""
        own = p.find(f"{W}pPr/{W}numPr")
        num_id = val(own.find(f"{W}numId")) if own is not None else None
        ilvl = val(own.find(f"{W}ilvl")) if own is not None else None
        for st in self._styles.chain(pstyle):
            if num_id is not None and ilvl is not None:
                break
            if (inherited := st.find(f"{W}pPr/{W}numPr")) is not None:
                num_id = num_id or val(inherited.find(f"{W}numId"))
                ilvl = ilvl or val(inherited.find(f"{W}ilvl"))
        if num_id is None or num_id not in self._nums:  # numId 0 switches numbering off
            return None
        if ilvl is None:  # a list style's level names the paragraph style it belongs to
            levels = self._levels(self._nums[num_id].abstract)[1]
            return num_id, next((k for k, lv in levels.items() if lv.pstyle == pstyle), 0)
        return num_id, to_int(ilvl, 0)

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
        return format_counter(n, "decimal" if lvl.legal or ref is None else ref.fmt)

    return re.sub(r"%([1-9])", counter, lvl.text).strip() or None

