"""图表: the 简报's two charts as native, editable XlsxWriter charts over a small table on the
same sheet — members per final star level per branch (stacked columns) and the flag ranking
(bars). Counts and totals are values: the levels are the final ones (after 名额 and 调整)."""
from __future__ import annotations

from collections import Counter

from ..core.adjustments import Adjusted
from ..core.model import Scheme
from ..core.notice import level_text
from ..edge.sheetkit import page, table_head

SHEET = "图表"
COLOURS = ("#C00000", "#E46C0A", "#F2C200", "#7F9F3F", "#5B7FA6", "#A6A6A6")


def write_charts(wb, fmt, scheme: Scheme, adjusted: Adjusted, branches) -> None:
    """``branches``: the flag ranking as scored (core.awards.BranchResult)."""
    if not scheme.bands and not scheme.flag:
        return
    ws = wb.add_worksheet(SHEET)
    names = [b.name for b in scheme.branches]
    row = 0
    if scheme.bands:
        levels = sorted({b.stars for b in scheme.bands}, reverse=True) + [None]
        table_head(ws, fmt, 0, ["支部", *(level_text(level) for level in levels)], [18] + [8] * len(levels))
        counts = Counter((o.result.member.branch, o.stars) for o in adjusted.members)  # one pass, not one per cell
        for r, name in enumerate(names, start=1):
            ws.write_string(r, 0, name, fmt["text"])
            for c, level in enumerate(levels, start=1):
                ws.write_number(r, c, counts[(name, level)], fmt["center"])
        chart = wb.add_chart({"type": "column", "subtype": "stacked"})
        for c, colour in zip(range(1, len(levels) + 1), COLOURS):
            chart.add_series({"name": [SHEET, 0, c], "categories": [SHEET, 1, 0, len(names), 0],
                              "values": [SHEET, 1, c, len(names), c], "fill": {"color": colour}})
        chart.set_title({"name": f"{scheme.settings.period_label}各支部星级分布"})
        chart.set_y_axis({"name": "人数"})
        ws.insert_chart(0, len(levels) + 2, chart, {"x_scale": 1.3, "y_scale": 1.1})
        row = max(len(names) + 3, 18)
    ranked = sorted((b for b in branches if b.total is not None), key=lambda b: b.position)
    if scheme.flag and ranked:
        winners = set(adjusted.flag_winners())
        ws.write_row(row, 0, ("支部", "综合得分", "结果"), fmt["head"])
        for r, b in enumerate(ranked, start=row + 1):
            ws.write_string(r, 0, b.branch, fmt["text"])
            ws.write_number(r, 1, float(b.total), fmt["score"])
            ws.write_string(r, 2, "授旗" if b.branch in winners else "", fmt["center"])
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "综合得分", "categories": [SHEET, row + 1, 0, row + len(ranked), 0],
                          "values": [SHEET, row + 1, 1, row + len(ranked), 1], "fill": {"color": "#C00000"},
                          "data_labels": {"value": True, "num_format": "0.00"}})
        chart.set_title({"name": f"{scheme.settings.period_label}“{scheme.flag.flag_name}”综合得分排名"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        ws.insert_chart(row, 4, chart, {"x_scale": 1.3, "y_scale": 1.1})
    page(ws, (0, 0))
