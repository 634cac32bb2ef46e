"""Named fragments: pieces of patterns defined once (`fragments:` in a rule file) and written by
name in any pattern (`(?P<v>{number})\\s*%`). A fragment may use other fragments; each is put in
as a non-capturing group, so `{number}` behaves like one atom wherever it stands.

A `{name}` is a fragment unless a backslash comes before it (`\\{name}`, a literal brace) or it
is the braces of an escape (`\\p{Lu}`); names have two characters at least, so regex's fuzzy
counts (`{e}`, `{e<=1}`) and repeats (`{2}`, `{1,3}`) never read as fragments.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import regex

_REF = regex.compile(r"(?<!\\)(?<!\\[pPNxX])\{([a-z][a-z0-9_]+)\}")


class FragmentError(ValueError):
    """A pattern names a fragment that does not exist, or fragments that use each other."""


def references(source: str) -> list[str]:
    """The fragment names `source` uses, in order."""
    return _REF.findall(source)


def expand(source: str, fragments: Mapping[str, str]) -> str:
    """`source` with every `{name}` replaced by its fragment (as `(?:...)`), recursively."""
    if "{" not in source:
        return source
    return _expand(source, fragments, ())


def _expand(source: str, fragments: Mapping[str, str], using: tuple[str, ...]) -> str:
    def one(m: regex.Match[str]) -> str:
        name = m.group(1)
        if name in using:
            chain = " -> ".join((*using[using.index(name):], name))
            raise FragmentError(f"fragments use each other: {chain}")
        if name not in fragments:
            close = difflib.get_close_matches(name, list(fragments), n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            known = ", ".join(sorted(fragments)) or "none"
            raise FragmentError(f"unknown fragment {{{name}}}{hint}; the fragments are: {known}")
        return "(?:" + _expand(fragments[name], fragments, (*using, name)) + ")"

    return _REF.sub(one, source)


def bare_layout(source: str) -> list[int]:
    """Offsets of whitespace and `#` that a verbose pattern would drop: outside character
    classes and not escaped. A fragment must have none (it may land in a pattern of either
    mode), and in a one-line pattern they are taken literally."""
    out: list[int] = []
    i, in_class = 0, False
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if source.startswith("]", i + 1) or source.startswith("^]", i + 1):
                i += 2 if source[i + 1] == "]" else 3
                continue
        elif c.isspace() or c == "#":
            out.append(i)
        i += 1
    return out
