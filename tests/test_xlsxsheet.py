"""edge.xlsxsheet: the office worksheet writes every kind of cell (numbers, shared strings,
formulas with numeric, text, boolean, error and empty cached values, blanks; styled by the cell,
the row or the column) into the same sheet XML as XlsxWriter's own writers, byte for byte."""
from __future__ import annotations

import zipfile

from xlflag.edge import xlsxsheet
from xlflag.edge.files import new_workbook
from xlflag.edge.sheetkit import formats


def _sheet_xml(path, fast: bool, monkeypatch) -> bytes:
    monkeypatch.setattr(xlsxsheet, "FAST_FORMULAS", fast)
    wb = new_workbook(path, title="t")
    fmt = formats(wb)
    ws = wb.add_worksheet("汇总")
    ws.set_column(5, 5, 12, fmt["center"])  # a column's style for the cells without their own
    ws.set_row(6, 20, fmt["score"])  # and a row's, before the column's
    ws.write_number(0, 0, 85.5, fmt["score"])
    ws.write_number(0, 1, 1 / 3)
    ws.write_number(0, 2, 12345678901234567)
    ws.write_string(1, 0, "张三 & 李四 <组长>", fmt["text"])
    ws.write_string(1, 1, "=1+1")  # text, never a formula
    ws.write_formula(2, 0, "=SUM(A1:C1)", fmt["score"], 12345678901234604.0)
    ws.write_formula(2, 1, '=IF(A1<60,"不足&lt;"&A1,"")', fmt["text"], "不足<60>&")
    ws.write_formula(2, 2, '=IF(A1="","",1)', None, "")
    ws.write_formula(2, 3, "=A1>1", fmt["center"], True)
    ws.write_formula(2, 4, "=1/0", None, "#DIV/0!")
    ws.write_formula(2, 5, "=A1", None, 85.5)  # styled by its column
    ws.write_formula(3, 0, "=A1")  # no cached value: XlsxWriter's 0
    ws.write_blank(4, 0, None, fmt["text"])
    ws.write_blank(5, 5, None, fmt["text"])
    ws.write_number(6, 0, 3)  # styled by its row
    ws.write_number(6, 5, 4)  # the row's style wins over the column's
    ws.write_boolean(7, 0, True)  # not one of the four kinds: XlsxWriter's own writer
    wb.close()
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml")


def test_cells_are_written_as_xlsxwriter_writes_them(tmp_path, monkeypatch):
    fast = _sheet_xml(tmp_path / "fast.xlsx", True, monkeypatch)
    assert fast == _sheet_xml(tmp_path / "plain.xlsx", False, monkeypatch)
    assert b'<v>\xe4\xb8\x8d\xe8\xb6\xb3&lt;60&gt;&amp;</v>' in fast  # 不足<60>& escaped as a cached value
    assert b'<f>A1&gt;1</f>' in fast and b't="b"' in fast and b't="e"' in fast
