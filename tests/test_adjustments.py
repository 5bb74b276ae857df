"""Adjustments and appeals applied after scoring (core.adjustments), worked by hand.

Two S1 half-years, each its own scheme and period (S1: 每半年授旗评星一次; 增星升级 for
outstanding work, 降级摘星 for violations or unfulfilled 公开承诺), S3/S5's 撤旗、摘星 of a named
star, and S2's 更正 after an appeal. The score-based results are set by hand (the scoring is
covered by test_preset_s*.py); one end-to-end run checks the sheets 评定结果 and 调整记录.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from preset_kit import preset_sheets, run_preset, set_value, sheet_rows
from test_preset_s1 import BRANCHES, FLAG_PLAN, MEMBER_PLAN, ONE, ROSTER, SATISFIED, TWO, s1_sheets

from xlflag.core.adjustments import apply_adjustments
from xlflag.core.awards import Awards, BranchResult, QuotaPick, StarAward
from xlflag.core.problems import Code
from xlflag.core.scoring import MemberResult
from xlflag.scheme.read import parse_scheme

HEAD = ("对象", "类型", "新值", "理由", "批准人", "日期", "所答申诉")


def scheme_with(preset: str, period: str, rows: list[tuple], roster=ROSTER, branches=BRANCHES):
    sheets = preset_sheets(preset, branches, roster)
    set_value(sheets, "设置", "期次", period)
    sheets["调整"] = [HEAD, *rows]
    scheme, report = parse_scheme(sheets, file="方案.xlsx")
    assert report.valid, report.codes()
    return scheme


def scored(scheme, stars: dict[str, int | None]) -> list[MemberResult]:
    """Member results as the scores made them: only the star level matters here."""
    return [MemberResult(m, (), None if stars[m.member_id] is None else Decimal(0), stars[m.member_id]) for m in scheme.members]


def flag(winner: str | None, branches=(ONE, TWO)) -> list[BranchResult]:
    return [BranchResult(b, (), Decimal(0), (), None, 1, 1, b == winner, "") for b in branches]


def audit(adjusted) -> list[tuple]:
    """(row, result adjusted, before, after, applied, problem code) per 调整 row."""
    return [(r.adjustment.row, r.what, r.before, r.after, r.applied, r.problem and r.problem.code) for r in adjusted.records]


# -- S1, 2026H1 ------------------------------------------------------------------------------------
# By the scores (test_preset_s1's plan): C1 91.90 5★, C2 89.85 4★, C3 60.00 2★, D1 80.00 4★,
# D2 75.00 3★, D3 59.00 1★; the 流动红旗 goes to 综合股支部 (89.60 against 85.00).
H1_SCORES = {"C1": 5, "C2": 4, "C3": 2, "D1": 4, "D2": 3, "D3": 1}
H1_ROWS = [
    ("C2", "增星", None, "防汛抢险中表现突出", "局党组", "2026-07-05", None),  # row 2: 4★ + 1 = 5★
    ("D1", "摘星", 2, "未兑现公开承诺", "局党组", "2026-07-05", None),  # row 3: 4★ − 2 = 2★
    ("D2", "降级", 1, "违反工作纪律", "局党组", "2026-07-06", None),  # row 4: 3★ → 1★
    ("X9", "增星", None, "表现突出", "局党组", "2026-07-06", None),  # row 5: nobody has id X9
    ("C3", "增星", None, "服务群众成绩突出", None, "2026-07-06", None),  # row 6: no approver
    ("D3", "增星", None, "进步明显", "局党组", "2026-07-07", None),  # rows 7 and 8 both set D3's
    ("D3", "更正", 3, "复核", "局党组", "2026-07-07", None),  # level: they contradict
    (ONE, "撤旗", None, "发生严重工作失误", "机关党委", "2026-07-08", None),  # row 9: flag withdrawn
]


def test_s1_first_half_year():
    scheme = scheme_with("s1", "2026H1", H1_ROWS)
    adjusted = apply_adjustments(scheme, scored(scheme, H1_SCORES), Awards(flag(ONE), [], []), "方案.xlsx")
    final = {o.result.member.member_id: (o.stars_by_score, o.stars) for o in adjusted.members}
    # C1, C3 and D3 keep their score-based level: C3's and D3's rows were not applied
    assert final == {"C1": (5, 5), "C2": (4, 5), "C3": (2, 2), "D1": (4, 2), "D2": (3, 1), "D3": (1, 1)}
    assert [(b.branch, b.winner_by_score, b.winner) for b in adjusted.branches] == [(ONE, True, False), (TWO, False, False)]
    assert audit(adjusted) == [
        (2, "星级", "★★★★", "★★★★★", True, None),
        (3, "星级", "★★★★", "★★", True, None),
        (4, "星级", "★★★", "★", True, None),
        (5, "", "", "", False, Code.ADJUST_TARGET_UNKNOWN),
        (6, "", "", "", False, Code.ADJUST_FIELD_MISSING),
        (7, "星级", "★", "★", False, Code.ADJUST_CONFLICT),
        (8, "星级", "★", "★", False, Code.ADJUST_CONFLICT),
        (9, "流动红旗", "授旗", "不授旗", True, None),
    ]
    where = [(p.file, p.sheet, p.cell) for p in adjusted.problems]
    # the problem sits at the cell to fix: 对象 A5, 批准人 E6, and 对象 of both clashing rows
    assert where == [("方案.xlsx", "调整", "A5"), ("方案.xlsx", "调整", "E6"), ("方案.xlsx", "调整", "A7"), ("方案.xlsx", "调整", "A8")]
    assert adjusted.problems[2].found == "第8行" and adjusted.problems[3].found == "第7行"
    assert [a.row for a in adjusted.member("C2").applied] == [2]


# -- S1, 2026H2: a new period, a new scheme; H1's adjustments are not carried here ------------------
# By the scores: C1 4★ (say 88.50), C2 5★, D1 3★, the rest as in H1; the flag goes to 业务股支部.
H2_SCORES = {"C1": 4, "C2": 5, "C3": 2, "D1": 3, "D2": 3, "D3": None}
H2_ROWS = [
    # S2's 更正 after an appeal: C1's leader rating was keyed wrong; re-checked, C1 is 5★
    ("C1", "更正", "5", "复核发现领导点评分录入错误", "支部委员会", "2026-12-28", "申诉2026H2-01"),
    ("C2", "增星", None, "再获表彰", "局党组", "2026-12-28", None),  # already 5★: nothing to add
    ("D1", "撤旗", None, "违纪", "局党组", "2026-12-29", None),  # a member holds no flag
    ("D3", "摘星", None, "违反纪律", "局党组", "2026-12-29", None),  # D3 has no score this period
    ("C3", "降级", 2, "违反纪律", "局党组", "2026-12-29", None),  # 2★ → 2★ is not lower
    (TWO, "撤旗", None, "被通报批评", "机关党委", "2026-12-30", None),
    (ONE, "更正", "授旗", "申诉成立：群众意见表漏计", "机关党委", "2026-12-30", "申诉2026H2-02"),
]


def test_s1_second_half_year():
    scheme = scheme_with("s1", "2026H2", H2_ROWS)
    adjusted = apply_adjustments(scheme, scored(scheme, H2_SCORES), Awards(flag(TWO), [], []))
    final = {o.result.member.member_id: o.stars for o in adjusted.members}
    assert final == {"C1": 5, "C2": 5, "C3": 2, "D1": 3, "D2": 3, "D3": None}
    assert adjusted.flag_winners() == [ONE]  # the flag passes to 综合股支部 by the 更正
    assert audit(adjusted) == [
        (2, "星级", "★★★★", "★★★★★", True, None),
        (3, "", "", "", False, Code.ADJUST_NOT_APPLICABLE),
        (4, "", "", "", False, Code.ADJUST_TARGET_UNKNOWN),
        (5, "", "", "", False, Code.ADJUST_NOT_APPLICABLE),
        (6, "", "", "", False, Code.ADJUST_VALUE_INVALID),
        (7, "流动红旗", "授旗", "不授旗", True, None),
        (8, "流动红旗", "不授旗", "授旗", True, None),
    ]
    assert adjusted.member("C1").applied[0].appeal == "申诉2026H2-01"
    assert [p.cell for p in adjusted.problems] == ["C3", "A4", "A5", "C6"]


# -- S5 / S3: named stars --------------------------------------------------------------------------
S5_BRANCHES = [("支部名称", "领导点评人"), ("气象局党支部", "和局长")]
S5_ROSTER = [("支部", "编号", "姓名", "突出表现"), ("气象局党支部", "Q1", "李一", ""), ("气象局党支部", "Q2", "李二", "")]


def test_named_stars_withdrawn_and_granted_after_an_appeal():
    rows = [
        ("Q1", "摘星", "廉政模范星", "收受礼品", "县局党组", "2026-12-20", None),  # S3 摘星 of a named star
        ("Q2", "更正", "学习提高星", "申诉成立：学习记录漏登", "县局党组", "2026-12-21", "申诉01"),
        ("Q2", "摘星", "服务模范星", "未获此星", "县局党组", "2026-12-21", None),  # not held: refused
        ("Q1", "降级", "学习提高星", "误用", "县局党组", "2026-12-21", None),  # 降级 is for levels
        ("Q1", "增星", 1, "表现突出", "县局党组", "2026-12-21", None),  # S5 has no star levels
    ]
    scheme = scheme_with("s5", "2026H2", rows, S5_ROSTER, S5_BRANCHES)
    star = {s.name: s for s in scheme.model_stars}
    q1, q2 = scheme.members
    # by the scores: Q1 reached 学习提高星 and 廉政模范星, Q2 none
    stars = [StarAward(q1, star["学习提高星"], None, Decimal(18), True), StarAward(q1, star["廉政模范星"], None, Decimal(18), True),
             StarAward(q2, star["学习提高星"], None, Decimal(18), False)]
    adjusted = apply_adjustments(scheme, scored(scheme, {"Q1": None, "Q2": None}), Awards([], stars, []))
    assert [(o.named_by_score, o.named) for o in adjusted.members] == [
        (("学习提高星", "廉政模范星"), ("学习提高星",)),
        ((), ("学习提高星",)),
    ]
    assert [c for *_, c in audit(adjusted)] == [None, None, Code.ADJUST_NOT_APPLICABLE, Code.ADJUST_VALUE_INVALID,
                                               Code.ADJUST_VALUE_INVALID]


def test_quota_star_counts_as_a_named_star():
    """S4's 党员之星 picked by the quota can be withdrawn like any named star."""
    rows = [("C1", "摘星", "党员之星", "年度考核不称职", "县委组织部", "2026-12-20", None)]
    scheme = scheme_with("s4", "2026Q4", rows)
    members = scored(scheme, H1_SCORES)
    picks = [QuotaPick(members[0], (), 1, True, "")]
    adjusted = apply_adjustments(scheme, members, Awards(flag(None), [], picks))
    assert (adjusted.member("C1").named_by_score, adjusted.member("C1").named) == (("党员之星",), ())


def test_unknown_kind_and_missing_reason():
    rows = [("C1", "奖励", None, "好", "局党组", None, None), ("C2", "摘星", None, None, "局党组", None, None)]
    scheme = scheme_with("s1", "2026H1", rows)
    adjusted = apply_adjustments(scheme, scored(scheme, H1_SCORES), Awards(flag(ONE), [], []))
    assert [(p.code, p.cell) for p in adjusted.problems] == [(Code.ADJUST_KIND_UNKNOWN, "B2"), (Code.ADJUST_FIELD_MISSING, "D3")]
    assert not any(o.changed for o in adjusted.members)


def test_scheme_without_adjustments_changes_nothing():
    scheme = scheme_with("s1", "2026H1", [])
    adjusted = apply_adjustments(scheme, scored(scheme, H1_SCORES), Awards(flag(ONE), [], []))
    assert adjusted.records == [] and [b.winner for b in adjusted.branches] == [True, False]
    assert {o.result.member.member_id: o.stars for o in adjusted.members} == H1_SCORES


# -- end to end: the sheets 评定结果 and 调整记录, the problems in the working papers' 问题清单 -------------------------------

@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sheets = s1_sheets("2026H1", [HEAD, *H1_ROWS])
    return run_preset(tmp_path_factory.mktemp("adjust"), sheets, MEMBER_PLAN | FLAG_PLAN, SATISFIED)


def test_results_show_score_based_and_final_side_by_side(run):
    rows = {r["编号"]: (r["按得分星级"], r["最终星级"]) for r in sheet_rows(run.results, "评定结果") if r["编号"] in H1_SCORES}
    assert rows == {"C1": ("★★★★★", "★★★★★"), "C2": ("★★★★", "★★★★★"), "C3": ("★★", "★★"),
                    "D1": ("★★★★", "★★"), "D2": ("★★★", "★"), "D3": ("★", "★")}
    assert run.result.adjusted.flag_winners() == []


def test_audit_lists_every_row_and_the_problems_are_listed(run):
    audit_rows = sheet_rows(run.results, "调整记录")
    assert [(r["调整表行"], r["执行"]) for r in audit_rows] == [(2, "是"), (3, "是"), (4, "是"), (5, "否"), (6, "否"),
                                                              (7, "否"), (8, "否"), (9, "是")]
    assert audit_rows[0]["理由"] == "防汛抢险中表现突出" and audit_rows[0]["批准人"] == "局党组"
    listed = [r for r in sheet_rows_at(run.result.papers, "问题清单") if r[0].startswith("ADJUST_")]
    assert [(r[0], r[3], r[4]) for r in listed] == [
        ("ADJUST_TARGET_UNKNOWN", "调整", "A5"), ("ADJUST_FIELD_MISSING", "调整", "E6"),
        ("ADJUST_CONFLICT", "调整", "A7"), ("ADJUST_CONFLICT", "调整", "A8"),
    ]


def sheet_rows_at(path, sheet):
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple("" if v is None else v for v in row) for row in wb[sheet].iter_rows(min_row=2, values_only=True)]
    finally:
        wb.close()
