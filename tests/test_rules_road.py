"""One road to the rules (issue 18): the loaders read their tables (encodings, OCR repairs and
syllables, page-number words) from the rule set the user chose, `--rules` reaches them in
`kttt text` and `kttt extract`, and nothing keeps rules for the whole process. The rule tooling
sits above the pipeline, and the package has no import that runs back up and no circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from kttt_extract import encodings
from kttt_extract.loaders.pagewords import pdf_page_number
from kttt_extract.ruleset import load_rules, shipped_rules_dir
from tests.conftest import ROOT, invoke

TCVN3 = "PhÊn ®Êu ®Õn n¨m 2030 cã 50 hîp t¸c x· ho¹t ®éng hiÖu qu¶ º\n"


def more_encodings(tmp_path: Path) -> Path:
    """A rule folder whose TCVN3 table maps one more byte (0xBA, shown as º) than the shipped."""
    folder = tmp_path / "my-rules"
    folder.mkdir()
    text = (shipped_rules_dir() / "encodings.yaml").read_text(encoding="utf-8")
    assert '"0xB9": "ạ",' in text
    more = text.replace('"0xB9": "ạ",', '"0xB9": "ạ", "0xBA": "ộ",')
    (folder / "encodings.yaml").write_text(more, encoding="utf-8")
    return folder


def test_rules_reach_the_encodings_of_kttt_text(tmp_path: Path,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "legacy.txt"
    doc.write_text(TCVN3, encoding="utf-8")
    folder = more_encodings(tmp_path)
    shipped = invoke(["text", str(doc)], 0, capfd=capfd).stdout
    mine = invoke(["text", str(doc), "--rules", str(folder)], 0, capfd=capfd).stdout
    assert shipped == "Phấn đấu đến năm 2030 có 50 hợp tác xã hoạt động hiệu quả º\n"
    assert mine == "Phấn đấu đến năm 2030 có 50 hợp tác xã hoạt động hiệu quả ộ\n"
    extracted = invoke(["extract", str(doc), "--rules", str(folder)], 0, capfd=capfd).stdout
    assert '"text":"Phấn đấu đến năm 2030 có 50 hợp tác xã hoạt động hiệu quả ộ' in extracted


def test_two_rule_sets_in_one_process_convert_each_their_way(tmp_path: Path) -> None:
    shipped, mine = load_rules(), load_rules(more_encodings(tmp_path))
    one, two = encodings.Codec.of(shipped), encodings.Codec.of(mine)
    assert one is encodings.Codec.of(shipped) and one is not two
    assert one.convert("º", "tcvn3") == "º" and two.convert("º", "tcvn3") == "ộ"


def test_page_number_words_come_from_the_rules(tmp_path: Path) -> None:
    folder = tmp_path / "my-rules"
    folder.mkdir()
    data = yaml.safe_load((shipped_rules_dir() / "layout.yaml").read_text(encoding="utf-8"))
    for rule in data["rules"]:
        if rule["id"] == "layout.page-number-words":
            rule["words"] = [*rule["words"], "tờ"]
    (folder / "layout.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                        encoding="utf-8")
    assert pdf_page_number(load_rules()).match("Trang 2 trên 10")
    assert not pdf_page_number(load_rules()).match("Tờ 2")
    assert pdf_page_number(load_rules(folder)).match("Tờ 2")


def test_loading_the_rules_parses_their_yaml_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def second_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rule file's values were serialised and parsed again")

    monkeypatch.setattr(yaml, "serialize", second_parse)
    monkeypatch.setattr(yaml, "load", second_parse)
    assert len(load_rules(store=None).rules) > 200


# ----------------------------------------------------------------------------- structure

PACKAGE = ROOT / "src" / "kttt_extract"


def _imports() -> dict[str, set[str]]:
    """Module -> the kttt_extract modules it imports (anywhere in it: lazy imports count, the
    imports only for type checking do not)."""
    out: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        checking = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                    and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
        found: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in checking:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        out[name] = {m for m in found if m.startswith("kttt_extract")}
    known = set(out)
    return {m: {i for i in deps if i in known and i != m} for m, deps in out.items()}


def test_the_rule_loader_imports_nothing_above_it() -> None:
    allowed = ("kttt_extract.ruleset", "kttt_extract.errors", "kttt_extract.fileio",
               "kttt_extract.textnorm", "kttt_extract.rules")
    for module, deps in _imports().items():
        if module.startswith("kttt_extract.ruleset"):
            assert {d for d in deps if not d.startswith(allowed)} == set(), module


def test_only_the_cli_uses_the_rule_tooling() -> None:
    for module, deps in _imports().items():
        if not module.startswith(("kttt_extract.ruletools", "kttt_extract.cli")):
            assert not {d for d in deps if d.startswith("kttt_extract.ruletools")}, module


def test_no_import_circle() -> None:
    graph = _imports()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import circle: " + " -> ".join([*path, module]))
        if module in done:
            return
        for dep in sorted(graph.get(module, ())):
            if not (module.startswith(dep + ".") or dep == "kttt_extract"):  # a parent package
                visit(dep, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
