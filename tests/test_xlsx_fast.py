"""The fast reader's pass over a sheet's cells: runs of empty cells taken whole only within the
limits, so anything the sure way refuses, or reads differently, is still handed over to it."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest
import returns_kit as kit

from xlflag.core.formulas import col_letter
from xlflag.core.problems import Code
from xlflag.ingest.readers import ReadFailure, read_safely
from xlflag.ingest.safety import Limits
from xlflag.ingest.xlsx_fast import _not_above, read_fast
from xlflag.ingest.xlsx_scan import SHARED


@pytest.mark.parametrize("bound", [1, 9, 26, 27, 52, 500, 701, 702, 703, 1000])
def test_a_column_up_to_the_limit_and_no_further(bound):
    # every column A..ALL (1000) written out and matched: exactly those up to the bound
    pattern = _not_above(col_letter(bound).encode(), 65, 65, 90)
    taken = [n for n in range(1, 1001) if re.fullmatch(pattern, col_letter(n).encode())]
    assert taken == list(range(1, bound + 1))


@pytest.mark.parametrize("bound", [1, 9, 10, 11, 99, 100, 5000, 5001, 10000])
def test_a_row_up_to_the_limit_and_no_further(bound):
    pattern = _not_above(str(bound).encode(), 49, 48, 57)
    taken = [n for n in range(1, 12001) if re.fullmatch(pattern, str(n).encode())]
    assert taken == list(range(1, bound + 1))
    assert not re.fullmatch(pattern, b"0") and not re.fullmatch(pattern, b"01")  # no leading zero


def _book(tmp_path, cells: str):
    """A workbook whose one sheet holds these <c> elements (and B2 = 5 before them)."""
    src = tmp_path / "src.xlsx"
    wb = openpyxl.Workbook()
    wb.active["B2"] = 5
    wb.save(src)
    body = kit.member(src, "xl/worksheets/sheet1.xml")
    body = re.sub(rb"<dimension [^>]*/>", b"", body)  # the cells alone decide
    body = body.replace(b'<c r="B2" t="n"><v>5</v></c>', b'<c r="B2" t="n"><v>5</v></c>' + cells.encode())
    return kit.rezip(src, tmp_path / "odd.xlsx", {"xl/worksheets/sheet1.xml": body}).read_bytes()


@pytest.mark.parametrize("cells, limits", [
    ('<c r="C2" s="0"/><c r="A5001" s="0"/>', Limits()),  # row 5001: one past 5,000
    ('<c r="C2"/><c r="SG2"/><c r="D2"/>', Limits()),  # column 501 amid a run of empty cells
    ('<c r="C2"/><c r="A11"/>', Limits(max_rows=10)),
    ('<c r="C2"/><c r="L2"/>', Limits(max_cols=11)),
])
def test_an_empty_cell_beyond_the_limits_goes_the_sure_way_which_refuses_it(tmp_path, cells, limits):
    data = _book(tmp_path, cells)
    assert read_fast(data, limits) is None
    refused = read_safely(data, limits, suffix=".xlsx")
    assert isinstance(refused, ReadFailure) and refused.code is Code.RETURN_TOO_LARGE


@pytest.mark.parametrize("cells, limits", [
    ('<c r="C2" s="0"/><c r="A5000" s="0"/><c r="SF2"/>', Limits()),  # the last row and column allowed
    ('<c r="C2"/><c r="A10"/><c r="K2"/>', Limits(max_rows=10, max_cols=11)),
])
def test_empty_cells_up_to_the_limits_read_as_the_sure_way_reads_them(tmp_path, cells, limits):
    data = _book(tmp_path, cells)
    fast = read_fast(data, limits)
    assert fast is not None and fast == read_safely(data, limits, suffix=".xlsx", fast=False)
    assert fast.sheets[0].values == {(2, 2): 5.0}


@pytest.mark.parametrize("cells", [
    '<c r="C2" s="0"/><c s="0" r="D2"/><c r="E2"/>',  # attributes in another order, amid a run
    '<c r="C2"/><c r="D2"><v>1</v><c r="E2"/></c>',  # a cell inside a cell
    '<c r="C2"/><c r="D2" s="123456"/>',  # a style index longer than any form's
    '<c r="C2" t="s"><v></v></c>',  # an empty shared-string index
])
def test_a_cell_written_another_way_goes_the_sure_way(tmp_path, cells):
    assert read_fast(_book(tmp_path, cells)) is None


def test_a_clean_sheet_is_read_the_fast_way(tmp_path):
    # the same workbook without the odd cells is read here: the tests above are not vacuous
    data = _book(tmp_path, '<c r="C2" s="0"/><c r="D2"/><c r="E2" t="s"/>')
    fast = read_fast(data)
    assert fast is not None and fast == read_safely(io.BytesIO(data).getvalue(), suffix=".xlsx", fast=False)


def test_a_shared_formulas_followers_read_as_the_sure_way_reads_them(tmp_path):
    # Excel writes a formula filled down as one master and followers carrying no text: the
    # followers are formulas all the same ("=（共享公式）"), never a reader's crash
    cells = ('<c r="C2"><f t="shared" ref="C2:C3" si="0">B2*1</f><v>5</v></c>'
             '<c r="C3"><f t="shared" si="0"/><v>5</v></c>')
    data = _book(tmp_path, cells)
    fast = read_fast(data)
    assert fast is not None and fast == read_safely(data, suffix=".xlsx", fast=False) == read_safely(data, suffix=".xlsx")
    assert fast.sheets[0].formulas == {(2, 3): "=B2*1", (3, 3): SHARED}
