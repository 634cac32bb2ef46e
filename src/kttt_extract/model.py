"""Typed data passed between the pipeline stages, and the v1 output contract.

Everything here is a frozen pydantic model: stages cannot mutate what an earlier stage produced,
and the JSON Schema printed by `kttt schema` is generated from `Result`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal["1"] = "1"

Span = tuple[int, int]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- load stage

BlockKind = Literal["paragraph", "heading", "list_item", "table_row", "page_break", "note"]


class Hints(Frozen):
    """Layout cues a loader saw; they help segmentation but are never text."""

    bold: bool = False
    italic: bool = False
    heading_level: int | None = None  # Markdown `#` count or Word Heading N
    centered: bool = False
    rule_below: bool = False  # Markdown `---` or a drawn line
    hard_wrapped: bool = False  # a line of a PDF-like text, to be re-joined
    font: str | None = None
    style: str | None = None
    stamp: bool = False  # text drawn by an annotation (e-signature stamp)
    ocr: bool = False


class Cell(Frozen):
    """A table cell as its loader found it."""

    text: str  # the paragraphs inside the cell, separated by "\n"
    col: int = 0  # the first grid column it covers, 0-based
    width: int = 1  # how many grid columns it covers (DOCX gridSpan)
    merged: bool = False  # continues the cell above it (DOCX vMerge); its text is ""


class Block(Frozen):
    """One unit of a document as its loader found it, before normalisation."""

    kind: BlockKind
    text: str
    number: str | None = None  # list numbering rendered by the loader ("1.", "a)", "-")
    level: int | None = None  # list level, 0-based
    cells: tuple[Cell, ...] = ()  # table rows only
    table: int | None = None  # table rows only: which table of the document, 0-based
    page: int | None = None  # 1-based page for paged formats
    offset: int = 0  # where `text` starts in the decoded source, when the loader knows
    hints: Hints = Hints()


class Signature(Frozen):
    name: str | None = None
    organization: str | None = None
    signed_at: str | None = None
    reason: str | None = None
    location: str | None = None
    field: str | None = None


SourceFormat = Literal["pdf", "docx", "doc", "rtf", "odt", "txt", "md"]


class OcrPage(Frozen):
    """A page read by OCR: Tesseract's mean word confidence (0-1) and the repairs made to it."""

    page: int
    confidence: float
    repairs: int = 0


class Source(Frozen):
    path: str
    format: SourceFormat
    sha256: str
    pages: int | None = None
    ocr: bool = False
    ocr_pages: tuple[OcrPage, ...] = ()  # the pages whose text came from OCR, in page order


class Notice(Frozen):
    """A warning: something doubtful that did not stop the run."""

    code: str
    message: str


class Loaded(Frozen):
    """What a loader returns: the source description, its blocks and anything it noticed."""

    source: Source
    blocks: tuple[Block, ...]
    warnings: tuple[Notice, ...] = ()
    signatures: tuple[Signature, ...] = ()


# --------------------------------------------------------------------------- normalise stage


class CellSpan(Frozen):
    """A table cell in the normalised text: a row is one line, its cells joined by " | "."""

    span: Span
    col: int = 0
    width: int = 1
    merged: bool = False


class Para(Frozen):
    """A paragraph of the normalised text: one line of `NormText.text`."""

    span: Span
    kind: BlockKind
    number: str | None = None
    level: int | None = None
    page: int | None = None
    block: int  # index of the first block it came from
    hints: Hints = Hints()
    cells: tuple[CellSpan, ...] = ()  # table rows only
    table: int | None = None  # table rows only


class NormText(Frozen):
    """The text every span points into, with paragraph structure and a map back to the blocks.

    `origin` holds runs `(start, end, block_index, offset_in_block_text)`: characters
    `text[start:end]` were copied from that block; characters in no run were inserted by the
    normaliser (a paragraph break, a joining space, a list number).
    """

    text: str
    paras: tuple[Para, ...]
    origin: tuple[tuple[int, int, int, int], ...] = Field(repr=False)


# --------------------------------------------------------------------------- output contract


SectionKind = Literal["purpose", "objectives", "tasks", "implementation", "other"]


class Section(Frozen):
    id: str
    number: str | None
    heading: str
    kind: SectionKind
    level: int
    parent: str | None
    span: Span
    rule: str | None = None
    kind_rule: str | None = None  # the rule whose words gave `kind`, when not inherited


class Item(Frozen):
    span: Span
    section: str | None
    rule: str
    page: int | None = None  # 1-based page of a paged input (PDF, OCR) where the span starts


class Reference(Frozen):
    kind: str
    number: str | None
    date: str | None
    issuer: str | None
    text: str
    spans: tuple[Span, ...]
    rule: str


class SignerInfo(Frozen):
    name: str | None = None
    position: str | None = None


class Document(Frozen):
    kind: str | None = None
    number: str | None = None
    title: str | None = None
    issuer: str | None = None
    place: str | None = None
    date: str | None = None
    signer: SignerInfo = SignerInfo()
    recipients: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    signatures: tuple[Signature, ...] = ()


Metric = Literal["count", "percent", "money", "growth_rate", "multiple", "other"]
Comparator = Literal["eq", "approx", "gt", "gte", "lt", "lte", "range"]
Recurrence = Literal["yearly", "semiannual", "quarterly", "monthly", "weekly"]


class Target(Item):
    id: str
    text: str
    indicator: str | None
    metric: Metric
    value: float
    value_max: float | None = None
    unit: str | None
    comparator: Comparator
    year: int | None = None
    period: tuple[int, int] | None = None
    recurrence: Literal["yearly"] | None = None
    baseline_year: int | None = None


DeadlineKind = Literal["by", "recurring", "period", "ongoing", "relative"]


class Deadline(Item):
    id: str
    text: str
    kind: DeadlineKind
    date: str | None = None
    recurrence: Recurrence | None = None
    day: str | None = None
    offset: str | None = None
    anchor: str | None = None
    working_days: bool = False
    period: tuple[int, int | None] | None = None  # end null: "từ năm 2023" (open-ended)


Role = Literal["lead", "support", "report_to", "requested", "monitor", "mentioned"]


class Mention(Frozen):
    span: Span
    section: str | None
    role: Role
    rule: str  # the rule that found the name
    role_rule: str | None = None  # the cue rule that gave the role; None for "mentioned"
    page: int | None = None


class Agency(Frozen):
    id: str
    name: str
    aliases: tuple[str, ...]
    mentions: tuple[Mention, ...]
    group: bool = False  # a generic group such as "các phòng, ban, ngành"
    kind: str | None = None  # the kind of body from the registry ("sở", "ủy ban nhân dân", ...)
    level: str | None = None  # "central", "province", "district", "commune", or None
    place: str | None = None  # the place name written with it ("Lâm Đồng")
    parent: str | None = None  # canonical name of the body it belongs to ("Bộ Công an")


class Task(Frozen):
    id: str
    text: str
    section: str | None
    span: Span
    rule: str
    lead: tuple[str, ...] = ()
    support: tuple[str, ...] = ()
    report_to: tuple[str, ...] = ()
    monitor: tuple[str, ...] = ()  # units that follow up: theo dõi, kiểm tra, đôn đốc
    deadlines: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    product: str | None = None  # the output a row or item names (Sản phẩm), else null
    page: int | None = None


class Result(Frozen):
    schema_version: Literal["1"] = SCHEMA_VERSION
    source: Source
    document: Document
    sections: tuple[Section, ...]
    targets: tuple[Target, ...]
    deadlines: tuple[Deadline, ...]
    agencies: tuple[Agency, ...]
    tasks: tuple[Task, ...]
    warnings: tuple[Notice, ...]
    text: str | None = None
