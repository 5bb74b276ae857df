"""`xlflag status`: per branch and rater group, expected / returned / accepted / problems and whom
to chase, with a 催收名单 whose columns match 发放清单 so the same mail merge works.

The returns: in 甲支部 every self form comes back (A2's with its only row unusable, A3's with a
ratee renamed: both refused), one peer form (A1's) and nothing else; 乙支部 returns nothing.
"""
from __future__ import annotations

import openpyxl
import pytest
import returns_kit as kit
from typer.testing import CliRunner

from xlflag import api
from xlflag.cli import app, status_lines

runner = CliRunner()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("status")
    forms = kit.new_forms(root)
    returns = root / "回收"
    for rater in ("A1", "A4"):
        kit.fill(forms, forms.get("甲支部", "DZ", rater)[1], returns / f"自评{rater}.xlsx")
    a2, a3 = forms.get("甲支部", "DZ", "A2"), forms.get("甲支部", "DZ", "A3")
    kit.fill(forms, a2[1], returns / "自评A2.xlsx", {kit.cells(forms, a2[0]).score(0, "1.1"): "优秀"})
    kit.fill(forms, a3[1], returns / "自评A3.xlsx", {kit.cells(forms, a3[0]).name(0): "甲叁"})
    kit.fill(forms, forms.get("甲支部", "DH", "A1")[1], returns / "互评A1.xlsx")
    calls = []
    result = api.status(forms.scheme_path, returns, root / "催收名单.xlsx", progress=lambda *a: calls.append(a))
    return root, forms, returns, result, calls


def slot(result, branch: str, group: str):
    return next(s for s in result.status if (s.branch, s.group) == (branch, group))


def test_counts_per_branch_and_group(run):
    result = run[3]
    a_self = slot(result, "甲支部", "自评")
    # 4 expected, 4 files in, 2 accepted; problems: A2's bad cell and its RETURN_EMPTY, A3's rows
    assert (a_self.expected, a_self.returned, a_self.accepted, a_self.problems) == (4, 4, 2, 3)
    assert a_self.missing == ("甲二", "甲三")
    a_peer = slot(result, "甲支部", "互评")
    assert (a_peer.expected, a_peer.returned, a_peer.accepted, a_peer.missing) == (4, 1, 1, ("甲二", "甲三", "甲四"))
    b_staff = slot(result, "乙支部", "职工参评")
    assert (b_staff.expected, b_staff.returned, b_staff.accepted) == (5, 0, 0)
    assert b_staff.missing == tuple(f"职工代表{n}" for n in range(1, 6))


def test_reminder_list_matches_the_dispatch_list(run):
    root, forms, _, result, _ = run
    sent = openpyxl.load_workbook(root / "测评表" / "发放清单.xlsx").active
    header, *rows = sent.iter_rows(values_only=True)
    dispatch = {r[header.index("表单编号")]: r for r in rows}
    chase = openpyxl.load_workbook(root / "催收名单.xlsx").active
    chase_header, *chase_rows = chase.iter_rows(values_only=True)
    assert chase_header == ("序号", "支部", "评价主体", "评价人", "表单编号", "文件", "情况", "邮箱", "催收日期")
    assert len(chase_rows) == len(result.reminders) == 28 - 3
    for row in chase_rows:
        sent_row = dispatch[row[4]]
        for column in ("支部", "评价主体", "评价人", "文件"):
            assert row[chase_header.index(column)] == sent_row[header.index(column)], column
        assert row[7:] == (None, None)  # 邮箱, 催收日期: for the secretary
    notes = {row[3]: row[6] for row in chase_rows if row[1:3] == ("甲支部", "自评")}
    assert notes == {"甲二": "已交回但拒收：测评表中没有可以计分的行（E6 “优秀”不是分数，应为0至5的整数），请改正后重新发送",
                     "甲三": "已交回但拒收：被评人名单被改动：E列为“A3 甲叁”，应为“A3 甲三”"}  # a self form: items as rows, the ratee in column E
    assert {row[6] for row in chase_rows if row[1] == "乙支部"} == {"未交回"}


def test_progress_is_reported_per_file(run):
    calls = run[4]
    assert [(done, total) for done, total, _ in calls] == [(n, 5) for n in range(0, 6)]


def test_status_only_looks(run):
    root, forms, returns, _, _ = run
    # nothing stored, no ledger: the period's folder holds only the issue record `forms` wrote
    period = forms.scheme_path.parent / "xlflag-存档" / "2026Q4"
    assert sorted(p.name for p in period.iterdir()) == ["发放记录.json"]
    assert sorted(p.name for p in returns.iterdir()) == ["互评A1.xlsx", "自评A1.xlsx", "自评A2.xlsx", "自评A3.xlsx", "自评A4.xlsx"]


def test_cli_prints_what_the_library_found_and_exits_1_while_forms_are_missing(run, tmp_path):
    root, forms, returns, _, _ = run
    out = tmp_path / "催收.xlsx"
    printed = runner.invoke(app, ["status", str(forms.scheme_path), str(returns), "-o", str(out)])
    assert printed.exit_code == 1, printed.output
    library = api.status(forms.scheme_path, returns, tmp_path / "again.xlsx")
    expected = status_lines(library)
    assert printed.output.splitlines() == expected[:-1] + [f"催收名单：{out}"]
    # counts only: who still owes a form is in the 催收名单, never on the screen
    assert expected[0] == "甲支部 自评：应收4 已交4 已采用2 问题3；待催收2人"
    assert not any(name in printed.output for name in ("甲二", "甲三", "甲四"))
    assert out.is_file()


def test_cli_exits_2_on_a_missing_returns_folder(run, tmp_path):
    forms = run[1]
    printed = runner.invoke(app, ["status", str(forms.scheme_path), str(tmp_path / "没有")])
    assert printed.exit_code == 2
    assert "找不到回收文件夹" in printed.output


def test_consolidate_cli_says_where_the_ledger_is(run, tmp_path):
    root, forms, returns, _, _ = run
    scheme = tmp_path / "方案.xlsx"
    for name in ("方案.xlsx", "xlflag.key"):
        (tmp_path / name).write_bytes((forms.scheme_path.parent / name).read_bytes())
    printed = runner.invoke(app, ["consolidate", str(scheme), str(returns), "-o", str(tmp_path / "结果.xlsx")])
    assert printed.exit_code == 1, printed.output  # done; two returns refused, forms missing
    ledger = tmp_path / "xlflag-存档" / "2026Q4" / "台账.csv"
    assert printed.output.splitlines()[0] == f"原件存档与台账：{ledger}"
    assert printed.output.splitlines()[1] == f"工作底稿（内部资料，含评价人姓名，不得公示）：{ledger.parent / '工作底稿.xlsx'}"
    assert ledger.is_file() and (ledger.parent / "工作底稿.xlsx").is_file()
