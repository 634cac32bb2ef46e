"""Fuzzing the readers of untrusted bytes added for issue 15: rule files (YAML with anchors,
aliases and tags), patterns, ZIP packages with edited headers, PDF streams. Each may only raise
the documented error of its kind, and quickly.

The number of examples follows the hypothesis profile: the default (and `ci`, derandomized) for
the test suite, `fuzz` (HYPOTHESIS_PROFILE=fuzz, KTTT_FUZZ_EXAMPLES) for the longer run in CI."""

from __future__ import annotations

import contextlib
import io
import struct
import time
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kttt_extract.errors import InputTooLarge, RuleFileError, UnreadableInput
from kttt_extract.loaders import MB, pdflimits, ziplimit
from kttt_extract.ruleset.load import RuleLimits, compile_rule, parse_rule_text, shipped_rules_dir
from kttt_extract.ruleset.schema import Rule

FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIMITS = RuleLimits(max_bytes=MB, max_aliases=200)
SHIPPED = (shipped_rules_dir() / "deadlines.yaml").read_text(encoding="utf-8")
YAML_TOKENS = ["concern: deadlines\n", "schema_version: 1\n", "rules:\n", "  - ", "id: x.y\n",
               "description: fuzzed rule text\n", "pattern: ", "'a+'", "words: ", "[", "]", "{",
               "}", ", ", "&a ", "*a", "&b ", "*b", "!!python/name:os.system ", "!!str ",
               "!!binary ", "!foo ", "<<: ", "? ", ": ", "- ", "\n", "  ", "|\n", ">\n", "'",
               '"', "\\", "#", "---\n", "...\n", "%YAML 1.1\n", "\t", "\x00", "\ufeff", "ế"]
PATTERN_CHARS = "ab()[]{}|*+?\\^$.,:-=!<>P0123456789 #\nwdsp"


@FUZZ
@given(text=st.one_of(st.lists(st.sampled_from(YAML_TOKENS), max_size=120).map("".join),
                      st.text(max_size=300)))
def test_rule_text_raises_only_rule_file_errors(text: str) -> None:
    started = time.monotonic()
    try:
        parse_rule_text(text, "fuzz.yaml", LIMITS)
    except RuleFileError as exc:
        assert exc.line_no >= 1 and exc.col >= 1
    assert time.monotonic() - started < 5


@FUZZ
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                st.sampled_from(YAML_TOKENS)), min_size=1, max_size=6))
def test_edited_shipped_rule_file(edits: list[tuple[float, str]]) -> None:
    text = SHIPPED
    for where, token in edits:
        at = int(where * len(text))
        text = text[:at] + token + text[at:]
    with contextlib.suppress(RuleFileError):
        parse_rule_text(text, "deadlines.yaml", LIMITS)


@FUZZ
@given(pattern=st.text(alphabet=PATTERN_CHARS, min_size=1, max_size=40))
def test_patterns_compile_or_are_refused_quickly(pattern: str) -> None:
    rule = Rule(id="deadline.fuzz", description="a fuzzed pattern", pattern=pattern)
    started = time.monotonic()
    with contextlib.suppress(RuleFileError):
        compile_rule(rule, "deadlines", Path("fuzz.yaml"), 1)
    assert time.monotonic() - started < 5


def _docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.add_paragraph("KẾ HOẠCH")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


_DOCX = _docx()


@FUZZ
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 2**32 - 1)),
                      min_size=1, max_size=6))
def test_zip_with_edited_headers(edits: list[tuple[float, int]]) -> None:
    """Sizes, offsets and lengths in the headers overwritten with any 32-bit value."""
    data = bytearray(_DOCX)
    for where, value in edits:
        at = min(int(where * len(data)), len(data) - 4)
        struct.pack_into("<I", data, at, value)
    try:
        ziplimit.check_package(bytes(data), "fuzz.docx", 4 * MB)
    except (UnreadableInput, InputTooLarge):
        return
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:  # what passed reads within its limit
        for info in zf.infolist():
            assert info.file_size <= 4 * MB


@FUZZ
@given(body=st.binary(max_size=2000), filters=st.integers(0, 3))
def test_pdf_stream_scanner(body: bytes, filters: int) -> None:
    head = b"<< /Filter [" + b" /FlateDecode" * filters + b"] >>\nstream\n"
    with contextlib.suppress(InputTooLarge):
        pdflimits.check_streams(b"%PDF-1.7\n1 0 obj\n" + head + body + b"\nendstream", "f.pdf",
                                64 * 1024)
