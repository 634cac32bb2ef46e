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

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.schema import Rule, RuleFile
from kttt_extract.textnorm import fold_tones

try:  # the C parser is eight times faster; PyYAML wheels ship it
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Pos = tuple[int, int]
T = TypeVar("T")


def shipped_rules_dir() -> Path:
    """The rule files installed with the package (or, in a source checkout, `rules/`)."""
    try:
        return Path(str(resources.files("kttt_extract.rules")))
    except ModuleNotFoundError:  # running from the source tree without installing
        return Path(__file__).resolve().parents[3] / "rules"


def _plain(node: yaml.Node, path: tuple[Any, ...], where: dict[tuple[Any, ...], Pos], file: str
           ) -> Any:
    """Turn a composed YAML node into Python data, recording each path's line and column."""
    where[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.load(yaml.serialize(key_node), Loader=_Loader)
            if key in out:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                raise RuleFileError(f"duplicate key {key!r}", path=file, line=line, col=col)
            where[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _plain(value_node, (*path, key), where, file)
            where[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), where, file) for i, v in enumerate(node.value)]
    return yaml.load(yaml.serialize(node), Loader=_Loader)


def read_rule_file(path: Path) -> tuple[RuleFile, dict[tuple[Any, ...], Pos]]:
    """Parse and validate one rule file; errors carry file, line, column and rule id."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=_Loader)
    except OSError as exc:
        raise RuleFileError(f"cannot read rule file: {exc.strerror}", path=name) from None
    except UnicodeDecodeError:
        raise RuleFileError("rule file is not UTF-8", path=name) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RuleFileError(f"invalid YAML: {exc.problem}", path=name, line=line, col=col) from None
    if node is None:
        raise RuleFileError("empty rule file", path=name)
    where: dict[tuple[Any, ...], Pos] = {}
    data = _plain(node, (), where, name)
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
        try:
            compiled = regex.compile(source, flags)
        except regex.error as exc:
            raise RuleFileError(f"pattern does not compile: {exc}", path=str(file), line=line,
                                col=1, rule_id=rule.id) from None
    lookup = {fold_tones(k).casefold(): v for k, v in rule.table.items()}
    return CompiledRule(rule, concern, file, line, compiled, lookup)


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


def load_rules(*dirs: Path | str | None) -> RuleSet:
    """Load the shipped rules, then each extra directory in turn; later rules replace by id."""
    import hashlib

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
            parsed, where = read_rule_file(path)
            files.append(path)
            digest.update(path.read_bytes())
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
