"""read_safely: precheck, then calamine + the sheet-XML scan for .xlsx, giving the grid openpyxl
gives (formulas as formulas, error values as text) — on real filled forms and on sheet XML
written the odd ways other programs write it."""
from __future__ import annotations

import zipfile
from fractions import Fraction

import openpyxl
import pytest
import returns_kit as kit

from xlflag.core.problems import Code
from xlflag.ingest.readers import ReadFailure, WorkbookGrid, read_safely, read_workbook
from xlflag.ingest.safety import Limits


def normalised(grid: WorkbookGrid) -> list[tuple]:
    """Sheets as comparable data: calamine's 5.0 and openpyxl's 5 are the same number."""
    def plain(v):
        return Fraction(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    return [(s.name, s.state, {k: plain(v) for k, v in s.values.items()}, s.formulas) for s in grid.sheets]


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast")
    return kit.new_forms(root)


EDITS = {
    "D6": "5分", "E6": kit.Formula("=4+1"), "F6": "#N/A", "G6": "=1+1", "I6": 4.5, "J6": " 4 ",
    "D7": None, "E7": "@SUM(D6)", "F7": "#DIV/0!", "G7": kit.Formula("=SUM(D6:F6)&\"分\""),
}


def test_a_filled_form_reads_as_openpyxl_reads_it(forms, tmp_path):
    path = kit.fill(forms, forms.get("甲支部", "DL", "王书记")[1], tmp_path / "表.xlsx", EDITS)
    fast, slow = read_safely(path), read_workbook(path)
    assert normalised(fast) == normalised(slow)
    assert fast.modified == slow.modified
    sheet = fast.sheet("测评表")
    assert (sheet.value(6, 6), sheet.formulas[(6, 5)], sheet.value(6, 7)) == ("#N/A", "=4+1", "=1+1")
    assert fast.sheet("_xlflag").state == "veryHidden"


def sheet_xml(cells: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<x:sheetData>{cells}</x:sheetData></x:worksheet>")


def test_prefixed_tags_cells_without_r_and_shared_formulas(tmp_path):
    src = tmp_path / "src.xlsx"
    openpyxl.Workbook().save(src)
    cells = (
        '<x:row r="2"><x:c r="B2"><x:v>1</x:v></x:c><x:c><x:f t="shared" ref="C2:C3" si="0">B2*2</x:f><x:v>2</x:v></x:c>'
        '<x:c t="e"><x:v>#REF!</x:v></x:c></x:row>'
        '<x:row><x:c r="C3"><x:f t="shared" si="0"/><x:v>4</x:v></x:c><x:c r="E3" t="e"><x:f>1/0</x:f><x:v>#DIV/0!</x:v></x:c></x:row>'
    )
    odd = kit.rezip(src, tmp_path / "odd.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml(cells).encode()})
    sheet = read_safely(odd).sheets[0]
    assert sheet.formulas == {(2, 3): "=B2*2", (3, 3): "=（共享公式）", (3, 5): "=1/0"}
    assert sheet.values == {(2, 2): 1.0, (2, 4): "#REF!"}


def test_precheck_runs_first(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = 1
    wb.save(tmp_path / "a.xlsx")
    assert read_safely(tmp_path / "a.xlsx", Limits(max_file_bytes=100)).code is Code.RETURN_TOO_LARGE
    assert isinstance(read_safely(tmp_path / "a.xlsx"), WorkbookGrid)


def test_a_package_laid_out_unusually_reads_as_openpyxl_reads_it(tmp_path):
    # The workbook part renamed (its place is given by [Content_Types].xml and _rels/.rels):
    # whichever of calamine and the scan cannot follow, openpyxl reads it instead.
    src = tmp_path / "src.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["B1"] = "=1+1", 3
    wb.save(src)
    moved = tmp_path / "moved.xlsx"
    renames = {"xl/workbook.xml": "xl/book.xml", "xl/_rels/workbook.xml.rels": "xl/_rels/book.xml.rels"}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(moved, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in ("[Content_Types].xml", "_rels/.rels"):
                data = data.replace(b"xl/workbook.xml", b"xl/book.xml")
            zout.writestr(renames.get(info.filename, info.filename), data)
    assert normalised(read_safely(moved)) == normalised(read_workbook(moved))
    assert read_safely(moved).sheets[0].formulas == {(1, 1): "=1+1"}


def test_unknown_suffix_is_unsupported_before_anything_is_read(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    assert read_safely(tmp_path / "a.pdf") == ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, ".pdf")
