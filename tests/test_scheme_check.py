"""Step 1 on real files: a scheme workbook with one thing wrong names that thing by code,
sheet and cell; the bundled templates check clean and say what the presets say.

Every case starts from the s2 template (质检中心) and edits rows inline. Row numbers below are
sheet rows as the clerk sees them (row 1 is the header). The s2 template, for reference:

  评价主体  row 2 自评 20 · row 3 互评 30 · row 4 领导点评 20 · row 5 职工参评 30 (5 reps); 权重 is column D
  星级标准  row 2 1★ [0,60) · row 3 2★ [60,70) · row 4 3★ [70,80) · row 5 4★ [80,90) · row 6 5★ [90,100]
  测评项目  rows 2..21: items 1.1 .. 5.4, 满分 (column E) 5 each; row 5 is item 1.4
  支部      row 2 第一党支部 (王书记、李主任) · row 3 第二党支部 (赵书记); 领导点评人 is column B
  党员名册  rows 2..7 第一党支部 M001..M006 · rows 8..14 第二党支部 M007..M013
  设置      row 2 组织名称 · row 3 期次 2026Q4
"""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from xlflag import api
from xlflag.core.formplan import plan_forms
from xlflag.core.problems import Code
from xlflag.edge.resources import resource_dir
from xlflag.scheme.presets import preset_names
from xlflag.scheme.templates import template_sheets, write_scheme_workbook

CJK = re.compile(r"[\u4e00-\u9fff]")


def scheme_file(folder: Path, edit=None, preset: str = "s2") -> Path:
    """The preset's template, edited in memory, written as a real workbook."""
    sheets = {name: list(rows) for name, rows in template_sheets(preset).items()}
    if edit is not None:
        edit(sheets)
    return write_scheme_workbook(sheets, folder / "方案.xlsx")


def located(path: Path) -> list[tuple[str, str, str]]:
    return [(p.code.name, p.sheet, p.cell) for p in api.check_scheme(path).problems]


def set_row(sheets: dict, sheet: str, row: int, values: tuple) -> None:
    """Overwrite sheet row ``row`` (1-based, as in Excel)."""
    sheets[sheet][row - 1] = values


def set_cell(sheets: dict, sheet: str, row: int, column: int, value) -> None:
    """Overwrite one cell (1-based row and column)."""
    old = list(sheets[sheet][row - 1])
    old += [None] * (column - len(old))
    old[column - 1] = value
    sheets[sheet][row - 1] = tuple(old)


def delete_row(sheets: dict, sheet: str, row: int) -> None:
    del sheets[sheet][row - 1]


# -- the cases: each edit breaks one rule --------------------------------------------------


def weights_sum_to_90(s):
    # 职工参评 30 → 20: 20 + 30 + 20 + 20 = 90
    set_row(s, "评价主体", 5, ("党员", "DQ", "职工参评", 20, "代表", 5))


def star_band_gap(s):
    # without 3★ [70,80) the bands jump from 70 to 80
    delete_row(s, "星级标准", 4)


def star_bands_overlap(s):
    # 3★ [70,85) overlaps 4★ [80,90); the later band is the one reported
    set_row(s, "星级标准", 4, (3, 70, 85))


def star_bands_stop_at_95(s):
    set_row(s, "星级标准", 6, (5, 90, 95))


def item_max(value):
    def edit(s):
        set_cell(s, "测评项目", 5, 5, value)  # item 1.4's 满分

    return edit


def member_in_unknown_branch(s):
    set_cell(s, "党员名册", 4, 1, "第三党支部")  # M003 李娜


def duplicate_member_id(s):
    set_cell(s, "党员名册", 6, 2, "M002")  # 陈静 M005 → M002, already 王芳's


def missing_sheet(s):
    del s["星级标准"]


def missing_column(s):
    s["党员名册"] = [row[:3] for row in s["党员名册"]]  # no 突出表现


def period_row_removed(s):
    s["设置"] = [row for row in s["设置"] if row[0] != "期次"]


def branch_without_leaders(s):
    set_row(s, "支部", 3, ("第二党支部", ""))


CASES = [
    pytest.param(weights_sum_to_90, [("SCHEME_WEIGHTS_NOT_100", "评价主体", "D2:D5")], id="weights-90"),
    pytest.param(star_band_gap, [("SCHEME_BANDS_GAP", "星级标准", "B4")], id="band-gap"),  # 4★ now starts row 4
    pytest.param(star_bands_overlap, [("SCHEME_BANDS_OVERLAP", "星级标准", "B5")], id="band-overlap"),
    pytest.param(star_bands_stop_at_95, [("SCHEME_BANDS_GAP", "星级标准", "C6")], id="bands-short-of-100"),
    pytest.param(item_max(0), [("SCHEME_ITEM_MAX_INVALID", "测评项目", "E5")], id="item-max-0"),
    pytest.param(item_max(-1), [("SCHEME_ITEM_MAX_INVALID", "测评项目", "E5")], id="item-max-negative"),
    pytest.param(item_max("五"), [("SCHEME_ITEM_MAX_INVALID", "测评项目", "E5")], id="item-max-chinese-numeral"),
    pytest.param(item_max(2.5), [("SCHEME_ITEM_MAX_INVALID", "测评项目", "E5")], id="item-max-fraction"),
    pytest.param(member_in_unknown_branch, [("SCHEME_MEMBER_BRANCH_UNKNOWN", "党员名册", "A4")], id="unknown-branch"),
    pytest.param(duplicate_member_id, [("SCHEME_MEMBER_ID_DUPLICATE", "党员名册", "B6")], id="duplicate-id"),
    pytest.param(missing_sheet, [("SCHEME_SHEET_MISSING", "星级标准", "")], id="missing-sheet"),
    # a missing column has no cell of its own: the header row is named
    pytest.param(missing_column, [("SCHEME_COLUMN_MISSING", "党员名册", "A1:C1")], id="missing-column"),
    pytest.param(period_row_removed, [("SCHEME_SETTING_MISSING", "设置", "")], id="period-row-removed"),
]


@pytest.mark.parametrize("edit, expected", CASES)
def test_one_broken_rule_is_named_where_it_is(tmp_path, edit, expected):
    assert located(scheme_file(tmp_path, edit)) == expected


@pytest.mark.parametrize("edit, expected", CASES)
def test_a_broken_scheme_is_not_loaded(tmp_path, edit, expected):
    path = scheme_file(tmp_path, edit)
    assert not api.check_scheme(path).valid
    with pytest.raises(api.SchemeInvalid):
        api.load_scheme(path)


def test_item_max_given_as_digit_text_is_accepted(tmp_path):
    # a clerk who types "5" into a text-formatted cell means 5
    assert located(scheme_file(tmp_path, item_max("5"))) == []


def test_branch_without_leaders_is_reported(tmp_path):
    codes = [(c, sheet) for c, sheet, _ in located(scheme_file(tmp_path, branch_without_leaders))]
    assert codes == [("SCHEME_BRANCH_NO_LEADER", "支部")]


def test_branch_without_leaders_points_at_its_leader_cell(tmp_path):
    assert located(scheme_file(tmp_path, branch_without_leaders)) == [("SCHEME_BRANCH_NO_LEADER", "支部", "B3")]


def test_blank_period_value_points_at_its_cell(tmp_path):
    def blank_period(s):
        set_row(s, "设置", 3, ("期次", ""))

    assert located(scheme_file(tmp_path, blank_period)) == [("SCHEME_SETTING_MISSING", "设置", "B3")]


def test_blank_period_value_is_reported(tmp_path):
    def blank_period(s):
        set_row(s, "设置", 3, ("期次", ""))

    assert [c for c, _, _ in located(scheme_file(tmp_path, blank_period))] == ["SCHEME_SETTING_MISSING"]


def test_duplicate_branch_name_is_an_error(tmp_path):
    def duplicate_branch(s):
        s["支部"].append(("第二党支部", "赵书记"))  # row 4 repeats row 3

    report = api.check_scheme(scheme_file(tmp_path, duplicate_branch))
    assert ("支部", "A4") in [(p.sheet, p.cell) for p in report.errors]


def test_negative_weight_is_an_error(tmp_path):
    def negative_weight(s):
        # 20 + 30 − 10 + 60 = 100
        set_row(s, "评价主体", 4, ("党员", "DL", "领导点评", -10, "领导", None))
        set_row(s, "评价主体", 5, ("党员", "DQ", "职工参评", 60, "代表", 5))

    assert located(scheme_file(tmp_path, negative_weight)) == [("SCHEME_VALUE_INVALID", "评价主体", "D4")]


def test_fractional_star_level_is_an_error(tmp_path):
    def half_star(s):
        set_row(s, "星级标准", 3, (2.5, 60, 70))

    assert located(scheme_file(tmp_path, half_star)) == [("SCHEME_VALUE_INVALID", "星级标准", "A3")]


def test_every_problem_message_is_chinese(tmp_path):
    messages = []
    for n, case in enumerate(CASES + [pytest.param(branch_without_leaders, None)]):
        path = scheme_file(tmp_path / str(n), case.values[0])
        messages += [p.message for p in api.check_scheme(path).problems]
    assert len(messages) >= len(CASES) + 1
    assert [m for m in messages if not CJK.search(m)] == []


def test_every_catalogued_message_is_chinese():
    assert [c.name for c in Code if not CJK.search(c.template)] == []


# -- columns are found by header, not position ----------------------------------------------

TABLES = ("测评项目", "评价主体", "星级标准", "支部", "党员名册")


def reverse_columns(s):
    for name in TABLES:
        s[name] = [tuple(reversed(row)) for row in s[name]]


def test_columns_in_another_order_read_the_same(tmp_path):
    plain = scheme_file(tmp_path / "plain")
    reordered = scheme_file(tmp_path / "reordered", reverse_columns)
    assert located(reordered) == []
    assert api.load_scheme(reordered) == api.load_scheme(plain)
    key = b"k" * 32  # what every form asks is the same: the same fingerprints
    assert [f.identity.scheme for f in plan_forms(api.load_scheme(reordered), key)] == [
        f.identity.scheme for f in plan_forms(api.load_scheme(plain), key)]


def test_columns_in_another_order_locate_problems_in_their_own_column(tmp_path):
    def edit(s):
        member_in_unknown_branch(s)
        reverse_columns(s)  # 党员名册: 突出表现, 姓名, 编号, 支部 → 支部 is column D

    assert located(scheme_file(tmp_path, edit)) == [("SCHEME_MEMBER_BRANCH_UNKNOWN", "党员名册", "D4")]


# -- the bundled templates --------------------------------------------------------------------


@pytest.mark.parametrize("name", preset_names())
def test_template_checks_clean(name):
    # s1, s2, s4 rate star levels; s3 and s5 award named model stars and have no 星级标准
    assert located(resource_dir("templates_xlsx") / f"{name}.xlsx") == []


def _normalised(rows) -> list[tuple]:
    """Values as text-comparable: '' and None alike, 5.0 and 5 alike, trailing blanks dropped."""
    out = []
    for row in rows:
        cells = ["" if v is None else (int(v) if isinstance(v, float) and v.is_integer() else v) for v in row]
        while cells and cells[-1] == "":
            cells.pop()
        out.append(tuple(cells))
    while out and out[-1] == ():
        out.pop()
    return out


def test_committed_templates_are_the_presets():
    folder = resource_dir("templates_xlsx")
    assert sorted(p.stem for p in folder.glob("*.xlsx")) == preset_names()


@pytest.mark.parametrize("name", preset_names())
def test_committed_template_is_up_to_date(name):
    """If this fails, run `python -m xlflag.scheme.templates` and commit templates_xlsx/."""
    wb = openpyxl.load_workbook(resource_dir("templates_xlsx") / f"{name}.xlsx", data_only=True)
    try:
        committed = {ws.title: _normalised(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    finally:
        wb.close()
    expected = {sheet: _normalised(rows) for sheet, rows in template_sheets(name).items()}
    assert list(committed) == list(expected)
    for sheet in expected:
        assert committed[sheet] == expected[sheet], sheet


@pytest.mark.parametrize("name", preset_names())
def test_guide_sheet_describes_exactly_the_sheets_the_template_has(name):
    """说明 has one line per sheet of this scheme, in order: S2 has no 授旗规则, so no line for it."""
    sheets = template_sheets(name)
    described = [row[0] for row in sheets["说明"][1:] if row[0]]
    assert described == [s for s in sheets if s != "说明"]
    if name == "s2":
        assert "授旗规则" not in described and "模范星" not in described
