"""S5 (华坪县气象局) end to end: five named stars, the 建设先锋旗 with a tie settled by the
second tie key (满意率), and a half-year period.

The plan's rules (preset s5), worked by hand below:
- period: the preset's 2026H2 changed to 2027H1 here → “2027年上半年” in form and results
  titles (S1's test covers 下半年).
- members: 自评 20 %, 互评 30 %, 领导点评 20 %, 职工参评 30 % (2 representatives here); the
  five stars 学习提高星 争创佳绩星 服务模范星 廉政模范星 岗位带头星, each tied to a 20-point
  category (4 × 5), awarded at 0.9 × 20 = 18.00 of the weighted category score.
- flag: 支部自评 20 %, 领导点评 20 %, 群众意见 30 % (2 here), 上级综合评定 30 %; one flag;
  ties: 群众反映好小计, then 满意率.
"""
from __future__ import annotations

import openpyxl
import pytest
from preset_kit import (
    OTHER,
    assert_clean_intake,
    form_title,
    needs_soffice,
    preset_sheets,
    run_preset,
    set_reps,
    set_value,
    sheet_rows,
    sheet_title,
)

from xlflag.edge.libreoffice import formula_mismatches

ORG = "华坪县气象局党支部"
HALF = "2027年上半年"
ONE, TWO = "一支部", "二支部"  # by name, 一 would come first
BRANCHES = [("支部名称", "领导点评人"), (ONE, "李局长"), (TWO, "张副局长")]
ROSTER = [
    ("支部", "编号", "姓名", "突出表现"),
    (ONE, "K1", "杨一", ""),
    (ONE, "K2", "杨二", ""),
    (ONE, "K3", "杨三", ""),
    (ONE, "K4", "杨四", ""),
    (TWO, "L1", "和一", ""),
    (TWO, "L2", "和二", ""),
    (TWO, "L3", "和三", ""),
]
STARS = ("学习提高星", "争创佳绩星", "服务模范星", "廉政模范星", "岗位带头星")
MEMBER_PLAN = {
    # 学习提高 19×0.2 + 18×0.3 + 17×0.2 + 18×0.3 = 3.8 + 5.4 + 3.4 + 5.4 = 18.00 → exactly ★;
    # full marks elsewhere → all five stars
    "K1": {"学习提高": {"DZ": 19, "DH": 18, "DL": 17, "DQ": 18}},
    # 争创佳绩 18×0.2 + (18+18+17)/3×0.3 + 18×0.2 + 18×0.3 = 3.6 + 5.3 + 3.6 + 5.4 = 17.90 → no star
    "K2": {"争创佳绩": {"DZ": 18, "DH": {"K1": 18, "K3": 18, "K4": 17}, "DL": 18, "DQ": 18}, OTHER: 16},
    "K3": {OTHER: 16},
    "K4": {OTHER: 16},
    # 廉政模范 18×0.2 + (17+18)/2×0.3 + 18×0.2 + (19+18)/2×0.3 = 3.6 + 5.25 + 3.6 + 5.55 = 18.00 ★
    "L1": {"廉政模范": {"DZ": 18, "DH": {"L2": 17, "L3": 18}, "DL": 18, "DQ": {"职工代表1": 19, "职工代表2": 18}}, OTHER: 17},
    "L2": {OTHER: 16},
    "L3": {OTHER: 16},
}
# (编号, 星名) → (类别得分, 获星)
HAND_WORKED_STARS = {
    ("K1", "学习提高星"): (18.00, "★"),
    ("K1", "岗位带头星"): (20.00, "★"),
    ("K2", "争创佳绩星"): (17.90, ""),
    ("K2", "学习提高星"): (16.00, ""),
    ("L1", "廉政模范星"): (18.00, "★"),
    ("L1", "学习提高星"): (17.00, ""),
}
STARS_EARNED = {"K1": set(STARS), "L1": {"廉政模范星"}} | {m: set() for m in ("K2", "K3", "K4", "L2", "L3")}

# both branches: every rater gives 工作机制好 15 and full marks elsewhere → 95.00, and
# 群众反映好 20.00 each: tied on both; 满意率 1 of 2 (50 %) against 2 of 2 (100 %) → 二支部
FLAG_PLAN = {ONE: {"工作机制好": 15}, TWO: {"工作机制好": 15}}
SATISFIED = {ONE: 1, TWO: 2}
TIE = "总分并列，依次按群众反映好小计、满意率排序"
# 支部 → (综合得分, 群众反映好小计, 群众满意率, 名次, 排序, 结果)
EXPECTED_FLAG = {ONE: (95.00, 20.00, 0.5, 1, 2, ""), TWO: (95.00, 20.00, 1.0, 1, 1, "授旗")}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sheets = preset_sheets("s5", BRANCHES, ROSTER)
    set_value(sheets, "设置", "期次", "2027H1")
    set_reps(sheets, "DQ", 2)
    set_reps(sheets, "ZQ", 2)
    return run_preset(tmp_path_factory.mktemp("s5"), sheets, MEMBER_PLAN | FLAG_PLAN, SATISFIED)


def test_every_form_counted(run):
    # 一支部 4 + 4 + 1 + 2 = 11, 二支部 3 + 3 + 1 + 2 = 9;
    # flag 2 支部自评 + 2 leaders + 2×2 群众意见 + 1 上级 = 9
    assert len(run.written.forms) == 11 + 9 + 9
    assert_clean_intake(run)


def test_half_year_label_in_titles(run):
    titles = {(f.identity.group, f.identity.branch): form_title(p) for f, p in run.written.forms}
    assert titles[("DQ", TWO)] == f"{ORG}{HALF}党员授旗评星测评表（职工参评）"
    assert titles[("ZS", "")] == f"{ORG}{HALF}“建设先锋旗”授旗测评表（上级综合评定）"
    assert all(HALF in t for t in titles.values())
    assert sheet_title(run.results, "汇总") == f"{ORG}{HALF}党员授旗评星综合测评表"
    assert sheet_title(run.results, "模范星") == f"{ORG}{HALF}模范星评定"
    assert sheet_title(run.results, "建设先锋旗") == f"{ORG}{HALF}“建设先锋旗”评比排名"


def test_named_stars_hand_worked(run):
    awards = {(a.member.member_id, a.star.name): a for a in run.result.awards.stars}
    assert len(awards) == 7 * 5
    got = {k: (float(awards[k].score), "★" if awards[k].awarded else "") for k in HAND_WORKED_STARS}
    assert got == HAND_WORKED_STARS
    earned = {m: {s for (i, s), a in awards.items() if i == m and a.awarded} for m in STARS_EARNED}
    assert earned == STARS_EARNED
    rows = {(r["编号"], r["星名"]): (r["类别得分"], r["获星"]) for r in sheet_rows(run.results, "模范星")}
    assert {k: rows[k] for k in HAND_WORKED_STARS} == HAND_WORKED_STARS
    assert {s for (m, s), (_, mark) in rows.items() if m == "K1" and mark == "★"} == set(STARS)


def test_public_notice_names_the_stars_earned(run):
    """公示.xlsx lists those who earned a named star, each star in the scheme's order, and
    nothing about raters (S5 rates no star levels: only the named stars are posted)."""
    ws = openpyxl.load_workbook(run.result.notice, data_only=True)["公示"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    at = next(n for n, r in enumerate(rows) if r[0] == "序号")
    assert [v for v in rows[at] if v] == ["序号", "支部", "姓名", "所获星名"]
    names = {row[1]: row[2] for row in ROSTER[1:]}
    listed = {r[2]: r[3] or "" for r in rows[at + 1:] if isinstance(r[0], int)}
    assert listed[names["K1"]] == "、".join(STARS)
    assert listed[names["L1"]] == "廉政模范星"
    assert names["K2"] not in listed


def test_flag_tie_settled_by_satisfaction(run):
    branches = {b.branch: b for b in run.result.awards.branches}
    got = {n: (float(b.total), float(b.tie_values[0]), float(b.satisfaction), b.rank, b.position,
               "授旗" if b.winner else "") for n, b in branches.items()}
    assert got == EXPECTED_FLAG
    assert TIE in branches[ONE].reason and TWO in branches[ONE].reason and "名额" in branches[ONE].reason
    rows = {r["支部"]: r for r in sheet_rows(run.results, "建设先锋旗")}
    columns = ("综合得分", "群众反映好小计", "群众满意率", "名次", "排序", "结果")
    assert {n: tuple(r[c] for c in columns) for n, r in rows.items()} == EXPECTED_FLAG
    assert TIE in rows[TWO]["说明"]


@needs_soffice
def test_formulas_recalculate_to_the_cached_values(run):
    assert formula_mismatches(run.results) == []
