"""Find the form inside a returned workbook, even when its hidden identity is gone.

A rater who pastes the form into a new workbook, or saves it with a program that drops hidden
sheets, returns a file with no ``_xlflag`` sheet and maybe a sheet called "Sheet1". What is left
is visible: the code printed in the info row ("表单编号：2026Q4-K3J9QX2A") and the layout around
it. Codes are an HMAC of the form id under the scheme's key, so a code cannot be guessed; once a
code names a planned form, ingest checks that form's headers and ratee rows exactly as for a
signed return and accepts it with a RETURN_IDENTITY_STRIPPED warning.

The form may also sit lower or further right than it was printed (pasted into a cell other than
A1): ``FormSheet`` reads it through the offset of its code cell and names cells where they are
in the rater's file.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import layout as L
from .readers import SheetGrid, WorkbookGrid

# The info row reads "… 表单编号：2026Q4-K3J9QX2A"; identity.form_code makes 8 base32 letters.
_CODE = re.compile(r"表单编号\s*[：:]\s*(\S+?-[A-Z2-7]{8})(?![A-Z2-7])")


@dataclass(frozen=True)
class FormSheet:
    """A form's cells as the layout numbers them, wherever the form sits in its sheet."""

    grid: SheetGrid
    row_offset: int = 0  # rows above the form's title row in the rater's sheet
    col_offset: int = 0

    @property
    def name(self) -> str:
        return self.grid.name

    def value(self, row: int, col: int):
        return self.grid.value(row + self.row_offset, col + self.col_offset)

    def formula(self, row: int, col: int) -> str | None:
        return self.grid.formulas.get((row + self.row_offset, col + self.col_offset))

    def cell(self, row: int, col: int) -> str:
        """The A1 name of layout cell (row, col) in the rater's sheet."""
        return L.cell_name(row + self.row_offset, col + self.col_offset)


@dataclass(frozen=True)
class FoundCode:
    code: str
    sheet: FormSheet
    cell: str  # where the code was read, e.g. A2


def find_code(grid: WorkbookGrid, code: str | None = None) -> FoundCode | None:
    """The first visible form code (or exactly ``code``) in the workbook.

    The sheet named 测评表 is searched first, then the others in order; within a sheet, cells
    top to bottom, left to right. Only text cells holding "表单编号" are looked at.
    """
    sheets = sorted(grid.sheets, key=lambda s: s.name != L.FORM_SHEET)
    for sheet in sheets:
        labelled = sorted((k, v) for k, v in sheet.values.items() if isinstance(v, str) and "表单编号" in v)
        for (row, col), value in labelled:
            for match in _CODE.finditer(value):
                if code is None or match.group(1) == code:
                    form = FormSheet(sheet, row - L.INFO_ROW, col - 1)
                    return FoundCode(match.group(1), form, L.cell_name(row, col))
    return None


def find_codes(grid: WorkbookGrid) -> list[FoundCode]:
    """The first visible form code of every sheet that shows one, 测评表 first, then in order."""
    found = []
    for sheet in sorted(grid.sheets, key=lambda s: s.name != L.FORM_SHEET):
        code = find_code(WorkbookGrid((sheet,)))
        if code is not None:
            found.append(code)
    return found


def code_period(code: str) -> str:
    """"2026Q4" from "2026Q4-K3J9QX2A": the period every code starts with."""
    return code.rpartition("-")[0]


def form_sheet(grid: WorkbookGrid, code: str) -> FormSheet | None:
    """A signed return's form: the sheet showing its code, else the sheet named 测评表."""
    found = find_code(grid, code)
    if found is not None:
        return found.sheet
    sheet = grid.sheet(L.FORM_SHEET)
    return FormSheet(sheet) if sheet is not None else None
