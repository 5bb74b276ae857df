"""Periods an office kept by hand, from `xlflag archive template`, into the archive: every bad
cell reported by sheet and cell, nothing stored while one is wrong; on SQLite and PostgreSQL."""
from __future__ import annotations

from decimal import Decimal

import openpyxl
from typer.testing import CliRunner

from xlflag import api
from xlflag.archive.layout import SHEETS
from xlflag.cli import app

ONE, TWO = "综合股支部", "业务股支部"
PERIOD_ROW = ("2025H2", "丽江市古城区统计局党支部", "半年", "流动红旗", 4)
GOOD = {
    "期次": [PERIOD_ROW],
    "党员": [("2025H2", "C1", "和一", ONE, 90, 5, 5, "", "是"),
             ("2025H2", "C2", "和二", ONE, 82, 4, 3, "", ""),
             ("2025H2", "D1", "木一", TWO, 75, None, 3, "", "")],
    "支部": [("2025H2", ONE, 88, 1, "是", "", "90%", ""), ("2025H2", TWO, 80, 2, "", "", 0.85, "名额已满")],
    "回收": [("2025H2", ONE, "自评", 2, 2, 2)],
    "调整": [("2025H2", "C2", "摘星", "", 4, 3, "公开承诺未兑现", "局党组", "2026-01-08"),
             ("2025H2", ONE, "撤旗", "", "授旗", "不授旗", "发生严重工作失误", "局党组", "2026-01-09")],
}
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, ["archive", *(str(a) for a in args)])


def filled_template(path, sheets: dict[str, list[tuple]]):
    made = invoke("template", "-o", path)
    assert made.exit_code == 0, made.output
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["党员"][1]] == list(SHEETS["党员"][0])
    for name, rows in sheets.items():
        for row in rows:
            wb[name].append(row)
    wb.save(path)
    return path


def test_a_hand_kept_period_imports(db, tmp_path):
    done = invoke("import", filled_template(tmp_path / "历史.xlsx", GOOD), "--db", db)
    assert done.exit_code == 0, done.output
    (record,) = api.archive_records(db)
    assert (record.period, record.source, record.award_min_stars) == ("2025H2", "导入", 4)
    assert {m.member_id: (m.total, m.stars_scored, m.stars, m.quota_star) for m in record.members} == {
        "C1": (Decimal("90"), 5, 5, True), "C2": (Decimal("82"), 4, 3, False), "D1": (Decimal("75"), 3, 3, False)}
    # 综合股 won the flag on the scores (评定授旗) and lost it by 撤旗 (授旗, the final column,
    # blank); 业务股: both blank
    assert [(b.branch, b.winner, b.holds, b.satisfaction) for b in record.branches] == [
        (ONE, True, False, Decimal("0.9")), (TWO, False, False, Decimal("0.85"))]
    assert api.archive_flag(db).withdrawn == (("2025H2", ONE),)
    (c2,) = api.archive_member("C2", db)
    # stars typed as numbers read as the results workbook shows them
    assert [(a.what, a.before, a.after) for a in c2.adjustments] == [("星级", "★★★★", "★★★")]
    assert [a.what for a in record.adjustments] == ["星级", "流动红旗"]


def test_bad_cells_are_reported_and_nothing_is_stored(db, tmp_path):
    bad = {
        "期次": [PERIOD_ROW, ("2025H2", "重复", "半年")],
        "党员": [("2025H2", "C1", "和一", ONE, 90, 5, 5),
                 ("2025H2", "D1", "木一", TWO, "八十", 3, "三星"),
                 ("2025H1", "D2", "木二", TWO, 70, 3, 3),
                 ("2025H2", "C1", "和一", ONE, 90, 5, 5)],
        "支部": [("2025H2", ONE, 88, 1, "", "也许")],
        "调整": [("2025H2", "Z9", "增星", "", "", "", "表现突出"),
                 ("2025H2", "C1", "加星", "", "", "", "")],
    }
    done = invoke("import", filled_template(tmp_path / "历史.xlsx", bad), "--db", db)
    assert done.exit_code == 2 and "未导入" in done.output
    report = api.archive_import(tmp_path / "历史.xlsx", db=db).report
    assert sorted((p.code.name, p.sheet, p.cell) for p in report.problems) == sorted([
        ("ARCHIVE_DUPLICATE", "期次", "A3"),
        ("ARCHIVE_VALUE_INVALID", "党员", "G3"),  # 三星
        ("ARCHIVE_VALUE_INVALID", "党员", "E3"),  # 八十
        ("ARCHIVE_PERIOD_UNKNOWN", "党员", "A4"),
        ("ARCHIVE_DUPLICATE", "党员", "B5"),
        ("ARCHIVE_VALUE_INVALID", "支部", "F2"),  # 也许
        ("ARCHIVE_TARGET_UNKNOWN", "调整", "B2"),
        ("ARCHIVE_VALUE_INVALID", "调整", "C3"),  # 加星
        ("ARCHIVE_VALUE_INVALID", "调整", "G3"),  # no 理由
    ])
    assert api.archive_records(db) == []


def test_a_workbook_that_is_not_the_template(db, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "期次"
    wb["期次"].append(("期次", "单位"))
    wb.save(tmp_path / "别的.xlsx")
    report = api.archive_import(tmp_path / "别的.xlsx", db=db).report
    assert [(p.code.name, p.sheet, p.expected) for p in report.problems] == [
        ("ARCHIVE_COLUMN_MISSING", "期次", "组织名称"), ("ARCHIVE_SHEET_MISSING", "党员", "党员")]
    missing = invoke("import", tmp_path / "没有.xlsx", "--db", db)
    assert missing.exit_code == 2 and "找不到" in missing.output


def test_every_archive_command_is_documented():
    from xlflag.cli import archive_app

    names = {c.name for c in archive_app.registered_commands}
    assert names == {"commit", "flag", "member", "year", "compare", "export", "template", "import"}
    assert "archive" in runner.invoke(app, ["--help"]).output
    listed = invoke("--help").output
    for command in archive_app.registered_commands:
        doc = command.callback.__doc__.strip()
        assert command.name in listed
        shown = invoke(command.name, "--help")
        assert shown.exit_code == 0 and doc.splitlines()[0].split(" / ")[0] in shown.output
