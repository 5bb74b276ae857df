"""The whole path on S2's rules, with real files: scheme → forms → filled returns → results.

Expected numbers are worked by hand from the S2 plan (质检中心党支部):
self 20 %, peers 30 %, leaders 20 %, staff 30 %; a group's score is the mean of its raters'
totals; bands ≥90 5★, [80,90) 4★, [70,80) 3★, [60,70) 2★, <60 1★; ≥90 without the branch's
突出表现 mark is 4★.
"""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import returns_kit as kit

from xlflag import api
from xlflag.demo import fill_form
from xlflag.edge.libreoffice import (
    cached_formula_values,
    find_soffice,
    formula_mismatches,
)
from xlflag.scheme.templates import template_sheets, write_scheme_workbook

# Two branches. A: four members (A1 marked 突出), leader 王书记. B: four members (B4 marked 突出).
BRANCHES = [("支部名称", "领导点评人"), ("甲支部", "王书记"), ("乙支部", "赵书记")]
ROSTER = [
    ("支部", "编号", "姓名", "突出表现"),
    ("甲支部", "A1", "甲一", "是"),
    ("甲支部", "A2", "甲二", ""),
    ("甲支部", "A3", "甲三", ""),
    ("甲支部", "A4", "甲四", ""),
    ("乙支部", "B1", "乙一", ""),
    ("乙支部", "B2", "乙二", ""),
    ("乙支部", "B3", "乙三", ""),
    ("乙支部", "B4", "乙四", "是"),
]

# The total each rater gives each member: {ratee: {group code: {rater id: total}}};
# a plain number means every rater of that group gives it.
PLAN = {
    # every rater 90 → 90.00; marked 突出 → 5★
    "A1": 90,
    # every rater 90 → 90.00; not marked → 4★ (the S2 rule)
    "A2": 90,
    # self 100; peers A1 80, A2 70, A4 90 → mean 80; leader 60; staff 70 ×5 → 70
    # 0.2×100 + 0.3×80 + 0.2×60 + 0.3×70 = 20 + 24 + 12 + 21 = 77.00 → 3★
    "A3": {"DZ": 100, "DH": {"A1": 80, "A2": 70, "A4": 90}, "DL": 60, "DQ": 70},
    # every rater 80 → 80.00, a band's lower edge is inside the band → 4★
    "A4": 80,
    "B1": 70,  # 70.00 → 3★ (edge)
    "B2": 60,  # 60.00 → 2★ (edge)
    # self 59; peers B1 60, B2 58, B4 59 → 59; leader 59; staff 59 → 59.00 → 1★
    "B3": {"DZ": 59, "DH": {"B1": 60, "B2": 58, "B4": 59}, "DL": 59, "DQ": 59},
    # self 90; peers B1 89, B2 90, B3 90 → 269/3; leader 90; staff 90
    # 18 + 0.3×269/3 + 18 + 27 = 18 + 26.9 + 18 + 27 = 89.90 → 4★ although marked 突出
    "B4": {"DZ": 90, "DH": {"B1": 89, "B2": 90, "B3": 90}, "DL": 90, "DQ": 90},
}
EXPECTED = {
    "A1": (Decimal("90.00"), 5),
    "A2": (Decimal("90.00"), 4),
    "A3": (Decimal("77.00"), 3),
    "A4": (Decimal("80.00"), 4),
    "B1": (Decimal("70.00"), 3),
    "B2": (Decimal("60.00"), 2),
    "B3": (Decimal("59.00"), 1),
    "B4": (Decimal("89.90"), 4),
}


def rater_total(ratee: str, group: str, rater: str) -> int:
    plan = PLAN[ratee]
    if isinstance(plan, int):
        return plan
    given = plan[group]
    return given if isinstance(given, int) else given[rater]


def split_total(total: int, maxima: list[int]) -> list[int]:
    """Item scores adding up to ``total``: full marks first, the remainder, then zeros."""
    scores = []
    for maximum in maxima:
        scores.append(min(maximum, total))
        total -= scores[-1]
    assert total == 0
    return scores


def build_scheme(folder: Path) -> Path:
    sheets = template_sheets("s2")
    sheets["支部"], sheets["党员名册"] = BRANCHES, ROSTER
    folder.mkdir(parents=True, exist_ok=True)
    path = write_scheme_workbook(sheets, folder / "方案.xlsx")
    shutil.copyfile(Path(api.__file__).parent.parent / "samples" / "s2" / "xlflag.key", folder / "xlflag.key")
    return path


def planned_value(identity, ratee, item):
    scheme = planned_value.scheme
    items = scheme.items_of(identity.criteria_set)
    scores = split_total(rater_total(ratee, identity.group, identity.rater), [i.maximum for i in items])
    return scores[[i.code for i in items].index(item.code)]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Forms out, every form filled per PLAN into a returns folder, consolidated."""
    root = tmp_path_factory.mktemp("spine")
    scheme_path = build_scheme(root / "scheme")
    written = api.make_forms(scheme_path, root / "forms")
    planned_value.scheme = api.load_scheme(scheme_path)
    returns = root / "returns"
    for n, (form, path) in enumerate(written.forms):
        fill_form(planned_value.scheme, path, planned_value, returns / f"第{n}封邮件" / f"附件{n}.xlsx")
    result = api.consolidate(scheme_path, returns, root / "结果.xlsx")
    return root, scheme_path, written, result


def test_form_count_matches_the_roster(run):
    _, _, written, _ = run
    # per branch: 4 self + 4 peer + 1 leader + 5 staff = 14; two branches
    assert len(written.forms) == 28


def test_hand_computed_totals_and_stars(run):
    result = run[3]
    got = {m.member.member_id: (m.total, m.stars) for m in result.members}
    assert got == EXPECTED


def test_group_means_and_rater_counts(run):
    a3 = next(m for m in run[3].members if m.member.member_id == "A3")
    assert [(g.group.code, g.raters, g.mean) for g in a3.groups] == [
        ("DZ", 1, 100), ("DH", 3, 80), ("DL", 1, 60), ("DQ", 5, 70)
    ]


def test_every_file_accepted_once_and_nothing_missing(run):
    result = run[3]
    assert [e.status for e in result.intake.ledger] == ["已采用"] * 28
    assert all(s.expected == s.accepted and not s.missing for s in result.status)
    assert result.intake.report.problems == []


def test_summary_sheet_caches_xlflag_values(run):
    root = run[0]
    ws = openpyxl.load_workbook(root / "结果.xlsx", data_only=True)["汇总"]
    header = [c.value for c in ws[3]]
    total_col, star_col = header.index("综合得分"), header.index("星级")
    rows = {r[2]: (r[total_col], r[star_col]) for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows == {k: (float(t), s) for k, (t, s) in EXPECTED.items()}


def test_data_sheet_has_one_row_per_member_and_group_and_no_rater(run):
    root = run[0]
    ws = openpyxl.load_workbook(root / "结果.xlsx", data_only=True)["数据"]
    header, *rows = ws.iter_rows(min_row=2, values_only=True)
    assert header[:8] == ("支部", "被评编号", "被评名称", "指标体系", "评价主体", "应评人数", "计分门槛", "已评人数")
    # 8 members × 4 groups; A3's peers: 3 expected, threshold 3, 3 rated, totals 80+70+90 = 240
    assert len(rows) == 32
    a3_peers = next(r for r in rows if r[1] == "A3" and r[4] == "互评")
    assert a3_peers[5:9] == (3, 3, 3, 240)
    # the one leader is a named role (threshold 1); staff: 5 representatives, threshold 3
    assert {r[4]: r[5:8] for r in rows if r[1] == "A3"} == {"自评": (1, 1, 1), "互评": (3, 3, 3), "领导点评": (1, 1, 1), "职工参评": (5, 3, 5)}
    texts = {v for r in rows for v in r if isinstance(v, str)}
    assert not texts & {"王书记", "赵书记"}


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")
def test_formulas_recalculate_to_the_cached_values(run):
    root = run[0]
    results = root / "结果.xlsx"
    formulas = cached_formula_values(results)
    # 8 members × (4 groups × 2 + total + star + glyphs) in 汇总, 28 form rows × … in 数据
    assert len(formulas["汇总"]) == 8 * 11
    assert formula_mismatches(results) == []


def test_renamed_moved_copy_counts_once_and_junk_is_reported(run, tmp_path):
    root, scheme_path, written, first = run
    returns = tmp_path / "returns"
    shutil.copytree(root / "returns", returns)
    one = next(returns.rglob("附件5.xlsx"))
    (returns / "另存").mkdir()
    shutil.copyfile(one, returns / "另存" / "新建 Microsoft Excel 工作表.xlsx")
    wb = openpyxl.Workbook()
    wb.active["A1"] = "会议签到表"
    wb.save(returns / "签到表.xlsx")
    (returns / "损坏.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    again = api.consolidate(scheme_path, returns, tmp_path / "结果.xlsx")
    statuses = {e.file: (e.status, e.reason.split()[0]) for e in again.intake.ledger}
    assert statuses["另存/新建 Microsoft Excel 工作表.xlsx"][0] in ("已采用", "重复")
    assert sorted(s for s, _ in statuses.values()).count("重复") == 1
    assert statuses["签到表.xlsx"] == ("非测评表", "RETURN_NOT_A_FORM")
    assert statuses["损坏.xlsx"][0] == "拒收"
    assert len(again.intake.ledger) == 28 + 3
    assert [(m.total, m.stars) for m in again.members] == [(m.total, m.stars) for m in first.members]


def test_bad_cells_become_problems_and_the_row_is_not_counted(run, tmp_path):
    root, scheme_path, written, _ = run
    returns = tmp_path / "returns"
    shutil.copytree(root / "returns", returns)
    # the leader's form in 甲支部 (one leader: ratees A1..A4); break A3's scores
    form, leader = next((f, p) for f, p in written.forms if f.identity.group == "DL" and f.identity.branch == "甲支部")
    target = next(p for p in returns.rglob("*.xlsx") if _form_id(p) == _form_id(leader))
    at = kit.cells(kit.Forms(scheme_path, written.forms), form)
    wb = openpyxl.load_workbook(target)
    ws = wb["测评表"]
    ws[at.score(2, "1.1")] = 6  # A3 is the third ratee; item 1.1 max 5
    ws[at.score(2, "1.2")] = "优秀"
    ws[at.score(1, "1.3")] = "5分"  # A2's: normalised, still counted
    wb.save(target)
    again = api.consolidate(scheme_path, returns, tmp_path / "结果.xlsx")
    found = [(p.code.name, p.cell) for p in again.intake.report.problems if p.file.endswith(target.name)]
    assert ("SCORE_OUT_OF_RANGE", at.score(2, "1.1")) in found
    assert ("SCORE_NOT_A_NUMBER", at.score(2, "1.2")) in found
    assert ("SCORE_NORMALISED", at.score(1, "1.3")) in found
    a3 = next(m for m in again.members if m.member.member_id == "A3")
    # The leader group (one leader) has no rating of A3 left: 不足1人, left out, and the other
    # weights rescaled (the default 不足门槛时): (20%×100 + 30%×80 + 30%×70) ÷ 80%
    # = (20 + 24 + 21) ÷ 0.8 = 81.25 → 4★.
    assert a3.groups[2].raters == 0 and a3.groups[2].mean is None
    assert (a3.total, a3.stars) == (Decimal("81.25"), 4)
    assert "RESULT_GROUP_MISSING" in problem_codes(again.papers)


def _form_id(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    return wb["_xlflag"]["A1"].value


def problem_codes(papers: Path) -> list[str]:
    ws = openpyxl.load_workbook(papers, read_only=True)["问题清单"]
    return [r[0] for r in ws.iter_rows(min_row=4, values_only=True)]
