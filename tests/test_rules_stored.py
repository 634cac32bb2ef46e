"""Compiled rule sets stored on disk (ruleset.stored): found again only for the same files and
code, read back whole, and never a reason for loading to fail."""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from kttt_extract.errors import RuleFileError
from kttt_extract.ruleset import RuleSet, load_rules, shipped_rules_dir
from kttt_extract.ruleset import load as load_mod
from kttt_extract.ruleset.ruletext import RuleLimits
from kttt_extract.ruleset.stored import CACHE_ENV, MAX_ENTRIES, RuleStore, store_dir

EXTRA = """\
concern: targets
schema_version: 1
rules:
  - id: user.units-ha
    description: Hectares written out, a unit of area targets
    words: [héc-ta]
"""


def _entries(store: RuleStore) -> list[Path]:
    return sorted(store.folder.glob("*.pickle"))


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def compiled(*args: object, **kwargs: object) -> RuleSet:
        raise AssertionError("the rules were compiled again")

    monkeypatch.setattr(load_mod, "compile_rule_texts", compiled)


def test_a_rule_set_is_stored_once_and_read_back_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RuleStore(tmp_path / "store")
    first = load_rules(store=store)
    assert len(_entries(store)) == 1
    _no_compiling(monkeypatch)
    again = load_rules(store=store)
    assert again is not first
    assert again.version == first.version
    assert again.reference_date == first.reference_date
    assert list(again.rules) == list(first.rules)
    for rid, rule in first.rules.items():
        back = again.rules[rid]
        assert (back.regex.pattern, back.regex.flags) == (rule.regex.pattern, rule.regex.flags)
        assert back.rule == rule.rule and back.line == rule.line and back.lookup == rule.lookup
    sample = "Phấn đấu đến năm 2030 có 50 hợp tác xã; Sở Tài chính chủ trì."
    for rid, rule in first.rules.items():
        assert ([m.span() for m in again.rules[rid].regex.finditer(sample)]
                == [m.span() for m in rule.regex.finditer(sample)]), rid


def test_another_rule_text_is_another_entry(tmp_path: Path) -> None:
    store = RuleStore(tmp_path / "store")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "user.yaml").write_text(EXTRA, encoding="utf-8")
    with_extra = load_rules(extra, store=store)
    assert "user.units-ha" in with_extra.rules
    (extra / "user.yaml").write_text(EXTRA.replace("héc-ta", "hécta"), encoding="utf-8")
    edited = load_rules(extra, store=store)
    assert edited.rules["user.units-ha"].rule.words == ("hécta",)
    assert edited.version != with_extra.version
    assert len(_entries(store)) == 2
    load_rules(extra, store=store, limits=RuleLimits(max_aliases=10))
    assert len(_entries(store)) == 3  # other limits, another key


def test_a_rule_set_that_fails_is_not_stored(tmp_path: Path) -> None:
    store = RuleStore(tmp_path / "store")
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "user.yaml").write_text(EXTRA.replace("words: [héc-ta]", "pattern: '(?<'"),
                                     encoding="utf-8")
    with pytest.raises(RuleFileError, match="does not compile"):
        load_rules(extra, store=store)
    assert _entries(store) == []


def test_a_damaged_entry_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    store = RuleStore(tmp_path / "store")
    first = load_rules(store=store)
    (entry,) = _entries(store)
    entry.write_bytes(entry.read_bytes()[:1000])
    assert load_rules(store=store).version == first.version
    assert pickle.loads(entry.read_bytes()).version == first.version
    entry.write_bytes(pickle.dumps({"not": "a rule set"}))
    assert load_rules(store=store).version == first.version


def test_a_store_that_cannot_be_written_is_passed_over(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("in the way", encoding="utf-8")
    assert len(load_rules(store=RuleStore(blocked / "store")).rules) > 200


def test_the_store_keeps_the_entries_read_last(tmp_path: Path) -> None:
    store = RuleStore(tmp_path / "store")
    extra = tmp_path / "extra"
    extra.mkdir()
    for i in range(MAX_ENTRIES + 2):
        (extra / "user.yaml").write_text(EXTRA.replace("héc-ta", f"héc-ta{i}"),
                                         encoding="utf-8")
        load_rules(extra, store=store)
    assert len(_entries(store)) == MAX_ENTRIES


def test_the_shipped_rules_are_keyed_by_their_path(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store = RuleStore(tmp_path / "store")
    copy = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), copy)
    load_rules(store=store)
    monkeypatch.setattr(load_mod, "shipped_rules_dir", lambda: copy)
    moved = load_rules(store=store)
    assert len(_entries(store)) == 2
    assert all(r.file.parent == copy for r in moved.rules.values())


def test_what_was_built_from_a_rule_set_is_not_stored(tmp_path: Path) -> None:
    rules = load_rules(store=None)
    rules.built("probe", lambda r: object())
    assert pickle.loads(pickle.dumps(rules))._built == {}
    assert "probe" in rules._built


@pytest.mark.parametrize("value", ["", "off", "0", "OFF"])
def test_the_store_is_switched_off_by_the_environment(value: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, value)
    assert store_dir() is None
    assert RuleStore.default() is None


def test_where_the_store_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert store_dir() == tmp_path / "mine" / "rules"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    base = tmp_path / ("local" if sys.platform == "win32" else "xdg")
    assert store_dir() == base / "kttt_extract" / "rules"


def test_the_default_store_is_used_by_load_rules(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    load_rules()
    assert len(list((tmp_path / "mine" / "rules").glob("*.pickle"))) == 1
    _no_compiling(monkeypatch)
    assert len(load_rules().rules) > 200


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no file owners on this system")
def test_a_store_others_may_write_is_not_read(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's entries are pickles: one in a folder anybody may write is never read."""
    store = RuleStore(tmp_path / "store")
    load_rules(store=store)
    (entry,) = _entries(store)
    store.folder.chmod(0o777)
    calls: list[int] = []
    real = load_mod.compile_rule_texts

    def counted(*args: Any, **kwargs: Any) -> RuleSet:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(load_mod, "compile_rule_texts", counted)
    load_rules(store=store)
    assert calls == [1]  # compiled again, the entry passed over
    store.folder.chmod(0o700)
    entry.chmod(0o666)
    load_rules(store=store)
    assert calls == [1, 1]
    entry.chmod(0o600)
    load_rules(store=store)
    assert calls == [1, 1]  # a private entry in a private folder is read


def test_no_home_no_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """A user with no home folder (a container's numeric user) loads the rules, unstored."""
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("LOCALAPPDATA", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert store_dir() is None
    assert len(load_rules().rules) > 200
