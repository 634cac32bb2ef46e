"""Plans in dresses the seeds do not show: each case was written for this test and read by hand.

The rules must hold for the genre, not for four files: other numbering, other heading words, a
Quyết định with articles, typos, headings broken over lines, relative and weekly deadlines.
"""

from __future__ import annotations

from kttt_extract import extract_text
from kttt_extract.ruleset import RuleSet

PROGRAMME = """\
ỦY BAN NHÂN DÂN TỈNH LÀO CAI
Số: 125/CTr-UBND
Lào Cai, ngày 15 tháng 3 năm 2024
CHƯƠNG TRÌNH HÀNH ĐỘNG
Thực hiện Nghị quyết số 20-NQ/TW ngày 16/6/2022 của Ban Chấp hành Trung ương Đảng
Căn cứ Nghị định số 45/2021/NĐ-CP ngày 31/3/2021 của Chính phủ;
I. QUAN ĐIỂM, MỤC TIÊU, YÊU CẦU
1. Mục tiêu đến năm 2025
a) Toàn tỉnh có ít nhất 600 hợp tác xã, trong đó khoảng 25% hợp tác xã ứng dụng công nghệ cao.
b) Doanh thu bình quân của hợp tác xã đạt 2,5 tỷ đồng/năm.
II. NHIỆM VỤ VÀ
GIẢI PHÁP CHỦ YẾU
1. Sở Nông nghiệp và PTNT chủ trì, phối hợp với Sở Tài chính xây dựng cơ chế hỗ trợ, \
trình UBND tỉnh trong quý II/2024.
2. Sở Kế hoạch và Đầu tư tổng hợp, báo cáo UBND tỉnh trước ngày 20 hằng tháng.
+ Hướng dẫn các huyện thành lập mới 50 tổ hợp tác; hoàn thành sau 06 tháng kể từ ngày ký.
III. TỔ CHỨC THỰC HIỆN
Giao Sở Kế hoạch và Đầu tư chủ trì theo dõi; \
tổ chức giao ban vào thứ Hai hằng tuần.
Nơi nhận:
- Bộ Kế hoạch và Đầu tư;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Lê Văn Minh
"""

DECISION = """\
QUYẾT ĐỊNH
Về việc ban hành Kế hoạch phát triển kinh tế tập thể năm 2025
Điều 1. Ban hành kèm theo Quyết định này Kế hoạch phát triển kinh tế tập thể năm 2025.
Điều 2. Quyết định này có hiệu lực kể từ ngày ký.
Điều 3. Chánh Văn phòng UBND huyện, Trưởng phòng Tài chính - Kế hoạch chịu trách nhiệm \
thi hành Quyết định này./.
"""


def test_programme_sections(rules: RuleSet) -> None:
    r = extract_text(PROGRAMME, rules=rules)
    got = [(s.number, s.kind, s.level) for s in r.sections]
    assert got == [("I", "objectives", 1), ("1", "objectives", 2), ("a", "objectives", 3),
                   ("b", "objectives", 3), ("II", "tasks", 1), ("1", "tasks", 2),
                   ("2", "tasks", 2), ("III", "implementation", 1)]
    assert r.sections[4].heading == "NHIỆM VỤ VÀ GIẢI PHÁP CHỦ YẾU"


def test_programme_metadata(rules: RuleSet) -> None:
    doc = extract_text(PROGRAMME, rules=rules).document
    assert (doc.kind, doc.number, doc.place, doc.date) == (
        "Chương trình hành động", "125/CTr-UBND", "Lào Cai", "2024-03-15")
    assert (doc.signer.name, doc.signer.position) == ("Lê Văn Minh", "Chủ tịch")
    refs = {(x.kind, x.number, x.date) for x in doc.references}
    assert ("Nghị định", "45/2021/NĐ-CP", "2021-03-31") in refs
    assert ("Nghị quyết", "20-NQ/TW", "2022-06-16") in refs
    assert doc.recipients == ("Bộ Kế hoạch và Đầu tư",)


def test_programme_targets(rules: RuleSet) -> None:
    r = extract_text(PROGRAMME, rules=rules)
    got = {(t.value, t.comparator, t.metric, t.unit, t.year) for t in r.targets}
    assert (600, "gte", "count", "hợp tác xã", 2025) in got
    assert (25, "approx", "percent", "%", 2025) in got
    assert (2_500_000_000, "eq", "money", "đồng", 2025) in got
    assert (50, "eq", "count", "tổ hợp tác", None) in got
    assert len(r.targets) == 4


def test_programme_deadlines(rules: RuleSet) -> None:
    r = extract_text(PROGRAMME, rules=rules)
    got = {(d.kind, d.date, d.recurrence, d.day, d.offset) for d in r.deadlines}
    assert ("by", "2024-06-30", None, None, None) in got
    assert ("recurring", None, "monthly", "---20", None) in got
    assert ("relative", None, None, None, "P6M") in got
    assert ("recurring", None, "weekly", "1", None) in got
    assert ("by", "2025-12-31", None, None, None) in got  # "Mục tiêu đến năm 2025"


def test_programme_tasks(rules: RuleSet) -> None:
    r = extract_text(PROGRAMME, rules=rules)
    names = {a.id: a.name for a in r.agencies}
    first = r.tasks[0]
    assert [names[i] for i in first.lead] == ["Sở Nông nghiệp và Phát triển nông thôn"]
    assert [names[i] for i in first.support] == ["Sở Tài chính"]
    # "trình UBND tỉnh": a draft submitted to X makes X reported to (ANNOTATION.md)
    assert [names[i] for i in first.report_to] == ["Ủy ban nhân dân tỉnh"]
    second = r.tasks[1]
    assert [names[i] for i in second.report_to] == ["Ủy ban nhân dân tỉnh"]
    last = r.tasks[-1]
    assert last.text.startswith("Giao Sở Kế hoạch và Đầu tư chủ trì")
    assert [names[i] for i in last.lead] == ["Sở Kế hoạch và Đầu tư"]


def test_decision_articles_are_sections(rules: RuleSet) -> None:
    r = extract_text(DECISION, rules=rules)
    assert r.document.kind == "Quyết định"
    assert [s.number for s in r.sections] == ["1", "2", "3"]
    assert not r.targets  # "năm 2025" is a year, not a target


def test_typo_and_mixed_case_headings(rules: RuleSet) -> None:
    text = ("I. Mục đích, yêu cầu\nNội dung.\nII- NHẬM VỤ\n1. Tuyên truyền.\n"
            "III. Tổ chức thực hiện\n")
    r = extract_text(text, rules=rules)
    assert [s.kind for s in r.sections] == ["purpose", "tasks", "tasks", "implementation"]


def test_past_figures_are_not_targets(rules: RuleSet) -> None:
    text = ("I. MỤC TIÊU\nNăm 2022, toàn tỉnh có 29.378 hợp tác xã với 140.000 thành viên. "
            "Phấn đấu đến năm 2030 có 45.000 hợp tác xã.\n")
    r = extract_text(text, rules=rules)
    assert [(t.value, t.year) for t in r.targets] == [(45000, 2030)]
