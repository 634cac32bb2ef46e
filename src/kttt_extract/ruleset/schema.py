"""The strict schema of a rule file: unknown keys are errors, never silently ignored."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULE_ID = r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$"
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
    words: tuple[str, ...] = ()
    table: dict[str, str] = Field(default_factory=dict)
    fuzzy: int = Field(default=0, ge=0, le=2)
    case_sensitive: bool = False
    priority: int = 0
    emit: dict[str, Any] = Field(default_factory=dict)
    examples: Examples = Examples()

    @model_validator(mode="after")
    def _has_body(self) -> Rule:
        if not (self.pattern or self.words or self.table):
            raise ValueError("a rule needs a `pattern`, `words` or `table`")
        return self


class RuleFile(Strict):
    concern: Concern
    schema_version: Literal[1]
    reference_date: dt.date | None = None
    description: str | None = None
    rules: tuple[Rule, ...]
