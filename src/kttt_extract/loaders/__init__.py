"""Pick a loader by the file's content (magic bytes), not by its name, and run it.

Each loader module exposes `load(data: bytes, path: str, options: LoadOptions) -> Loaded` and is
imported only when a file of its format arrives, so `kttt --help` stays fast.
"""

from __future__ import annotations

import hashlib
import importlib
import zipfile
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from kttt_extract.errors import UnreadableInput, UnsupportedInput, printable
from kttt_extract.fileio import read_regular
from kttt_extract.loaders.ziplimit import ZIP_ERRORS
from kttt_extract.model import Loaded, SourceFormat

if TYPE_CHECKING:
    from kttt_extract.ruleset import RuleSet

MB = 1024 * 1024
OcrMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class LoadOptions:
    """Knobs of the loaders; the defaults suit a laptop and a batch server alike."""

    max_bytes: int = 50 * MB  # refuse larger inputs (override with --max-size)
    max_unzipped: int = 200 * MB  # refuse a DOCX whose parts expand beyond this (zip bombs)
    max_pages: int = 5000  # refuse a PDF with more pages (a page-tree bomb)
    max_stream: int = 256 * MB  # refuse a PDF stream that inflates beyond this (a Flate bomb)
    max_pixels: int = 150_000_000  # render an OCR page at a lower resolution above this
    password: str | None = None
    # auto: OCR the PDF pages whose text layer fails the judge (scans, broken fonts), when
    # Tesseract is installed; always: OCR every page; never: no OCR (a failing page is an error).
    # True and False, from before the modes, mean always and never.
    ocr: OcrMode | bool = "auto"
    ocr_lang: str = "vie"
    ocr_jobs: int = 0  # pages recognised at once (0: one per CPU this process may use)
    timeout: float = 120.0  # for external converters (LibreOffice, Tesseract)
    rules: RuleSet | None = None  # the rule set in force (None: the shipped rules, loaded on use)
    # a folder of DOCX files LibreOffice made ahead (<sha256 of the input>.docx), as a batch
    # converts its .doc/.rtf/.odt files in groups (loaders/office.py); None: convert each file
    office_cache: str | None = None

    @property
    def ocr_mode(self) -> OcrMode:
        if isinstance(self.ocr, bool):
            return "always" if self.ocr else "never"
        return self.ocr

    def ruleset(self) -> RuleSet:
        """The rules the loaders read (the encodings, the OCR tables, the syllable inventory,
        the page-number words): the rule set in force, else the shipped rules, loaded now."""
        from kttt_extract.ruleset import load_rules

        return self.rules if self.rules is not None else load_rules()

    def with_rules(self) -> LoadOptions:
        """These options with the rule set in force filled in (loaded once per document)."""
        return self if self.rules is not None else replace(self, rules=self.ruleset())


def sniff(data: bytes, path: str) -> SourceFormat:
    """The format of `data`, from its leading bytes; the extension only breaks ties."""
    head = data[:8]
    ext = Path(path).suffix.lower().lstrip(".")
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as zf:
                names = set(zf.namelist())
        except ZIP_ERRORS:
            raise UnreadableInput("damaged ZIP container", path=path,
                                  hint="the file is truncated or corrupt") from None
        if "word/document.xml" in names:
            return "docx"
        if "mimetype" in names and "content.xml" in names:
            return "odt"
        raise UnsupportedInput("not a DOCX (zip) file", path=path,
                               hint="a ZIP archive without word/document.xml")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if _looks_binary(data):
        raise UnsupportedInput("not a document this tool reads", path=path,
                               hint="supported: PDF, DOCX, DOC/RTF/ODT with LibreOffice, text")
    return "md" if ext in {"md", "markdown"} else "txt"


def _looks_binary(data: bytes) -> bool:
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False  # a byte-order mark: UTF-16 text is full of NULs, and that is fine
    if not sample:
        return False
    if sample.count(0) > len(sample) // 10:
        # UTF-16 without BOM: NULs in every other byte
        evens, odds = sample[0::2].count(0), sample[1::2].count(0)
        return not (evens > len(sample) // 3 or odds > len(sample) // 3)
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 0))
    return control > len(sample) // 20


_MODULES: dict[str, str] = {
    "txt": "kttt_extract.loaders.text",
    "md": "kttt_extract.loaders.text",
    "docx": "kttt_extract.loaders.docx",
    "pdf": "kttt_extract.loaders.pdf",
    "doc": "kttt_extract.loaders.office",
    "rtf": "kttt_extract.loaders.office",
    "odt": "kttt_extract.loaders.office",
}


def read_input(path: Path | str, options: LoadOptions) -> bytes:
    """Read a document's bytes: a regular file only, and never more than `max_bytes`."""
    data = read_regular(path, options.max_bytes)
    if not data.strip():
        raise UnreadableInput("empty file", path=str(path))
    return data


def load(path: Path | str, options: LoadOptions | None = None) -> Loaded:
    """Read a document from disk and return its blocks."""
    opts = options or LoadOptions()
    data = read_input(path, opts)
    return load_bytes(data, printable(str(path)), opts)


def load_bytes(data: bytes, path: str, options: LoadOptions | None = None) -> Loaded:
    """Return the blocks of a document given as bytes (`path` names it in messages)."""
    opts = options or LoadOptions()
    fmt = sniff(data, path)
    module = importlib.import_module(_MODULES[fmt])
    loaded: Loaded = module.load(data, path, opts.with_rules(), fmt)
    return loaded


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
