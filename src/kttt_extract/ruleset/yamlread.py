"""Read a rule file's YAML safely, keeping the line and column of every value for messages.

The text is composed once (the C parser when PyYAML has it) and each scalar is constructed from
its node directly, so positions cost no second parse. Only YAML's core tags are accepted; YAML
aliases are counted as they are expanded (an alias bomb), and a node inside itself is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.ruletext import RuleLimits, Where

try:  # the C parser is eight times faster; PyYAML wheels ship it
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

# the tags a rule file may carry (YAML's core schema); any other tag is refused where it stands
_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in (
    "str", "int", "float", "bool", "null", "timestamp", "map", "seq", "binary", "merge"))


@dataclass(frozen=True)
class Composed:
    """The data of a rule file, where each path of it stands, and which of its scalars are
    written over several lines (a block scalar `|` or `>`, or a plain one continued)."""

    data: Any
    where: Where
    blocks: frozenset[tuple[Any, ...]]


@dataclass
class _Walk:
    """State of turning one composed YAML document into data."""

    file: str
    limits: RuleLimits
    constructor: yaml.SafeLoader
    where: Where = field(default_factory=dict)
    blocks: set[tuple[Any, ...]] = field(default_factory=set)
    seen: set[int] = field(default_factory=set)  # ids of the collection nodes already expanded
    open: set[int] = field(default_factory=set)  # ids of the collection nodes being expanded
    aliases: int = 0


def compose(text: str, name: str, limits: RuleLimits) -> Composed:
    """The data of a rule file's text (None when empty), with the positions of its paths."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RuleFileError(f"invalid YAML: {exc.problem}", path=name, line=line, col=col) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"invalid YAML: {exc}", path=name) from None
    if node is None:
        return Composed(None, {}, frozenset())
    walk = _Walk(name, limits, _Loader(""))
    try:
        data = _plain(node, (), walk)
    except RecursionError:
        raise RuleFileError("YAML nested too deeply", path=name) from None
    return Composed(data, walk.where, frozenset(walk.blocks))


def _plain(node: yaml.Node, path: tuple[Any, ...], walk: _Walk) -> Any:
    """Turn a composed YAML node into Python data, recording each path's line and column.

    A node reached a second time is an alias: uses are counted (an alias bomb expands a few
    hundred bytes into billions of nodes), a node inside itself is refused, and so is any tag
    outside YAML's core schema (`!!python/name:` and the like), at its own position."""
    pos = (node.start_mark.line + 1, node.start_mark.column + 1)
    walk.where[path] = pos
    if isinstance(node, yaml.ScalarNode):
        if node.style in ("|", ">") or node.start_mark.line != node.end_mark.line:
            walk.blocks.add(path)
        return _scalar(node, walk)
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
        key = _scalar(key_node, walk)
        if key in out:
            raise RuleFileError(f"duplicate key {key!r}", path=walk.file, line=line, col=col)
        out[key] = _plain(value_node, (*path, key), walk)
        walk.where[(*path, key)] = (line, col)
    return out


def _check_tag(node: yaml.Node, file: str) -> None:
    if node.tag not in _TAGS:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        raise RuleFileError(f"unsupported YAML tag {node.tag!r}", path=file, line=line, col=col)


def _scalar(node: yaml.ScalarNode, walk: _Walk) -> Any:
    """The value of a scalar node, constructed from the node itself (no second parse)."""
    _check_tag(node, walk.file)
    try:
        return walk.constructor.construct_object(node)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        what = getattr(exc, "problem", None) or f"{type(exc).__name__}: {exc}"
        raise RuleFileError(f"invalid YAML value: {what}", path=walk.file, line=line,
                            col=col) from None
