"""One results workbook per branch (`consolidate --per-branch DIR`), on S4's county rules: each
branch's numbers equal the whole workbook's, nothing that ranks the whole organisation is cut
to one branch, and no rater is named. Numbers as worked by hand in test_preset_s4."""
from __future__ import annotations

import openpyxl
import pytest
from preset_kit import fill_returns, needs_soffice, sheet_rows
from test_cli import invoke
from test_preset_s4 import FLAG_PLAN, MEMBER_PLAN, SATISFIED, YI, s4_sheets

from xlflag import api
from xlflag.edge.libreoffice import formula_mismatches


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    root = tmp_path_factory.mktemp("books")
    scheme, _ = fill_returns(root, s4_sheets(), MEMBER_PLAN | FLAG_PLAN, SATISFIED)
    done = invoke("consolidate", scheme, root / "returns", "-o", root / "结果.xlsx", "--per-branch", root / "各支部")
    assert done.exit_code == 0, done.output
    assert "各支部结果工作簿3份" in done.output
    return root


def test_one_workbook_per_branch_with_the_whole_workbooks_numbers(books):
    assert sorted(p.name for p in (books / "各支部").iterdir()) == ["丙支部.xlsx", "乙支部.xlsx", "甲支部.xlsx"]
    whole = {r["编号"]: (r["综合得分"], r["星级"]) for r in sheet_rows(books / "结果.xlsx", "汇总")}
    yi = {r["编号"]: (r["综合得分"], r["星级"]) for r in sheet_rows(books / "各支部" / f"{YI}.xlsx", "汇总")}
    assert yi == {"P3": (90.0, 5), "P4": (85.0, 4)} == {k: whole[k] for k in ("P3", "P4")}


def test_what_ranks_the_whole_stays_in_the_whole_workbook(books):
    wb = openpyxl.load_workbook(books / "各支部" / f"{YI}.xlsx")
    assert not {"流动红旗", "党员之星", "授旗数据"} & set(wb.sheetnames)
    assert YI in wb["汇总"]["A1"].value
    texts = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}
    assert not any(name in t for t in texts for name in ("张书记", "李书记", "王书记", "周一", "周五"))
    data = [r for r in wb["数据"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert {r[1] for r in data} == {"P3", "P4"}


@needs_soffice
def test_a_branch_workbook_recalculates_to_its_cached_values(books):
    assert formula_mismatches(books / "各支部" / f"{YI}.xlsx") == []


def test_a_folder_inside_the_returns_is_refused(books):
    scheme = books / "scheme" / "方案.xlsx"
    refused = invoke("consolidate", scheme, books / "returns", "-o", books / "结果2.xlsx", "--per-branch", books / "returns" / "各支部")
    assert refused.exit_code == 2 and "回收文件夹" in refused.output
    assert not (books / "returns" / "各支部").exists()


def test_the_progress_moves_while_the_outputs_are_written(books, tmp_path):
    calls = []
    api.consolidate(books / "scheme" / "方案.xlsx", books / "returns", tmp_path / "结果.xlsx",
                    progress=lambda *a: calls.append(a), per_branch=tmp_path / "各支部")
    reading = [c for c in calls if len(c) == 3]
    assert reading[0][:2] == (0, len(reading) - 1)  # 0 before reading, then one per file
    writing = [c for c in calls if len(c) == 4]
    steps = [c[3] for c in writing]
    assert steps.index("计算得分") == 0 and calls.index(writing[0]) == calls.index(reading[-1]) + 1  # scoring, once read
    assert steps.count("计算得分") == 1 and steps[1] == "写出结果"
    assert [c[:3] for c in writing if c[3] == "写出结果"] == [
        (0, 3, "结果.xlsx"), (1, 3, "公示.xlsx"), (2, 3, "工作底稿.xlsx"), (3, 3, "")]
    assert [c[:3] for c in writing if c[3] == "写出各支部结果"] == [(1, 3, "甲支部"), (2, 3, "乙支部"), (3, 3, "丙支部")]
