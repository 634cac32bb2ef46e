"""Load rule files safely, keep line numbers for messages, validate, compile and merge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import regex
import yaml
from pydantic import ValidationError

from kttt_extract.errors import KtttError, RuleFileError
from kttt_extract.fileio import MB, read_regular
from kttt_extract.ruleset.patterncost import expansion
from kttt_extract.ruleset.schema import Rule, RuleFile
from kttt_extract.textnorm import fold_tones

try:  # the C parser is eight times faster; PyYAML wheels ship it
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Pos = tuple[int, int]
T = TypeVar("T")
# the tags a rule file may carry (YAML's core schema); any other tag is refused where it stands
_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "timestamp", "map", "seq", "binary", "merge"))
MAX_EXPANSION = 100_000  # positions the counted repeats of one pattern may expand to


@dataclass(frozen=True)
class RuleLimits:
    """Limits on reading rule files (`--max-rule-size`, `--max-aliases`)."""

    max_bytes: int = 5 * MB  # a rule file larger than this is refused (shipped: under 0.2 MB)
    max_aliases: int = 1000  # uses of YAML aliases, counted as the data is expanded


@dataclass
class _Walk:
    """State of turning one composed YAML document into data: positions and alias uses."""

    file: str
    limits: RuleLimits
    where: dict[tuple[Any, ...], Pos] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)  # ids of the collection nodes already expanded
    open: set[int] = field(default_factory=set)  # ids of the collection nodes being expanded
    aliases: int = 0


def shipped_rules_dir() -> Path:
    """The rule files installed with the package (or, in a source checkout, `rules/`)."""
    try:
        return Path(str(resources.files("kttt_extract.rules")))
    except ModuleNotFoundError:  # running from the source tree without installing
        return Path(__file__).resolve().parents[3] / "rules"


def _plain(node: yaml.Node, path: tuple[Any, ...], walk: _Walk) -> Any:
    """Turn a composed YAML node into Python data, recording each path's line and column.

    A node reached a second time is an alias: uses are counted (an alias bomb expands a few
    hundred bytes into billions of nodes), a node inside itself is refused, and so is any tag
    outside YAML's core schema (`!!python/name:` and the like), at its own position."""
    pos = (node.start_mark.line + 1, node.start_mark.column + 1)
    walk.where[path] = pos
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, walk.file)
    _check_tag(node, walk.file)
    key = id(node)
    if key in walk.open:
        raise RuleFileError("a YAML alias refers to the node that contains it", path=walk.file,
                            line=pos[0], col=pos[1])
    if key in walk.seen:
        walk.aliases += 1
        if walk.aliases > walk.limits.max_aliases:
            raise RuleFileError(f"more than {walk.limits.max_aliases} uses of YAML aliases "
                                "(raise it with --max-aliases)",
                                path=walk.file, line=pos[0], col=pos[1])
    walk.seen.add(key)
    walk.open.add(key)
    try:
        return _collection(node, path, walk)
    finally:
        walk.open.discard(key)


def _collection(node: yaml.Node, path: tuple[Any, ...], walk: _Walk) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), walk) for i, v in enumerate(node.value)]
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise RuleFileError("a mapping key must be a plain value", path=walk.file,
                                line=line, col=col)
        key = _scalar(key_node, walk.file)
        if key in out:
            raise RuleFileError(f"duplicate key {key!r}", path=walk.file, line=line, col=col)
        out[key] = _plain(value_node, (*path, key), walk)
        walk.where[(*path, key)] = (line, col)
    return out


def _check_tag(node: yaml.Node, file: str) -> None:
    if node.tag not in _TAGS:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        raise RuleFileError(f"unsupported YAML tag {node.tag!r}", path=file, line=line, col=col)


def _scalar(node: yaml.ScalarNode, file: str) -> Any:
    _check_tag(node, file)
    try:
        return yaml.load(yaml.serialize(node), Loader=_Loader)
    except yaml.YAMLError as exc:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        what = getattr(exc, "problem", None) or type(exc).__name__
        raise RuleFileError(f"invalid YAML value: {what}", path=file, line=line,
                            col=col) from None


def read_rule_text(path: Path, limits: RuleLimits) -> str:
    """The text of a rule file: a regular file, UTF-8, within the size limit."""
    name = str(path)
    try:
        data = read_regular(path, limits.max_bytes)
    except KtttError as exc:
        message = exc.message.replace("raise it with --max-size", "raise it with --max-rule-size")
        hint = (exc.hint or "").replace("--max-size", "--max-rule-size") or None
        raise RuleFileError(f"cannot read rule file: {message}" + (f" ({hint})" if hint else ""),
                            path=name) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleFileError("rule file is not UTF-8", path=name) from None


def compose(text: str, name: str, limits: RuleLimits) -> tuple[Any, dict[tuple[Any, ...], Pos]]:
    """The data of a rule file's text (None when empty) and the positions of its paths."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RuleFileError(f"invalid YAML: {exc.problem}", path=name, line=line, col=col) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"invalid YAML: {exc}", path=name) from None
    if node is None:
        return None, {}
    walk = _Walk(name, limits)
    try:
        return _plain(node, (), walk), walk.where
    except RecursionError:
        raise RuleFileError("YAML nested too deeply", path=name) from None


def read_rule_file(path: Path, limits: RuleLimits | None = None
                   ) -> tuple[RuleFile, dict[tuple[Any, ...], Pos]]:
    """Read, parse and validate one rule file; errors carry file, line, column and rule id."""
    lim = limits or RuleLimits()
    return parse_rule_text(read_rule_text(path, lim), str(path), lim)


def parse_rule_text(text: str, name: str, limits: RuleLimits
                    ) -> tuple[RuleFile, dict[tuple[Any, ...], Pos]]:
    """Parse and validate the text of the rule file `name`."""
    data, where = compose(text, name, limits)
    if data is None:
        raise RuleFileError("empty rule file", path=name)
    try:
        return RuleFile.model_validate(data), where
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line, col = _nearest(where, loc)
        rule_id = _rule_id_at(data, loc)
        what = err["msg"] if err["type"] != "extra_forbidden" else f"unknown key {loc[-1]!r}"
        dotted = ".".join(str(p) for p in loc)
        raise RuleFileError(f"{dotted}: {what}", path=name, line=line, col=col,
                            rule_id=rule_id) from None


def _nearest(where: dict[tuple[Any, ...], Pos], loc: tuple[Any, ...]) -> Pos:
    while loc and loc not in where:
        loc = loc[:-1]
    return where.get(loc, (1, 1))


def _rule_id_at(data: Any, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        try:
            rid = data["rules"][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return rid if isinstance(rid, str) else None
    return None


def words_pattern(words: Iterable[str], fuzzy: int = 0) -> str:
    """A trie-shaped alternation of `words` bounded by non-letters (fast on long lists)."""
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
    return rf"(?<![\w&])(?:{core})(?![\w&])"


@dataclass
class CompiledRule:
    rule: Rule
    concern: str
    file: Path
    line: int
    regex: regex.Pattern[str] | None = None
    lookup: dict[str, str] = field(default_factory=dict)  # folded key -> value, for tables

    @property
    def id(self) -> str:
        return self.rule.id


def compile_rule(rule: Rule, concern: str, file: Path, line: int) -> CompiledRule:
    """Compile a rule's pattern or word list; a bad pattern is a RuleFileError."""
    flags = regex.VERSION0 | regex.MULTILINE | regex.VERBOSE
    if not rule.case_sensitive:
        flags |= regex.IGNORECASE
    source = rule.pattern
    if source is None and rule.words:
        source = words_pattern((fold_tones(w) for w in rule.words), rule.fuzzy)
        flags &= ~regex.VERBOSE
    elif source is None and rule.table:
        source = words_pattern((fold_tones(k) for k in rule.table), rule.fuzzy)
        flags &= ~regex.VERBOSE
    compiled = None
    if source is not None:
        compiled = _compile(source, flags, rule, file, line)
    lookup = {fold_tones(k).casefold(): v for k, v in rule.table.items()}
    return CompiledRule(rule, concern, file, line, compiled, lookup)


def _compile(source: str, flags: int, rule: Rule, file: Path, line: int) -> regex.Pattern[str]:
    """Compile a pattern, refusing first one whose counted repeats would take the compiler
    minutes and gigabytes (only hand-written patterns: word lists grow linearly)."""
    def error(message: str) -> RuleFileError:
        return RuleFileError(message, path=str(file), line=line, col=1, rule_id=rule.id)

    if rule.pattern is not None:
        size = expansion(source, verbose=bool(flags & regex.VERBOSE))
        if size > MAX_EXPANSION:
            raise error(f"pattern too large: its counted repeats expand to {size} positions "
                        f"(the limit is {MAX_EXPANSION})")
    try:
        return regex.compile(source, flags)
    except regex.error as exc:
        raise error(f"pattern does not compile: {exc}") from None
    except RecursionError:
        raise error("pattern does not compile: groups nested too deeply") from None
    except (OverflowError, MemoryError, ValueError) as exc:
        raise error(f"pattern does not compile: {type(exc).__name__}: {exc}") from None


@dataclass
class RuleSet:
    """All rules in force, by concern and by id; built once, read by every stage."""

    files: tuple[Path, ...]
    rules: dict[str, CompiledRule]
    reference_date: dt.date
    version: str
    _built: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def built(self, key: str, build: Callable[[RuleSet], T]) -> T:
        """An object compiled from these rules (a matcher), built on first use and kept with
        the rule set, so that it is built once per rule set and never shared between two."""
        if key not in self._built:
            self._built[key] = build(self)
        found: T = self._built[key]
        return found

    def of(self, concern: str) -> Iterator[CompiledRule]:
        """Rules of one concern, highest priority first, then file order."""
        chosen = [r for r in self.rules.values() if r.concern == concern]
        return iter(sorted(chosen, key=lambda r: -r.rule.priority))

    def get(self, rule_id: str) -> CompiledRule:
        return self.rules[rule_id]

    def words(self, rule_id: str) -> tuple[str, ...]:
        return self.rules[rule_id].rule.words

    def table(self, rule_id: str) -> dict[str, str]:
        return self.rules[rule_id].lookup


def load_rules(*dirs: Path | str | None, limits: RuleLimits | None = None) -> RuleSet:
    """Load the shipped rules, then each extra directory in turn; later rules replace by id."""
    import hashlib

    lim = limits or RuleLimits()
    folders = [shipped_rules_dir(), *(Path(d) for d in dirs if d is not None)]
    rules: dict[str, CompiledRule] = {}
    files: list[Path] = []
    ref = dt.date(2026, 1, 1)
    digest = hashlib.sha256()
    for folder in folders:
        if not folder.is_dir():
            raise RuleFileError("not a rule directory", path=str(folder))
        seen: set[str] = set()
        for path in sorted(folder.glob("*.yaml")):
            text = read_rule_text(path, lim)
            parsed, where = parse_rule_text(text, str(path), lim)
            files.append(path)
            digest.update(text.encode("utf-8"))
            if parsed.reference_date:
                ref = parsed.reference_date
            for i, rule in enumerate(parsed.rules):
                line = where.get(("rules", i), (1, 1))[0]
                if rule.id in seen:
                    raise RuleFileError("duplicate rule id", path=str(path), line=line, col=1,
                                        rule_id=rule.id)
                seen.add(rule.id)
                rules[rule.id] = compile_rule(rule, parsed.concern, path, line)
                for old in rule.aliases:
                    rules.pop(old, None)
    return RuleSet(tuple(files), rules, ref, digest.hexdigest()[:16])
