"""Compiled rule sets kept between calls, keyed by their folders and the files in them.

Loading the rules costs about 30 ms from the disk store (ruleset.stored), a quarter of a second
without it; a loop over documents should pay it once. A `RuleCache`
holds a few rule sets (least recently used dropped first), each keyed by the resolved path of
every folder and the name, size and modification time of every rule file in it, so that editing
a rule file gives a fresh rule set on the next call. `extract()` uses the cache returned by
`default_cache()`; `clear_rule_cache()` empties it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from kttt_extract.ruleset import RuleSet, load_rules, shipped_rules_dir

FolderKey = tuple[str, tuple[tuple[str, int, int], ...]]
CacheKey = tuple[FolderKey, ...]


def folder_key(folder: Path) -> FolderKey | None:
    """What identifies a folder's rules now; None when it cannot be read (load_rules says why)."""
    try:
        real = folder.resolve(strict=True)
        stats = []
        for entry in sorted(os.scandir(real), key=lambda e: e.name):
            if entry.name.endswith(".yaml"):
                info = entry.stat()
                stats.append((entry.name, info.st_mtime_ns, info.st_size))
    except OSError:
        return None
    return str(real), tuple(stats)


class RuleCache:
    """A small, bounded, thread-safe cache of compiled rule sets."""

    def __init__(self, size: int = 4) -> None:
        if size < 1:
            raise ValueError("a rule cache holds at least one rule set")
        self.size = size
        self._sets: OrderedDict[CacheKey, RuleSet] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, *dirs: Path | str) -> RuleSet:
        """The shipped rules plus `dirs` (as `load_rules`), compiled once while unchanged."""
        folders = [shipped_rules_dir(), *(Path(d) for d in dirs)]
        keys = [folder_key(f) for f in folders]
        if any(k is None for k in keys):
            return load_rules(*dirs)  # an unreadable folder: let the loader raise its error
        key: CacheKey = tuple(k for k in keys if k is not None)
        with self._lock:
            if key in self._sets:
                self._sets.move_to_end(key)
                return self._sets[key]
        ruleset = load_rules(*dirs)
        with self._lock:
            self._sets[key] = ruleset
            self._sets.move_to_end(key)
            while len(self._sets) > self.size:
                self._sets.popitem(last=False)
        return ruleset

    def clear(self) -> None:
        with self._lock:
            self._sets.clear()

    def __len__(self) -> int:
        return len(self._sets)


_DEFAULT = RuleCache()


def default_cache() -> RuleCache:
    """The cache behind `kttt_extract.extract()` and `extract_text()`."""
    return _DEFAULT


def clear_rule_cache() -> None:
    """Forget every rule set compiled by `extract()` (the next call compiles them again)."""
    _DEFAULT.clear()
