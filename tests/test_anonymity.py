"""Issue 10: no one can tell who gave which score.

1. The anonymity threshold and rescaling as pure functions, worked by hand.
2. The threshold end to end on S2's rules with real files: 2 of 3 peers and 1 of 2 leaders
   returned → 不足3人 / 不足2人, the total rescaled over the remaining groups, every formula
   recalculated by LibreOffice to the cached value; the same with 暂不计算综合得分.
3. Every preset's demo results workbook (with one return mailed, so the ledger has a sender):
   every cell of every sheet is scanned — member names only in name columns; no rater name,
   form code, form id, file name, mail or sender; no rater label; no per-rater row.
   The working papers carry 内部资料 on every sheet and in its page header.
"""
from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from preset_kit import (
    needs_soffice,
    planned_values,
    preset_sheets,
    set_value,
    sheet_rows,
)
from returns_kit import message, write_eml

from xlflag import api
from xlflag.core.formplan import plan_forms
from xlflag.core.model import (
    RATER_BRANCH,
    RATER_LEADERS,
    RATER_PEERS,
    RATER_REPS,
    RATER_SELF,
    SHORT_OPEN,
    SHORT_RESCALE,
    RaterGroup,
)
from xlflag.core.scoring import GroupScore, member_total, required_raters
from xlflag.demo import fill_form, run_demo
from xlflag.edge.libreoffice import formula_mismatches
from xlflag.scheme.key import load_key
from xlflag.scheme.read import parse_scheme
from xlflag.scheme.key import create_key
from xlflag.scheme.templates import write_scheme_workbook


def group(kind: str, weight: int, code: str = "G") -> RaterGroup:
    return RaterGroup("党员", code, code, Fraction(weight), kind)


# -- 1. pure ----------------------------------------------------------------------------------

def test_required_raters_threshold_small_groups_and_self():
    assert required_raters(group(RATER_PEERS, 30), expected=7, threshold=3) == 3
    assert required_raters(group(RATER_PEERS, 30), expected=2, threshold=3) == 2  # all of a small branch
    assert required_raters(group(RATER_LEADERS, 20), expected=2, threshold=3) == 2  # both leaders
    assert required_raters(group(RATER_LEADERS, 20), expected=1, threshold=3) == 1  # a named role
    assert required_raters(group(RATER_REPS, 30), expected=5, threshold=5) == 5
    assert required_raters(group(RATER_SELF, 20), expected=1, threshold=3) == 1  # exempt
    assert required_raters(group(RATER_BRANCH, 20), expected=1, threshold=5) == 1  # a branch's own


def scores(*pairs) -> tuple[GroupScore, ...]:
    """(weight, mean or None) per group; None: below the threshold."""
    return tuple(GroupScore(group(RATER_PEERS, w, f"G{n}"), 0, None if m is None else Fraction(m), 3)
                 for n, (w, m) in enumerate(pairs))


def test_total_rescales_over_the_groups_that_count():
    # self 20 % 90, peers 30 % 不足3人, leaders 20 % 不足2人, staff 30 % 80:
    # (20×90 + 30×80) ÷ (20 + 30) = (1800 + 2400) ÷ 50 = 84.00
    groups = scores((20, 90), (30, None), (20, None), (30, 80))
    assert member_total(groups, SHORT_RESCALE) == Decimal("84.00")
    assert member_total(groups, SHORT_OPEN) is None
    # everything counted: Σ weight% × mean as before, 0.2×90 + 0.3×70 + 0.2×60 + 0.3×80 = 75.00
    full = scores((20, 90), (30, 70), (20, 60), (30, 80))
    assert member_total(full, SHORT_RESCALE) == member_total(full, SHORT_OPEN) == Decimal("75.00")
    # 30×(200/3) ÷ 30 = 66.666… → 66.67 (half-up, as Excel's ROUND)
    assert member_total(scores((20, None), (30, Fraction(200, 3))), SHORT_RESCALE) == Decimal("66.67")
    assert member_total(scores((20, None), (30, None)), SHORT_RESCALE) is None  # nothing counts
    assert member_total(scores((0, 50), (100, None)), SHORT_RESCALE) is None  # only weight 0 counts


def test_scheme_settings_are_read_and_checked():
    sheets = preset_sheets("s2", [("支部名称", "领导点评人"), ("甲支部", "王书记")],
                           [("支部", "编号", "姓名", "突出表现"), ("甲支部", "A1", "甲一", ""), ("甲支部", "A2", "甲二", "")])
    scheme, _ = parse_scheme(sheets)
    assert (scheme.settings.min_raters, scheme.settings.short_policy) == (3, SHORT_RESCALE)  # defaults
    set_value(sheets, "设置", "评价人数门槛", "5")
    set_value(sheets, "设置", "不足门槛时", SHORT_OPEN)
    scheme, _ = parse_scheme(sheets)
    assert (scheme.settings.min_raters, scheme.settings.short_policy) == (5, SHORT_OPEN)
    set_value(sheets, "设置", "评价人数门槛", "2.5")
    set_value(sheets, "设置", "不足门槛时", "随便")
    scheme, report = parse_scheme(sheets)
    assert scheme is None
    assert sorted((p.code.name, p.sheet, p.found) for p in report.problems) == [
        ("SCHEME_VALUE_INVALID", "设置", "2.5"), ("SCHEME_VALUE_INVALID", "设置", "随便")]


# -- 2. end to end on S2 ----------------------------------------------------------------------
# 甲支部: A1..A4, two leaders (王书记, 李书记), 5 staff representatives. Returned: every form
# except A4's peer form (so A1, A2, A3 have 2 of 3 peers) and 李书记's (1 of 2 leaders).
BRANCHES = [("支部名称", "领导点评人"), ("甲支部", "王书记、李书记")]
ROSTER = [("支部", "编号", "姓名", "突出表现"), *(("甲支部", f"A{n}", f"甲{c}", "") for n, c in zip(range(1, 5), "一二三四"))]
PLAN = {
    # self 90, peers 不足3人, leaders 不足2人, staff 80:
    # (20×90 + 30×80) ÷ (20 + 30) = 4200 ÷ 50 = 84.00 → 4★
    "A1": {"合计": {"DZ": 90, "DQ": 80}},
    "A2": {"合计": 100},  # every group that counts gives 100 → 100.00, not 突出 → 4★
    "A3": {"合计": 100},
    # self 100; peers A1 70, A2 80, A3 90 → 3 of 3, mean 80; leaders 不足2人; staff 60:
    # (20×100 + 30×80 + 30×60) ÷ (20 + 30 + 30) = 6200 ÷ 80 = 77.50 → 3★
    "A4": {"合计": {"DZ": 100, "DH": {"A1": 70, "A2": 80, "A3": 90}, "DQ": 60}},
}
HELD_BACK = {("DH", "A4"), ("DL", "李书记")}


def threshold_run(root: Path, policy: str):
    sheets = preset_sheets("s2", BRANCHES, ROSTER)
    set_value(sheets, "设置", "不足门槛时", policy)
    (root / "scheme").mkdir(parents=True)
    scheme_path = write_scheme_workbook(sheets, root / "scheme" / "方案.xlsx")
    create_key(scheme_path)  # what `xlflag init` does: forms never make a key
    written = api.make_forms(scheme_path, root / "forms")
    scheme = api.load_scheme(scheme_path)
    value_for = planned_values(scheme, PLAN)
    for n, (planned, path) in enumerate(written.forms):
        if (planned.identity.group, planned.identity.rater) not in HELD_BACK:
            fill_form(scheme, path, value_for, root / "returns" / f"{n:03d}.xlsx")
    return api.consolidate(scheme_path, root / "returns", root / "结果.xlsx")


@pytest.fixture(scope="module")
def rescaled(tmp_path_factory):
    return threshold_run(tmp_path_factory.mktemp("rescale"), SHORT_RESCALE)


def test_a_short_group_reads_not_enough_and_the_total_is_rescaled(rescaled):
    rows = {r["编号"]: r for r in sheet_rows(rescaled.output, "汇总")}
    a1, a4 = rows["A1"], rows["A4"]
    assert (a1["互评人数"], a1["互评平均分"], a1["领导点评人数"], a1["领导点评平均分"]) == (2, "不足3人", 1, "不足2人")
    assert (a1["综合得分"], a1["星级"]) == (84.0, 4)
    assert a1["备注"] == "未计入：互评不足3人、领导点评不足2人；权重已按其余评价主体折算"
    assert (a4["互评人数"], a4["互评平均分"], a4["综合得分"], a4["星级"]) == (3, 80, 77.5, 3)
    assert rows["A2"]["综合得分"] == 100.0
    assert [(m.total, m.stars) for m in rescaled.members] == [
        (Decimal("84.00"), 4), (Decimal("100.00"), 4), (Decimal("100.00"), 4), (Decimal("77.50"), 3)]
    note = openpyxl.load_workbook(rescaled.output, read_only=True)["汇总"]["A2"].value
    assert "不足3人" in note and "折算" in note


def test_a_short_group_has_no_sums_in_the_data_sheet(rescaled):
    ws = openpyxl.load_workbook(rescaled.output, data_only=True)["数据"]
    _, *rows = ws.iter_rows(min_row=2, values_only=True)
    at = {(r[1], r[4]): r for r in rows}
    a1_peers, a1_leaders, a4_peers = at[("A1", "互评")], at[("A1", "领导点评")], at[("A4", "互评")]
    assert a1_peers[5:8] == (3, 3, 2) and set(a1_peers[8:]) == {None}  # counts only
    assert a1_leaders[5:8] == (2, 2, 1) and set(a1_leaders[8:]) == {None}  # 王书记's scores stay hidden
    assert a4_peers[5:9] == (3, 3, 3, 240)  # 70 + 80 + 90


@needs_soffice
def test_threshold_formulas_recalculate_to_the_cached_values(rescaled):
    assert formula_mismatches(rescaled.output) == []


@needs_soffice
def test_keep_open_leaves_every_total_blank_until_the_groups_are_complete(tmp_path):
    result = threshold_run(tmp_path, SHORT_OPEN)
    rows = sheet_rows(result.output, "汇总")
    # the leaders are short for everyone: no total, no star, for anyone
    assert [(r["综合得分"], r["星级"]) for r in rows] == [("", "")] * 4
    assert rows[0]["备注"] == "未计入：互评不足3人、领导点评不足2人"
    assert all(m.total is None for m in result.members)
    assert formula_mismatches(result.output) == []


# -- 3. every preset's demo: scan every cell -------------------------------------------------

NAME_HEADERS = {"姓名", "被评名称"}
LEAK = "张秘书"  # the mail sender


@pytest.fixture(scope="module", params=api.presets())
def demo(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"demo_{request.param}")
    run = run_demo(out, request.param)
    first = min(run.returns.rglob("*.xlsx"))
    msg = message(f"{LEAK} <zhang.mishu@example.cn>", "Mon, 23 Nov 2026 09:00:00 +0800", [(first.name, first.read_bytes())])
    write_eml(run.returns / "收件箱" / "回复 测评表.eml", msg)
    result = api.consolidate(run.scheme, run.returns, out / "汇总结果.xlsx")
    assert any(e.sender for e in result.intake.ledger)
    return run, result


def forbidden(run, result) -> set[str]:
    """Every string that would tie a score to a rater, except member names (own rule)."""
    scheme = result.scheme
    members = {m.name for m in scheme.members}
    texts = set()
    for form in plan_forms(scheme, load_key(run.scheme)):
        texts |= {form.identity.form_id, form.identity.code}
        kind = scheme.group(form.identity.group).rater_kind
        if form.rater_name not in members and kind != RATER_BRANCH:
            texts.add(form.rater_name)  # leaders, the superior, 职工代表3
    for entry in result.intake.ledger:
        texts |= {entry.form_code, entry.form_id, entry.mail, entry.sender, entry.stored, entry.sha256}
        texts |= {Path(entry.file).name, Path(entry.file).stem}
    for path in run.returns.rglob("*"):
        texts.add(path.stem)
    return {t for t in texts if t and len(t) >= 2} - members | {LEAK}


def label_pattern(scheme) -> re.Pattern:
    """A rater label such as 互评03 or 职工参评2: a group's name and a number."""
    names = "|".join(re.escape(g.name) for g in scheme.groups)
    return re.compile(rf"^({names})\d+$")


def header_of(ws, col: int) -> set[str]:
    return {str(ws.cell(r, col).value or "").replace("\n", "") for r in range(1, 5)}


def test_the_results_workbook_holds_nothing_that_names_a_rater(demo):
    run, result = demo
    scheme = result.scheme
    members = {m.name for m in scheme.members}
    banned = forbidden(run, result)
    label = label_pattern(scheme)
    wb = openpyxl.load_workbook(result.output)
    leaks = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                value = c.value if isinstance(c.value, str) else ""
                if not value:
                    continue
                if any(b in value for b in banned) or label.match(value):
                    leaks.append((ws.title, c.coordinate, value))
                named = [m for m in members if m in value]
                if named and not (value in members and header_of(ws, c.column) & NAME_HEADERS):
                    leaks.append((ws.title, c.coordinate, value))
    assert leaks == []
    assert not {"问题清单", "文件清单"} & set(wb.sheetnames)


def test_the_notice_holds_nothing_that_names_a_rater(demo):
    """公示.xlsx is posted too: no rater name, code, id, file, sender or label anywhere."""
    run, result = demo
    banned = forbidden(run, result)
    label = label_pattern(result.scheme)
    wb = openpyxl.load_workbook(result.notice)
    leaks = [(ws.title, c.coordinate, c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and (any(b in c.value for b in banned) or label.match(c.value))]
    assert leaks == []


def test_the_data_sheets_have_one_row_per_ratee_and_group_and_sums_only_from_the_threshold(demo):
    _, result = demo
    scheme = result.scheme
    kinds = {g.name: g.rater_kind for g in scheme.groups}
    wb = openpyxl.load_workbook(result.output, data_only=True)
    for sheet, ratees, groups in (("数据", scheme.members, scheme.member_groups),
                                  ("授旗数据", scheme.branches, scheme.flag_groups)):
        if not groups:
            assert sheet not in wb.sheetnames
            continue
        _, *rows = wb[sheet].iter_rows(min_row=2, values_only=True)
        keys = [(r[1], r[4]) for r in rows]
        assert len(keys) == len(set(keys)) == len(ratees) * len(groups)  # no per-rater row
        for r in rows:
            expected, required, count, sums = r[5], r[6], r[7], [v for v in r[8:] if v is not None]
            if count < required:
                assert sums == [], (sheet, r[:8])
            elif count == 1:  # one rater's scores: only self-rating or a one-person role
                assert kinds[r[4]] in (RATER_SELF, RATER_BRANCH) or expected == 1, (sheet, r[:8])


def test_status_and_tracking_count_without_names(demo):
    _, result = demo
    ws = openpyxl.load_workbook(result.output, read_only=True)["回收情况"]
    assert next(ws.iter_rows(values_only=True)) == ("支部", "评价主体", "应收", "已交", "已采用", "问题", "未采用")
    papers = openpyxl.load_workbook(result.papers)
    for ws in papers.worksheets:
        assert ws["A1"].value.startswith("内部资料"), ws.title
        assert "内部资料" in ws.oddHeader.left.text, ws.title
    assert papers.sheetnames[:3] == ["文件清单", "问题清单", "回收明细"]
    assert result.papers.parent == result.ledger.parent  # beside the evidence store


@needs_soffice
def test_demo_formulas_recalculate_to_the_cached_values(demo):
    assert formula_mismatches(demo[1].output) == []
