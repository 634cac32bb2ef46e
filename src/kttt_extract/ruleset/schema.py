"""The strict schema of a rule file: unknown keys are errors, never silently ignored."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

RULE_ID = r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$"
FRAGMENT_NAME = r"^[a-z][a-z0-9_]+$"  # `{number}` in a pattern: two characters at least, so
#                                        that regex's fuzzy `{e}` is never taken for one
FragmentName = Annotated[str, StringConstraints(pattern=FRAGMENT_NAME)]
Position = Literal["before", "after", "line-start"]
Concern = Literal[
    "sections",
    "numbers",
    "targets",
    "deadlines",
    "agencies",
    "roles",
    "references",
    "metadata",
    "layout",
    "encodings",
    "tasks",
    "registry",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MatchExample(Strict):
    """Text the rule must match; `expect` lists fields the produced item must have."""

    text: str
    expect: dict[str, Any] = Field(default_factory=dict)


class Examples(Strict):
    match: tuple[MatchExample, ...] = ()
    no_match: tuple[str, ...] = ()
    todo: tuple[MatchExample, ...] = ()

    @field_validator("match", "todo", mode="before")
    @classmethod
    def _plain_strings(cls, value: Any) -> Any:
        """Allow `- some text` as shorthand for `- {text: some text}`."""
        if isinstance(value, list):
            return [{"text": v} if isinstance(v, str) else v for v in value]
        return value


class Rule(Strict):
    id: str = Field(pattern=RULE_ID)
    description: str = Field(min_length=8)
    aliases: tuple[str, ...] = ()
    pattern: str | None = None
    verbose: bool | None = None  # None: verbose when the pattern is written as a block (`|`)
    words: tuple[str, ...] = ()
    position: Position | None = None  # where a word list must stand (words only)
    table: dict[str, str] = Field(default_factory=dict)
    fuzzy: int = Field(default=0, ge=0, le=2)
    case_sensitive: bool = False
    priority: int = 0
    emit: dict[str, Any] = Field(default_factory=dict)
    examples: Examples = Examples()
    strict_exempt: str | None = Field(default=None, min_length=8)  # why its examples pass
    #                                                               without it (`--strict`)

    @model_validator(mode="after")
    def _has_body(self) -> Rule:
        if not (self.pattern or self.words or self.table):
            raise ValueError("a rule needs a `pattern`, `words` or `table`")
        if self.position is not None and (self.pattern or not self.words):
            raise ValueError("`position` places a word list: give `words` and no `pattern`")
        return self


class RuleFile(Strict):
    concern: Concern
    schema_version: Literal[1]
    reference_date: dt.date | None = None
    description: str | None = None
    fragments: dict[FragmentName, str] = Field(default_factory=dict)  # `{name}` in patterns
    rules: tuple[Rule, ...] = ()
