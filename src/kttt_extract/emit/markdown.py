"""Result -> Markdown: the document's heading, its warnings, then its tasks, targets, deadlines
and agencies as pipe tables with names and dates (what a reviewer pastes into a note)."""

from __future__ import annotations

from collections.abc import Sequence

from kttt_extract.emit.readable import Names, deadline_label, role_counts, target_label
from kttt_extract.model import Result

Cells = Sequence[str | int | None]


def cell(value: str | int | None) -> str:
    """One table cell: on one line, pipes escaped."""
    if value is None:
        return ""
    return " ".join(str(value).split()).replace("\\", "\\\\").replace("|", "\\|")


def table(headers: Sequence[str], rows: Sequence[Cells]) -> str:
    if not rows:
        return "_none found_\n"
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def render(result: Result) -> str:
    """The Markdown of one document."""
    names, doc, src = Names(result), result.document, result.source
    title = " ".join(x for x in (doc.kind, doc.number) if x) or src.path
    meta = " · ".join(x for x in (doc.issuer, doc.place, doc.date) if x)
    out = [f"# {cell(title)}\n"]
    if doc.title:
        out.append(f"**{cell(doc.title)}**\n")
    pages = f", {src.pages} pages" if src.pages else ""
    out.append(f"{cell(meta)}{' · ' if meta else ''}`{src.path}` ({src.format}{pages}"
               f"{', OCR' if src.ocr else ''})\n")
    if result.warnings:
        out.append("\n".join(f"> **{cell(w.code)}**: {cell(w.message)}"
                             for w in result.warnings) + "\n")
    out.append(f"## Tasks ({len(result.tasks)})\n")
    out.append(table(("task", "lead", "support", "report to", "monitor", "by when", "product",
                      "page"), [
        (k.text, names.agencies(k.lead), names.agencies(k.support),
         names.agencies(k.report_to), names.agencies(k.monitor),
         "; ".join(deadline_label(names.deadline[i]) for i in k.deadlines
                   if i in names.deadline), k.product, k.page) for k in result.tasks]))
    out.append(f"## Targets ({len(result.targets)})\n")
    out.append(table(("target", "lead", "as written", "page"), [
        (target_label(t), names.lead_of(t.id), t.text, t.page) for t in result.targets]))
    out.append(f"## Deadlines ({len(result.deadlines)})\n")
    out.append(table(("date or rhythm", "as written", "kind", "lead", "page"), [
        (deadline_label(d), d.text, d.kind, names.lead_of(d.id), d.page)
        for d in result.deadlines]))
    out.append(f"## Agencies ({len(result.agencies)})\n")
    out.append(table(("agency", "roles", "mentions", "group"), [
        (a.name, role_counts(a), len(a.mentions), "yes" if a.group else "")
        for a in result.agencies]))
    return "\n".join(out)
