"""Score a Result against a hand-written `samples/<doc>.expected.json`: P/R/F1 per list.

Each list is matched one to one on a key (a multiset match; targets add a unit test inside each
key group, solved as a maximum bipartite matching). Unmatched expected items are *missed*,
unmatched produced ones *invented*. Produced items also count as true or false positives of the
rule that made them. The keys:

- sections: number, kind, level, parent's number, first 20 characters of the heading;
- targets: metric, value, value_max, comparator, year, then the unit: exact for `%`, `đồng` and
  `lần`, else the expected unit must appear in the produced unit or indicator;
- deadlines: kind, date, recurrence, day, period;
- agencies: the canonical name; agency_roles: (name, role) pairs; generic groups (`group: true`)
  are left out on both sides, as the contract's measurement of the agencies that have work does;
- tasks: first 30 characters of the text and the set of lead names (groups left out);
- references: (kind, number), or (kind, date) for a law without number;
- document: each field of the expected `document` scored right or wrong (accuracy).

Strings in keys are compared tone-folded, casefolded and with whitespace collapsed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from kttt_extract.errors import UnreadableInput
from kttt_extract.model import Result
from kttt_extract.textnorm import fold_tones, unify_chars

Row = dict[str, Any]
Rows = dict[str, list[Row]]
LISTS = ("sections", "targets", "deadlines", "agencies", "agency_roles", "tasks", "references")
DOC_FIELDS = ("kind", "number", "title", "issuer", "place", "date", "signer.name",
              "signer.position", "recipients")
EXACT_UNITS = frozenset({"%", "đồng", "lần"})
_BULLET = regex.compile(r"^\s*(?:[-+•*·–]|\(?(?:\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)])\s*")


def norm(text: Any) -> str:
    """Tone-folded, casefolded, whitespace collapsed; '' for None."""
    if text is None:
        return ""
    return " ".join(fold_tones(unify_chars(str(text))).casefold().split())


@dataclass(frozen=True)
class ListScore:
    """Counts of one list (of one document or summed), with the items that did not match."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed: tuple[Row, ...] = ()
    invented: tuple[Row, ...] = ()

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: ListScore) -> ListScore:
        return ListScore(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn,
                         self.missed + other.missed, self.invented + other.invented)

    def numbers(self) -> dict[str, float]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class DocScore:
    """The score of one document."""

    name: str
    lists: dict[str, ListScore]
    fields: dict[str, bool] = field(default_factory=dict)
    rules: dict[str, tuple[int, int]] = field(default_factory=dict)  # rule id -> (tp, fp)
    error: str | None = None

    @property
    def accuracy(self) -> float:
        return sum(self.fields.values()) / len(self.fields) if self.fields else 1.0


@dataclass
class Summary:
    """Scores of several documents, summed per list (micro-averaged) and per rule."""

    documents: list[DocScore]

    @property
    def lists(self) -> dict[str, ListScore]:
        out = {name: ListScore() for name in LISTS}
        for doc in self.documents:
            for name, s in doc.lists.items():
                out[name] = out[name] + s
        return out

    @property
    def accuracy(self) -> float:
        marks = [v for d in self.documents for v in d.fields.values()]
        return sum(marks) / len(marks) if marks else 1.0

    @property
    def rules(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for doc in self.documents:
            for rid, (tp, fp) in doc.rules.items():
                a, b = out.get(rid, (0, 0))
                out[rid] = (a + tp, b + fp)
        return dict(sorted(out.items()))

    def baseline(self) -> dict[str, Any]:
        """The numbers `--save-baseline` writes and `--baseline` compares with."""
        return {
            "version": 1,
            "lists": {n: s.numbers() for n, s in self.lists.items()},
            "document": {"accuracy": round(self.accuracy, 4)},
            "documents": {d.name: {n: round(s.f1, 4) for n, s in d.lists.items()}
                          for d in self.documents},
        }


def regressions(summary: Summary, baseline: Mapping[str, Any], margin: float = 0.02
                ) -> list[str]:
    """Lists whose F1 (and the document accuracy) fell more than `margin` below the baseline."""
    out = []
    current = {n: s.f1 for n, s in summary.lists.items()}
    current["document"] = summary.accuracy
    old = {n: float(v["f1"]) for n, v in baseline.get("lists", {}).items()}
    if "document" in baseline:
        old["document"] = float(baseline["document"]["accuracy"])
    for name, before in old.items():
        now = current.get(name)
        if now is not None and now < before - margin - 1e-9:
            out.append(f"{name}: F1 {now:.3f} fell below the baseline {before:.3f} "
                       f"by more than {margin:g}")
    return out


# ----------------------------------------------------------------------------- rows


def produced_rows(result: Result) -> Rows:
    """The lists of a Result in the shape of an expected file (parents and leads as names)."""
    numbers = {s.id: s.number for s in result.sections}
    names = {a.id: a.name for a in result.agencies}
    groups = {a.id for a in result.agencies if a.group}
    rows: Rows = {
        "sections": [{**s.model_dump(exclude={"id", "span"}), "parent": numbers.get(s.parent or "")}
                     for s in result.sections],
        "targets": [t.model_dump(exclude={"span", "section", "id"}) for t in result.targets],
        "deadlines": [d.model_dump(exclude={"span", "section", "id"}) for d in result.deadlines],
        "references": [r.model_dump(exclude={"spans"}) for r in result.document.references],
        "agencies": [], "agency_roles": [],
        "tasks": [{**t.model_dump(include={"text", "rule"}),
                   **{k: [names.get(i, i) for i in getattr(t, k) if i not in groups]
                      for k in ("lead", "support", "report_to")}}
                  for t in result.tasks],
    }
    for a in result.agencies:
        by_role: dict[str, str] = {}
        for m in a.mentions:
            by_role.setdefault(m.role, m.rule)
        rule = a.mentions[0].rule if a.mentions else None
        if a.group:
            continue  # a generic group is no agency (CONTRACT.md: the agencies that have work)
        rows["agencies"].append({"name": a.name, "aliases": list(a.aliases),
                                 "roles": list(by_role), "group": a.group, "rule": rule})
        rows["agency_roles"].extend({"name": a.name, "role": r, "rule": rid}
                                    for r, rid in by_role.items())
    return rows


def expected_rows(expected: Mapping[str, Any]) -> Rows:
    """The lists of an expected file, with `agency_roles` derived from the agencies' roles."""
    rows: Rows = {name: [dict(x) for x in expected.get(name) or ()] for name in LISTS}
    rows["references"] = [dict(r) for r in (expected.get("document") or {}).get("references", ())]
    ids = {a["id"]: a["name"] for a in rows["agencies"] if "id" in a}
    groups = {a["name"] for a in rows["agencies"] if a.get("group")}
    groups |= {a["id"] for a in rows["agencies"] if a.get("group") and "id" in a}
    rows["agencies"] = [a for a in rows["agencies"] if not a.get("group")]
    rows["agency_roles"] = [{"name": a["name"], "role": r}
                            for a in rows["agencies"] for r in dict.fromkeys(a.get("roles", ()))]
    sec_ids = {s["id"]: s.get("number") for s in rows["sections"] if "id" in s}
    for s in rows["sections"]:
        s["parent"] = sec_ids.get(s.get("parent"), s.get("parent"))
    for t in rows["tasks"]:
        for k in ("lead", "support", "report_to"):
            t[k] = [ids.get(x, x) for x in t.get(k) or () if x not in groups]
    return rows


# ----------------------------------------------------------------------------- keys


def _num(v: Any) -> float | None:
    return None if v is None else round(float(v), 6)


def _section_key(s: Row) -> Hashable:
    head = norm(s.get("heading")).strip(" .:;*-")[:20]
    return (norm(s.get("number")), s.get("kind"), s.get("level"), norm(s.get("parent")), head)


def _target_key(t: Row) -> Hashable:
    return (t.get("metric"), _num(t.get("value")), _num(t.get("value_max")),
            t.get("comparator"), t.get("year"))


def _unit_ok(e: Row, p: Row) -> bool:
    eu, pu = norm(e.get("unit")), norm(p.get("unit"))
    if eu in EXACT_UNITS or pu in EXACT_UNITS or not eu:
        return eu == pu
    return eu in pu or eu in norm(p.get("indicator"))


def _deadline_key(d: Row) -> Hashable:
    period = d.get("period")
    return (d.get("kind"), d.get("date"), d.get("recurrence"), d.get("day"),
            tuple(period) if period is not None else None)


def _reference_key(r: Row) -> Hashable:
    number = "".join(norm(r.get("number")).split())
    return (norm(r.get("kind")), number) if number else (norm(r.get("kind")), "", r.get("date"))


def task_prefix(text: Any) -> str:
    """The first 30 characters of a task's text, normalised, without its bullet or number."""
    return norm(_BULLET.sub("", str(text or ""), count=1))[:30]


def _task_key(t: Row) -> Hashable:
    return (task_prefix(t.get("text")), frozenset(norm(x) for x in t.get("lead") or ()))


KEYS: dict[str, Callable[[Row], Hashable]] = {
    "sections": _section_key,
    "targets": _target_key,
    "deadlines": _deadline_key,
    "agencies": lambda a: norm(a.get("name")),
    "agency_roles": lambda a: (norm(a.get("name")), a.get("role")),
    "tasks": _task_key,
    "references": _reference_key,
}
SAME: dict[str, Callable[[Row, Row], bool]] = {"targets": _unit_ok}


# ----------------------------------------------------------------------------- matching


def match(expected: Sequence[Row], produced: Sequence[Row], key: Callable[[Row], Hashable],
          same: Callable[[Row, Row], bool] | None = None) -> list[tuple[int, int]]:
    """Pairs (expected index, produced index): equal keys, then `same` by bipartite matching."""
    groups: dict[Hashable, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i, e in enumerate(expected):
        groups[key(e)][0].append(i)
    for j, p in enumerate(produced):
        groups[key(p)][1].append(j)
    pairs: list[tuple[int, int]] = []
    for es, ps in groups.values():
        if same is None:
            pairs.extend(zip(es, ps, strict=False))
        else:
            edges = {i: [j for j in ps if same(expected[i], produced[j])] for i in es}
            pairs.extend(_bipartite(edges))
    return sorted(pairs)


def _bipartite(edges: Mapping[int, Sequence[int]]) -> list[tuple[int, int]]:
    """Maximum bipartite matching by augmenting paths (Kuhn); groups are small."""
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in edges:
        augment(i, set())
    return [(i, j) for j, i in owner.items()]


def score_list(name: str, expected: Sequence[Row], produced: Sequence[Row]
               ) -> tuple[ListScore, list[tuple[Row, bool]]]:
    """Score one list; also each produced row with whether it matched (for per-rule counts)."""
    pairs = match(expected, produced, KEYS[name], SAME.get(name))
    hit_e = {i for i, _ in pairs}
    hit_p = {j for _, j in pairs}
    missed = tuple(_brief(e) for i, e in enumerate(expected) if i not in hit_e)
    invented = tuple(_brief(p) for j, p in enumerate(produced) if j not in hit_p)
    s = ListScore(len(pairs), len(produced) - len(pairs), len(expected) - len(pairs),
                  missed, invented)
    return s, [(p, j in hit_p) for j, p in enumerate(produced)]


def _brief(row: Row) -> Row:
    return {k: v for k, v in row.items() if k not in ("span", "spans", "section", "id")}


def score_rows(name: str, expected: Rows, produced: Rows, document: Mapping[str, Any],
               produced_document: Mapping[str, Any]) -> DocScore:
    """Score every list and the document fields of one document."""
    doc = DocScore(name, {})
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for list_name in LISTS:
        s, flags = score_list(list_name, expected[list_name], produced[list_name])
        doc.lists[list_name] = s
        if list_name == "agencies":
            continue  # counted through agency_roles
        for row, ok in flags:
            for rid in dict.fromkeys(r for r in (row.get("rule"), row.get("kind_rule")) if r):
                tally[rid][0 if ok else 1] += 1
    doc.rules = {k: (v[0], v[1]) for k, v in sorted(tally.items())}
    doc.fields = score_document(document, produced_document)
    return doc


def score_document(expected: Mapping[str, Any], produced: Mapping[str, Any]) -> dict[str, bool]:
    """Each field the expected document gives, right or wrong."""
    out: dict[str, bool] = {}
    for name in DOC_FIELDS:
        head, _, sub = name.partition(".")
        if head not in expected:
            continue
        e, p = expected.get(head), produced.get(head)
        if sub:
            if not isinstance(e, Mapping) or sub not in e:
                continue
            e, p = e.get(sub), (p or {}).get(sub)
        if isinstance(e, list):
            out[name] = sorted(map(norm, e)) == sorted(map(norm, p or ()))
        else:
            out[name] = norm(e).strip(" .") == norm(p).strip(" .")
    return out


def score(result: Result | None, expected: Mapping[str, Any], name: str = "",
          error: str | None = None) -> DocScore:
    """Score a Result (None when extraction failed: everything is missed)."""
    produced = produced_rows(result) if result is not None else {n: [] for n in LISTS}
    doc = result.document.model_dump() if result is not None else {}
    out = score_rows(name, expected_rows(expected), produced, expected.get("document") or {}, doc)
    out.error = error
    return out


# ----------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class Sample:
    name: str
    input: Path
    expected: Path


INPUT_PREFERENCE = (".docx", ".pdf", ".doc", ".odt", ".rtf", ".md", ".txt")


def find_samples(folder: Path) -> list[Sample]:
    """Every document `<doc>.<ext>` with a `<doc>.expected.json` beside it; one document in
    several formats (`plan.txt`, `plan.docx`, `plan.pdf`) gives one sample per format, named
    `plan` for the preferred format and `plan.<ext>` for the others."""
    out = []
    for exp in sorted(folder.glob("*.expected.json")):
        name = exp.name[: -len(".expected.json")]
        inputs = [p for p in folder.iterdir()
                  if p.is_file() and p.stem == name and p.name != exp.name
                  and p.suffix.lower() in INPUT_PREFERENCE]
        inputs.sort(key=lambda p: (_rank(p.suffix.lower()), p.name))
        for i, doc in enumerate(inputs):
            out.append(Sample(name if i == 0 else doc.name, doc, exp))
    return out


def _rank(suffix: str) -> int:
    return INPUT_PREFERENCE.index(suffix) if suffix in INPUT_PREFERENCE else len(INPUT_PREFERENCE)


def read_expected(path: Path) -> dict[str, Any]:
    """An expected file as a dict; an unreadable one is an UnreadableInput error."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableInput(f"cannot read expected file: {exc}", path=str(path)) from None
    if not isinstance(data, dict):
        raise UnreadableInput("expected file is not a JSON object", path=str(path))
    return data
