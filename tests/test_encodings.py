"""Legacy font encodings (TCVN3/ABC, VNI): the tables of rules/encodings.yaml, recognition by
font name and by statistics, and the hooks in the text and DOCX loaders."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kttt_extract import encodings
from kttt_extract.loaders import load_bytes
from kttt_extract.model import Notice
from kttt_extract.ruleset.load import load_rules, read_rule_file, shipped_rules_dir
from tests.conftest import SEEDS

RULES, _ = read_rule_file(shipped_rules_dir() / "encodings.yaml")
CODEC = encodings.Codec.of(load_rules())
BY_ID = {r.id: r for r in RULES.rules}
TONES = "\u0300\u0309\u0303\u0301\u0323"
MARK_NAMES = {"\u0301": "acute", "\u0300": "grave", "\u0309": "hook", "\u0303": "tilde",
              "\u0323": "dot", "\u0302": "circumflex", "\u0306": "breve"}


def _char(key: str) -> str:
    return bytes([int(key, 16)]).decode("cp1252")


def to_tcvn3(text: str) -> str:
    """Unicode to TCVN3 as Word shows it, by inverting the rule table (lower case only: TCVN3
    has no capitals with tones)."""
    inverse = {v: _char(k) for k, v in BY_ID["encoding.tcvn3"].table.items()}
    return "".join(inverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def to_vni(text: str) -> str:
    """Unicode to VNI as Word shows it: a letter of the letter table, or base + mark byte."""
    letters = {v: _char(k) for k, v in BY_ID["encoding.vni"].table.items()}
    marks: dict[tuple[str, bool], str] = {}
    for key, names in BY_ID["encoding.vni-marks"].table.items():
        marks[(names, int(key, 16) < 0xE0)] = _char(key)
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in letters or ch.isascii():
            out.append(letters.get(ch, ch))
            continue
        parts = unicodedata.normalize("NFD", ch)
        base, rest = parts[0], parts[1:]
        if "\u031b" in rest:  # horn: ơ ư are letters of their own, the tone follows
            base = letters[unicodedata.normalize("NFC", base + "\u031b")]
            rest = rest.replace("\u031b", "")
        shape = [MARK_NAMES[c] for c in rest if c in "\u0302\u0306"]
        tone = [MARK_NAMES[c] for c in rest if c in TONES]
        name = " ".join(shape + tone)
        out.append(base + (marks[(name, base.isupper())] if name else ""))
    return "".join(out)


VIETNAMESE_LOWER = sorted(ch for ch in encodings.VIETNAMESE if ch.islower())


# --------------------------------------------------------------------------- tables


def test_tcvn3_table_covers_every_lower_case_letter_and_the_capitals_it_has() -> None:
    values = set(BY_ID["encoding.tcvn3"].table.values())
    assert set(VIETNAMESE_LOWER) - {c for c in VIETNAMESE_LOWER if c.isascii()} <= values
    assert {"Ă", "Â", "Ê", "Ô", "Ơ", "Ư", "Đ"} <= values
    assert len(values) == len(BY_ID["encoding.tcvn3"].table)  # no letter twice


def test_tcvn3_soft_hyphen_is_the_letter_u_horn() -> None:
    assert BY_ID["encoding.tcvn3"].table["0xAD"] == "ư"
    assert CODEC.convert("ng\u00adêi \u00adu ti\u00aan", "tcvn3") == "người ưu tiên"


@pytest.mark.parametrize("letter", sorted(encodings.VIETNAMESE))
def test_every_letter_round_trips(letter: str) -> None:
    assert CODEC.convert(to_vni(letter), "vni") == letter
    if letter.islower() or letter in "ĂÂÊÔƠƯĐ" or letter.isascii():
        assert CODEC.convert(to_tcvn3(letter), "tcvn3") == letter


def test_the_classic_strings() -> None:
    assert CODEC.convert("Céng hßa x· héi chñ nghÜa ViÖt Nam", "tcvn3") == (
        "Cộng hòa xã hội chủ nghĩa Việt Nam")
    assert CODEC.convert("§éc lËp - Tù do - H¹nh phóc", "tcvn3") == (
        "Độc lập - Tự do - Hạnh phúc")
    assert CODEC.convert("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "vni") == (
        "Cộng hòa xã hội chủ nghĩa Việt Nam")
    assert CODEC.convert("UÛY BAN NHAÂN DAÂN TÆNH", "vni") == "ỦY BAN NHÂN DÂN TỈNH"
    assert CODEC.convert("kÕ ho¹ch", "tcvn3", capitals=True) == "KẾ HOẠCH"


def test_a_vni_mark_that_makes_no_vietnamese_letter_is_left_alone() -> None:
    assert CODEC.convert("uê oê", "vni") == "uê oê"  # no u/o with a breve


WORD = st.text(alphabet=st.sampled_from([*VIETNAMESE_LOWER, " ", ".", ",", "1", "-"]),
               max_size=60)


@settings(max_examples=200, deadline=None)
@given(text=WORD)
def test_round_trip_property(text: str) -> None:
    assert CODEC.convert(to_tcvn3(text), "tcvn3") == text
    assert CODEC.convert(to_vni(text), "vni") == text
    assert CODEC.convert(to_vni(text.upper()), "vni") == text.upper()


# --------------------------------------------------------------------------- recognising


def _examples(kind: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for rule in RULES.rules:
        out += [(rule.id, ex) for ex in getattr(rule.examples, kind)]
    return out


@pytest.mark.parametrize(("rule_id", "example"), _examples("match"))
def test_match_examples_convert_exactly(rule_id: str, example: Any) -> None:
    found = CODEC.detect(example.text)
    assert found == ("tcvn3" if rule_id == "encoding.tcvn3" else "vni")
    assert example.expect["text"] in CODEC.convert(example.text, found)


@pytest.mark.parametrize(("rule_id", "text"), _examples("no_match"))
def test_no_match_examples_are_left_alone(rule_id: str, text: str) -> None:
    assert CODEC.detect(text) is None
    loaded = load_bytes(text.encode(), "x.txt")
    assert loaded.blocks[0].text == text
    assert not loaded.warnings


def _seeds() -> list[Path]:
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.mark.parametrize("seed", _seeds(), ids=lambda p: p.stem)
def test_seed_documents(seed: Path) -> None:
    text = seed.read_text(encoding="utf-8")
    assert CODEC.detect(text) is None
    assert CODEC.detect(unicodedata.normalize("NFD", text)) is None
    assert CODEC.detect(to_tcvn3(text.lower())) == "tcvn3"
    assert CODEC.detect(to_vni(text)) == "vni"
    assert CODEC.convert_lines(to_vni(text), "vni") == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(("font", "expected"), [
    (".VnTime", "tcvn3"), (".VnTimeH", "tcvn3"), ("VnArial", "tcvn3"), ("VNI-Times", "vni"),
    ("VNI-Helve", "vni"), ("Times New Roman", None), ("Vni", None), (".Vn", None), (None, None),
])
def test_font_names(font: str | None, expected: str | None) -> None:
    assert CODEC.font_encoding(font) == expected


def test_capital_fonts() -> None:
    assert CODEC.capitals_font(".VnTimeH")
    assert CODEC.capitals_font("VnArialH,Bold")
    assert not CODEC.capitals_font(".VnTime")
    assert not CODEC.capitals_font("VNI-TimesH")


def test_run_with_unicode_vietnamese_is_not_converted() -> None:
    assert CODEC.convert_run("Cộng hòa", ".VnTime") == "Cộng hòa"
    assert CODEC.convert_run("Céng hßa", ".VnTime") == "Cộng hòa"
    assert CODEC.convert_run("Céng hßa", "Arial") == "Céng hßa"


# --------------------------------------------------------------------------- loaders

PLAN = ("II. Mục tiêu\n- Phấn đấu đến năm 2030 có 50 hợp tác xã hoạt động hiệu quả.\n"
        "- Báo cáo kết quả trước ngày 15/12 hằng năm.\n")


@pytest.mark.parametrize(("name", "encode", "how"), [
    ("TCVN3 (ABC)", lambda s: to_tcvn3(s).encode("cp1252"), "8-bit"),
    ("TCVN3 (ABC)", lambda s: to_tcvn3(s).encode("utf-8"), "pasted into UTF-8"),
    ("VNI", lambda s: to_vni(s).encode("cp1252"), "8-bit"),
    ("VNI", lambda s: to_vni(s).encode("utf-8"), "pasted into UTF-8"),
])
def test_text_loader_converts(name: str, encode: Any, how: str) -> None:
    text = PLAN if name == "VNI" else PLAN.replace("Mục", "mục")  # TCVN3 has no Ụ
    loaded = load_bytes(encode(text), "plan.txt")
    assert [b.text for b in loaded.blocks] == text.splitlines()
    assert loaded.warnings == (Notice(code="legacy-encoding", message=(
        f"text in the {name} font encoding, converted to Unicode")),)


def test_text_loader_keeps_unicode_lines_of_a_legacy_document() -> None:
    mixed = to_tcvn3(PLAN.lower()) + "Cộng hòa xã hội chủ nghĩa Việt Nam\n"
    lines = [b.text for b in load_bytes(mixed.encode(), "plan.txt").blocks]
    assert lines[-1] == "Cộng hòa xã hội chủ nghĩa Việt Nam"
    assert lines[1] == "- phấn đấu đến năm 2030 có 50 hợp tác xã hoạt động hiệu quả."


def test_pipeline_on_legacy_text() -> None:
    from kttt_extract.pipeline import extract_text

    result = extract_text(to_tcvn3(PLAN.replace("Mục", "mục")))
    assert [(t.value, t.unit, t.year) for t in result.targets] == [(50, "hợp tác xã", 2030)]
    assert [d.text for d in result.deadlines][-1] == "trước ngày 15/12 hằng năm"


def _legacy_docx() -> bytes:
    from docx import Document

    doc = Document()
    run = doc.add_paragraph().add_run(to_tcvn3("kế hoạch phát triển"))
    run.font.name = ".VnTimeH"
    para = doc.add_paragraph()
    first = para.add_run(to_tcvn3("Phấn đấu đến năm 2030 có "))
    first.font.name = ".VnTime"
    para.add_run("50 hợp tác xã").font.name = "Times New Roman"
    doc.add_paragraph().add_run(to_vni("Ủy ban nhân dân tỉnh")).font.name = "VNI-Times"
    doc.add_paragraph().add_run("Cộng hòa").font.name = ".VnTime"  # Unicode typed in it
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].paragraphs[0].add_run(to_tcvn3("chỉ tiêu")).font.name = ".VnTime"
    table.rows[0].cells[1].paragraphs[0].add_run("95%")
    doc.add_paragraph("Hết.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


EXPECTED_DOCX = ["KẾ HOẠCH PHÁT TRIỂN", "Phấn đấu đến năm 2030 có 50 hợp tác xã",
                 "Ủy ban nhân dân tỉnh", "Cộng hòa", "chỉ tiêu | 95%", "Hết."]


def test_docx_runs_are_converted_by_their_font() -> None:
    loaded = load_bytes(_legacy_docx(), "plan.docx")
    assert [b.text for b in loaded.blocks] == EXPECTED_DOCX
    assert {w.message for w in loaded.warnings} == {
        "text in the TCVN3 (ABC) font encoding, converted to Unicode",
        "text in the VNI font encoding, converted to Unicode"}


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice (soffice) is not installed")
def test_doc_keeps_the_fonts_that_tell_the_encoding(tmp_path: Path) -> None:
    source = tmp_path / "legacy.docx"
    source.write_bytes(_legacy_docx())
    program = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"
    subprocess.run([program, f"-env:UserInstallation={(tmp_path / 'p').as_uri()}", "--headless",
                    "--convert-to", "doc", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    loaded = load_bytes((tmp_path / "legacy.doc").read_bytes(), "legacy.doc")
    assert [b.text for b in loaded.blocks] == EXPECTED_DOCX
    assert loaded.source.format == "doc"


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(
    [*sorted(encodings.VIETNAMESE), " ", ".", ",", "1", "-", "\n", "%", "/", "(", ")"]),
    max_size=300))
def test_unicode_vietnamese_is_never_taken_for_a_legacy_encoding(text: str) -> None:
    assert CODEC.detect(text) is None
    assert CODEC.detect(unicodedata.normalize("NFD", text)) is None


def test_fix_blocks_by_font_then_by_statistics() -> None:
    from kttt_extract.model import Block, Cell, Hints

    blocks = [Block(kind="paragraph", text="Céng hßa", hints=Hints(font="VnTime")),
              Block(kind="paragraph", text="Céng hßa", hints=Hints(font="Arial")),
              Block(kind="table_row", text="chØ tiªu | 95%",
                    cells=(Cell(text="chØ tiªu"), Cell(text="95%", col=1))),
              Block(kind="paragraph", text="PhÊn ®Êu ®Õn n¨m 2030 cã 50 hîp t¸c x·.")]
    fixed, met = CODEC.fix_blocks(blocks)
    assert met == "tcvn3"
    assert [b.text for b in fixed] == ["Cộng hòa", "Céng hßa", "chỉ tiêu | 95%",
                                       "Phấn đấu đến năm 2030 có 50 hợp tác xã."]
    assert [c.text for c in fixed[2].cells] == ["chỉ tiêu", "95%"]


def test_docx_whose_normal_style_is_a_legacy_font() -> None:
    from docx import Document

    doc = Document()
    doc.styles["Normal"].font.name = ".VnTime"
    doc.add_paragraph(to_tcvn3("Phấn đấu có 50 hợp tác xã"))
    doc.add_paragraph().add_run("Cộng hòa").font.name = "Times New Roman"
    buf = io.BytesIO()
    doc.save(buf)
    loaded = load_bytes(buf.getvalue(), "normal.docx")
    assert [b.text for b in loaded.blocks] == ["Phấn đấu có 50 hợp tác xã", "Cộng hòa"]
