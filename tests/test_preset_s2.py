"""S2 (质检中心) end to end through the preset: a quarterly period, star levels only — no flag,
no named stars, no 党员之星 (tests/test_spine.py covers S2's band edges in depth).

The plan's rules (preset s2), worked by hand below: 自评 20 %, 互评 30 %, 领导点评 20 %,
职工参评 30 % (2 representatives here, 5 in the plan); bands ≥90 5★, [80,90) 4★, [70,80) 3★,
[60,70) 2★, <60 1★; ≥90 without the branch's 突出表现 mark is 4★.
"""
from __future__ import annotations

import openpyxl
import pytest
from preset_kit import (
    TOTAL,
    assert_clean_intake,
    needs_soffice,
    preset_sheets,
    run_preset,
    set_reps,
    sheet_rows,
    sheet_title,
)

from xlflag.edge.libreoffice import formula_mismatches

ORG, QUARTER = "质检中心党支部", "2026年第四季度"
BRANCHES = [("支部名称", "领导点评人"), ("检验一室", "钱主任"), ("检验二室", "孙主任")]
ROSTER = [
    ("支部", "编号", "姓名", "突出表现"),
    ("检验一室", "Q1", "钱一", "是"),
    ("检验一室", "Q2", "钱二", ""),
    ("检验一室", "Q3", "钱三", ""),
    ("检验二室", "R1", "孙一", "是"),
    ("检验二室", "R2", "孙二", ""),
    ("检验二室", "R3", "孙三", ""),
]
REP1, REP2 = "职工代表1", "职工代表2"
PLAN = {
    # 95×0.2 + (90+91)/2×0.3 + 92×0.2 + (88+93)/2×0.3 = 19 + 27.15 + 18.4 + 27.15 = 91.70, 突出 → 5★
    "Q1": {TOTAL: {"DZ": 95, "DH": {"Q2": 90, "Q3": 91}, "DL": 92, "DQ": {REP1: 88, REP2: 93}}},
    # 100×0.2 + (85+86)/2×0.3 + 90×0.2 + 90×0.3 = 20 + 25.65 + 18 + 27 = 90.65, not marked → 4★
    "Q2": {TOTAL: {"DZ": 100, "DH": {"Q1": 85, "Q3": 86}, "DL": 90, "DQ": 90}},
    # 70×0.2 + (69+70)/2×0.3 + 70×0.2 + 70×0.3 = 14 + 20.85 + 14 + 21 = 69.85 → 2★
    "Q3": {TOTAL: {"DZ": 70, "DH": {"Q1": 69, "Q2": 70}, "DL": 70, "DQ": 70}},
    "R1": {TOTAL: 100},  # 100.00, 突出 → 5★ (the top band includes 100)
    "R2": {TOTAL: 50},  # 50.00 → 1★
    "R3": {TOTAL: 80},  # 80.00 → 4★
}
EXPECTED = {
    "Q1": (91.70, 5, "★★★★★"),
    "Q2": (90.65, 4, "★★★★"),
    "Q3": (69.85, 2, "★★"),
    "R1": (100.00, 5, "★★★★★"),
    "R2": (50.00, 1, "★"),
    "R3": (80.00, 4, "★★★★"),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sheets = preset_sheets("s2", BRANCHES, ROSTER)
    set_reps(sheets, "DQ", 2)
    return run_preset(tmp_path_factory.mktemp("s2"), sheets, PLAN)


def test_member_forms_only(run):
    # per branch 3 自评 + 3 互评 + 1 leader + 2 职工代表 = 9, × 2; S2 awards no flag
    assert len(run.written.forms) == 18
    assert {f.identity.target for f, _ in run.written.forms} == {"党员"}
    assert_clean_intake(run)
    sheets = openpyxl.load_workbook(run.results, read_only=True).sheetnames
    assert not {"流动红旗", "模范星", "党员之星", "授旗数据"} & set(sheets)


def test_totals_and_stars(run):
    got = {m.member.member_id: (float(m.total), m.stars) for m in run.result.members}
    assert got == {k: v[:2] for k, v in EXPECTED.items()}
    rows = {r["编号"]: (r["综合得分"], r["星级"], r["星级评定"]) for r in sheet_rows(run.results, "汇总")}
    assert rows == EXPECTED
    assert sheet_title(run.results, "汇总") == f"{ORG}{QUARTER}党员授旗评星综合测评表"


@needs_soffice
def test_formulas_recalculate_to_the_cached_values(run):
    assert formula_mismatches(run.results) == []
