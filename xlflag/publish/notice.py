"""The 公示 as a workbook of one sheet, ready to print and pin up (GB/T 9704-2012 proportions).

A4 portrait; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm (the standard's 156 × 225 mm
text block); title 22 pt (2号) 方正小标宋简体, body 16 pt (3号) 仿宋, the table 14 pt (4号) so a
branch name fits a line; page number "— 1 —" in 4号 宋体.

Fonts: a cell names one face. 方正小标宋简体 is what 公文 offices install; where it is missing,
Excel and WPS substitute by the GB2312 charset and serif family written with it, i.e. 宋体
(SimSun), which ships with every Windows. 仿宋 (FangSong) ships with Windows since Vista and with
WPS; it is the same design as the older 仿宋_GB2312 name. LibreOffice on Linux substitutes Noto
Serif CJK (Debian fonts-noto-cjk) for both.
"""
from __future__ import annotations

from math import ceil
from pathlib import Path

from ..core.notice import DRAFT, Notice
from ..edge.files import atomic_path, new_workbook

TITLE_FONT, BODY_FONT, PAGE_FONT = "方正小标宋简体", "仿宋", "宋体"
MM = 1 / 25.4  # inches
MARGINS = {"left": 28 * MM, "right": 26 * MM, "top": 37 * MM, "bottom": 35 * MM}
TEXT_WIDTH_MM = 156
LINE_PT = 29  # 22 lines in the 225 mm text block
CHARS_PER_LINE = 28  # 3号 characters per line of the text block
TITLE_CHARS, TITLE_LINE_PT = 20, 32  # 2号: 20 characters to the line
ROW_PT = 19  # a table row at 4号
SHEET = "公示"


def _fmt(wb, font: str, size: int, **more):
    # charset 134 (GB2312) and family 1 (roman, i.e. serif): what a missing face is replaced by
    return wb.add_format({"font_name": font, "font_size": size, "font_charset": 134, "font_family": 1,
                          "valign": "vcenter", "text_wrap": True} | more)


def _widths(headers: tuple[str, ...]) -> list[float]:
    """Column widths (Excel units, about 1.9 mm each at the default font) filling 156 mm."""
    share = {"序号": 2, "支部": 7, "姓名": 4, "星级": 4, "综合得分": 4, "所获星名": 9}
    weights = [share.get(h, 4) for h in headers]
    units = TEXT_WIDTH_MM / 1.9
    return [units * w / sum(weights) for w in weights]


def _lines(text: str, chars: int = CHARS_PER_LINE) -> int:
    return max(1, ceil((len(text) + 2) / chars))  # + the two-character first-line indent


def write_notice(notice: Notice, target: Path) -> Path:
    with atomic_path(Path(target)) as tmp:
        wb = new_workbook(tmp, title=notice.title)
        ws = wb.add_worksheet(SHEET)
        title = _fmt(wb, TITLE_FONT, 22, align="center")
        body = _fmt(wb, BODY_FONT, 16, align="justify", indent=2)
        right = _fmt(wb, BODY_FONT, 16, align="right")
        draft = _fmt(wb, "黑体", 16, align="center", font_color="#C00000", bold=True)
        head = _fmt(wb, "黑体", 14, align="center", border=1)
        cell = _fmt(wb, BODY_FONT, 14, align="center", border=1)
        last = len(notice.headers) - 1
        widths = _widths(notice.headers)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        per_line = [max(1, int(w * 1.9 / 5.2)) for w in widths]  # 4号 characters across each column
        r = 0

        def paragraph(text, style, lines=None):
            nonlocal r
            ws.merge_range(r, 0, r, last, text, style) if last else ws.write_string(r, 0, text, style)
            ws.set_row(r, LINE_PT * (lines or _lines(text)))
            r += 1

        if notice.draft:
            paragraph(DRAFT, draft, 1)
        title_lines = ceil(len(notice.title) / TITLE_CHARS)
        ws.merge_range(r, 0, r, last, notice.title, title) if last else ws.write_string(r, 0, notice.title, title)
        ws.set_row(r, TITLE_LINE_PT * title_lines + 8)
        r += 1
        paragraph(notice.intro, body)
        ws.write_row(r, 0, notice.headers, head)
        ws.set_row(r, 26)
        header_row = r
        r += 1
        for row in notice.rows:
            for c, value in enumerate(row):
                ws.write(r, c, value, cell)
            ws.set_row(r, ROW_PT * max(1, *(ceil(len(str(v)) / n) for v, n in zip(row, per_line))))
            r += 1
        r += 1
        for line in notice.awards:
            paragraph(line, body)
        paragraph(notice.period, body)
        paragraph(notice.appeal, body)
        r += 1
        for line in (notice.organisation, notice.signed):
            ws.write_string(r, 0, line, right) if not last else ws.merge_range(r, 0, r, last, line, right)
            ws.set_row(r, 24)
            r += 1
        ws.set_paper(9)
        ws.set_portrait()
        ws.set_margins(**MARGINS)
        ws.center_horizontally()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(header_row)
        ws.set_header(f"&C&\"黑体\"&16&KC00000{DRAFT}" if notice.draft else "")
        ws.set_footer(f"&C&\"{PAGE_FONT}\"&14— &P —")
        ws.hide_gridlines(2)
        wb.close()
    return Path(target)
