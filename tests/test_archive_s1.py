"""Two half-years of S1 through real workbooks and the CLI, on SQLite and PostgreSQL: forms
filled like raters fill them, `xlflag archive commit` consolidating each period, then the flag,
a member's record, the comparison, the year's summary, export and import.

S1: 自评 20 %, 互评 30 %, 领导点评 20 %, 职工群众参评 30 %; bands ≥90 5★, [80,90) 4★,
[70,80) 3★, [60,70) 2★, <60 1★; one flag. Every rater of a member gives the same total T, so
the member's total is T. 表彰最低星级 4.

            C1 和一      C2 和二→和贰(H2)  D1 木一          D2 木二 业务股→综合股(H2)  D3 木三
  2026H1    92 5★       85 4★            78 3★ 增星→4★    65 2★                      —
  2026H2    95 5★ 摘星→4★ 88 4★           81 4★            72 3★                      60 2★
  mean      4.50        4.00             4.00             2.50                       2.00
  表彰       yes         yes              yes (增星)        no                         no (H1 not rated)
Flag: H1 综合股 90 vs 业务股 85 → 综合股; H2 88 vs 91 → 业务股 takes it (综合股 loses it).
"""
from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest
from preset_kit import TOTAL, fill_returns, preset_sheets, set_reps, set_value
from typer.testing import CliRunner

from xlflag import api
from xlflag.archive.history import DOWN, LOST, NEW, SAME, TAKEN, UP
from xlflag.archive.record import Participation
from xlflag.cli import app

ONE, TWO = "综合股支部", "业务股支部"
BRANCHES = [("支部名称", "领导点评人"), (ONE, "和书记"), (TWO, "木书记")]
HEAD = ("支部", "编号", "姓名", "突出表现")
ROSTERS = {
    "2026H1": [HEAD, (ONE, "C1", "和一", ""), (ONE, "C2", "和二", ""), (TWO, "D1", "木一", ""), (TWO, "D2", "木二", "")],
    "2026H2": [HEAD, (ONE, "C1", "和一", ""), (ONE, "C2", "和贰", ""), (ONE, "D2", "木二", ""),
               (TWO, "D1", "木一", ""), (TWO, "D3", "木三", "")],
}
PLANS = {
    "2026H1": {"C1": 92, "C2": 85, "D1": 78, "D2": 65, ONE: 90, TWO: 85},
    "2026H2": {"C1": 95, "C2": 88, "D2": 72, "D1": 81, "D3": 60, ONE: 88, TWO: 91},
}
ADJUSTMENTS = {  # 对象, 类型, 新值 (blank: one star), 理由, 批准人, 日期
    "2026H1": [("D1", "增星", None, "统计执法检查中表现突出", "局党组", "2026-07-05")],
    "2026H2": [("C1", "摘星", None, "公开承诺未兑现", "局党组", "2027-01-10")],
}
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["archive", *(str(a) for a in args)])


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    """Each half-year's scheme and its returns folder, every form filled per plan."""
    made = {}
    for period, roster in ROSTERS.items():
        sheets = preset_sheets("s1", BRANCHES, roster)
        set_value(sheets, "设置", "期次", period)
        set_value(sheets, "设置", "表彰最低星级", 4)
        set_value(sheets, "授旗规则", "点评领导", "局长")
        set_reps(sheets, "DQ", 2)
        set_reps(sheets, "ZQ", 2)
        sheets["调整"] = [sheets["调整"][0], *ADJUSTMENTS[period]]
        root = tmp_path_factory.mktemp(period)
        scheme, _ = fill_returns(root, sheets, {k: {TOTAL: v} for k, v in PLANS[period].items()}, {ONE: 2, TWO: 2})
        made[period] = (scheme, root / "returns")
    return made


@pytest.fixture
def committed(halves, db, tmp_path):
    for period, (scheme, returns) in halves.items():
        done = invoke("commit", scheme, returns, "-o", tmp_path / f"{period}结果.xlsx", "--db", db)
        assert done.exit_code == 0, done.output
        assert f"已存档：{period}（第1版）" in done.output
        assert (tmp_path / f"{period}结果.xlsx").is_file()
    return db


def test_commit_records_the_final_results(committed):
    h1, h2 = api.archive_records(committed)
    assert (h1.period, h2.period, h1.cycle, h1.award_min_stars) == ("2026H1", "2026H2", "半年", 4)
    assert {m.member_id: (m.total, m.stars_scored, m.stars) for m in h1.members} == {
        "C1": (Decimal("92.00"), 5, 5), "C2": (Decimal("85.00"), 4, 4), "D1": (Decimal("78.00"), 3, 4),
        "D2": (Decimal("65.00"), 2, 2)}
    assert [(g.group, g.raters, g.mean) for g in h1.member("C1").means] == [
        ("自评", 1, Decimal("92")), ("互评", 1, Decimal("92")), ("领导点评", 1, Decimal("92")), ("职工群众参评", 2, Decimal("92"))]
    assert [(b.branch, b.total, b.winner, b.holds) for b in h2.branches] == [
        (ONE, Decimal("88.00"), False, False), (TWO, Decimal("91.00"), True, True)]
    assert [(a.target, a.kind, a.before, a.after, a.approver) for a in h2.adjustments] == [("C1", "摘星", "★★★★★", "★★★★", "局党组")]
    # per branch and group: 2 自评, 2 互评, 1 leader, 2 representatives in each H1 branch, all returned
    assert Participation(ONE, "自评", 2, 2, 2) in h1.participation
    assert Participation(TWO, "职工群众参评", 2, 2, 2) in h1.participation
    assert sum(p.expected for p in h1.participation) == sum(p.accepted for p in h1.participation) == 22


def test_a_committed_period_is_refused_then_replaced_keeping_the_old(committed, halves, tmp_path):
    scheme, returns = halves["2026H1"]
    again = invoke("commit", scheme, returns, "-o", tmp_path / "again.xlsx", "--db", committed)
    assert again.exit_code == 2 and "已存档" in again.output and "--replace" in again.output
    assert not (tmp_path / "again.xlsx").exists()  # refused before consolidating
    replaced = invoke("commit", scheme, returns, "-o", tmp_path / "again.xlsx", "--db", committed, "--replace")
    assert replaced.exit_code == 0 and "2026H1（第2版）" in replaced.output
    versions = sorted((r.period, r.version) for r in api.archive_records(committed, all_versions=True))
    assert versions == [("2026H1", 1), ("2026H1", 2), ("2026H2", 1)]


def test_flag_member_compare_year_commands(committed, tmp_path):
    flag = invoke("flag", "--db", committed)
    assert flag.exit_code == 0
    assert flag.output.splitlines() == [
        f"2026H1：{ONE}", f"2026H2：{TWO}", f"持旗次数：{TWO}1次；{ONE}1次",
        f"最长连续持旗：{ONE}（2026H1至2026H1，连续1期）；{TWO}（2026H2至2026H2，连续1期）"]

    member = invoke("member", "D2", "--db", committed)
    assert member.exit_code == 0
    assert member.output.splitlines() == [f"2026H1 {TWO} 木二 综合得分65.00 2★", f"2026H2 {ONE} 木二 综合得分72.00 3★"]
    d1 = invoke("member", "D1", "--db", committed).output.splitlines()
    assert d1[0] == f"2026H1 {TWO} 木一 综合得分78.00 4★（评定3★）"
    assert d1[1] == "    增星 星级 ★★★→★★★★（统计执法检查中表现突出，批准：局党组，2026-07-05）"
    assert invoke("member", "X9", "--db", committed).exit_code == 2

    c = api.archive_compare(db=committed)
    assert {m.member_id: (m.before, m.after, m.change) for m in c.members} == {
        "C1": (5, 4, DOWN), "C2": (4, 4, SAME), "D2": (2, 3, UP), "D1": (4, 4, SAME), "D3": (None, 2, NEW)}
    assert (c.of("C2").renamed_from, c.of("D2").moved_from) == ("和二", TWO)
    assert (c.branch(ONE).change, c.branch(TWO).change) == (LOST, TAKEN)
    shown = invoke("compare", "--db", committed).output
    assert f"D2 木二（{ONE}）升星 2★→3★；原{TWO}" in shown and f"{TWO}：夺旗" in shown

    year = invoke("year", "2026", "-o", tmp_path / "年度汇总.xlsx", "--db", committed)
    assert year.exit_code == 0, year.output
    assert "表彰候选：和一（C1）、和贰（C2）、木一（D1）" in year.output
    rows = _rows(tmp_path / "年度汇总.xlsx", "年度汇总", header_row=3)
    got = {r["编号"]: (r["2026H1星级"], r["2026H2星级"], r["平均星级"], r["表彰候选"]) for r in rows}
    assert got == {"C1": (5, 4, 4.5, "★"), "C2": (4, 4, 4.0, "★"), "D1": (4, 4, 4.0, "★"),
                   "D2": (2, 3, 2.5, None), "D3": (None, 2, 2.0, None)}
    assert "摘星" in next(r["动态调整"] for r in rows if r["编号"] == "C1")
    assert invoke("year", "2025", "-o", tmp_path / "x.xlsx", "--db", committed).exit_code == 2


def test_export_imports_back_into_an_empty_archive(committed, halves, tmp_path):
    scheme, returns = halves["2026H2"]
    assert invoke("commit", scheme, returns, "-o", tmp_path / "r.xlsx", "--db", committed, "--replace").exit_code == 0
    exported = invoke("export", "-o", tmp_path / "档案.xlsx", "--db", committed)
    assert exported.exit_code == 0, exported.output
    assert "已导出2个期次（3个版本）" in exported.output
    versions = _rows(tmp_path / "档案.xlsx", "版本记录")
    assert [(v["期次"], v["版本"], v["当前"]) for v in versions] == [("2026H1", 1, "是"), ("2026H2", 1, None), ("2026H2", 2, "是")]
    fresh = tmp_path / "新档案.sqlite"
    imported = invoke("import", tmp_path / "档案.xlsx", "--db", fresh)
    assert imported.exit_code == 0, imported.output
    strip = lambda r: (r.period, r.organisation, r.cycle, r.flag_name, r.award_min_stars, r.members, r.branches,  # noqa: E731
                       r.participation, r.adjustments)
    assert [strip(r) for r in api.archive_records(str(fresh))] == [strip(r) for r in api.archive_records(committed)]
    assert {r.source for r in api.archive_records(str(fresh))} == {"导入"}
    # the same file again: every period is in the archive already
    twice = invoke("import", tmp_path / "档案.xlsx", "--db", fresh)
    assert twice.exit_code == 2 and "ARCHIVE_PERIOD_COMMITTED" in twice.output


def _rows(path, sheet, header_row=1):
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        ws = wb[sheet]
        header = [c.value for c in ws[header_row]]
        return [dict(zip(header, r)) for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if any(r)]
    finally:
        wb.close()


def test_the_bulletin_compares_with_the_previous_period(committed, halves, tmp_path):
    """H2 against H1 (the table above): C1 5★→4★ 降星, C2 持平, D2 2★→3★ 升星, D1 4★→4★ 持平
    (H1's 增星 counts), D3 新入档; 综合股 loses the flag, 业务股 takes it."""
    from docx import Document

    scheme, returns = halves["2026H2"]
    target = tmp_path / "简报.docx"
    made = runner.invoke(app, ["bulletin", str(scheme), str(returns), "-o", str(target), "--db", committed])
    assert made.exit_code == 0, made.output
    doc = Document(target)
    summary = doc.paragraphs[1].text
    assert summary.endswith("与2026年上半年相比，升星1名，持平2名，降星1名，新入档1名。"
                            f"流动红旗：{ONE}失旗；{TWO}夺旗。")
    assert "与2026年上半年相比" in [p.text.split("、", 1)[-1] for p in doc.paragraphs]
    change = [[c.text for c in row.cells] for row in doc.tables[-1].rows]
    assert change == [["支部", "升星", "持平", "降星", "新入档", "未评定"],
                      [ONE, "1", "1", "1", "0", "0"], [TWO, "0", "1", "0", "1", "0"]]
    first = runner.invoke(app, ["bulletin", str(halves["2026H1"][0]), str(halves["2026H1"][1]), "-o",
                                str(tmp_path / "上半年简报.docx"), "--db", committed])
    assert first.exit_code == 0, first.output  # the archive's first period: nothing to compare
    assert "相比" not in Document(tmp_path / "上半年简报.docx").paragraphs[1].text
