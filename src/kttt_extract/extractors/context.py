"""What every extractor reads: the text, its paragraphs, the sections and the rules."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import regex

from kttt_extract.model import NormText, Notice, Para, Section
from kttt_extract.ruleset import RuleSet
from kttt_extract.ruleset.load import CompiledRule
from kttt_extract.sections import SectionIndex, body_end


@dataclass
class Context:
    norm: NormText
    sections: Sequence[Section]
    rules: RuleSet
    index: SectionIndex
    body_start: int
    body_end: int
    preamble_start: int
    closing_start: int  # "Trên đây là ...": the closing paragraph of the body
    notices: list[Notice] = field(default_factory=list)

    @classmethod
    def build(cls, norm: NormText, sections: Sequence[Section], rules: RuleSet) -> Context:
        end = body_end(norm, rules)
        start = _body_start(norm, sections, rules, end)
        preamble = _preamble_start(norm, sections, rules, start, end)
        closing = _first_para(norm, rules, "body.closing", preamble, end)
        return cls(norm, sections, rules, SectionIndex(sections), start, end, preamble,
                   end if closing is None else closing)

    @property
    def text(self) -> str:
        return self.norm.text

    def body_paras(self) -> Iterator[Para]:
        """Paragraphs of the body, without a letter's addressee block ("Kính gửi: - ...")."""
        addressees = self.rules.get("meta.addressees").regex
        in_block = False
        for p in self.norm.paras:
            if not (p.span[0] >= self.body_start and p.span[1] <= self.body_end):
                continue
            line = self.text[p.span[0]:p.span[1]]
            if addressees is not None and addressees.match(line):
                in_block = True
                continue
            if in_block and line.startswith(("-", "+", "•")) and p.span[0] < self.preamble_start:
                continue
            in_block = False
            yield p

    def finditer(self, rule: CompiledRule, start: int | None = None, end: int | None = None,
                 overlapped: bool = False) -> Iterator[regex.Match[str]]:
        """Matches of a rule inside the body (or the given window)."""
        if rule.regex is None:
            return iter(())
        lo = self.body_start if start is None else start
        hi = self.body_end if end is None else end
        return rule.regex.finditer(self.text, lo, hi, overlapped=overlapped, timeout=5.0)

    def section_id(self, pos: int) -> str | None:
        return self.index.id_at(pos)


def _first_para(norm: NormText, rules: RuleSet, rule_id: str, lo: int, hi: int) -> int | None:
    pattern = rules.get(rule_id).regex
    if pattern is None:
        return None
    for para in norm.paras:
        if lo <= para.span[0] < hi and pattern.match(norm.text, para.span[0], para.span[1],
                                                     timeout=1.0):
            return para.span[0]
    return None


def _body_start(norm: NormText, sections: Sequence[Section], rules: RuleSet, end: int) -> int:
    """The body starts at the kind title ("KẾ HOẠCH"), a letter's "V/v" line, or the preamble."""
    limit = sections[0].span[0] if sections else end
    for rule_id in ("body.start-title", "body.start-letter", "body.start-preamble"):
        found = _first_para(norm, rules, rule_id, 0, limit + 1)
        if found is not None:
            return found
    return sections[0].span[0] if sections else 0


def _preamble_start(norm: NormText, sections: Sequence[Section], rules: RuleSet, start: int,
                    end: int) -> int:
    """Where the work text starts: the preamble, else the first section, else the body."""
    limit = sections[0].span[0] if sections else end
    found = _first_para(norm, rules, "body.start-preamble", start, limit + 1)
    if found is not None:
        return found
    return limit if sections else start
