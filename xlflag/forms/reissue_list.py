"""The 补发清单 workbook: after a roster edit, exactly which forms to send again, and why.

Its columns follow 发放清单 (支部, 评价主体, 评价人, 表单编号, 文件) so the same mail merge works;
处理 is 重新发放, 新发 or 作废, 原因 the roster edit in plain words, 说明 what the rater is asked to
do. A second sheet 变动说明 gives one line per edit with the forms it touches.
"""
from __future__ import annotations

from pathlib import Path

from ..core.reissue import FormChange, summary
from ..edge import sheetkit
from ..edge.files import atomic_path, new_workbook

REISSUE_FILE = "补发清单.xlsx"
SHEET = "补发清单"
SUMMARY_SHEET = "变动说明"
HEADERS = ("序号", "支部", "评价主体", "评价人", "处理", "原因", "新表单编号", "原表单编号", "文件", "说明", "邮箱", "发出日期")
WIDTHS = (6, 16, 12, 12, 10, 36, 18, 18, 36, 50, 20, 12)


def write_reissue_list(found: list[FormChange], files: dict[str, str], target: Path) -> Path:
    """``files``: form id → its file under OUT, as in 发放清单."""
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, title=SHEET)  # roster text stays text: no formulas, no links
        fmt = sheetkit.formats(wb)
        ws = wb.add_worksheet(SHEET)
        sheetkit.table_head(ws, fmt, 0, HEADERS, WIDTHS)
        for r, change in enumerate(found, start=1):
            form_id = (change.form or change.old).form_id
            new_code = change.form.identity.code if change.form else ""
            old_code = change.old.code if change.old else ""
            file = files.get(form_id, "") if change.form else ""
            values = (change.folder, change.group_name, change.rater_name, change.action, "；".join(change.causes),
                      new_code, old_code, file, change.note)
            ws.write_number(r, 0, r, fmt["center"])
            for c, value in enumerate(values, start=1):
                ws.write_string(r, c, value, fmt["text"])
            ws.write_blank(r, 10, None, fmt["text"])
            ws.write_blank(r, 11, None, fmt["text"])
        ws.autofilter(0, 0, max(len(found), 1), len(HEADERS) - 1)
        sheetkit.page(ws, (0, 0))
        notes = wb.add_worksheet(SUMMARY_SHEET)
        sheetkit.table_head(notes, fmt, 0, ("方案修改及需补发的测评表",), (80,))  # portrait A4 at full size
        for r, line in enumerate(summary(found) or ["方案未改动，无需补发"], start=1):
            notes.write_string(r, 0, line, fmt["text"])
        sheetkit.page(notes, (0, 0), landscape=False)
        wb.close()
    return Path(target)
