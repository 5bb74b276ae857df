"""The evidence store and the ledger across runs: nothing lost, nothing counted twice, and a late
return changes only what it should."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import returns_kit as kit

from xlflag import api
from xlflag.ingest.returns import LedgerEntry
from xlflag.ingest.store import EvidenceStore, ledger_csv, read_ledger

A_SELF, A_LEAD = kit.A_SELF, kit.A_LEAD


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    return kit.new_forms(root)


@pytest.fixture
def scheme_copy(forms, tmp_path):
    """The scheme and its key in a folder of their own, so each test has its own store."""
    return kit.scheme_copy(forms, tmp_path / "方案")


fill = kit.fill_at


def data_rows(papers: Path) -> list[dict]:
    """The working papers' per-rater rows (评分明细) as {heading: value}. Read right after each
    consolidation: the working papers sit in the evidence store and the next run rewrites them."""
    ws = openpyxl.load_workbook(papers, read_only=True)["评分明细"]
    header, *rows = ws.iter_rows(min_row=3, values_only=True)
    return [dict(zip(header, row)) for row in rows]


def test_a_late_return_adds_its_line_and_its_rows_and_nothing_else(forms, scheme_copy, tmp_path):
    returns = tmp_path / "回收"
    for n, where in enumerate(A_SELF[:3]):
        fill(forms, where, returns / f"{n}.xlsx")
    first = api.consolidate(scheme_copy, returns, tmp_path / "一.xlsx")
    before = data_rows(first.papers)
    ledger_before = read_ledger(first.ledger)
    fill(forms, A_SELF[3], returns / "迟交" / "甲四.xlsx")
    second = api.consolidate(scheme_copy, returns, tmp_path / "二.xlsx")
    ledger_after = read_ledger(second.ledger)
    added = [row for row in ledger_after if row not in ledger_before]
    assert [row for row in ledger_after if row in ledger_before] == ledger_before
    # the log gains the late file's two events, 收到 and then its status
    assert [(r["文件"], r["事件"], r["状态"]) for r in added] == [("迟交/甲四.xlsx", "收到", ""), ("迟交/甲四.xlsx", "已采用", "已采用")]
    after = data_rows(second.papers)
    new_rows = [row for row in after if row not in before]
    assert [row for row in after if row in before] == before
    assert len(new_rows) == 1 and {"自评", "A4"} <= set(new_rows[0].values())
    self_slot = next(s for s in second.status if s.group == "自评" and s.branch == "甲支部")
    assert (self_slot.accepted, self_slot.missing) == (4, ())


def test_a_later_different_save_supersedes_and_only_that_form_changes(forms, scheme_copy, tmp_path):
    returns = tmp_path / "回收"
    fill(forms, A_SELF[0], returns / "甲一.xlsx")
    lead = fill(forms, A_LEAD, returns / "王书记.xlsx")
    kit.set_modified(lead, datetime(2026, 11, 20, 8))
    first = api.consolidate(scheme_copy, returns, tmp_path / "一.xlsx")
    before = data_rows(first.papers)
    fixed = fill(forms, A_LEAD, returns / "王书记（改）.xlsx", {kit.cells(forms, forms.get(*A_LEAD)[0]).score(0, "1.1"): 0})
    kit.set_modified(fixed, datetime(2026, 11, 22, 8))
    second = api.consolidate(scheme_copy, returns, tmp_path / "二.xlsx")
    status = {e.file: e.status for e in second.intake.ledger}
    assert status == {"甲一.xlsx": "已采用", "王书记.xlsx": "被替代", "王书记（改）.xlsx": "已采用"}
    assert [p.code.name for p in second.intake.report.problems] == ["RETURN_SUPERSEDED"]
    after = data_rows(second.papers)
    changed = [row for row in after if row not in before]
    assert len(changed) == 1 and "A1" in changed[0].values() and changed[0]["1.1"] == 0  # 王书记 on 甲一
    assert len(after) == len(before)


def test_a_file_deleted_from_the_returns_folder_is_still_in_the_store(forms, scheme_copy, tmp_path):
    returns = tmp_path / "回收"
    path = fill(forms, A_SELF[0], returns / "甲一.xlsx")
    data = path.read_bytes()
    result = api.consolidate(scheme_copy, returns, tmp_path / "一.xlsx")
    [entry] = result.intake.ledger
    path.unlink()
    assert (result.ledger.parent / entry.stored).read_bytes() == data
    assert result.ledger.parent == scheme_copy.parent / "xlflag-存档" / "2026Q4"


def test_returns_inside_the_scheme_folder_never_ingest_the_store(forms, scheme_copy, tmp_path):
    fill(forms, A_SELF[0], scheme_copy.parent / "回收" / "甲一.xlsx")
    output = tmp_path / "结果.xlsx"
    first = api.consolidate(scheme_copy, scheme_copy.parent, output)
    second = api.consolidate(scheme_copy, scheme_copy.parent, output)
    # the scheme and its signing key are never returns: neither is judged nor copied into the store
    assert [e.file for e in second.intake.ledger] == [e.file for e in first.intake.ledger] == ["回收/甲一.xlsx"]
    assert second.ledger.read_bytes() == first.ledger.read_bytes()


def test_keep_is_idempotent_and_named_by_content(tmp_path):
    store = EvidenceStore(tmp_path / "store")
    source = tmp_path / "a.XLSX"
    source.write_bytes(b"abc")
    first = store.keep(source, "ab" * 32, source.suffix)
    second = store.keep(source, "ab" * 32, source.suffix)
    assert first == second == f"原件/{'ab' * 32}.xlsx"
    assert [p.name for p in (tmp_path / "store" / "原件").iterdir()] == [f"{'ab' * 32}.xlsx"]


def test_ledger_csv_is_excel_friendly_and_keeps_formula_text_inert():
    entries = [LedgerEntry("=cmd|' /C calc'!A0.xlsx", "", "拒收", reason="RETURN_UNREADABLE x", sender="@evil")]
    text = ledger_csv(entries).decode("utf-8")
    assert text.startswith("\ufeff文件,状态,表单编号,说明,来源邮件,发件人,邮件日期,表单ID,SHA-256,存档,邮件存档\r\n")
    assert "'=cmd|' /C calc'!A0.xlsx" in text and ",'@evil," in text
