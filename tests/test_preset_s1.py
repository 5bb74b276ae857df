"""S1 (丽江市古城区统计局) end to end: a half-year period, star levels per member, and the
流动红旗 awarded on score alone.

The plan's rules (preset s1), worked by hand below:
- period 2026H2 → “2026年下半年” in every form title and in the results' titles.
- members: 自评 20 %, 互评 30 %, 领导点评 20 %, 职工群众参评 30 % (2 representatives here);
  bands ≥90 5★, [80,90) 4★, [70,80) 3★, [60,70) 2★, <60 1★; S1 sets 五星需突出表现 否.
- flag: 支部自评 20 %, 领导点评 20 % (授旗规则 点评领导 names one leader here, who rates
  every branch), 群众意见 30 % (2 here), 上级综合评定 30 %; one flag; no 满意率 floor in S1.
"""
from __future__ import annotations

import shutil

import openpyxl
import pytest
from preset_kit import (
    TOTAL,
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

from xlflag import api
from xlflag.edge.libreoffice import formula_mismatches

ORG = "丽江市古城区统计局党支部"
HALF = "2026年下半年"
ONE, TWO = "综合股支部", "业务股支部"
BRANCHES = [("支部名称", "领导点评人"), (ONE, "和书记"), (TWO, "木书记")]
ROSTER = [
    ("支部", "编号", "姓名", "突出表现"),
    (ONE, "C1", "和一", ""),
    (ONE, "C2", "和二", ""),
    (ONE, "C3", "和三", ""),
    (TWO, "D1", "木一", ""),
    (TWO, "D2", "木二", ""),
    (TWO, "D3", "木三", ""),
]
REP1, REP2 = "职工群众代表1", "职工群众代表2"
MEMBER_PLAN = {
    # 100×0.2 + (95+90)/2×0.3 + 85×0.2 + (90+91)/2×0.3 = 20 + 27.75 + 17 + 27.15 = 91.90
    # → 5★ without a 突出表现 mark (S1 does not ask for one)
    "C1": {TOTAL: {"DZ": 100, "DH": {"C2": 95, "C3": 90}, "DL": 85, "DQ": {REP1: 90, REP2: 91}}},
    # 90×0.2 + (89+90)/2×0.3 + 90×0.2 + 90×0.3 = 18 + 26.85 + 18 + 27 = 89.85 → 4★
    "C2": {TOTAL: {"DZ": 90, "DH": {"C1": 89, "C3": 90}, "DL": 90, "DQ": 90}},
    "C3": {TOTAL: 60},  # 60.00: the 2★ band's lower edge
    "D1": {TOTAL: 80},  # 80.00 → 4★
    "D2": {TOTAL: 75},  # 75.00 → 3★
    "D3": {TOTAL: 59},  # 59.00 → 1★
}
EXPECTED_MEMBERS = {
    "C1": (91.90, 5, "★★★★★"),
    "C2": (89.85, 4, "★★★★"),
    "C3": (60.00, 2, "★★"),
    "D1": (80.00, 4, "★★★★"),
    "D2": (75.00, 3, "★★★"),
    "D3": (59.00, 1, "★"),
}
FLAG_PLAN = {
    # 90×0.2 + 88×0.2 + (86+90)/2×0.3 + 92×0.3 = 18 + 17.6 + 26.4 + 27.6 = 89.60;
    # one representative of two satisfied (50 %) — no floor in S1, so it still wins
    ONE: {TOTAL: {"ZZ": 90, "ZL": 88, "ZQ": {"群众代表1": 86, "群众代表2": 90}, "ZS": 92}},
    TWO: {TOTAL: 85},  # 85.00, 100 % satisfied
}
SATISFIED = {ONE: 1, TWO: 2}
# 支部 → (综合得分, 群众满意率, 名次, 排序, 结果)
EXPECTED_FLAG = {ONE: (89.60, 0.5, 1, 1, "授旗"), TWO: (85.00, 1.0, 2, 2, "")}


def s1_sheets(period: str = "2026H2", adjustments: list[tuple] | None = None, **settings) -> dict:
    """The S1 preset with the roster above: 局长 rates the flag, 2 representatives per group;
    ``settings``: 设置 rows; ``adjustments``: the 调整 sheet, its header first."""
    sheets = preset_sheets("s1", BRANCHES, ROSTER)
    for key, value in {"期次": period, **settings}.items():
        set_value(sheets, "设置", key, value)
    set_value(sheets, "授旗规则", "点评领导", "局长")
    set_reps(sheets, "DQ", 2)
    set_reps(sheets, "ZQ", 2)
    if adjustments is not None:
        sheets["调整"] = adjustments
    return sheets


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_preset(tmp_path_factory.mktemp("s1"), s1_sheets(), MEMBER_PLAN | FLAG_PLAN, SATISFIED)


def test_every_form_counted(run):
    # per branch 3 自评 + 3 互评 + 1 leader + 2 reps = 9, × 2 = 18;
    # flag 2 支部自评 + 1 局长 (点评领导, not the branch leaders) + 2×2 群众意见 + 1 上级 = 8
    forms = [f for f, _ in run.written.forms]
    assert len(forms) == 18 + 8
    assert [f.identity.rater for f in forms if f.identity.group == "ZL"] == ["局长"]
    assert_clean_intake(run)


def test_half_year_label_in_form_titles(run):
    titles = {(f.identity.group, f.identity.branch): form_title(p) for f, p in run.written.forms}
    assert titles[("DZ", ONE)] == f"{ORG}{HALF}党员授旗评星测评表（自评）"
    assert titles[("ZZ", ONE)] == f"{ORG}{HALF}“流动红旗”授旗测评表（支部自评）"
    assert all(HALF in t and "季度" not in t for t in titles.values())
    assert all(f.identity.code.startswith("2026H2-") for f, _ in run.written.forms)


def test_half_year_label_in_results_titles(run):
    assert sheet_title(run.results, "汇总") == f"{ORG}{HALF}党员授旗评星综合测评表"
    assert sheet_title(run.results, "流动红旗") == f"{ORG}{HALF}“流动红旗”评比排名"
    assert HALF in sheet_title(run.result.notice, "公示")


def test_public_title_names_the_posting_once(run):
    assert sheet_title(run.result.notice, "公示") == f"{ORG}{HALF}授旗评星结果公示"
    assert "公示" not in openpyxl.load_workbook(run.results, read_only=True).sheetnames  # one 公示: 公示.xlsx


def test_totals_and_star_levels(run):
    got = {m.member.member_id: (float(m.total), m.stars) for m in run.result.members}
    assert got == {k: v[:2] for k, v in EXPECTED_MEMBERS.items()}
    rows = {r["编号"]: (r["综合得分"], r["星级"], r["星级评定"]) for r in sheet_rows(run.results, "汇总")}
    assert rows == EXPECTED_MEMBERS


def test_flag_on_score_alone(run):
    branches = {b.branch: b for b in run.result.awards.branches}
    got = {n: (float(b.total), float(b.satisfaction), b.rank, b.position, "授旗" if b.winner else "")
           for n, b in branches.items()}
    assert got == EXPECTED_FLAG
    assert branches[ONE].reason == "" and "名额" in branches[TWO].reason
    rows = {r["支部"]: r for r in sheet_rows(run.results, "流动红旗")}
    columns = ("综合得分", "群众满意率", "名次", "排序", "结果")
    assert {n: tuple(r[c] for c in columns) for n, r in rows.items()} == EXPECTED_FLAG
    assert rows[ONE]["领导点评人数"] == 1 and rows[ONE]["领导点评平均分"] == 88


@needs_soffice
def test_formulas_recalculate_to_the_cached_values(run):
    assert formula_mismatches(run.results) == []


@needs_soffice
def test_a_weight_changed_in_the_scheme_moves_every_derived_cell(run, tmp_path):
    """参数 is locked: weights change in the scheme, and a new consolidation of the same returns
    moves the totals, stars, ranks and the rule sentence together; LibreOffice recalculates every
    formula to the new cached values.
    Members 自评 10, 互评 20, 领导点评 50, 职工群众参评 20 (was 20/30/20/30):
    C1 100×0.1 + 92.5×0.2 + 85×0.5 + 90.5×0.2 = 10 + 18.5 + 42.5 + 18.1 = 89.10 → 4★ (was 5★);
    C2 90×0.1 + 89.5×0.2 + 90×0.5 + 90×0.2 = 9 + 17.9 + 45 + 18 = 89.90 → 4★, now above C1.
    Flag 支部自评 10, 领导点评 30, 群众意见 30, 上级综合评定 30 (was 20/20/30/30):
    综合股 90×0.1 + 88×0.3 + 88×0.3 + 92×0.3 = 9 + 26.4 + 26.4 + 27.6 = 89.40 (was 89.60)."""
    folder = tmp_path / "scheme"
    folder.mkdir()
    for name in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(run.scheme_path.parent / name, folder / name)
    wb = openpyxl.load_workbook(folder / "方案.xlsx")
    ws = wb["评价主体"]
    head = [c.value for c in ws[1]]
    new = {"自评": 10, "互评": 20, "领导点评": 50, "职工群众参评": 20,
           "支部自评": 10, "上级综合评定": 30}
    for row in ws.iter_rows(min_row=2):
        name, target = row[head.index("名称")].value, row[head.index("对象")].value
        if name == "领导点评" and target == "支部":
            row[head.index("权重")].value = 30
        elif name in new:
            row[head.index("权重")].value = new[name]
    wb.save(folder / "方案.xlsx")
    result = api.consolidate(folder / "方案.xlsx", run.root / "returns", tmp_path / "结果.xlsx")
    got = {m.member.member_id: (float(m.total), m.stars) for m in result.members}
    assert (got["C1"], got["C2"], got["D1"]) == ((89.10, 4), (89.90, 4), (80.00, 4))
    rows = {r["编号"]: (r["综合得分"], r["星级"]) for r in sheet_rows(result.output, "汇总")}
    assert (rows["C1"], rows["C2"]) == ((89.1, 4), (89.9, 4))
    flag = {r["支部"]: (r["综合得分"], r["名次"], r["结果"]) for r in sheet_rows(result.output, "流动红旗")}
    assert flag[ONE] == (89.4, 1, "授旗")
    assert "自评10%、互评20%、领导点评50%、职工群众参评20%" in sheet_title(result.output, "汇总", "A2")
    assert formula_mismatches(result.output) == []
