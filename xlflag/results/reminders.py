"""The 催收名单 workbook: whom to chase, in columns a secretary can mail-merge.

The columns follow 发放清单 (支部, 评价主体, 评价人, 表单编号, 文件) so the same merge template
works; 情况 says what is wrong, and 邮箱 / 催收日期 are left blank for the secretary.
"""
from __future__ import annotations

from pathlib import Path

from ..edge import sheetkit
from ..edge.files import atomic_path, new_workbook
from ..ingest.tracking import Reminder

SHEET = "催收名单"
HEADERS = ("序号", "支部", "评价主体", "评价人", "表单编号", "文件", "情况", "邮箱", "催收日期")
WIDTHS = (6, 16, 12, 12, 18, 40, 50, 24, 12)


def write_reminders(rows: list[Reminder], target: Path) -> Path:
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, title=SHEET)  # rater text stays text: no formulas, no links
        fmt = sheetkit.formats(wb)
        ws = wb.add_worksheet(SHEET)
        sheetkit.table_head(ws, fmt, 0, HEADERS, WIDTHS)
        for r, row in enumerate(rows, start=1):
            ws.write_number(r, 0, r, fmt["center"])
            for c, value in enumerate((row.branch, row.group, row.rater, row.code, row.file, row.note), start=1):
                ws.write_string(r, c, value, fmt["text"])
            ws.write_blank(r, 7, None, fmt["text"])
            ws.write_blank(r, 8, None, fmt["text"])
        ws.autofilter(0, 0, max(len(rows), 1), len(HEADERS) - 1)
        sheetkit.page(ws, (0, 0))
        wb.close()
    return Path(target)
