"""Results built in code for the emitter tests: a small plan whose every span is computed from
its text, so a test can say what should be highlighted or tabled without running the pipeline."""

from __future__ import annotations

from kttt_extract.model import (
    Agency,
    Deadline,
    Document,
    Mention,
    Notice,
    Result,
    Section,
    Source,
    Target,
    Task,
)

PLAN_TEXT = (
    "KẾ HOẠCH\n"
    "Thực hiện chương trình phát triển kinh tế tập thể năm 2025\n"
    "II. NHIỆM VỤ\n"
    "1. Sở Nông nghiệp và Phát triển nông thôn chủ trì, phối hợp với Sở Tài chính thành lập "
    "mới 50 hợp tác xã, hoàn thành trước ngày 15/12/2025.\n"
    "2. Ủy ban nhân dân cấp huyện báo cáo Sở Nông nghiệp và Phát triển nông thôn hàng năm.\n"
)


def span_of(text: str, part: str, start: int = 0) -> tuple[int, int]:
    at = text.index(part, start)
    return at, at + len(part)


def make_result(text: str = PLAN_TEXT, *, path: str = "kh-12.pdf", pages: int | None = 2,
                warnings: tuple[Notice, ...] = (), extra_targets: tuple[Target, ...] = ()
                ) -> Result:
    """The plan above: two tasks, a target, two deadlines, three agencies, on pages 1 and 2."""
    item1 = span_of(text, "Sở Nông nghiệp và Phát triển nông thôn chủ trì")
    item1 = (item1[0], text.index("\n", item1[0]))
    item2 = span_of(text, "Ủy ban nhân dân cấp huyện báo cáo")
    item2 = (item2[0], text.index("\n", item2[0]))
    sn1 = span_of(text, "Sở Nông nghiệp và Phát triển nông thôn")
    sn2 = span_of(text, "Sở Nông nghiệp và Phát triển nông thôn", item2[0])
    section = Section(id="s1", number="II", heading="NHIỆM VỤ", kind="tasks", level=1,
                      parent=None, span=(span_of(text, "II. NHIỆM VỤ")[0], len(text)))
    target = Target(id="t1", span=span_of(text, "50"), section="s1", rule="target.count",
                    page=1, text="thành lập mới 50 hợp tác xã", indicator="hợp tác xã",
                    metric="count", value=50, unit="hợp tác xã", comparator="eq", year=2025)
    dl1 = Deadline(id="d1", span=span_of(text, "trước ngày 15/12/2025"), section="s1",
                   rule="deadline.by-date", page=1, text="trước ngày 15/12/2025", kind="by",
                   date="2025-12-15")
    dl2 = Deadline(id="d2", span=span_of(text, "hàng năm"), section="s1",
                   rule="deadline.yearly", page=2, text="hàng năm", kind="recurring",
                   recurrence="yearly")
    sn = Agency(id="a1", name="Sở Nông nghiệp và Phát triển nông thôn",
                aliases=("Sở Nông nghiệp và Phát triển nông thôn",), mentions=(
                    Mention(span=sn1, section="s1", role="lead", rule="agency.registry",
                            role_rule="role.lead", page=1),
                    Mention(span=sn2, section="s1", role="report_to", rule="agency.registry",
                            role_rule="role.report", page=2)))
    stc = Agency(id="a2", name="Sở Tài chính", aliases=("Sở Tài chính",), mentions=(
        Mention(span=span_of(text, "Sở Tài chính"), section="s1", role="support",
                rule="agency.registry", role_rule="role.support", page=1),))
    ubnd = Agency(id="a3", name="Ủy ban nhân dân cấp huyện",
                  aliases=("Ủy ban nhân dân cấp huyện",), mentions=(
                      Mention(span=span_of(text, "Ủy ban nhân dân cấp huyện"), section="s1",
                              role="lead", rule="agency.registry", role_rule="role.subject",
                              page=2),))
    tasks = (Task(id="k1", text=text[item1[0]:item1[1]], section="s1", span=item1,
                  rule="task.item", lead=("a1",), support=("a2",), deadlines=("d1",),
                  targets=("t1",), product="Quyết định thành lập", page=1),
             Task(id="k2", text=text[item2[0]:item2[1]], section="s1", span=item2,
                  rule="task.item", lead=("a3",), report_to=("a1",), deadlines=("d2",),
                  page=2))
    return Result(
        source=Source(path=path, format="pdf", sha256="0" * 64, pages=pages),
        document=Document(kind="Kế hoạch", number="12/KH-UBND", issuer="Ủy ban nhân dân tỉnh",
                          date="2025-01-20", title="Thực hiện chương trình"),
        sections=(section,), targets=(target, *extra_targets), deadlines=(dl1, dl2),
        agencies=(sn, stc, ubnd), tasks=tasks, warnings=warnings, text=text)


def item_count(result: Result) -> int:
    """Highlights a review page must hold: one per item, one per agency mention."""
    return (len(result.targets) + len(result.deadlines) + len(result.tasks)
            + sum(len(a.mentions) for a in result.agencies))
