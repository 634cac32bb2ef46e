"""Timing patterns on adversarial text: a pattern that takes longer than SLOW_SECONDS on a long
line of one character, of spaces, of digits and dots, or on its own examples repeated, is
reported as too slow (catastrophic backtracking)."""

from __future__ import annotations

from kttt_extract.ruleset.load import CompiledRule
from kttt_extract.ruleset.schema import Rule

SLOW_SECONDS = 0.5

_VI_LINE = (
    "Ủy ban nhân dân huyện chủ trì, phối hợp với các phòng, ban, ngành liên quan tổ chức thực "
    "hiện có hiệu quả các nhiệm vụ, giải pháp đến năm 2030, bảo đảm 100% số xã đạt chuẩn; "
)
ADVERSARIAL: tuple[tuple[str, str], ...] = (
    ("'a' * 5000", "a" * 5000),
    ("'a' * 5000 + '!'", "a" * 5000 + "!"),
    ("' ' * 5000", " " * 5000),
    ("' ' * 5000 + '!'", " " * 5000 + "!"),
    ("'1.' * 2000", "1." * 2000),
    ("'1.' * 2000 + 'x'", "1." * 2000 + "x"),
    ("'1' * 5000 + '!'", "1" * 5000 + "!"),
    ("'x' * 5000 + '!'", "x" * 5000 + "!"),
    ("'A' * 5000 + '!'", "A" * 5000 + "!"),
    ("'Ư ' * 2500 + '!'", "Ư " * 2500 + "!"),
    ("'- a\\n' * 1250", "- a\n" * 1250),
    ("a long Vietnamese line", _VI_LINE * 30),
    ("a long Vietnamese line + '!'", _VI_LINE.upper() * 30 + "!"),
)


def slow_input(rule: CompiledRule, timeout: float = SLOW_SECONDS) -> str | None:
    """The first adversarial input on which the rule's pattern exceeds `timeout`, if any."""
    for label, text in (*ADVERSARIAL, *_example_inputs(rule.rule)):
        try:
            for _ in rule.regex.finditer(text, timeout=timeout):
                pass
        except TimeoutError:
            return label
    return None


def _example_inputs(rule: Rule) -> list[tuple[str, str]]:
    """The rule's own example texts, repeated to a long line and followed by a stray character."""
    texts = [e.text for e in (*rule.examples.match, *rule.examples.todo)]
    texts += list(rule.examples.no_match)
    joined = " ".join(texts)
    if not joined.strip():
        return []
    times = 5000 // len(joined) + 1
    return [("its examples repeated", (joined + " ") * times + "!"),
            ("its examples repeated on lines", (joined + "\n") * times)]
