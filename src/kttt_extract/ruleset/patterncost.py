"""What a pattern costs when compiled, read from its source without compiling it (how slow it
is on adversarial text is measured by the rule tooling: kttt_extract.ruletools.timing).

The `regex` module expands counted repeats: `a{99999999}` (or `(?:a{9999}){9999}`) makes it
build a program of that many positions, in C, for minutes and gigabytes, beyond the reach of any
timeout. So the cost is estimated first: each atom counts one position, a counted repeat
multiplies the atom or group before it by its lower bound, an alternation takes its largest
branch. Only counted repeats (`{n}`, `{n,}`, `{n,m}`) multiply; `*`, `+` and `?` do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REPEAT = re.compile(r"\{\s*(\d*)\s*(?:,\s*\d*\s*)?\}")
# what follows "(" in groups that are not plain: (?:, (?=, (?!, (?<=, (?<!, (?>, (?|, (?P<name>,
# (?<name>, (?P=name, (?P>name, (?&name, flags (?i) and (?i:, conditionals (?(
_GROUP_HEAD = re.compile(r"\?(?:P?<(?![=!])[^>]*>|P[=>][^)]*|&[^)]*|[:=!>|]|<[=!]|[-a-zA-Z^]*:?)")
_BRACED_ESCAPES = "pPNxX"


@dataclass
class _Frame:
    best: int = 0  # the largest finished branch of an alternation
    seq: int = 0  # the branch being read
    last: int = 0  # the atom (or group) a quantifier would apply to

    def add(self, size: int) -> None:
        self.seq += size
        self.last = size

    def repeat(self, times: int) -> None:
        times = max(times, 1)
        self.seq += self.last * (times - 1)
        self.last *= times

    def branch(self) -> None:
        self.best, self.seq, self.last = max(self.best, self.seq), 0, 0

    def total(self) -> int:
        return max(self.best, self.seq)


def expansion(source: str, verbose: bool) -> int:
    """The number of positions `source` expands to when compiled (see the module docstring)."""
    frames = [_Frame()]
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if verbose and c.isspace():
            i += 1
        elif verbose and c == "#":
            end = source.find("\n", i)
            i = n if end < 0 else end + 1
        elif c == "\\":
            frames[-1].add(1)
            i = _escape_end(source, i)
        elif c == "[":
            frames[-1].add(1)
            i = _class_end(source, i)
        elif c == "(":
            i = _open_group(source, i, frames)
        elif c == ")":
            inner = frames.pop().total() if len(frames) > 1 else 0
            frames[-1].add(inner)
            i += 1
        elif c == "|":
            frames[-1].branch()
            i += 1
        elif c == "{" and (m := _REPEAT.match(source, i)):
            frames[-1].repeat(int(m.group(1) or 0))
            i = m.end()
        else:
            if c not in "*+?":
                frames[-1].add(1)
            i += 1
    while len(frames) > 1:  # unbalanced: the compiler will say so
        inner = frames.pop().total()
        frames[-1].add(inner)
    return frames[0].total()


def _open_group(source: str, i: int, frames: list[_Frame]) -> int:
    if source.startswith("(?#", i):
        end = source.find(")", i)
        return len(source) if end < 0 else end + 1
    frames.append(_Frame())
    head = _GROUP_HEAD.match(source, i + 1)
    return head.end() if head else i + 1


def _escape_end(source: str, i: int) -> int:
    if i + 2 < len(source) and source[i + 1] in _BRACED_ESCAPES and source[i + 2] == "{":
        end = source.find("}", i)
        return len(source) if end < 0 else end + 1
    if source.startswith("g<", i + 1):
        end = source.find(">", i)
        return len(source) if end < 0 else end + 1
    return i + 2


def _class_end(source: str, i: int) -> int:
    """The index after the character class opening at `i`."""
    j = i + 1
    if source.startswith("^", j):
        j += 1
    if source.startswith("]", j):
        j += 1
    while j < len(source):
        if source[j] == "\\":
            j += 2
        elif source.startswith("[:", j):
            end = source.find(":]", j + 2)
            j = j + 1 if end < 0 else end + 2
        elif source[j] == "]":
            return j + 1
        else:
            j += 1
    return j
