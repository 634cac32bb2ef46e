"""Result -> JSON bytes, deterministic: the same input gives byte-identical output."""

from __future__ import annotations

import json
from typing import Any

from kttt_extract.model import Result


def to_dict(result: Result) -> dict[str, Any]:
    """The contract's JSON object (whole numbers written without a decimal point)."""
    data = result.model_dump(mode="json", exclude_none=False)
    if result.text is None:
        data.pop("text", None)
    for target in data["targets"]:
        for key in ("value", "value_max"):
            v = target.get(key)
            if isinstance(v, float) and v.is_integer():
                target[key] = int(v)
    return data


def dumps(result: Result, *, pretty: bool = False) -> bytes:
    indent = 2 if pretty else None
    separators = None if pretty else (",", ":")
    text = json.dumps(to_dict(result), ensure_ascii=False, indent=indent, separators=separators)
    return (text + "\n").encode("utf-8")
