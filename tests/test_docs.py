"""Documentation that must not drift: every command in the README, every rule file in
docs/rules.md, and the checked-in JSON Schema equal to what `kttt schema` prints."""

from __future__ import annotations

import json

from kttt_extract.cli import _register, app
from kttt_extract.emit.schema import schema_json
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
RULES_DOC = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    _register()
    names = [c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands]
    groups = [g.name for g in app.registered_groups if g.name]
    return [n for n in names + groups if n]


def test_every_command_is_in_the_readme() -> None:
    commands = _commands()
    assert {"extract", "text", "schema", "batch", "rules"} <= set(commands)
    for name in commands:
        assert f"kttt {name}" in README, name


def test_every_rule_file_is_documented() -> None:
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        assert f"`{path.name}`" in RULES_DOC, path.name


def test_schema_file_is_current() -> None:
    on_disk = json.loads((ROOT / "docs" / "schema.json").read_text(encoding="utf-8"))
    assert on_disk == json.loads(schema_json()), "run: kttt schema > docs/schema.json"
