"""去掉一个最高分和一个最低分 (设置 去掉最高最低分) end to end on S2's rules, worked by hand.

S2: 自评 20 %, 互评 30 %, 领导点评 20 %, 职工参评 30 %; bands ≥90 5★, [80,90) 4★ … One branch of
six members, so each member is rated by five peers, one leader and five staff representatives.
With 去掉最高最低分 = 5 every group of five loses its highest and lowest rater's total; the self
rating (one rater) never does.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from preset_kit import TOTAL, needs_soffice, preset_sheets, run_preset, set_reps, set_value, sheet_rows

from xlflag.core.ballots import HIGHEST, LOWEST, mark_extremes
from xlflag.core.scoring import Rating, group_scores
from xlflag.edge.libreoffice import formula_mismatches
from xlflag.results.papers import DETAIL, GAPS, STRENGTHS
from xlflag.scheme.read import parse_scheme

BRANCH = "检验一室"
IDS = [f"Q{n}" for n in range(1, 7)]
BRANCHES = [("支部名称", "领导点评人"), (BRANCH, "钱主任")]
ROSTER = [("支部", "编号", "姓名", "突出表现"), *((BRANCH, i, f"钱{i}", "") for i in IDS)]
REPS = [f"职工代表{n}" for n in range(1, 6)]
PLAN = {
    # self 90; peers Q2..Q6 100, 90, 80, 70, 40 → without 100 and 40: 240 ÷ 3 = 80; leader 80;
    # reps 95, 90, 85, 80, 50 → without 95 and 50: 255 ÷ 3 = 85.
    # 0.2×90 + 0.3×80 + 0.2×80 + 0.3×85 = 18 + 24 + 16 + 25.5 = 83.50 → 4★
    # (the plain means would be 380 ÷ 5 = 76 and 400 ÷ 5 = 80: 18 + 22.8 + 16 + 24 = 80.80)
    "Q1": {TOTAL: {"DZ": 90, "DH": dict(zip(IDS[1:], (100, 90, 80, 70, 40))), "DL": 80,
                   "DQ": dict(zip(REPS, (95, 90, 85, 80, 50)))}},
    # every rater 85: equal totals at both ends, one of each goes, the mean stays 85 → 85.00, 4★
    **{i: {TOTAL: 85} for i in IDS[1:]},
}


def sheets(**settings):
    s = preset_sheets("s2", BRANCHES, ROSTER)
    set_reps(s, "DQ", 5)
    for key, value in settings.items():
        set_value(s, "设置", key, value)
    return s


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_preset(tmp_path_factory.mktemp("trim"), sheets(去掉最高最低分=5), PLAN)


def test_the_highest_and_lowest_of_each_group_are_left_out(run):
    q1 = next(m for m in run.result.members if m.member.member_id == "Q1")
    means = {g.group.code: (g.raters, g.dropped, g.mean) for g in q1.groups}
    assert means == {"DZ": (1, 0, 90), "DH": (5, 2, 80), "DL": (1, 0, 80), "DQ": (5, 2, 85)}
    assert (q1.total, q1.stars) == (Decimal("83.50"), 4)
    others = {m.member.member_id: (m.total, m.stars) for m in run.result.members if m.member.member_id != "Q1"}
    assert others == {i: (Decimal("85.00"), 4) for i in IDS[1:]}


def test_the_sheets_state_the_rule_and_show_the_counted_raters(run):
    rows = {r["编号"]: r for r in sheet_rows(run.results, "汇总")}
    assert rows["Q1"]["综合得分"] == 83.5 and rows["Q1"]["互评人数"] == 5 and rows["Q1"]["互评平均分"] == 80
    wb = openpyxl.load_workbook(run.results, data_only=True)
    note = wb["汇总"]["A2"].value
    assert "去掉总分最高和最低的各一人" in note and "不少于5人" in note
    data = wb["数据"]
    head = [str(c.value or "").replace("\n", "") for c in data[2]]
    row = next(r for r in data.iter_rows(min_row=3, values_only=True) if r[1] == "Q1" and r[4] == "互评")
    got = dict(zip(head, row))
    assert (got["已评人数"], got["计分人数"], got["合计之和"]) == (5, 3, 240)  # 90 + 80 + 70


@needs_soffice
def test_every_formula_matches_after_a_libreoffice_recalculation(run):
    assert formula_mismatches(run.results) == []


def test_the_working_papers_mark_who_was_left_out(run):
    papers = run.result.papers
    ws = openpyxl.load_workbook(papers, read_only=True)[DETAIL]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    head = [str(v) for v in rows[0]]
    marked = sorted((r[head.index("评价主体")], r[head.index("合计")], r[head.index("不计分")])
                    for r in rows[1:] if r[head.index("被评编号")] == "Q1" and r[head.index("不计分")])
    assert marked == [("互评", 40, LOWEST), ("互评", 100, HIGHEST), ("职工参评", 50, LOWEST), ("职工参评", 95, HIGHEST)]


def test_off_unless_set_and_never_below_the_threshold():
    def ratings(totals):
        return [Rating(BRANCH, "DH", f"互评{n:02d}", "Q1", (("A", Fraction(t)),)) for n, t in enumerate(totals, 1)]
    off, _ = parse_scheme(sheets())
    assert mark_extremes(off, ratings([100, 90, 80, 70, 40])) == ratings([100, 90, 80, 70, 40])
    on, _ = parse_scheme(sheets(去掉最高最低分="是"))  # 是: from 5 raters
    assert on.settings.trim_minimum == 5
    assert not any(r.dropped for r in mark_extremes(on, ratings([100, 90, 80, 70])))  # 4 < 5
    three, _ = parse_scheme(sheets(去掉最高最低分=3))
    # 4 raters, threshold 3: leaving two out would show a mean of 2 raters, below the threshold
    assert not any(r.dropped for r in mark_extremes(three, ratings([100, 90, 80, 70])))
    five = mark_extremes(three, ratings([100, 90, 80, 70, 40]))
    assert [r.dropped for r in five] == [HIGHEST, "", "", "", LOWEST]
    group = next(g for g in three.member_groups if g.code == "DH")
    (score,) = group_scores((group,), five, required={("Q1", "DH"): 3})("Q1")
    assert (score.raters, score.dropped, score.mean) == (5, 2, 80)  # (90 + 80 + 70) ÷ 3
    tied = mark_extremes(three, ratings([85] * 5))  # all equal: two distinct ratings go
    assert [r.dropped for r in tied] == [HIGHEST, LOWEST, "", "", ""]


def test_a_bad_setting_is_reported_at_its_cell():
    _, report = parse_scheme(sheets(去掉最高最低分="2"))
    assert [p.code.name for p in report.problems] == ["SCHEME_VALUE_INVALID"]
    assert report.problems[0].sheet == "设置" and "不小于3的整数" in report.problems[0].expected


def test_the_working_papers_hold_the_self_gap_and_the_branch_items(run):
    wb = openpyxl.load_workbook(run.result.papers, read_only=True)
    gaps = {r[1]: r[3:6] for r in wb[GAPS].iter_rows(min_row=4, values_only=True)}
    # Q1: others = (30×80 + 20×80 + 30×85) ÷ 80 = 6550 ÷ 80 = 81.875; 90 − 81.875 = 8.125 → 8.13
    assert gaps["Q1"] == (90, 81.88, 8.13)
    assert gaps["Q2"] == (85, 85, 0)
    assert next(iter(gaps)) == "Q1"  # the largest gap first
    (branch,) = [r for r in wb[STRENGTHS].iter_rows(min_row=4, values_only=True)]
    assert branch[0] == BRANCH and branch[1] and branch[3]
    results = openpyxl.load_workbook(run.results, read_only=True).sheetnames
    assert not {GAPS, STRENGTHS} & set(results)  # the office's only


@needs_soffice
def test_the_flag_trims_its_representatives_and_recalculates(tmp_path):
    """S4's flag with five 群众意见 representatives: 甲支部's 100, 90, 80, 70, 10 → without 100 and
    10: 240 ÷ 3 = 80 (the plain mean would be 70). The three branch leaders are fewer than 5: kept.
    0.2×95 + 0.2×95 + 0.3×80 + 0.3×95 = 19 + 19 + 24 + 28.5 = 90.50."""
    from test_preset_s4 import BRANCHES as S4_BRANCHES, JIA, ROSTER as S4_ROSTER, s4_sheets

    sheets = s4_sheets()
    set_reps(sheets, "ZQ", 5)
    set_value(sheets, "设置", "去掉最高最低分", 5)
    reps = [f"群众代表{n}" for n in range(1, 6)]
    plan = {m[1]: {TOTAL: 80} for m in S4_ROSTER[1:]}
    plan |= {b[0]: {TOTAL: 85} for b in S4_BRANCHES[1:]}
    plan[JIA] = {TOTAL: {"ZZ": 95, "ZL": 95, "ZQ": dict(zip(reps, (100, 90, 80, 70, 10))), "ZS": 95}}
    run = run_preset(tmp_path, sheets, plan, {b[0]: 5 for b in S4_BRANCHES[1:]})
    jia = next(b for b in run.result.awards.branches if b.branch == JIA)
    assert jia.total == Decimal("90.50")
    assert formula_mismatches(run.results) == []
