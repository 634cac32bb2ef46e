"""The results a batch wrote into its output folder, read back for `kttt report`: the JSON of
every document its manifest lists as done, or, in a folder without a manifest (written by
`kttt extract ... -o DIR`), every `*.json` that is a kttt result."""

from __future__ import annotations

import json
from pathlib import Path

from kttt_extract.batch import MANIFEST, PARTIAL, Folders, output_path, read_manifest
from kttt_extract.emit.report import Doc
from kttt_extract.errors import KtttError
from kttt_extract.fileio import read_regular
from kttt_extract.model import Result

MAX_JSON = 1024 * 1024 * 1024


def read_folder(folder: Path) -> tuple[list[Doc], list[str]]:
    """The documents of a batch's output folder, and the files that could not be read."""
    docs: list[Doc] = []
    problems: list[str] = []
    if (folder / MANIFEST).exists() or (folder / PARTIAL).exists():
        entries = read_manifest(folder)
        folders = Folders(folder)
        for rel in sorted(entries):
            if entries[rel].status == "error":
                continue
            try:
                docs.append((rel, _read(output_path(folder, rel, folders))))
            except (OSError, ValueError, TypeError, KeyError) as exc:
                problems.append(f"{rel}: {type(exc).__name__}")
            except KtttError as exc:  # an unsafe path, a file that is not regular
                problems.append(f"{rel}: {exc.message}")
        return docs, problems
    for path in sorted(folder.rglob("*.json")):
        rel = path.relative_to(folder).as_posix().removesuffix(".json")
        try:
            data = json.loads(path.read_bytes()[:MAX_JSON])
        except (OSError, ValueError):
            problems.append(rel)
            continue
        if isinstance(data, dict) and data.get("schema_version") == "1" and "source" in data:
            try:
                docs.append((rel, Result.model_validate(data)))
            except ValueError:
                problems.append(rel)
    return docs, problems


def _read(path: Path) -> Result:
    return Result.model_validate_json(read_regular(path, MAX_JSON))
