"""Rule slots: what a stage reads from the rules, declared once, bound typed and checked.

A stage declares the rules it reads as a `Slots` class whose attributes are slots:

    class DeadlineRules(Slots):
        stage = "the deadlines stage"
        phrases = Family("deadlines", DeadlineEmit, groups=...)   # every deadlines rule
        bound = Pattern("deadline.report-bound")                  # one rule, by id
        units = Table("deadline.units", Choice(("D", "W", "M", "Y", "WD")))

`DeadlineRules.of(rules)` gives an instance whose attributes are the typed values (a compiled
pattern, a table of checked values, the family's rules each with its `emit` read into a model),
bound on first use and kept with that rule set. What does not fit (a missing id, a rule without
the body the stage reads, a value outside the vocabulary, a group the stage needs and the pattern
lacks) is a RuleFileError at its place in the rule file; `problems` lists all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar, overload

import regex

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset.load import CompiledRule, RuleSet
from kttt_extract.ruleset.schema import Rule as RuleModel
from kttt_extract.ruleset.vocab import E, Emit, Groups, NoEmit, did_you_mean, validate_emit
from kttt_extract.textnorm import fold_tones

T = TypeVar("T")
V = TypeVar("V")
Body = Literal["any", "words", "table"]
GroupSpec = Groups | Iterable[str] | Mapping[str, tuple[str, ...]] | None


@dataclass(frozen=True)
class SlotProblem:
    """A rule that does not fit what a stage reads from it, positioned in its file."""

    file: str
    line: int
    col: int
    rule_id: str | None
    message: str

    @classmethod
    def at(cls, rule: CompiledRule, path: tuple[Any, ...], message: str) -> SlotProblem:
        line, col = rule.at(path)
        return cls(str(rule.file), line, col, rule.id, message)

    def error(self) -> RuleFileError:
        return RuleFileError(self.message, path=self.file, line=self.line, col=self.col,
                             rule_id=self.rule_id)


@dataclass(frozen=True)
class Use:
    """A rule read by a stage, and what the stage reads of it (for the global checks)."""

    rule: CompiledRule
    stage: str
    emit: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    by_id: bool = True


@dataclass(frozen=True)
class Bound(Generic[E]):
    """A rule as a stage reads it: its compiled pattern, its `emit` read into the stage's model
    and, for `emit` keys that name another rule, that rule's pattern."""

    compiled: CompiledRule
    emit: E
    refs: Mapping[str, regex.Pattern[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.compiled.id

    @property
    def rule(self) -> RuleModel:
        return self.compiled.rule

    @property
    def regex(self) -> regex.Pattern[str]:
        return self.compiled.regex

    @property
    def priority(self) -> int:
        return self.compiled.rule.priority


@dataclass(frozen=True)
class Lookup(Generic[V]):
    """A table rule with its matcher: `regex` finds its keys in a text, `table` gives the value
    of a key tone-folded and casefolded, `raw` of a key as written."""

    regex: regex.Pattern[str]
    table: Mapping[str, V]
    raw: Mapping[str, V]


class Slot(Generic[T]):
    """One thing a stage reads from the rules; a descriptor on a `Slots` class."""

    name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: Slots, owner: type[Any]) -> T: ...

    def __get__(self, obj: Slots | None, owner: type[Any]) -> Self | T:
        if obj is None:
            return self
        value: T = obj.values[self.name]
        return value

    def bind(self, rules: RuleSet, stage: str, out: list[SlotProblem]) -> T | None:
        raise NotImplementedError

    def uses(self, rules: RuleSet, stage: str) -> list[Use]:
        raise NotImplementedError


def _read(rule: CompiledRule, rules: RuleSet, stage: str, model: type[E], groups: Groups,
          out: list[SlotProblem]) -> Bound[E] | None:
    """A rule read through an emit model and a group spec, its references resolved."""
    emit, found = validate_emit(model, rule.rule.emit)
    found += groups.problems(rule.regex, stage)
    refs: dict[str, regex.Pattern[str]] = {}
    for key in model.refs:
        ref = rule.rule.emit.get(key)
        if ref is None:
            continue
        target = rules.rules.get(ref) if isinstance(ref, str) else None
        if target is None:
            found.append((("emit", key), f"emit.{key}: no rule {ref!r} in the rule set"
                                         f"{did_you_mean(str(ref), rules.rules)}"))
        else:
            refs[key] = target.regex
    out.extend(SlotProblem.at(rule, path, message) for path, message in found)
    return None if found or emit is None else Bound(rule, emit, refs)


def _ref_uses(rule: CompiledRule, rules: RuleSet, model: type[Emit], stage: str) -> list[Use]:
    """The rules that `emit` keys of `rule` name: read too, through it."""
    names = [rule.rule.emit.get(k) for k in model.refs]
    found = [rules.rules.get(n) for n in names if isinstance(n, str)]
    return [Use(r, stage) for r in found if r is not None]


class ById(Slot[T]):
    """One rule named by its id."""

    body: ClassVar[Body] = "any"

    def __init__(self, rule_id: str, *, groups: GroupSpec = None, required: Iterable[str] = (),
                 emit: type[Emit] = NoEmit) -> None:
        self.rule_id = rule_id
        self.groups = Groups.of(groups, required)
        self.emit = emit

    def bind(self, rules: RuleSet, stage: str, out: list[SlotProblem]) -> T | None:
        rule = rules.rules.get(self.rule_id)
        if rule is None:
            out.append(self.missing(rules, stage))
            return None
        if self.body != "any" and not getattr(rule.rule, self.body):
            has = "a pattern" if rule.rule.pattern else "words" if rule.rule.words else "a table"
            out.append(SlotProblem.at(rule, ("id",), f"{stage} reads the {self.body} of this "
                                                     f"rule; it has {has} and no {self.body}"))
            return None
        if rule.inert:
            emit, _ = validate_emit(self.emit, rule.rule.emit)
            return self.value(Bound(rule, emit or self.emit.model_construct()), [])
        bound = _read(rule, rules, stage, self.emit, self.groups, out)
        return None if bound is None else self.value(bound, out)

    def value(self, bound: Bound[Any], out: list[SlotProblem]) -> T | None:
        """The slot's value read from a bound rule (of a switched-off rule: an empty one)."""
        raise NotImplementedError

    def missing(self, rules: RuleSet, stage: str) -> SlotProblem:
        by = rules.retired.get(self.rule_id)
        if by is not None:
            return SlotProblem.at(by, ("aliases",), f"the alias {self.rule_id!r} retires a rule "
                                                    f"that {stage} reads by that id (a rule "
                                                    "that replaces it keeps its id)")
        where = str(rules.files[0].parent) if rules.files else "rules"
        return SlotProblem(where, 1, 1, self.rule_id,
                           f"{stage} reads the rule {self.rule_id!r}, which is not in the rule "
                           f"set{did_you_mean(self.rule_id, rules.rules)}")

    def uses(self, rules: RuleSet, stage: str) -> list[Use]:
        rule = rules.rules.get(self.rule_id)
        if rule is None:
            return []
        read = Use(rule, stage, frozenset(self.emit.model_fields), frozenset(self.groups.read))
        return [read, *_ref_uses(rule, rules, self.emit, stage)]


class Pattern(ById[regex.Pattern[str]]):
    """The compiled pattern of a rule (of its words or table keys, for a list)."""

    def value(self, bound: Bound[Any], out: list[SlotProblem]) -> regex.Pattern[str]:
        return bound.regex


class Words(ById[tuple[str, ...]]):
    """The words of a word-list rule, as written."""

    body = "words"

    def value(self, bound: Bound[Any], out: list[SlotProblem]) -> tuple[str, ...]:
        return () if bound.compiled.inert else bound.rule.words


class Rule(ById[Bound[E]], Generic[E]):
    """One rule with its pattern and the `emit` the stage reads from it."""

    def __init__(self, rule_id: str, emit: type[E], *, groups: GroupSpec = None,
                 required: Iterable[str] = ()) -> None:
        super().__init__(rule_id, groups=groups, required=required, emit=emit)

    def value(self, bound: Bound[Any], out: list[SlotProblem]) -> Bound[E]:
        return bound


def _table(bound: Bound[Any], values: Callable[[str], V], keys: Callable[[str], str] | None,
           out: list[SlotProblem]) -> tuple[dict[str, V], dict[str, V]] | None:
    """The table of a rule with every key and value checked: (folded keys, raw keys)."""
    folded: dict[str, V] = {}
    raw: dict[str, V] = {}
    bad = False
    for key, written in ({} if bound.compiled.inert else bound.rule.table).items():
        try:
            if keys is not None:
                keys(key)
            value = values(written)
        except ValueError as exc:
            out.append(SlotProblem.at(bound.compiled, ("table", key), f"table[{key!r}]: {exc}"))
            bad = True
            continue
        raw[key] = value
        folded[fold_tones(key).casefold()] = value
    return None if bad else (folded, raw)


class Table(ById[Mapping[str, V]], Generic[V]):
    """The table of a rule, each value read by `values` (and each key checked by `keys`):
    looked up by the key tone-folded and casefolded, or as written when `raw`."""

    body = "table"

    def __init__(self, rule_id: str, values: Callable[[str], V], *,
                 keys: Callable[[str], str] | None = None, raw: bool = False) -> None:
        super().__init__(rule_id)
        self.values = values
        self.keys = keys
        self.raw = raw

    def value(self, bound: Bound[Any], out: list[SlotProblem]) -> Mapping[str, V] | None:
        read = _table(bound, self.values, self.keys, out)
        return None if read is None else read[1] if self.raw else read[0]


class Matcher(ById[Lookup[V]], Generic[V]):
    """A table rule with the pattern that finds its keys in a text."""

    body = "table"

    def __init__(self, rule_id: str, values: Callable[[str], V], *,
                 groups: GroupSpec = None, required: Iterable[str] = ()) -> None:
        super().__init__(rule_id, groups=groups, required=required)
        self.values = values

    def value(self, bound: Bound[Any], out: list[SlotProblem]) -> Lookup[V] | None:
        read = _table(bound, self.values, None, out)
        return None if read is None else Lookup(bound.regex, read[0], read[1])


class Family(Slot[tuple[Bound[E], ...]], Generic[E]):
    """Every rule of a concern that is not a `lookup` (and, with a `marker`, whose emit has
    that key), highest priority first, then in load order: a user adds one by its concern."""

    def __init__(self, concern: str, emit: type[E], *, marker: str | None = None,
                 groups: GroupSpec = None, required: Iterable[str] = ()) -> None:
        self.concern = concern
        self.emit = emit
        self.marker = marker
        self.groups = Groups.of(groups, required)

    def members(self, rules: RuleSet) -> list[CompiledRule]:
        chosen = [r for r in rules.rules.values() if r.concern == self.concern and not r.inert
                  and not r.rule.emit.get("lookup")
                  and (self.marker is None or self.marker in r.rule.emit)]
        return sorted(chosen, key=lambda r: -r.rule.priority)

    def describe(self) -> str:
        """Which rules the family takes, for messages."""
        marked = f" whose emit has `{self.marker}`" if self.marker else " (not `lookup`)"
        return f"{self.concern} rules{marked}"

    def bind(self, rules: RuleSet, stage: str, out: list[SlotProblem]
             ) -> tuple[Bound[E], ...] | None:
        found = [_read(rule, rules, stage, self.emit, self.groups, out)
                 for rule in self.members(rules)]
        return tuple(b for b in found if b is not None)

    def uses(self, rules: RuleSet, stage: str) -> list[Use]:
        out: list[Use] = []
        for rule in self.members(rules):
            out.append(Use(rule, stage, frozenset(self.emit.model_fields),
                           frozenset(self.groups.read), by_id=False))
            out += _ref_uses(rule, rules, self.emit, stage)
        return out


class Slots:
    """The rules one stage reads: subclasses declare slots as class attributes."""

    stage: ClassVar[str] = "a stage"
    slots: ClassVar[dict[str, Slot[Any]]] = {}
    key: ClassVar[str] = ""  # under which the bound slots are kept with a rule set

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.slots = {name: slot for base in reversed(cls.__mro__)
                     for name, slot in vars(base).items() if isinstance(slot, Slot)}
        taken = [name for name in cls.slots if name in vars(Slots)]
        if taken:
            raise TypeError(f"{cls.__name__}: slot {taken[0]!r} hides a method of Slots")
        cls.key = f"slots:{cls.__module__}.{cls.__qualname__}"

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    @classmethod
    def of(cls, rules: RuleSet) -> Self:
        """The slots bound to `rules`: bound on first use, then kept with the rule set."""
        return rules.built(cls.key, cls.bind)

    @classmethod
    def bind(cls, rules: RuleSet) -> Self:
        """Bind every slot; the first problem is raised as a RuleFileError."""
        values, problems = cls.read(rules)
        if problems:
            raise problems[0].error()
        return cls(values)

    @classmethod
    def read(cls, rules: RuleSet) -> tuple[dict[str, Any], list[SlotProblem]]:
        problems: list[SlotProblem] = []
        values = {name: slot.bind(rules, cls.stage, problems) for name, slot in cls.slots.items()}
        return values, problems

    @classmethod
    def problems(cls, rules: RuleSet) -> list[SlotProblem]:
        """Everything in `rules` that does not fit this stage's slots."""
        return cls.read(rules)[1]

    @classmethod
    def uses(cls, rules: RuleSet) -> list[Use]:
        """The rules this stage reads, and what it reads of each."""
        return [use for slot in cls.slots.values() for use in slot.uses(rules, cls.stage)]

    @classmethod
    def families(cls) -> list[Family[Any]]:
        return [s for s in cls.slots.values() if isinstance(s, Family)]


def bind_all(rules: RuleSet, stages: Sequence[type[Slots]]) -> None:
    """Bind the slots of every stage (checked once at load: the first problem is raised)."""
    for stage in stages:
        stage.of(rules)
