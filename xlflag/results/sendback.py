"""退回: a copy of the rater's own return with every problem cell marked and a note on top,
ready to mail back. The rater corrects the marked cells in the same file and sends it again;
the new copy is a new arrival and counts, the returned one stays out (台账: 退回).
"""
from __future__ import annotations

from pathlib import Path

from ..core.problems import Problem, Severity
from ..edge.files import atomic_path

NOTE_SHEET = "退回说明"
_FILL = "FFFF9999"


def write_sendback(original: Path, problems: list[Problem], note: str, target: Path) -> int:
    """Mark ``problems``' cells in a copy of ``original`` (an .xlsx/.xlsm the rater sent); the
    number of cells marked. The form's own sheets, protection and hidden identity are kept."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    book = openpyxl.load_workbook(original, keep_vba=Path(original).suffix.lower() == ".xlsm")
    fill = PatternFill("solid", fgColor=_FILL)
    marked = 0
    for problem in problems:
        if not problem.cell or problem.sheet not in book.sheetnames:
            continue
        sheet = book[problem.sheet]
        for row in _cells(sheet, problem.cell):
            for cell in row:
                cell.fill = fill
                cell.comment = Comment(f"{problem.message}", "xlflag")
                marked += 1
    _note_sheet(book, problems, note)
    with atomic_path(target) as tmp:
        book.save(tmp)
    return marked


def _cells(sheet, ref: str):
    cells = sheet[ref]
    if not isinstance(cells, tuple):  # one cell
        return ((cells,),)
    return cells if isinstance(cells[0], tuple) else (cells,)


def _note_sheet(book, problems: list[Problem], note: str) -> None:
    ws = book.create_sheet(NOTE_SHEET, 0)
    ws["A1"] = "本测评表已退回，请修改后重新发送"
    ws["A2"] = note or "请改正下列（在“测评表”中以红色标出的）单元格，保存后把本文件原样发回；请勿改动表格结构。"
    ws.append([])
    ws.append(["工作表", "单元格", "问题"])
    for p in problems:
        if p.severity is Severity.ERROR or p.cell:
            ws.append([p.sheet, p.cell, p.message])
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 70
    book.active = 0
    for sheet in book.worksheets[1:]:
        sheet.sheet_view.tabSelected = False
