"""The JSON Schema of a rule file, for editors (`kttt rules schema`; docs/rules.schema.json):
with `# yaml-language-server: $schema=...` at the top of a rule file, an editor completes its
keys and flags unknown ones as you type. The schema comes from the models the loader validates
with, so the two never disagree."""

from __future__ import annotations

import json

from kttt_extract.ruleset.schema import RuleFile

SCHEMA_ID = "https://json-schema.org/draft/2020-12/schema"


def rule_file_schema() -> str:
    """The schema as JSON text (sorted keys, two-space indent, a final newline)."""
    schema = RuleFile.model_json_schema()
    schema = {"$schema": SCHEMA_ID, "title": "kttt rule file", **schema}
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
