"""The scheme's rows come from calamine when it reads them as openpyxl would (a county's roster:
~0.1 s instead of ~1.7 s), from openpyxl otherwise. Both readers on the presets and on a scheme
LibreOffice re-saved with real dates, a formula, a number for an 编号 and a sheet that starts at
C3 give the same rows (up to the blank rows and columns openpyxl pads a sheet to its stored
size) and the same scheme; a sheet with an error value (which calamine reads as a blank) goes
to openpyxl, so the check still names what the cell holds.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from xlflag.edge.libreoffice import convert, find_soffice
from xlflag.scheme.presets import preset_names
from xlflag.scheme.read import load_tables, parse_scheme, read_scheme, tables_by_calamine, tables_by_openpyxl
from xlflag.scheme.templates import template_sheets, write_scheme_workbook

from preset_kit import set_value

needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed")


def trimmed(tables: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Rows without the trailing blank rows and columns openpyxl pads a sheet with."""
    out = {}
    for name, rows in tables.items():
        width = max((i + 1 for r in rows for i, v in enumerate(r) if v is not None), default=0)
        rows = [tuple(r[:width]) + (None,) * (width - len(r[:width])) for r in rows]
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        out[name] = rows
    return out


def assert_same_reading(path: Path) -> None:
    fast, sure = tables_by_calamine(path), tables_by_openpyxl(path)
    assert fast is not None, "calamine should read this scheme"
    assert trimmed(fast) == trimmed(sure)
    (scheme_fast, report_fast), (scheme_sure, report_sure) = parse_scheme(fast, path.name), parse_scheme(sure, path.name)
    assert scheme_fast == scheme_sure
    assert [str(p) for p in report_fast.problems] == [str(p) for p in report_sure.problems]
    assert load_tables(path) == fast  # calamine's rows, when it reads them


@pytest.mark.parametrize("preset", preset_names())
def test_presets_read_alike(tmp_path, preset):
    path = write_scheme_workbook(template_sheets(preset), tmp_path / "方案.xlsx")
    assert_same_reading(path)
    scheme, report = read_scheme(path)
    assert scheme is not None and report.valid


def odd_sheets() -> dict:
    sheets = {name: list(rows) for name, rows in template_sheets("s2").items()}
    set_value(sheets, "设置", "公示开始", datetime(2026, 12, 3))  # date cells, not text
    set_value(sheets, "设置", "公示结束", datetime(2026, 12, 9))
    items = sheets["测评项目"]
    items[1] = (*items[1][:4], "=2+3")  # item 1.1's 满分 as a formula: LibreOffice caches 5
    roster = sheets["党员名册"]
    roster[1] = (roster[1][0], 1001, *roster[1][2:])  # an 编号 typed as a number
    sheets["备注"] = [(), (), (None, None, "从C3起", 2.5, datetime(2026, 12, 1, 8, 30))]
    return sheets


@needs_soffice
def test_a_scheme_libreoffice_saved_reads_alike(tmp_path):
    written = write_scheme_workbook(odd_sheets(), tmp_path / "in" / "方案.xlsx")
    saved = convert(written, "xlsx", tmp_path / "out")
    assert_same_reading(saved)
    tables = load_tables(saved)
    # worked by hand: the formula's cached 5 as an int, the 编号 1001 as an int, the dates as
    # datetimes (calamine gives a date), the extra sheet from A1 with C3 where it was
    assert tables["测评项目"][1][4] == 5 and type(tables["测评项目"][1][4]) is int
    assert tables["党员名册"][1][1] == 1001
    settings = {row[0]: row[1] for row in tables["设置"]}
    assert settings["公示开始"] == datetime(2026, 12, 3)
    assert tables["备注"][2][2:5] == ("从C3起", 2.5, datetime(2026, 12, 1, 8, 30))
    assert tables["备注"][0][:2] == (None, None)
    scheme, report = read_scheme(saved)
    assert scheme is not None, [str(p) for p in report.problems]
    assert scheme.members[0].member_id == "1001"


@needs_soffice
def test_an_error_value_is_read_by_openpyxl_and_named(tmp_path):
    sheets = {name: list(rows) for name, rows in template_sheets("s2").items()}
    items = sheets["测评项目"]
    items[1] = (*items[1][:4], "=NA()")  # LibreOffice caches #N/A: calamine would read a blank
    saved = convert(write_scheme_workbook(sheets, tmp_path / "in" / "方案.xlsx"), "xlsx", tmp_path / "out")
    assert tables_by_calamine(saved) is None
    assert load_tables(saved)["测评项目"][1][4] == "#N/A"
    scheme, report = read_scheme(saved)
    assert scheme is None
    found = [p for p in report.problems if p.sheet == "测评项目" and p.cell == "E2"]
    assert found and "#N/A" in found[0].found


def test_not_a_workbook_is_left_to_openpyxl(tmp_path):
    """What openpyxl refuses (another suffix, no .xlsx package) calamine does not read instead."""
    data = write_scheme_workbook(template_sheets("s2"), tmp_path / "方案.xlsx").read_bytes()
    renamed = tmp_path / "方案.dat"
    renamed.write_bytes(data)
    text = tmp_path / "方案2.xlsx"
    text.write_text("不是工作簿", encoding="utf-8")
    assert tables_by_calamine(renamed) is None and tables_by_calamine(text) is None
