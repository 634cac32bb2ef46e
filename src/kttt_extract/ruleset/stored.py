"""Compiled rule sets stored on disk between runs, keyed by what the rule files hold.

Reading and compiling the shipped rules costs about a quarter of a second: the YAML, the checks
of every rule and fragment, and above all the compilation of some 400 patterns by the `regex`
module's parser, written in Python. A compiled `regex` pattern pickles as its compiled program,
not its source, so a rule set read back from a pickle needs none of that work (about 30 ms).

A stored rule set is found by a key: the SHA-256 of the versions of Python, `regex` and pydantic,
the source of the code that reads and compiles rules (this package and `textnorm`), the reading
limits, and the path and text of every rule file in load order. Editing a rule file, adding one,
changing the loader or upgrading a library gives a new key, so a stored set is never stale; rule
sets that fail to load are never stored. The store is only a
shortcut: an entry that cannot be read or written is ignored (the rules are compiled as if it were
absent), and deleting the folder at any time is safe.

A stored rule set is read with pickle, so the store reads only a folder and files that this user
owns and nobody else may write; anything else is passed over as absent.

Where: `$KTTT_CACHE_DIR` when set (empty, `0` or `off` switches the store off), else the user's
cache folder (`$XDG_CACHE_HOME/kttt_extract/rules`, by default `~/.cache/kttt_extract/rules`;
`%LOCALAPPDATA%` on Windows). Entries are written to a temporary file and renamed, so two runs
storing the same set at once leave one whole file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from kttt_extract.ruleset.ruletext import RuleLimits

T = TypeVar("T")

CACHE_ENV = "KTTT_CACHE_DIR"
MAX_ENTRIES = 16  # stored sets kept; the oldest read are removed past this
_OFF = {"", "0", "off", "no", "false"}
_PACKAGE = Path(__file__).resolve().parent


def store_dir() -> Path | None:
    """Where compiled rule sets are stored, or None when the store is switched off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in _OFF else Path(chosen) / "rules"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"])
    else:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):  # no home (a container's user without a passwd entry)
            return None
    return base / "kttt_extract" / "rules"


@dataclass(frozen=True)
class RuleStore:
    """The folder of stored rule sets."""

    folder: Path

    @classmethod
    def default(cls) -> RuleStore | None:
        """The store named by the environment (see the module's text), or None when off."""
        folder = store_dir()
        return None if folder is None else cls(folder)

    def key(self, files: Iterable[tuple[Path, str]], limits: RuleLimits) -> str:
        """The key of the rule set made of `files` (path, text), in load order."""
        import pydantic
        import regex

        digest = hashlib.sha256()
        for part in (sys.version, regex.__version__, pydantic.VERSION,
                     f"{limits.max_bytes}/{limits.max_aliases}"):
            digest.update(part.encode("utf-8") + b"\0")
        for source in _loader_sources():
            digest.update(source + b"\0")
        for path, text in files:
            digest.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
            digest.update(text.encode("utf-8") + b"\0")
        return digest.hexdigest()

    def get(self, key: str, kind: type[T]) -> T | None:
        """The stored object of `key` if it is a `kind`, else None (absent or unreadable)."""
        path = self.folder / f"{key}.pickle"
        if not _private(self.folder) or not _private(path):
            return None
        try:
            data = path.read_bytes()
            found = pickle.loads(data)
        except Exception:  # a missing, partial or foreign entry is only a missed shortcut
            return None
        if not isinstance(found, kind):
            return None
        _touch(path)
        return found

    def put(self, key: str, rules: object) -> None:
        """Store a rule set under `key` (its pickle); a store that cannot be written is left
        as it is."""
        try:
            data = pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, self.folder / f"{key}.pickle")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._prune()
        except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return

    def _prune(self) -> None:
        """Keep the `MAX_ENTRIES` entries read most recently."""
        entries = sorted(self.folder.glob("*.pickle"), key=_mtime, reverse=True)
        for old in entries[MAX_ENTRIES:]:
            old.unlink(missing_ok=True)


def _loader_sources() -> list[bytes]:
    """The source of the code whose work a stored rule set holds (empty where unreadable, as
    in a frozen build: the versions then stand for it)."""
    files = [*sorted(_PACKAGE.glob("*.py")), _PACKAGE.parent / "textnorm.py"]
    out = []
    for path in files:
        try:
            out.append(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            out.append(path.name.encode())
    return out


def _private(path: Path) -> bool:
    """Whether only this user can have written `path`: a stored rule set is read with pickle,
    which runs what the file says, so a folder or file that someone else owns or may write is
    never read (where the system has no owners, as on Windows, the user's cache is trusted)."""
    if not hasattr(os, "getuid"):
        return True
    try:
        info = path.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
