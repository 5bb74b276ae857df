"""S4 (富民县) end to end: a county-wide 党员之星 quota with its stated tie-break, and the
流动红旗 with a quota and a minimum score.

The plan's rules (preset s4), worked by hand below:
- members: 自评 20 %, 互评 30 %, 领导点评 20 %, 群众参评 30 % (2 representatives here); star
  bands ≥90 5★, [80,90) 4★, [70,80) 3★, [60,70) 2★ (no 突出表现 needed in S4).
- 党员之星: the 名额 best totals across the whole scheme (2 here, of 6 members); equal totals
  are ordered by 群众参评平均分, then 领导点评平均分, then 互评平均分 — never by 自评.
- flag: 支部自评 20 %, 领导点评 20 % (every branch leader), 群众意见 30 % (2 here), 上级综合评定
  30 %; 名额 1 here (of 3 branches) and 最低分 90 here: a branch below 90 cannot win.
"""
from __future__ import annotations

import pytest
from preset_kit import (
    TOTAL,
    assert_clean_intake,
    needs_soffice,
    preset_sheets,
    run_preset,
    set_reps,
    set_value,
    sheet_rows,
)

from xlflag.edge.libreoffice import formula_mismatches

JIA, YI, BING = "甲支部", "乙支部", "丙支部"
BRANCHES = [("支部名称", "领导点评人"), (JIA, "张书记"), (YI, "李书记"), (BING, "王书记")]
ROSTER = [
    ("支部", "编号", "姓名", "突出表现"),
    (JIA, "P1", "周一", ""),
    (JIA, "P2", "周二", ""),
    (YI, "P3", "周三", ""),
    (YI, "P4", "周四", ""),
    (BING, "P5", "周五", ""),
    (BING, "P6", "周六", ""),
]
# in a two-member branch 互评 is the one other member's total
MEMBER_PLAN = {
    "P1": {TOTAL: 95},  # 95.00 → first, 5★
    # 100×0.2 + 90×0.3 + 80×0.2 + (88+92)/2×0.3 = 20 + 27 + 16 + 27 = 90.00
    "P2": {TOTAL: {"DZ": 100, "DH": 90, "DL": 80, "DQ": {"群众代表1": 88, "群众代表2": 92}}},
    # 96×0.2 + 86×0.3 + 90×0.2 + 90×0.3 = 19.2 + 25.8 + 18 + 27 = 90.00, tied with P2.
    # 群众参评 90 = 90; 领导点评 90 > 80 → P3 second and chosen, P2 third and out — although
    # P2's 自评 and 互评 are higher and P2 comes first by 编号
    "P3": {TOTAL: {"DZ": 96, "DH": 86, "DL": 90, "DQ": 90}},
    # 90×0.2 + 90×0.3 + 80×0.2 + 80×0.3 = 18 + 27 + 16 + 24 = 85.00
    "P4": {TOTAL: {"DZ": 90, "DH": 90, "DL": 80, "DQ": 80}},
    # 80×0.2 + 80×0.3 + 90×0.2 + 90×0.3 = 16 + 24 + 18 + 27 = 85.00; 群众参评 90 > 80 → before P4
    "P5": {TOTAL: {"DZ": 80, "DH": 80, "DL": 90, "DQ": 90}},
    "P6": {TOTAL: 70},  # 70.00, 3★
}
FLAG_PLAN = {
    JIA: {TOTAL: 95},  # 95.00 → the flag
    # 92×0.2 + (90+91+92)/3×0.2 + (87+89)/2×0.3 + 90×0.3 = 18.4 + 18.2 + 26.4 + 27 = 90.00:
    # exactly the minimum, so eligible — misses on the quota
    YI: {TOTAL: {"ZZ": 92, "ZL": {"张书记": 90, "李书记": 91, "王书记": 92}, "ZQ": {"群众代表1": 87, "群众代表2": 89}, "ZS": 90}},
    # 89×0.2 + 89×0.2 + 89×0.3 + 80×0.3 = 17.8 + 17.8 + 26.7 + 24 = 86.30 < 90 → excluded by score
    BING: {TOTAL: {"ZZ": 89, "ZL": 89, "ZQ": 89, "ZS": 80}},
}
SATISFIED = {JIA: 2, YI: 2, BING: 2}

# 编号 → (综合得分, 星级, 排序, 当选, 群众参评平均分, 领导点评平均分, 互评平均分)
EXPECTED_MEMBERS = {
    "P1": (95.00, 5, 1, "★", 95, 95, 95),
    "P3": (90.00, 5, 2, "★", 90, 90, 86),
    "P2": (90.00, 5, 3, "", 90, 80, 90),
    "P5": (85.00, 4, 4, "", 90, 90, 80),
    "P4": (85.00, 4, 5, "", 80, 80, 90),
    "P6": (70.00, 3, 6, "", 70, 70, 70),
}
TIE_RULE = "依次按群众参评平均分、领导点评平均分、互评平均分排序"
# 支部 → (综合得分, 名次, 排序, 结果)
EXPECTED_FLAG = {JIA: (95.00, 1, 1, "授旗"), YI: (90.00, 2, 2, ""), BING: (86.30, 3, 3, "")}


def s4_sheets() -> dict:
    """The S4 preset with the roster above: 2 representatives, 党员之星 名额 2, flag 名额 1, 最低分 90."""
    sheets = preset_sheets("s4", BRANCHES, ROSTER)
    set_reps(sheets, "DQ", 2)
    set_reps(sheets, "ZQ", 2)
    set_value(sheets, "党员之星", "名额", 2)
    set_value(sheets, "授旗规则", "名额", 1)
    set_value(sheets, "授旗规则", "最低分", 90)
    return sheets


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_preset(tmp_path_factory.mktemp("s4"), s4_sheets(), MEMBER_PLAN | FLAG_PLAN, SATISFIED)


def test_every_form_counted(run):
    # per branch 2 自评 + 2 互评 + 1 leader + 2 reps = 7, × 3 = 21;
    # flag 3 支部自评 + 3 leaders + 3×2 群众意见 + 1 上级 = 13
    assert len(run.written.forms) == 21 + 13
    assert_clean_intake(run)


def test_quota_star_picks_by_total_then_masses_then_leaders(run):
    picks = run.result.awards.picks
    got = {
        p.result.member.member_id: (float(p.result.total), p.result.stars, p.position, "★" if p.chosen else "",
                                    *(float(t) for t in p.tie_values))
        for p in picks
    }
    assert got == EXPECTED_MEMBERS
    assert [p.result.member.member_id for p in picks] == list(EXPECTED_MEMBERS)
    notes = {p.result.member.member_id: p.note for p in picks}
    # the tied member by position (P2 is 3rd, P5 4th), never by name: names stay in 姓名
    assert TIE_RULE in notes["P3"] and "排序第3名" in notes["P3"] and "周二" not in notes["P3"]
    assert TIE_RULE in notes["P4"] and "排序第4名" in notes["P4"] and "周五" not in notes["P4"]
    assert notes["P1"] == notes["P6"] == ""


def test_quota_star_sheet_caches_the_same(run):
    rows = sheet_rows(run.results, "党员之星")
    columns = ("综合得分", "排序", "当选", "群众参评平均分", "领导点评平均分", "互评平均分")
    got = {r["编号"]: tuple(r[c] for c in columns) for r in rows}
    assert got == {k: (v[0], *v[2:]) for k, v in EXPECTED_MEMBERS.items()}
    assert [r["编号"] for r in rows] == list(EXPECTED_MEMBERS)  # listed in chosen order
    assert TIE_RULE in next(r["说明"] for r in rows if r["编号"] == "P2")


def test_summary_star_levels(run):
    rows = {r["编号"]: (r["综合得分"], r["星级"]) for r in sheet_rows(run.results, "汇总")}
    assert rows == {k: v[:2] for k, v in EXPECTED_MEMBERS.items()}


def test_flag_quota_and_minimum_score(run):
    branches = {b.branch: b for b in run.result.awards.branches}
    got = {n: (float(b.total), b.rank, b.position, "授旗" if b.winner else "") for n, b in branches.items()}
    assert got == EXPECTED_FLAG
    assert branches[JIA].reason == ""
    assert "名额" in branches[YI].reason and "最低分" not in branches[YI].reason
    assert "最低分" in branches[BING].reason and "90" in branches[BING].reason


def test_flag_sheet_caches_the_same(run):
    rows = {r["支部"]: r for r in sheet_rows(run.results, "流动红旗")}
    got = {n: (r["综合得分"], r["名次"], r["排序"], r["结果"]) for n, r in rows.items()}
    assert got == EXPECTED_FLAG
    assert "最低分" in rows[BING]["说明"] and "名额" in rows[YI]["说明"]


@needs_soffice
def test_formulas_recalculate_to_the_cached_values(run):
    assert formula_mismatches(run.results) == []
