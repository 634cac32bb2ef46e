"""The vocabulary a stage reads from a rule: typed table values and keys, `emit` models and
named groups, each checked with a message that says what was expected (and what was probably
meant)."""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar, Union, get_args, get_origin

import regex
from pydantic import BaseModel, ConfigDict, ValidationError

V = TypeVar("V")
L = TypeVar("L", bound=str)
Found = list[tuple[tuple[Any, ...], str]]  # (path inside the rule, message)
_SUBROUTINE = regex.compile(r"\(\?(?:&|P>)(\w+)\)")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the choice closest to `word`, or ``."""
    close = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def free_text(value: str) -> str:
    """Any text."""
    return value


def integer(value: str) -> int:
    """A whole number written as text ("1", "-1")."""
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def number(value: str) -> str:
    """A number written as text ("1000000", "0.5"); kept as text, as the readers scale by it."""
    try:
        float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    return value


@dataclass(frozen=True)
class Choice(Generic[L]):
    """One of a fixed set of words (`Comparator`, the levels, the parts of a task table)."""

    choices: tuple[L, ...]

    def __call__(self, value: str) -> L:
        for choice in self.choices:
            if value == choice:
                return choice
        raise ValueError(f"{value!r} is not one of {', '.join(self.choices)}"
                         f"{did_you_mean(value, self.choices)}")


@dataclass(frozen=True)
class Shaped:
    """A value of a given shape (`0xNN`), described for messages."""

    pattern: str
    what: str

    def __call__(self, value: str) -> str:
        if regex.fullmatch(self.pattern, value) is None:
            raise ValueError(f"{value!r} is not {self.what}")
        return value


@dataclass(frozen=True)
class Listing(Generic[L]):
    """Words of a fixed set, separated by `sep` ("acute circumflex", "sở, phòng")."""

    choices: tuple[L, ...]
    sep: str | None = None

    def __call__(self, value: str) -> str:
        parts = [p.strip() for p in value.split(self.sep) if p.strip()]
        for part in parts:
            Choice(self.choices)(part)
        return value


class Emit(BaseModel):
    """The `emit` keys a stage reads from a rule; `refs` names the keys that hold the id of
    another rule (bound to that rule's pattern)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    refs: ClassVar[tuple[str, ...]] = ()


class NoEmit(Emit):
    """A rule the stage reads nothing from `emit` of."""


E = TypeVar("E", bound=Emit)


def choices_of(model: type[BaseModel], key: str) -> tuple[str, ...]:
    """The words a Literal field of `model` takes (through `X | None`), else ()."""
    info = model.model_fields.get(key)
    if info is None:
        return ()
    annotation = info.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next((a for a in get_args(annotation) if a is not type(None)), annotation)
    if get_origin(annotation) is Literal:
        return tuple(str(a) for a in get_args(annotation))
    return ()


def validate_emit(model: type[E], emit: Mapping[str, Any]) -> tuple[E | None, Found]:
    """The rule's `emit` read through `model` (keys it does not declare are left to the global
    check), or the problems, each at `("emit", key)`."""
    given = {k: v for k, v in emit.items() if k in model.model_fields}
    try:
        return model.model_validate(given), []
    except ValidationError as exc:
        found: Found = []
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            found.append((("emit", key), _emit_message(model, key, err, given.get(key))))
        return None, found


def _emit_message(model: type[BaseModel], key: str, err: Any, value: Any) -> str:
    words = choices_of(model, key)
    if err["type"] == "missing":
        tail = f" (one of {', '.join(words)})" if words else ""
        return f"emit.{key} is required{tail}"
    if words:
        hint = did_you_mean(str(value), words)
        return f"emit.{key}: {value!r} is not one of {', '.join(words)}{hint}"
    return f"emit.{key}: {err['msg']}"


def named_groups(pattern: regex.Pattern[str]) -> set[str]:
    """The named groups of a pattern that capture: groups only called as subroutines
    (`(?&word)`, defined in a `(?(DEFINE)...)` block) are left out."""
    return set(pattern.groupindex) - set(_SUBROUTINE.findall(pattern.pattern))


@dataclass(frozen=True)
class Groups:
    """The named groups a stage reads from a rule's pattern: `read` (each with the groups that
    must come with it: `n` needs `unit` and `anchor`) and those it cannot do without."""

    read: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    @classmethod
    def of(cls, spec: Groups | Iterable[str] | Mapping[str, tuple[str, ...]] | None,
           required: Iterable[str] = ()) -> Groups:
        if isinstance(spec, Groups):
            return spec
        read = dict(spec) if isinstance(spec, Mapping) else {name: () for name in spec or ()}
        need = tuple(required)
        for name in need:
            read.setdefault(name, ())
        return cls(read, need)

    def problems(self, pattern: regex.Pattern[str], stage: str) -> Found:
        """Groups the stage needs and the pattern lacks (checked per slot; groups the pattern
        has that no stage reads are the global check's)."""
        have = named_groups(pattern)
        found: Found = []
        for name in self.required:
            if name not in have:
                found.append((("pattern",), f"{stage} needs a named group (?P<{name}>...) in "
                                            "this pattern"))
        for name in sorted(have & set(self.read)):
            for partner in self.read[name]:
                if partner not in have:
                    found.append((("pattern",), f"the named group {name!r} needs a group "
                                                f"(?P<{partner}>...) beside it ({stage} reads "
                                                "them together)"))
        return found


Convert = Callable[[str], V]
