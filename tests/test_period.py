"""A period is cumulative: the evidence store is its record, 台账 an append-only log of events.

The two-week scenario follows a secretary: batch 1 saved into folder A, batch 2 into folder B,
a rerun, an empty folder, one return voided, one sent back and corrected. The S2 kit scheme
issues 28 forms: per branch 4 自评, 4 互评, 1 领导点评 and 5 职工参评 (14 × 2 branches).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import returns_kit as kit
from typer.testing import CliRunner

from xlflag import api
from xlflag.cli import app
from xlflag.core import formplan
from xlflag.core import layout as L
from xlflag.core.formplan import form_layout_of
from xlflag.core.problems import Code
from xlflag.ingest import period
from xlflag.ingest.store import EvidenceStore, LEDGER_COLUMNS, read_ledger

runner = CliRunner()
A_SELF, A_LEAD = kit.A_SELF, kit.A_LEAD


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    root = tmp_path_factory.mktemp("period")
    return kit.new_forms(root)


@pytest.fixture
def scheme(forms, tmp_path):
    return kit.scheme_copy(forms, tmp_path / "方案")


fill = kit.fill_at


def code_of(forms, where) -> str:
    return forms.get(*where)[0].identity.code


def store_of(scheme: Path) -> EvidenceStore:
    return EvidenceStore(scheme.parent / "xlflag-存档" / "2026Q4")


def file_list(papers: Path) -> list[tuple]:
    """The working papers' 文件清单 without its header (read right after the run that wrote it)."""
    rows = list(openpyxl.load_workbook(papers, read_only=True)["文件清单"].iter_rows(min_row=4, values_only=True))
    return [tuple(v or None for v in row) for row in rows]


def as_rows(entries) -> list[tuple]:
    return [tuple(getattr(e, a) or None for _, a in LEDGER_COLUMNS) for e in entries]


def accepted(result) -> int:
    return sum(s.accepted for s in result.status)


def test_two_weeks_of_returns(forms, scheme, tmp_path):
    week1, week2, week3 = tmp_path / "A", tmp_path / "B", tmp_path / "C"
    # -- week 1, folder A: 甲支部's four self forms, its leader's form, A1's peer form: 6 files
    for n, where in enumerate(A_SELF):
        fill(forms, where, week1 / f"自评{n + 1}.xlsx")
    fill(forms, A_LEAD, week1 / "王书记.xlsx")
    fill(forms, ("甲支部", "DH", "A1"), week1 / "互评A1.xlsx")
    one = api.consolidate(scheme, week1, tmp_path / "结果1.xlsx", now="2026-11-20T09:00:00+08:00")
    assert (one.total, one.added, accepted(one)) == (6, 6, 6)
    assert sum(len(s.missing) for s in one.status) == 28 - 6
    assert len(read_ledger(one.ledger)) == 6 * 2  # 收到 + 已采用 per file

    # -- [i9c] a roster typo fixed in one branch and `xlflag forms --reissue` goes here -------------

    # -- week 2, folder B (A is not given again): A2's and A3's peer forms, B1's self form, and B2's
    #    self form with item 1.3 = 6 (its only ratee unusable: refused): 4 files, 3 accepted
    b2_13 = kit.cells(forms, forms.get("乙支部", "DZ", "B2")[0]).score(0, "1.3")
    fill(forms, ("甲支部", "DH", "A2"), week2 / "互评A2.xlsx")
    fill(forms, ("甲支部", "DH", "A3"), week2 / "互评A3.xlsx")
    fill(forms, ("乙支部", "DZ", "B1"), week2 / "乙一.xlsx")
    fill(forms, ("乙支部", "DZ", "B2"), week2 / "乙二.xlsx", {b2_13: 6})
    two = api.consolidate(scheme, week2, tmp_path / "结果2.xlsx", now="2026-11-27T09:00:00+08:00")
    assert (two.total, two.added, accepted(two)) == (6 + 4, 4, 6 + 3)
    refused = next(e for e in two.intake.ledger if e.file == "乙二.xlsx")
    assert refused.status == "拒收" and f"{b2_13} 分数6超出范围" in refused.reason
    assert len(read_ledger(two.ledger)) == 12 + 4 * 2

    # -- the same folder again, then an empty one: nothing added, nothing lost, the same bytes
    log, results = two.ledger.read_bytes(), file_list(two.papers)
    again = api.consolidate(scheme, week2, tmp_path / "结果2.xlsx", now="2026-11-27T10:00:00+08:00")
    (tmp_path / "空").mkdir()
    empty = api.consolidate(scheme, tmp_path / "空", tmp_path / "结果空.xlsx", now="2026-11-27T11:00:00+08:00")
    for run in (again, empty):
        assert (run.total, run.added, accepted(run)) == (10, 0, 9)
        assert run.ledger.read_bytes() == log
        assert file_list(run.papers) == results

    # -- 作废 A3's self form: 9 - 1 = 8 counted; the log gains one event
    api.void(scheme, code_of(forms, A_SELF[2]), "代填，经核实作废", now="2026-11-28T09:00:00+08:00")
    three = api.consolidate(scheme, None, tmp_path / "结果3.xlsx", now="2026-11-28T09:05:00+08:00")
    assert (three.total, three.added, accepted(three)) == (10, 0, 8)
    states = {e.file: e.status for e in three.intake.ledger}
    assert states["自评3.xlsx"] == "作废" and states["乙二.xlsx"] == "拒收"
    assert len(read_ledger(three.ledger)) == 20 + 1
    assert next(s for s in three.status if (s.branch, s.group) == ("甲支部", "自评")).missing == ("甲三",)

    # -- 退回 B2's refused form: a marked copy; B2 corrects 1.3 in it and sends it back (folder C)
    back = api.send_back(scheme, code_of(forms, ("乙支部", "DZ", "B2")), now="2026-11-28T10:00:00+08:00")
    assert back.cells == 1 and back.output.parent == scheme.parent / "退回"
    marked = openpyxl.load_workbook(back.output)
    assert marked.sheetnames[0] == "退回说明"
    assert marked["测评表"][b2_13].fill.fgColor.rgb == "FFFF9999" and "超出范围" in marked["测评表"][b2_13].comment.text
    kit.edit(back.output, week3 / "乙二（改）.xlsx", lambda wb: wb["测评表"].__setitem__(b2_13, 4))
    four = api.consolidate(scheme, week3, tmp_path / "结果4.xlsx", now="2026-12-01T09:00:00+08:00")
    assert (four.total, four.added, accepted(four)) == (11, 1, 8 + 1)
    states = {e.file: e.status for e in four.intake.ledger}
    assert (states["乙二.xlsx"], states["乙二（改）.xlsx"]) == ("退回", "已采用")
    assert len(read_ledger(four.ledger)) == 21 + 1 + 2  # 退回, then 收到 + 已采用

    # the working papers' 文件清单 is the state the log gives
    state = period.derive_state(period.read_events(store_of(scheme)))
    assert file_list(four.papers) == as_rows(state) == as_rows(four.intake.ledger)


def test_cli_summary_and_the_events_with_times(forms, scheme, tmp_path):
    fill(forms, A_SELF[0], tmp_path / "A" / "甲一.xlsx")
    first = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "A"), "-o", str(tmp_path / "r.xlsx")])
    assert "本期共1份，本次新增1份" in first.output
    fill(forms, A_SELF[1], tmp_path / "B" / "甲二.xlsx")
    second = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "B"), "-o", str(tmp_path / "r.xlsx")])
    assert "本期共2份，本次新增1份" in second.output
    rows = read_ledger(store_of(scheme).ledger_path)
    assert [(r["事件"], r["文件"]) for r in rows] == [("收到", "甲一.xlsx"), ("已采用", "甲一.xlsx"),
                                                   ("收到", "甲二.xlsx"), ("已采用", "甲二.xlsx")]
    assert all(r["时间"].startswith("20") for r in rows)
    voided = runner.invoke(app, ["void", str(scheme), code_of(forms, A_SELF[0]), "--reason", "重复填报"])
    assert voided.exit_code == 0, voided.output
    assert read_ledger(store_of(scheme).ledger_path)[-1]["事件"] == "作废"
    assert "重复填报" in read_ledger(store_of(scheme).ledger_path)[-1]["说明"]


def test_a_voided_file_stays_out_under_another_name(forms, scheme, tmp_path):
    path = fill(forms, A_SELF[0], tmp_path / "A" / "甲一.xlsx")
    api.consolidate(scheme, tmp_path / "A", tmp_path / "r.xlsx")
    api.void(scheme, code_of(forms, A_SELF[0]), "测试")
    (tmp_path / "B").mkdir()
    shutil.copyfile(path, tmp_path / "B" / "甲一（再发）.xlsx")
    result = api.consolidate(scheme, tmp_path / "B", tmp_path / "r.xlsx")
    assert {e.file: e.status for e in result.intake.ledger} == {"甲一.xlsx": "作废", "甲一（再发）.xlsx": "作废"}
    assert accepted(result) == 0


@pytest.mark.parametrize("args, message", [
    (["void", "{scheme}", "2026Q4-AAAAAAAA", "--reason", "x"], "没有表单编号为2026Q4-AAAAAAAA的回收件"),
    (["void", "{scheme}", "{code}", "--reason", " "], "作废须说明理由"),
    (["sendback", "{scheme}", "2026Q4-AAAAAAAA"], "没有表单编号为2026Q4-AAAAAAAA的回收件"),
])
def test_void_and_sendback_refuse_what_they_cannot_do(forms, scheme, args, message):
    args = [a.format(scheme=scheme, code=code_of(forms, A_SELF[0])) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_status_counts_what_the_store_holds(forms, scheme, tmp_path):
    fill(forms, A_SELF[0], tmp_path / "A" / "甲一.xlsx")
    api.consolidate(scheme, tmp_path / "A", tmp_path / "r.xlsx")
    looked = api.status(scheme, None, tmp_path / "催收.xlsx")
    a_self = next(s for s in looked.status if (s.branch, s.group) == ("甲支部", "自评"))
    assert (a_self.accepted, a_self.missing) == (1, ("甲二", "甲三", "甲四"))
    assert len(looked.reminders) == 28 - 1


def _earlier_rule(items, labels, with_answer=False, answers=()):
    """How xlflag chose a form's layout before issue 12: items as rows only up to two people."""
    chosen = L.form_layout(items, labels, with_answer, answers)
    if (len(labels) <= 2) == (chosen.orientation == L.ITEMS_AS_ROWS):
        return chosen
    return L.other_layout(items, labels, with_answer, answers, chosen)


def test_forms_an_earlier_xlflag_laid_out_otherwise_still_count_after_the_upgrade(tmp_path, monkeypatch):
    # The office sent forms with the earlier rule, then upgraded xlflag mid-period: the
    # returns (three- and four-person forms listing people as rows) are read where their cells
    # are, and count exactly as the same scores on today's forms do — nobody is asked to redo.
    with monkeypatch.context() as earlier:
        earlier.setattr(formplan, "form_layout", _earlier_rule)
        old = kit.new_forms(tmp_path / "old")
        assert {form_layout_of(old.scheme, f.identity).orientation for f, _ in old.written} == {L.PEOPLE_AS_ROWS, L.ITEMS_AS_ROWS}
        for n, (_, path) in enumerate(old.written):
            kit.fill(old, path, tmp_path / "old-returns" / f"{n:03d}.xlsx")
    new = kit.make_forms(kit.build_scheme(tmp_path / "new" / "方案", key_from=old.scheme_path), tmp_path / "new" / "测评表")
    assert {form_layout_of(new.scheme, f.identity).orientation for f, _ in new.written} == {L.ITEMS_AS_ROWS}
    for n, (_, path) in enumerate(new.written):
        kit.fill(new, path, tmp_path / "new-returns" / f"{n:03d}.xlsx")

    upgraded = api.consolidate(old.scheme_path, tmp_path / "old-returns", tmp_path / "old" / "结果.xlsx")
    today = api.consolidate(new.scheme_path, tmp_path / "new-returns", tmp_path / "new" / "结果.xlsx")

    assert len(upgraded.intake.accepted) == len(old.written) == len(today.intake.accepted)
    assert not [p for p in upgraded.intake.report.problems if p.code is Code.RETURN_LAYOUT_CHANGED]
    assert [(m.member.member_id, m.total) for m in upgraded.members] == [(m.member.member_id, m.total) for m in today.members]
