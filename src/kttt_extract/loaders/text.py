"""Plain text and Markdown: decode, then one block per non-empty line with its Markdown dress
turned into hints (`#` heading level, `**bold**`, `---` rules, `~~struck~~` text dropped) and
pipe-table rows (`| a | b |`) turned into table rows. Text typed in a legacy font encoding
(TCVN3, VNI) is recognised by its characters and converted to Unicode."""

from __future__ import annotations

import codecs

import regex

from kttt_extract import encodings
from kttt_extract.errors import UnreadableInput
from kttt_extract.loaders import LoadOptions, sha256
from kttt_extract.model import Block, Cell, Hints, Loaded, Notice, Source, SourceFormat
from kttt_extract.textnorm import nfc

_HEADING = regex.compile(r"^\s{0,3}(#{1,6})\s+")
_RULE_LINE = regex.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_STRUCK = regex.compile(r"~~.*?~~")
_BOLD = regex.compile(r"\*\*|__(?=\S)|(?<=\S)__")
_ITALIC = regex.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ESCAPE = regex.compile(r"\\([\\`*_{}\[\]()#+\-.!])")
_ALL_BOLD = regex.compile(r"^\s*\*\*(.+)\*\*\s*$")
_PAGE_NUMBER = regex.compile(r"^\s*(?:-\s*)?\d{1,3}(?:\s*-)?\s*$")
_PIPE_ROW = regex.compile(r"^\s*\|(.*)\|\s*$")
_PIPE = regex.compile(r"(?<!\\)\|")
_RULE_CELL = regex.compile(r"^\s*:?-+:?\s*$")


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Decode text bytes; returns (text, encoding). UTF-8, UTF-16 and Windows-1258 are known."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    sample = data[:4096]
    if sample.count(0) > len(sample) // 4:
        enc = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        return data.decode(enc, errors="replace"), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), "cp1258"
    except UnicodeDecodeError:
        raise UnreadableInput("text in an unknown encoding", path=path,
                              hint="save it as UTF-8") from None


def _legacy(codec: encodings.Codec, data: bytes, text: str, encoding: str
            ) -> tuple[str, encodings.Encoding | None]:
    """Convert text typed in a legacy font encoding, line by line; 8-bit text is looked at
    byte for byte (Latin-1), since Windows-1258 would have turned some of its bytes into marks."""
    candidate = data.decode("latin-1") if encoding == "cp1258" else text
    found = codec.detect(candidate)
    if found is None:
        return text, None
    return codec.convert_lines(candidate, found), found


def _table_cells(line: str) -> list[str] | None:
    """Cells of a Markdown pipe-table row, [] for its `|---|:--:|` rule, None for other lines."""
    m = _PIPE_ROW.match(line)
    parts = _PIPE.split(m.group(1)) if m else []
    if len(parts) < 2:
        return None
    if all(_RULE_CELL.match(p) for p in parts):
        return []
    return [_clean_inline(p).strip().replace("\\|", "|") for p in parts]


def _clean_inline(text: str) -> str:
    text = _STRUCK.sub("", text)
    text = _ITALIC.sub(r"\1", text)
    text = _BOLD.sub("", text)
    return _ESCAPE.sub(r"\1", text)


def lines_to_blocks(text: str) -> list[Block]:
    """One block per non-empty line; Markdown dress becomes hints."""
    blocks: list[Block] = []
    pos = 0
    table = -1
    table_open = False
    for raw in text.split("\n"):
        start = pos
        pos += len(raw) + 1
        line = raw.rstrip("\r")
        if not line.strip():
            table_open = False  # a blank line ends a pipe table
            continue
        cells = _table_cells(line)
        if cells is not None:
            if any(cells):
                if not table_open:
                    table += 1
                table_open = True
                blocks.append(Block(kind="table_row", text=" | ".join(cells), offset=start,
                                    cells=tuple(Cell(text=c, col=i) for i, c in enumerate(cells)),
                                    table=table))
            continue
        table_open = False
        if _RULE_LINE.match(line):
            if blocks:
                blocks[-1] = blocks[-1].model_copy(
                    update={"hints": blocks[-1].hints.model_copy(update={"rule_below": True})})
            continue
        level = None
        m = _HEADING.match(line)
        if m:
            level = len(m.group(1))
            line = line[m.end():]
        bold = bool(_ALL_BOLD.match(line)) or line.lstrip().startswith("**")
        content = _clean_inline(line)
        lead = len(content) - len(content.lstrip())
        content = content.strip()
        if not content:
            continue
        blocks.append(Block(kind="heading" if level else "paragraph", text=content,
                            offset=start + lead,
                            hints=Hints(bold=bold, heading_level=level)))
    return blocks


def _hard_wrapped(blocks: list[Block]) -> bool:
    """Text pulled from a PDF: short lines, most not ending a sentence."""
    blocks = [b for b in blocks if b.kind != "table_row"]
    lengths = sorted(len(b.text) for b in blocks)
    if len(lengths) < 8:
        return False
    median = lengths[len(lengths) // 2]
    open_ends = sum(1 for b in blocks if not b.text.rstrip().endswith((".", ":", ";", "!", "?")))
    return median < 110 and open_ends > len(blocks) * 0.5


def load(data: bytes, path: str, options: LoadOptions, fmt: SourceFormat) -> Loaded:
    text, encoding = decode(data, path)
    text, legacy = _legacy(encodings.Codec.of(options.ruleset()), data, text, encoding)
    text = nfc(text.replace("\r\n", "\n").replace("\r", "\n"))
    warnings: list[Notice] = []
    if "\x00" in text:  # a stray NUL (UTF-16 text has none left after decoding)
        warnings.append(Notice(code="nul-bytes", message=(
            f"{text.count(chr(0))} NUL character(s) in the text, read as spaces: the file may "
            "be damaged or not plain text")))
        text = text.replace("\x00", " ")
    blocks = lines_to_blocks(text)
    if legacy is not None:
        warnings.append(Notice(code="legacy-encoding", message=(
            f"text in the {encodings.NAMES[legacy]} font encoding, converted to Unicode")))
    elif encoding == "cp1258":
        warnings.append(Notice(code="legacy-encoding", message="text decoded as Windows-1258"))
    if _hard_wrapped(blocks):
        blocks = [b.model_copy(update={"hints": b.hints.model_copy(update={"hard_wrapped": True})})
                  for b in blocks if not _PAGE_NUMBER.match(b.text)]
    if not blocks:
        raise UnreadableInput("no text in file", path=path)
    source = Source(path=path, format=fmt, sha256=sha256(data))
    return Loaded(source=source, blocks=tuple(blocks), warnings=tuple(warnings))
