"""The only module that knows the order of the stages:
load -> normalise -> segment -> extract -> link -> Result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from kttt_extract.encodings import EncodingRules
from kttt_extract.errors import PatternTimeout, RuleFileError
from kttt_extract.extractors import agencies, deadlines, metadata, references, tables, targets
from kttt_extract.extractors.agency_names import NameRules
from kttt_extract.extractors.agency_roles import RoleRules
from kttt_extract.extractors.agency_shapes import ShapeRules
from kttt_extract.extractors.aims import AimRules
from kttt_extract.extractors.context import Context, ContextRules
from kttt_extract.extractors.horizons import HorizonRules
from kttt_extract.extractors.letterhead import LetterheadRules
from kttt_extract.extractors.registry import RegistryRules
from kttt_extract.extractors.timeframe import FrameRules, read_frame
from kttt_extract.link import link_tasks
from kttt_extract.link.cells import CellRules, when_cell_deadlines
from kttt_extract.link.columns import ColumnRules
from kttt_extract.link.items import ItemRules
from kttt_extract.loaders import LoadOptions, load, load_bytes
from kttt_extract.loaders.ocrfix import FixRules
from kttt_extract.loaders.pagewords import PageRules
from kttt_extract.loaders.syllables import SyllableRules
from kttt_extract.model import Loaded, NormText, Notice, Result
from kttt_extract.normalize import LayoutRules, normalize
from kttt_extract.pages import Pages
from kttt_extract.regions import RegionRules
from kttt_extract.rulecache import default_cache
from kttt_extract.ruleset import RuleSet, shipped_rules_dir
from kttt_extract.ruleset.slots import Slots, bind_all
from kttt_extract.sections import SectionRules
from kttt_extract.view import ViewRules, build_view

# what every stage reads from the rules, in stage order: bound and checked once per rule set
STAGES: tuple[type[Slots], ...] = (
    EncodingRules, PageRules, SyllableRules, FixRules, LayoutRules, RegionRules, SectionRules,
    ViewRules, ContextRules, LetterheadRules, metadata.MetadataRules, references.ReferenceRules,
    FrameRules, HorizonRules, AimRules, targets.TargetRules, tables.TableRules,
    deadlines.DeadlineRules, RegistryRules, ShapeRules, NameRules, RoleRules,
    agencies.AgencyRules, ColumnRules, CellRules, ItemRules)


def extract(
    path: Path | str,
    *,
    rules: RuleSet | None = None,
    options: LoadOptions | None = None,
    keep_text: bool = True,
    rule_dirs: Sequence[Path | str] = (),
) -> Result:
    """Read a document and return everything the contract lists.

    Without `rules`, the shipped rules plus `rule_dirs` come from a small cache keyed by the
    folders and their files, so a loop compiles them once (see `kttt_extract.Extractor`)."""
    ruleset = rules or default_cache().get(*rule_dirs)
    bind_all(ruleset, STAGES)  # a rule that does not fit its stage stops here, positioned
    opts = options or LoadOptions()
    if opts.rules is None:  # the loaders read the same rules (encodings, OCR, page numbers)
        opts = replace(opts, rules=ruleset)
    return extract_loaded(load(path, opts), ruleset, keep_text=keep_text)


def extract_bytes(data: bytes, name: str, *, rules: RuleSet | None = None,
                  options: LoadOptions | None = None, keep_text: bool = True) -> Result:
    """Extract from a document's bytes (standard input, a download); `name` is its path in the
    result and in messages, and its extension tells Markdown from plain text."""
    ruleset = rules or default_cache().get()
    bind_all(ruleset, STAGES)
    opts = options or LoadOptions()
    if opts.rules is None:
        opts = replace(opts, rules=ruleset)
    return extract_loaded(load_bytes(data, name, opts), ruleset, keep_text=keep_text)


def extract_text(text: str, *, rules: RuleSet | None = None, name: str = "<text>.md") -> Result:
    """Extract from a string, read as Markdown-dressed text (rule examples, tests, notebooks)."""
    ruleset = rules or default_cache().get()
    bind_all(ruleset, STAGES)
    loaded = load_bytes(text.encode("utf-8"), name, LoadOptions(rules=ruleset))
    return extract_loaded(loaded, ruleset)


def normal_text(loaded: Loaded, rules: RuleSet) -> NormText:
    """The normalised text of a loaded document: what every span points into."""
    return normalize(loaded.blocks, LayoutRules.of(rules).layout())


def extract_loaded(loaded: Loaded, rules: RuleSet, *, keep_text: bool = True) -> Result:
    """Run every stage after loading."""
    bind_all(rules, STAGES)
    try:
        return _stages(loaded, rules, keep_text)
    except TimeoutError:  # a pattern's own time limit (regex's `timeout=`)
        raise PatternTimeout("a rule's pattern took too long on this text", path=(
            loaded.source.path), hint="a very long line or an unusual text; please report it "
                                      "with the input") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        own = _user_rule_dirs(rules)
        if not own:
            raise  # the shipped rules alone: a bug
        # what a user's pattern captures is read by code that trusts the shipped rules
        raise RuleFileError(f"the rules failed on this document: {type(exc).__name__}: {exc} "
                            f"(check them with kttt rules check {own[0]}, this text as an "
                            "example)", path=str(own[0])) from exc


def _user_rule_dirs(rules: RuleSet) -> list[Path]:
    """The folders of the rule files in force that are not the shipped ones."""
    shipped = shipped_rules_dir().resolve()
    return list(dict.fromkeys(f.parent for f in rules.files if f.parent.resolve() != shipped))


def _stages(loaded: Loaded, rules: RuleSet, keep_text: bool) -> Result:
    norm = normal_text(loaded, rules)
    view = build_view(norm, rules)
    ctx = Context.build(view, rules)
    cited = references.mentions(ctx)
    doc = metadata.extract(ctx, references.extract(ctx, cited), loaded.signatures)
    frame = read_frame(ctx, doc.date)
    found_targets = tables.merge(targets.extract(ctx, frame), tables.extract(ctx))
    found_deadlines = when_cell_deadlines(ctx, deadlines.extract(
        ctx, frame=frame, cited=references.cited_spans(ctx, cited)))
    found_agencies = agencies.extract(ctx)
    tasks, found_agencies = link_tasks(ctx, found_targets, found_deadlines, found_agencies)
    pages = Pages(norm)
    warnings = list(loaded.warnings) + ctx.notices
    if not view.sections:
        warnings.append(Notice(code="no-sections", message="no section heading found"))
    if loaded.source.ocr and all(w.code != "ocr" for w in warnings):
        warnings.append(Notice(code="ocr", message="text came from OCR; check tone marks"))
    return Result(
        source=loaded.source,
        document=doc,
        sections=view.sections,
        targets=tuple(pages.items(found_targets)),
        deadlines=tuple(pages.items(found_deadlines)),
        agencies=tuple(pages.agencies(found_agencies)),
        tasks=tuple(pages.items(tasks)),
        warnings=tuple(warnings),
        text=norm.text if keep_text else None,
    )
