"""Load rule files: validate, compile and merge them into the rule set every stage reads.

A pattern is compiled with its fragments put in (`{number}`, fragments.py), in verbose mode when
it is written as a block (`pattern: |`, or `verbose: true`), as written otherwise. A word list or
a table's keys become one trie-shaped alternation, tone-folded, bounded by non-letters or placed
by its `position`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import regex
from pydantic import ValidationError

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.fragments import FragmentError, bare_layout, expand
from kttt_extract.ruleset.patterncost import expansion
from kttt_extract.ruleset.ruletext import Pos, RuleLimits, Where, nearest, read_rule_text
from kttt_extract.ruleset.schema import Position, Rule, RuleFile
from kttt_extract.ruleset.stored import RuleStore
from kttt_extract.textnorm import fold_tones

T = TypeVar("T")
MAX_EXPANSION = 100_000  # positions the counted repeats of one pattern may expand to
DEFAULT_REFERENCE_DATE = dt.date(2026, 1, 1)
_BOUNDS: dict[Position | None, tuple[str, str]] = {
    None: (r"(?<![\w&])", r"(?![\w&])"),
    "line-start": (r"^", r"(?![\w&])"),  # at the start of a paragraph
    "after": (r"\G\s*", r"(?![\w&])"),  # where the search starts (after what was read)
    "before": (r"(?<![\w&])", r"\s*\Z"),  # ending where the searched text ends
}

__all__ = ["DEFAULT_REFERENCE_DATE", "CompiledRule", "RuleLimits", "RuleSet", "compile_rule",
           "load_rules", "parse_rule_text", "read_rule_file", "shipped_rules_dir"]


def shipped_rules_dir() -> Path:
    """The rule files installed with the package (or, in a source checkout, `rules/`)."""
    try:
        return Path(str(resources.files("kttt_extract.rules")))
    except ModuleNotFoundError:  # running from the source tree without installing
        return Path(__file__).resolve().parents[3] / "rules"


def read_rule_file(path: Path, limits: RuleLimits | None = None) -> tuple[RuleFile, Where]:
    """Read, parse and validate one rule file; errors carry file, line, column and rule id."""
    lim = limits or RuleLimits()
    return parse_rule_text(read_rule_text(path, lim), str(path), lim)


def parse_rule_text(text: str, name: str, limits: RuleLimits) -> tuple[RuleFile, Where]:
    """Parse and validate the text of the rule file `name` (the first error is raised)."""
    from kttt_extract.ruleset.yamlread import compose  # YAML only when a file is parsed

    composed = compose(text, name, limits)
    if composed.data is None:
        raise RuleFileError("empty rule file", path=name)
    try:
        parsed = RuleFile.model_validate(composed.data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line, col = nearest(composed.where, loc)
        what = err["msg"] if err["type"] != "extra_forbidden" else f"unknown key {loc[-1]!r}"
        dotted = ".".join(str(p) for p in loc)
        raise RuleFileError(f"{dotted}: {what}", path=name, line=line, col=col,
                            rule_id=rule_id_at(composed.data, loc)) from None
    return with_modes(parsed, composed.blocks), composed.where


def with_modes(parsed: RuleFile, blocks: frozenset[tuple[Any, ...]]) -> RuleFile:
    """The rules with `verbose` decided where the file leaves it open: a pattern written as a
    block is verbose (spaces and `# comments` are layout), a one-line pattern is not."""
    rules = tuple(
        r.model_copy(update={"verbose": ("rules", i, "pattern") in blocks})
        if r.pattern is not None and r.verbose is None else r
        for i, r in enumerate(parsed.rules))
    return parsed.model_copy(update={"rules": rules})


def rule_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    """The id of the rule a path of a rule file's data lies in, if any."""
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        try:
            rid = data["rules"][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return rid if isinstance(rid, str) else None
    return None


def rule_positions(where: Where) -> dict[int, dict[tuple[Any, ...], Pos]]:
    """The positions of each rule's own paths (relative to the rule), by rule index."""
    out: dict[int, dict[tuple[Any, ...], Pos]] = {}
    for path, pos in where.items():
        if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
            out.setdefault(path[1], {})[path[2:]] = pos
    return out


def words_pattern(words: Iterable[str], fuzzy: int = 0, position: Position | None = None) -> str:
    """A trie-shaped alternation of `words` (fast on long lists), bounded by non-letters or
    placed by `position`."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = []
        end = "" in node
        for ch in sorted(k for k in node if k):
            alts.append(regex.escape(ch) + emit(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    core = emit(trie)
    if fuzzy:
        core = f"(?:{core}){{e<={fuzzy}}}"
    before, after = _BOUNDS[position]
    return f"{before}(?:{core}){after}"


@dataclass
class CompiledRule:
    """A rule with its pattern compiled, where it was read from (`where`: the positions of its
    own keys, relative to the rule) and, for a table, its keys tone-folded."""

    rule: Rule
    concern: str
    file: Path
    line: int
    regex: regex.Pattern[str]
    lookup: dict[str, str] = field(default_factory=dict)  # folded key -> value, for tables
    where: Mapping[tuple[Any, ...], Pos] = field(default_factory=dict)
    inert: bool = False  # switched off (`rules check --strict`): matches nothing, lists nothing

    @property
    def id(self) -> str:
        return self.rule.id

    def at(self, path: tuple[Any, ...] = ()) -> Pos:
        """The line and column of a key of the rule (or of its nearest parent), else its
        first line."""
        while path and path not in self.where:
            path = path[:-1]
        return self.where.get(path, (self.line, 1))

    def error(self, message: str, path: tuple[Any, ...] = ()) -> RuleFileError:
        line, col = self.at(path)
        return RuleFileError(message, path=str(self.file), line=line, col=col, rule_id=self.id)


def compile_rule(rule: Rule, concern: str, file: Path, line: int, *,
                 fragments: Mapping[str, str] | None = None,
                 where: Mapping[tuple[Any, ...], Pos] | None = None) -> CompiledRule:
    """Compile a rule's pattern, word list or table keys; a bad pattern is a RuleFileError."""
    out = CompiledRule(rule, concern, file, line, regex.compile("(?!)"), where=where or {})
    flags = regex.VERSION0 | regex.MULTILINE
    if not rule.case_sensitive:
        flags |= regex.IGNORECASE
    if rule.pattern is not None:
        try:
            source = expand(rule.pattern, fragments or {})
        except FragmentError as exc:
            raise out.error(str(exc), ("pattern",)) from None
        verbose = rule.verbose is not False
        out.regex = _compile(source, flags | (regex.VERBOSE if verbose else 0), out, verbose)
    else:
        keys = rule.words or tuple(rule.table)
        source = words_pattern((fold_tones(k) for k in keys), rule.fuzzy, rule.position)
        out.regex = _compile(source, flags, out, None)
    out.lookup = {fold_tones(k).casefold(): v for k, v in rule.table.items()}
    return out


def _compile(source: str, flags: int, rule: CompiledRule, verbose: bool | None
             ) -> regex.Pattern[str]:
    """Compile a pattern, refusing first one whose counted repeats would take the compiler
    minutes and gigabytes (only hand-written patterns, `verbose` not None: word lists grow
    linearly)."""
    if verbose is not None:
        size = expansion(source, verbose=verbose)
        if size > MAX_EXPANSION:
            raise rule.error(f"pattern too large: its counted repeats expand to {size} "
                             f"positions (the limit is {MAX_EXPANSION})", ("pattern",))
    try:
        return regex.compile(source, flags)
    except regex.error as exc:
        message = f"pattern does not compile: {exc}"
    except RecursionError:
        message = "pattern does not compile: groups nested too deeply"
    except (OverflowError, MemoryError, ValueError) as exc:
        message = f"pattern does not compile: {type(exc).__name__}: {exc}"
    raise rule.error(message, ("pattern",))


@dataclass
class RuleSet:
    """All rules in force, by id; built once, read by every stage through its slots
    (ruleset.slots), which are bound once per rule set and kept with it."""

    files: tuple[Path, ...]
    rules: dict[str, CompiledRule]
    reference_date: dt.date
    version: str
    fragments: dict[str, str] = field(default_factory=dict)
    retired: dict[str, CompiledRule] = field(default_factory=dict)  # old id -> its alias's rule
    _built: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def built(self, key: str, build: Callable[[RuleSet], T]) -> T:
        """An object compiled from these rules (bound slots, a matcher), built on first use
        and kept with the rule set: built once per rule set, never shared between two."""
        if key not in self._built:
            self._built[key] = build(self)
        found: T = self._built[key]
        return found

    def __getstate__(self) -> dict[str, Any]:
        """A pickled rule set (ruleset.stored) leaves out what was built from it."""
        state = dict(self.__dict__)
        state["_built"] = {}
        return state

    def of(self, concern: str) -> Iterator[CompiledRule]:
        """Rules of one concern, highest priority first, then load order."""
        chosen = [r for r in self.rules.values() if r.concern == concern]
        return iter(sorted(chosen, key=lambda r: -r.rule.priority))


@dataclass
class _File:
    folder: Path
    path: Path
    text: str
    parsed: RuleFile
    where: Where


def load_rules(*dirs: Path | str | None, limits: RuleLimits | None = None,
               store: RuleStore | Literal["default"] | None = "default") -> RuleSet:
    """Load the shipped rules, then each extra directory in turn; later rules replace by id.

    A rule set compiled before from the same files is read back from `store` (by default the
    one the environment names, see ruleset.stored; None: compile every time)."""
    lim = limits or RuleLimits()
    texts: list[tuple[Path, Path, str]] = []
    for folder in [shipped_rules_dir(), *(Path(d) for d in dirs if d is not None)]:
        if not folder.is_dir():
            raise RuleFileError("not a rule directory", path=str(folder))
        texts.extend((folder, path, read_rule_text(path, lim))
                     for path in sorted(folder.glob("*.yaml")))
    chosen = RuleStore.default() if store == "default" else store
    if chosen is None:
        return compile_rule_texts(texts, lim)
    key = chosen.key(((path, text) for _, path, text in texts), lim)
    found = chosen.get(key, RuleSet)
    if found is None:
        found = compile_rule_texts(texts, lim)
        chosen.put(key, found)
    return found


def compile_rule_texts(texts: Iterable[tuple[Path, Path, str]], lim: RuleLimits) -> RuleSet:
    """The rule set of rule files read (folder, path, text), in load order."""
    files = [_File(folder, path, text, *parse_rule_text(text, str(path), lim))
             for folder, path, text in texts]
    fragments = merge_fragments((f.folder, f.path, f.parsed, f.where) for f in files)
    return assemble_rules([(f.folder, f.path, f.text, f.parsed, f.where) for f in files],
                          fragments)


def merge_fragments(files: Iterable[tuple[Path, Path, RuleFile, Where]]) -> dict[str, str]:
    """The fragments of the files in load order (a later directory replaces a name); a name
    twice in one directory, a fragment with spaces, or one that does not compile is an error."""
    out, problems = collect_fragments(files)
    if problems:
        path, line, col, message = problems[0]
        raise RuleFileError(message, path=str(path), line=line, col=col)
    return out


FragmentProblem = tuple[Path, int, int, str]  # file, line, column, message


def collect_fragments(files: Iterable[tuple[Path, Path, RuleFile, Where]]
                      ) -> tuple[dict[str, str], list[FragmentProblem]]:
    """The fragments in force and every problem with them, in file order (see
    `merge_fragments`); a name defined twice keeps its first definition."""
    out: dict[str, str] = {}
    first: dict[tuple[Path, str], Path] = {}
    where_of: dict[str, tuple[Path, Where]] = {}
    problems: list[FragmentProblem] = []
    for folder, path, parsed, where in files:
        for name, source in parsed.fragments.items():
            line, col = nearest(where, ("fragments", name))
            if (folder, name) in first:
                problems.append((path, line, col, f"fragment {{{name}}} defined twice (first "
                                                  f"in {first[folder, name].name})"))
                continue
            first[folder, name] = path
            out[name] = source
            where_of[name] = (path, where)
    for name, source in out.items():
        problem = fragment_problem(source, out)
        if problem is not None:
            path, where = where_of[name]
            line, col = nearest(where, ("fragments", name))
            problems.append((path, line, col, f"fragment {{{name}}}: {problem}"))
    return out, problems


def fragment_problem(source: str, fragments: Mapping[str, str]) -> str | None:
    """What is wrong with a fragment, or None."""
    if bare_layout(source):
        return "a space or `#` in a fragment (write \\s or [ ]): it may land in a pattern of " \
               "either mode"
    try:
        regex.compile("(?:" + expand(source, fragments) + ")", regex.VERSION0)
    except FragmentError as exc:
        return str(exc)
    except (regex.error, RecursionError, OverflowError, MemoryError, ValueError) as exc:
        return f"does not compile: {exc}"
    return None


def assemble_rules(files: Iterable[tuple[Path, Path, str, RuleFile, Where]],
                   fragments: dict[str, str]) -> RuleSet:
    """Compile and merge parsed files in load order; the same id twice in one directory is an
    error, a later directory's rule replaces an earlier one, and aliases retire old ids."""
    rules: dict[str, CompiledRule] = {}
    retired: dict[str, CompiledRule] = {}
    paths: list[Path] = []
    ref = DEFAULT_REFERENCE_DATE
    digest = hashlib.sha256()
    seen: set[tuple[Path, str]] = set()
    for folder, path, text, parsed, where in files:
        paths.append(path)
        digest.update(text.encode("utf-8"))
        ref = parsed.reference_date or ref
        positions = rule_positions(where)
        for i, rule in enumerate(parsed.rules):
            own = positions.get(i, {})
            line = nearest(where, ("rules", i))[0]
            compiled = compile_rule(rule, parsed.concern, path, line, fragments=fragments,
                                    where=own)
            if (folder, rule.id) in seen:
                raise compiled.error("duplicate rule id", ("id",))
            seen.add((folder, rule.id))
            rules[rule.id] = compiled
            for old in rule.aliases:
                rules.pop(old, None)
                retired[old] = compiled
    return RuleSet(tuple(paths), rules, ref, digest.hexdigest()[:16], fragments, retired)
