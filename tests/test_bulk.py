"""edge.bulk: rows rendered straight to sheet XML hold the cells XlsxWriter's own writers give —
a row's tail of scores in any column order and several layouts, formulas vouched plain, the
shared strings counted by hand."""
from __future__ import annotations

import zipfile

import openpyxl
import pytest

from xlflag.edge import bulk
from xlflag.edge.bulk import BulkSheet, Formula
from xlflag.edge.files import new_workbook
from xlflag.edge.sheetkit import formats

HEADS = [("一支部", "张三", 17.0), ("一支部", "李四", 9.5), ("二支部", "张三", 0.0), ("二支部", "", 12.0)]
# a rater's scores per item column (0-based, after the 3 head columns): the first layout in
# column order, the second an earlier form version's, its columns in another order and one missing
TAILS = [((3, 4, 5), (5.0, 4.0, 8.0)), ((5, 3), (2.0, 7.0)), ((3, 4, 5), (0.0, 0.0, 12.0)), ((5, 3), (2.0, 7.0))]


def _write(path, fast: bool, monkeypatch) -> None:
    monkeypatch.setattr(bulk, "BULK_XML", fast)
    wb = new_workbook(path, title="t")
    fmt = formats(wb)
    ws = wb.add_worksheet("明细", BulkSheet)
    ws.write_row(0, 0, ("支部", "姓名", "合计", "1.1", "1.2", "1.3"), fmt["head"])
    looks = [fmt["text"]] * 2 + [fmt["center"]] * 4
    after = ws.write_bulk(1, HEADS, looks, tails=TAILS)
    sums = [("合计", Formula("=SUM(D6:F6)", 36.0, True), Formula('=IF(C2<10,"<10&少",1)', 1.0))]
    ws.write_bulk(after, sums, [fmt["text"], fmt["score"], fmt["text"]])
    wb.close()


def _cells(path) -> tuple[dict, dict]:
    ws = openpyxl.load_workbook(path)["明细"]
    cached = openpyxl.load_workbook(path, data_only=True)["明细"]
    cells = {c.coordinate: (c.value, cached[c.coordinate].value) for row in ws.iter_rows() for c in row if c.value is not None}
    return cells, {k: d.width for k, d in ws.column_dimensions.items()}


def test_tails_and_formulas_in_bulk_are_the_cells_xlsxwriter_writes(tmp_path, monkeypatch):
    fast, plain = tmp_path / "fast.xlsx", tmp_path / "plain.xlsx"
    _write(fast, True, monkeypatch)
    _write(plain, False, monkeypatch)
    cells, widths = _cells(fast)
    assert (cells, widths) == _cells(plain)
    # row 3 is 李四's earlier form: 1.3 (F) = 2, 1.1 (D) = 7, no 1.2; row 5 has no name, a blank cell
    assert (cells["F3"], cells["D3"], "E3" in cells) == ((2, 2), (7, 7), False)
    assert cells["D4"] == (0, 0) and "B5" not in cells
    assert cells["B6"] == ("=SUM(D6:F6)", 36) and cells["C6"] == ('=IF(C2<10,"<10&少",1)', 1)
    with zipfile.ZipFile(fast) as a, zipfile.ZipFile(plain) as b:
        # every string cell counted: 6 heads + 7 names and branches + 合计 = 14 of 10 distinct strings
        assert a.read("xl/sharedStrings.xml") == b.read("xl/sharedStrings.xml")
        assert b'count="14" uniqueCount="10"' in a.read("xl/sharedStrings.xml")


def test_a_tail_naming_a_column_twice_is_refused(tmp_path):
    wb = new_workbook(tmp_path / "x.xlsx", title="t")
    ws = wb.add_worksheet("明细", BulkSheet)
    with pytest.raises(ValueError):
        ws.write_bulk(0, [("a",)], [None] * 3, tails=[((1, 1), (1.0, 2.0))])
    wb.close()
