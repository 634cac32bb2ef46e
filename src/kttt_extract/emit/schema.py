"""The JSON Schema of `kttt extract` output, generated from the result model."""

from __future__ import annotations

import json

from kttt_extract.model import Result


def schema_json() -> str:
    schema = Result.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "kttt extract output, version 1"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
