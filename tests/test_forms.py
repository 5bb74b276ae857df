"""Step 2 on real files: the s2 example scheme gives one protected, print-ready form per rater,
each in its place, each saying who rates whom, each signed.

The s2 example roster (templates.py), written out here so the expected numbers can be
worked by hand:
  第一党支部: 6 members, leaders 王书记、李主任
  第二党支部: 7 members, leader 赵书记
  rater groups: 自评 (本人), 互评 (本支部其他党员), 领导点评 (领导), 职工参评 (5 代表)
Forms: 自评 one per member 6 + 7 = 13; 互评 one per member 13; 领导点评 2 + 1 = 3;
职工参评 5 per branch = 10. Total 39.

Every form of the example rates at most seven, so lists its items as rows (portrait); a branch of
15 (``crowd``) gives forms rating 14 and 15, which list people as rows (landscape, short item
heads, the wording in a legend). Cells are asked of the form's layout wherever a test can.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from preset_kit import sized_s2

from xlflag import api
from xlflag.core import layout as L
from xlflag.core.formplan import form_layout_of
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


@pytest.fixture(scope="module")
def crowd(tmp_path_factory) -> tuple[Path, Path]:
    """(scheme, out) of a branch of 15 (赵伟 M001 … 赵丽 M015, leader 王书记)."""
    root = tmp_path_factory.mktemp("crowd")
    scheme = sized_s2(root / "s", {"第一党支部": 15})
    api.make_forms(scheme, root / "out")
    return scheme, root / "out"


PEERS = {"example": "第一党支部/互评/张伟.xlsx",  # rates five: items as rows, portrait
         "crowd": "第一党支部/互评/赵伟.xlsx"}  # rates fourteen: people as rows, landscape


@pytest.fixture(params=list(PEERS))
def peer(request, made, crowd):
    """(workbook, its layout) of a peer form of each shape."""
    scheme, out = (made[0], made[1]) if request.param == "example" else crowd
    wb = open_form(out / PEERS[request.param])
    identity = FormIdentity.from_json(wb["_xlflag"]["A1"].value)
    return wb, form_layout_of(api.load_scheme(scheme), identity)


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
    assert [ws.cell(4, c).value for c in range(5, 10)] == ["M002", "M003", "M004", "M005", "M006"]  # 编号 above


def test_a_form_rating_many_lists_them_down_numbered(crowd):
    ws = open_form(crowd[1] / PEERS["crowd"])["测评表"]
    names = ratee_names(ws)  # the fourteen others, five on the first page (rows 6–10)
    assert len(names) == 14 and names[:2] == ["赵芳", "赵娜"] and "赵伟" not in names
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


def test_header_names_every_item_with_its_maximum(crowd):
    ws = open_form(crowd[1] / PEERS["crowd"])["测评表"]
    headers = [str(c.value) for c in ws[5] if c.value]
    for code in ITEM_CODES:  # code, 简称 (derived: the wording's first four characters), maximum
        assert any(h.startswith(f"{code}\n") and h.endswith("\n5分") for h in headers), code
    assert "1.1\n积极参加\n5分" in headers
    assert headers.count("小计") == 5


def test_items_as_rows_name_every_item_with_its_wording_and_maximum(out):
    ws = open_form(out / PEERS["example"])["测评表"]
    # rows 6–9 the first category's four items, 10 its 小计, …; 类别 A, 编号 B, 测评内容 C, 满分 D
    assert [ws.cell(r, 2).value for r in (6, 9, 11)] == ["1.1", "1.4", "2.1"]
    assert ws["C6"].value.startswith("积极参加党支部组织的各项学习活动") and ws["D6"].value == 5
    assert ws["A10"].value == "带头学习提高 小计" and ws["D10"].value == 20


def test_subtotals_and_total_are_formulas(crowd):
    ws = open_form(crowd[1] / PEERS["crowd"])["测评表"]
    cols = header_columns(ws)
    # five categories of four items, each followed by its 小计: D:G H, I:L M, N:Q R, S:V W, X:AA AB; 合计 AC
    assert cols["小计"] == [8, 13, 18, 23, 28]
    assert cols["合计"] == [29]
    assert ws["H6"].value == '=IF(COUNT(D6:G6)=0,"",SUM(D6:G6))'
    # the fifth person on row 10, the last on the third page's row 51
    assert ws["AC10"].value == '=IF(COUNT(H10,M10,R10,W10,AB10)=0,"",SUM(H10,M10,R10,W10,AB10))'
    assert ws["AC51"].value == '=IF(COUNT(H51,M51,R51,W51,AB51)=0,"",SUM(H51,M51,R51,W51,AB51))'
    for row in (*range(6, 11), *range(27, 35), 51):
        for col in cols["小计"] + cols["合计"]:
            cell = ws.cell(row, col)
            assert cell.data_type == "f", cell.coordinate


def test_items_as_rows_subtotal_down_each_column(out):
    ws = open_form(out / PEERS["example"])["测评表"]
    # five ratees in columns E–I; 小计 rows 10, 15, 20, 25, 30; 合计 row 31
    assert ws["E10"].value == '=IF(COUNT(E6:E9)=0,"",SUM(E6:E9))'
    assert ws["I31"].value == '=IF(COUNT(I10,I15,I20,I25,I30)=0,"",SUM(I10,I15,I20,I25,I30))'
    assert all(ws.cell(r, c).data_type == "f" for r in (10, 15, 20, 25, 30, 31) for c in range(5, 10))


# -- validation, protection, printing ---------------------------------------------------------


def score_cells(lay: L.FormLayout) -> set[str]:
    return {L.cell_name(*cell) for cell in lay.score_cells()}


def test_every_score_cell_is_validated_whole_0_to_5_in_chinese(peer):
    wb, lay = peer
    ws = wb["测评表"]
    covered = set()
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "whole"
        assert dv.operator in (None, "between")  # OOXML's default operator is between
        assert (dv.formula1, dv.formula2) == ("0", "5")
        assert dv.showInputMessage and dv.showErrorMessage
        assert dv.errorStyle in (None, "stop")  # stop is the default
        assert CJK.search(dv.promptTitle) and CJK.search(dv.prompt)
        assert CJK.search(dv.errorTitle) and CJK.search(dv.error)
        covered |= {c.coordinate for rng in dv.sqref.ranges for row in ws.iter_rows(
            min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col, max_col=rng.max_col) for c in row}
    assert covered == score_cells(lay) and len(covered) == 20 * lay.n_ratees


def test_sheet_is_protected_and_only_score_cells_are_open(peer):
    wb, lay = peer
    ws = wb["测评表"]
    assert ws.protection.sheet is True
    scores = score_cells(lay)
    assert all(ws[c].protection.locked is False for c in scores)
    unlocked = {
        cell.coordinate
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)
        for cell in row
        if cell.protection.locked is False
    }
    assert unlocked == scores
    last = lay.n_ratees - 1
    for cell in ("A1", "A2", *lay.ratee_cells(0), *lay.ratee_cells(last), lay.subtotal_cell(0, "带头学习提高"),
                 lay.total_cell(last)):
        coord = cell if isinstance(cell, str) else L.cell_name(*cell)
        assert ws[coord].protection.locked is True, coord


@pytest.mark.parametrize("shape, orientation", [("example", "portrait"), ("crowd", "landscape")])
def test_prints_a4_one_page_wide_with_header_rows(made, crowd, shape, orientation):
    out = made[1] if shape == "example" else crowd[1]
    ws = open_form(out / PEERS[shape])["测评表"]
    assert ws.page_setup.orientation == orientation
    assert int(ws.page_setup.paperSize) == 9  # A4
    # pages cut where the layout says (manual breaks need a scale: "fit to" drops them): the
    # example's between categories, after the third's 小计 on row 20 (rows 6–10, 11–15, 16–20);
    # the crowd's after each page of people and its legend
    scale, breaks = (100, [20]) if shape == "example" else (93, [26, 50])
    assert int(ws.page_setup.scale or 100) == scale  # absent: 100 %
    assert [brk.id for brk in ws.row_breaks.brk] == breaks
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
    # the signed ratee list is the 编号 row above the score columns (items as rows), in order
    ws = wb["测评表"]
    assert list(identity.ratees) == [ws.cell(4, c).value for c in range(5, 10)]
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
        return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


def landscape_pages(pdf: Path) -> list[bool]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    return [float(x1) - float(x0) > float(y1) - float(y0) for x0, y0, x1, y1 in boxes]


@needs_soffice
def test_peer_form_of_five_prints_on_a4_portrait_pages(out, tmp_path):
    form = out / PEERS["example"]
    pdf = convert(form, "pdf", tmp_path / "whole")
    # one visible sheet: 20 items of wording in rows, five score columns: two portrait pages
    assert pdf_pages(pdf) == 2
    assert landscape_pages(pdf) and not any(landscape_pages(pdf))


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
