"""A batch's .doc, .rtf and .odt files converted ahead, one LibreOffice process per worker for a
group of files, instead of a cold start per file (loaders/office.py reads the results).

The groups run side by side, as many as the batch has workers, each of at most `GROUP` files and
within the time limit of all its files together. What a group made is kept under the SHA-256 of
the input it was made from, so a file that changed since the plan is converted again by its own
worker; a file the group could not convert (damaged, password-protected, a group that overran)
is converted alone by its worker, under its own limits, and fails alone.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from kttt_extract.batch_pool import Job
from kttt_extract.loaders.office import convert_group

OFFICE = ("doc", "rtf", "odt")
GROUP = 40  # files a LibreOffice process converts before the next one starts
NO_LIMIT = 24 * 3600.0


def _groups(jobs: list[Job], size: int) -> list[list[Job]]:
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


@contextlib.contextmanager
def converted_ahead(jobs: list[Job], workers: int, timeout: float) -> Iterator[str | None]:
    """A folder of `<sha256>.docx` for the office files among `jobs` (None when there are fewer
    than two: a group would save nothing), removed afterwards."""
    office = [j for j in jobs if PurePosixPath(j.src).suffix.lower().lstrip(".") in OFFICE]
    if len(office) < 2:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="kttt-office-cache-") as cache:
        size = max(1, min(GROUP, -(-len(office) // max(1, workers))))
        groups = _groups(office, size)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for _ in pool.map(lambda group: _convert(group, Path(cache), timeout), groups):
                pass
        yield cache


def _convert(group: list[Job], cache: Path, timeout: float) -> None:
    limit = timeout * len(group) if timeout > 0 else NO_LIMIT
    with tempfile.TemporaryDirectory(dir=cache) as out:
        made = convert_group([Path(j.src) for j in group], Path(out), limit)
        for job in group:
            docx = made.get(Path(job.src))
            if docx is not None and job.sha256:
                os.replace(docx, cache / f"{job.sha256}.docx")
