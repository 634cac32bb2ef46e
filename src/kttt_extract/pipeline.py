"""The only module that knows the order of the stages:
load -> normalise -> segment -> extract -> link -> Result."""

from __future__ import annotations

from pathlib import Path

from kttt_extract.errors import PatternTimeout
from kttt_extract.extractors import agencies, deadlines, metadata, references, tables, targets
from kttt_extract.extractors.context import Context
from kttt_extract.link import link_tasks
from kttt_extract.loaders import LoadOptions, load, load_bytes
from kttt_extract.model import Loaded, Notice, Result
from kttt_extract.normalize import normalize
from kttt_extract.ruleset import RuleSet, load_rules
from kttt_extract.sections import segment


def extract(
    path: Path | str,
    *,
    rules: RuleSet | None = None,
    options: LoadOptions | None = None,
    keep_text: bool = True,
) -> Result:
    """Read a document and return everything the contract lists."""
    ruleset = rules or load_rules()
    return extract_loaded(load(path, options), ruleset, keep_text=keep_text)


def extract_text(text: str, *, rules: RuleSet | None = None, name: str = "<text>.md") -> Result:
    """Extract from a string, read as Markdown-dressed text (rule examples, tests, notebooks)."""
    ruleset = rules or load_rules()
    return extract_loaded(load_bytes(text.encode("utf-8"), name), ruleset)


def extract_loaded(loaded: Loaded, rules: RuleSet, *, keep_text: bool = True) -> Result:
    """Run every stage after loading."""
    try:
        return _stages(loaded, rules, keep_text)
    except TimeoutError:  # a pattern's own time limit (regex's `timeout=`)
        raise PatternTimeout("a rule's pattern took too long on this text", path=(
            loaded.source.path), hint="a very long line or an unusual text; please report it "
                                      "with the input") from None


def _stages(loaded: Loaded, rules: RuleSet, keep_text: bool) -> Result:
    norm = normalize(loaded.blocks, rules.get("layout.paragraph-openers").regex)
    sections = segment(norm, rules)
    ctx = Context.build(norm, sections, rules)
    refs = references.extract(ctx)
    doc = metadata.extract(ctx, refs, loaded.signatures)
    found_targets = tables.merge(targets.extract(ctx), tables.extract(ctx))
    found_deadlines = deadlines.extract(ctx, found_targets)
    found_agencies = agencies.extract(ctx)
    tasks = link_tasks(ctx, found_targets, found_deadlines, found_agencies)
    warnings = list(loaded.warnings) + ctx.notices
    if not sections:
        warnings.append(Notice(code="no-sections", message="no section heading found"))
    if loaded.source.ocr and all(w.code != "ocr" for w in warnings):
        warnings.append(Notice(code="ocr", message="text came from OCR; check tone marks"))
    return Result(
        source=loaded.source,
        document=doc,
        sections=tuple(sections),
        targets=tuple(found_targets),
        deadlines=tuple(found_deadlines),
        agencies=tuple(found_agencies),
        tasks=tuple(tasks),
        warnings=tuple(warnings),
        text=norm.text if keep_text else None,
    )
