"""Step 2 on real files: the s2 example scheme gives one protected, print-ready form per rater,
each in its place, each saying who rates whom, each signed.

The s2 example roster (templates.py), written out here so the expected numbers can be
worked by hand:
  第一党支部: 6 members, leaders 王书记、李主任
  第二党支部: 7 members, leader 赵书记
  rater groups: 自评 (本人), 互评 (本支部其他党员), 领导点评 (领导), 职工参评 (5 代表)
Forms: 自评 one per member 6 + 7 = 13; 互评 one per member 13; 领导点评 2 + 1 = 3;
职工参评 5 per branch = 10. Total 39.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from xlflag import api
from xlflag.core.identity import FormIdentity, verify
from xlflag.edge.libreoffice import convert, find_soffice
from xlflag.scheme.key import create_key, load_key

ROSTER = {
    "第一党支部": ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"),
    "第二党支部": ("赵敏", "黄强", "周杰", "吴霞", "徐明", "孙丽", "马超"),
}
LEADERS = {"第一党支部": ("王书记", "李主任"), "第二党支部": ("赵书记",)}
STAFF_REPS = 5
EXPECTED_FORMS = 13 + 13 + 3 + 10
ITEM_CODES = [f"{c}.{i}" for c in range(1, 6) for i in range(1, 5)]  # 20 items, 5 points each
CJK = re.compile(r"[\u4e00-\u9fff]")

needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("forms")
    scheme = api.init_scheme("s2", root / "s")
    out = root / "out"
    written = api.make_forms(scheme, out)
    return scheme, out, written


@pytest.fixture(scope="module")
def out(made) -> Path:
    return made[1]


def open_form(path: Path):
    return openpyxl.load_workbook(path)


def ratee_names(ws) -> list[str]:
    """Names down column C from row 6 on the rows numbered in column A (a form of many pages has
    a legend under each page's people), or (items as rows, A4 reads 类别) along row 5 from E."""
    names = []
    if ws["A4"].value == "类别":
        col = 5
        while ws.cell(5, col).value not in (None, ""):
            names.append(ws.cell(5, col).value)
            col += 1
        return names
    return [ws.cell(r, 3).value for r in range(6, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, int)]


def header_columns(ws) -> dict[str, list[int]]:
    """Row 5 header text → columns: item codes, 小计; 合计 sits merged in row 4."""
    cols: dict[str, list[int]] = {}
    for cell in ws[5]:
        if cell.value:
            cols.setdefault(str(cell.value).split("\n")[0], []).append(cell.column)
    for cell in ws[4]:
        if isinstance(cell.value, str) and cell.value.startswith("合计"):
            cols["合计"] = [cell.column]
    return cols


# -- how many and where ------------------------------------------------------------------------


def test_one_form_per_rater(made):
    assert len(made[2].forms) == EXPECTED_FORMS


def test_forms_land_at_branch_group_rater(made, out):
    expected = set()
    for branch, names in ROSTER.items():
        expected |= {f"{branch}/自评/{n}.xlsx" for n in names}
        expected |= {f"{branch}/互评/{n}.xlsx" for n in names}
        expected |= {f"{branch}/领导点评/{n}.xlsx" for n in LEADERS[branch]}
        expected |= {f"{branch}/职工参评/职工代表{k}.xlsx" for k in range(1, STAFF_REPS + 1)}
    assert {p.relative_to(out).as_posix() for _, p in made[2].forms} == expected
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == expected | {"发放清单.xlsx"}
    assert (out / "第一党支部" / "互评" / "张伟.xlsx").is_file()
    assert (out / "第二党支部" / "职工参评" / "职工代表3.xlsx").is_file()


def test_dispatch_list_has_one_row_per_form_with_its_code(made, out):
    assert made[2].dispatch == out / "发放清单.xlsx"
    ws = openpyxl.load_workbook(made[2].dispatch).active
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:6] == ("序号", "支部", "评价主体", "评价人", "表单编号", "文件")
    assert len(body) == EXPECTED_FORMS
    assert [r[0] for r in body] == list(range(1, EXPECTED_FORMS + 1))
    for _, branch, group, rater, code, rel, *_ in body:
        assert rel.replace("\\", "/") == f"{branch}/{group}/{rater}.xlsx"
        identity = FormIdentity.from_json(open_form(out / rel)["_xlflag"]["A1"].value)
        assert identity.code == code


def test_every_form_has_its_own_code(made):
    codes = [form.identity.code for form, _ in made[2].forms]
    assert len(set(codes)) == EXPECTED_FORMS
    assert all(re.fullmatch(r"2026Q4-[A-Z2-7]{8}", c) for c in codes)


# -- who is on each form -----------------------------------------------------------------------


def test_peer_form_lists_the_other_members_never_the_rater(out):
    ws = open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["测评表"]
    assert ratee_names(ws) == ["王芳", "李娜", "刘洋", "陈静", "杨磊"]
    assert [ws.cell(r, 1).value for r in range(6, 11)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("branch", ROSTER)
def test_no_peer_form_lists_its_rater(out, branch):
    for name in ROSTER[branch]:
        ws = open_form(out / branch / "互评" / f"{name}.xlsx")["测评表"]
        assert ratee_names(ws) == [n for n in ROSTER[branch] if n != name]


def test_self_form_lists_only_the_rater(out):
    ws = open_form(out / "第二党支部" / "自评" / "周杰.xlsx")["测评表"]
    assert ratee_names(ws) == ["周杰"]


def test_staff_and_leader_forms_list_every_member(out):
    staff = open_form(out / "第二党支部" / "职工参评" / "职工代表3.xlsx")["测评表"]
    leader = open_form(out / "第一党支部" / "领导点评" / "李主任.xlsx")["测评表"]
    assert ratee_names(staff) == list(ROSTER["第二党支部"])
    assert ratee_names(leader) == list(ROSTER["第一党支部"])


# -- what the sheet says ------------------------------------------------------------------------


def test_title_names_organisation_period_and_group(out):
    ws = open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["测评表"]
    title = ws["A1"].value
    assert "质检中心党支部" in title
    assert "2026年第四季度" in title
    assert "互评" in title


def test_info_row_carries_branch_rater_and_form_code(out):
    wb = open_form(out / "第二党支部" / "职工参评" / "职工代表3.xlsx")
    identity = FormIdentity.from_json(wb["_xlflag"]["A1"].value)
    info = " ".join(str(c.value) for c in wb["测评表"][2] if c.value)
    assert identity.code in info
    assert "第二党支部" in info and "职工代表3" in info


def test_header_names_every_item_with_its_maximum(out):
    ws = open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["测评表"]
    headers = [str(c.value) for c in ws[5] if c.value]
    for code in ITEM_CODES:  # code, 简称 (derived: the wording's first four characters), maximum
        assert any(h.startswith(f"{code}\n") and h.endswith("\n5分") for h in headers), code
    assert "1.1\n积极参加\n5分" in headers
    assert headers.count("小计") == 5


def test_subtotals_and_total_are_formulas(out):
    ws = open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["测评表"]
    cols = header_columns(ws)
    # five categories of four items, each followed by its 小计: D:G H, I:L M, N:Q R, S:V W, X:AA AB; 合计 AC
    assert cols["小计"] == [8, 13, 18, 23, 28]
    assert cols["合计"] == [29]
    assert ws["H6"].value == '=IF(COUNT(D6:G6)=0,"",SUM(D6:G6))'
    assert ws["AC10"].value == '=IF(COUNT(H10,M10,R10,W10,AB10)=0,"",SUM(H10,M10,R10,W10,AB10))'
    for row in range(6, 11):
        for col in cols["小计"] + cols["合计"]:
            cell = ws.cell(row, col)
            assert cell.data_type == "f", cell.coordinate


# -- validation, protection, printing ---------------------------------------------------------


def score_cells(ws, n_ratees: int) -> set[str]:
    cols = header_columns(ws)
    return {ws.cell(r, cols[code][0]).coordinate for code in ITEM_CODES for r in range(6, 6 + n_ratees)}


def test_every_score_cell_is_validated_whole_0_to_5_in_chinese(out):
    ws = open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["测评表"]
    covered = set()
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "whole"
        assert dv.operator in (None, "between")  # OOXML's default operator is between
        assert (dv.formula1, dv.formula2) == ("0", "5")
        assert dv.showInputMessage and dv.showErrorMessage
        assert dv.errorStyle in (None, "stop")  # stop is the default
        assert CJK.search(dv.promptTitle) and CJK.search(dv.prompt)
        assert CJK.search(dv.errorTitle) and CJK.search(dv.error)
        covered |= {c for rng in dv.sqref.ranges for row in ws[rng.coord] for c in [x.coordinate for x in row]}
    assert covered == score_cells(ws, 5)


def test_sheet_is_protected_and_only_score_cells_are_open(out):
    ws = open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["测评表"]
    assert ws.protection.sheet is True
    scores = score_cells(ws, 5)
    assert all(ws[c].protection.locked is False for c in scores)
    unlocked = {
        cell.coordinate
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)
        for cell in row
        if cell.protection.locked is False
    }
    assert unlocked == scores
    for coord in ("A1", "A2", "B6", "C6", "C10", "H6", "AC6"):
        assert ws[coord].protection.locked is True, coord


def test_prints_a4_landscape_one_page_wide_with_header_rows(out):
    ws = open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["测评表"]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    # an absent fitToWidth means 1 in OOXML; fitToHeight 0 means as many pages tall as needed
    assert int(ws.page_setup.fitToWidth or 1) == 1
    assert int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows.replace("$", "") == "4:5"


# -- identity -----------------------------------------------------------------------------------


def test_identity_sheet_is_very_hidden_signed_json(made, out):
    scheme = made[0]
    path = out / "第一党支部" / "互评" / "张伟.xlsx"
    wb = open_form(path)
    hidden = wb["_xlflag"]
    assert hidden.sheet_state == "veryHidden"
    assert [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"] == ["测评表"]
    text, signature = hidden["A1"].value, hidden["A2"].value
    assert isinstance(json.loads(text), dict)
    assert re.fullmatch(r"[0-9a-f]{64}", signature)
    assert verify(load_key(scheme), text, signature)
    identity = FormIdentity.from_json(text)
    assert (identity.branch, identity.group, identity.rater) == ("第一党支部", "DH", "M001")
    assert identity.period == "2026Q4"
    # the signed ratee list is the rows of the sheet, in order
    ws = wb["测评表"]
    assert list(identity.ratees) == [ws.cell(r, 2).value for r in range(6, 11)]
    assert "M001" not in identity.ratees


@pytest.mark.parametrize(
    "rel, group, rater",
    [
        ("第一党支部/自评/张伟.xlsx", "DZ", "M001"),
        ("第一党支部/领导点评/王书记.xlsx", "DL", "王书记"),
        ("第二党支部/职工参评/职工代表3.xlsx", "DQ", "职工代表3"),
    ],
)
def test_identity_matches_the_file_it_is_in(out, rel, group, rater):
    identity = FormIdentity.from_json(open_form(out / rel)["_xlflag"]["A1"].value)
    assert (identity.branch, identity.group, identity.rater) == (rel.split("/")[0], group, rater)


def test_two_forms_have_different_codes(out):
    a = FormIdentity.from_json(open_form(out / "第一党支部" / "互评" / "张伟.xlsx")["_xlflag"]["A1"].value)
    b = FormIdentity.from_json(open_form(out / "第一党支部" / "互评" / "王芳.xlsx")["_xlflag"]["A1"].value)
    assert a.code != b.code
    assert a.form_id != b.form_id


# -- LibreOffice: it really prints on one page -------------------------------------------------


def pdf_pages(pdf: Path) -> int:
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def landscape_pages(pdf: Path) -> list[bool]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    return [float(x1) - float(x0) > float(y1) - float(y0) for x0, y0, x1, y1 in boxes]


@needs_soffice
def test_peer_form_prints_on_one_a4_landscape_page(out, tmp_path):
    form = out / "第一党支部" / "互评" / "张伟.xlsx"
    pdf = convert(form, "pdf", tmp_path / "whole")
    # one visible sheet: the table and the wording of every item under it, on one page
    assert pdf_pages(pdf) == 1
    assert landscape_pages(pdf) and all(landscape_pages(pdf))


def test_two_members_of_one_name_get_files_of_their_own(tmp_path):
    """Two 张伟 in one branch: each form keeps its own file, named with the rater's id."""
    from xlflag.scheme.templates import template_sheets, write_scheme_workbook

    sheets = template_sheets("s2")
    sheets["党员名册"] = sheets["党员名册"] + [("第一党支部", "M099", "张伟", "")]
    scheme = write_scheme_workbook(sheets, tmp_path / "方案.xlsx")
    create_key(scheme)
    written = api.make_forms(scheme, tmp_path / "out")
    paths = [p for _, p in written.forms]
    assert len(set(paths)) == len(paths) == 39 + 2  # one more self form and one more peer form
    peers = sorted(p.name for p in (tmp_path / "out" / "第一党支部" / "互评").iterdir())
    assert "张伟_M001.xlsx" in peers and "张伟_M099.xlsx" in peers and "张伟.xlsx" not in peers  # one set: no 党员


def test_a_leader_rating_two_criteria_sets_gets_files_named_by_set_only(tmp_path):
    """王书记 rates 第一党支部, which now has an enterprise member too: one form per set, named
    王书记_机关党员 and 王书记_企业党员 — never 王书记_王书记_机关党员 (the leader's id is the name)."""
    from xlflag.scheme.templates import template_sheets, write_scheme_workbook

    sheets = template_sheets("s3")
    head, *rows = sheets["党员名册"]
    moved = next(r for r in rows if r[0] == "第二党支部")
    sheets["党员名册"] = [head] + [(("第一党支部",) + r[1:]) if r is moved else r for r in rows]
    scheme = write_scheme_workbook(sheets, tmp_path / "方案.xlsx")
    create_key(scheme)  # as init does
    written = api.make_forms(scheme, tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out" / "第一党支部" / "领导点评").iterdir())
    assert names == ["李主任_企业党员.xlsx", "李主任_机关党员.xlsx", "王书记_企业党员.xlsx", "王书记_机关党员.xlsx"]
    assert all(p.exists() for _, p in written.forms)
