"""The 催收名单 workbook: whom to chase, in columns a secretary can mail-merge.

The columns follow 发放清单 (支部, 评价主体, 评价人, 表单编号, 文件) so the same merge template
works; 情况 says what is wrong, and 邮箱 / 催收日期 are left blank for the secretary.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from .files import atomic_path, new_workbook
from .tracking import Reminder

SHEET = "催收名单"
HEADERS = ("序号", "支部", "评价主体", "评价人", "表单编号", "文件", "情况", "邮箱", "催收日期")
WIDTHS = (6, 16, 12, 12, 18, 40, 50, 24, 12)
# A fixed creation date: the same reminders give the same bytes (XlsxWriter stamps "now").
_CREATED = datetime(2000, 1, 1)


def write_reminders(rows: list[Reminder], target: Path) -> Path:
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp)  # rater text stays text: no formulas, no links
        wb.set_properties({"title": SHEET, "author": "xlflag", "created": _CREATED})
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
        text = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        ws = wb.add_worksheet(SHEET)
        ws.write_row(0, 0, HEADERS, head)
        for r, row in enumerate(rows, start=1):
            ws.write_number(r, 0, r, text)
            for c, value in enumerate((row.branch, row.group, row.rater, row.code, row.file, row.note), start=1):
                ws.write_string(r, c, value, text)
            ws.write_blank(r, 7, None, text)
            ws.write_blank(r, 8, None, text)
        for col, width in enumerate(WIDTHS):
            ws.set_column(col, col, width)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(rows), 1), len(HEADERS) - 1)
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        wb.close()
    return Path(target)
