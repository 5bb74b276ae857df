"""Shared pieces of the results sheets: formats, table heads, A4 print setup, and the
per-group columns that 汇总 and 流动红旗 both show."""
from __future__ import annotations

from dataclasses import dataclass

from . import formulas as F
from .scoring import TOTAL_DECIMALS, GroupScore

SUMMARY = "汇总"


def formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 11, "border": 1, "valign": "vcenter"}
    return {
        "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center"}),
        "public_title": wb.add_format({"font_name": "黑体", "font_size": 13, "bold": True, "align": "center",
                                       "valign": "vcenter", "text_wrap": True}),
        "note": wb.add_format({"font_size": 10, "text_wrap": True, "valign": "top"}),
        "head": wb.add_format(base | {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}),
        "text": wb.add_format(base),
        "center": wb.add_format(base | {"align": "center"}),
        "int": wb.add_format(base | {"align": "center", "num_format": "0"}),
        "score": wb.add_format(base | {"align": "center", "num_format": "0.00"}),
        "percent": wb.add_format(base | {"align": "center", "num_format": "0.00%"}),
        "star": wb.add_format(base | {"align": "center", "font_color": "#C00000"}),
        "win": wb.add_format(base | {"align": "center", "bold": True, "font_color": "#C00000", "bg_color": "#FDE9D9"}),
    }


def page(ws, header_rows: tuple[int, int], landscape: bool = True) -> None:
    """A4, one page wide, header rows repeated: what the office prints."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*header_rows)
    ws.set_footer("&C第&P页 共&N页")


def table_head(ws, fmt, row: int, headers, widths) -> None:
    """Header row (0-based ``row``), column widths, panes frozen below it."""
    ws.write_row(row, 0, headers, fmt["head"])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(row + 1, 0)


def titled(ws, fmt, title: str, note: str, last_col: int) -> None:
    """Title on row 1, a rule note on row 2: the first two rows of every ranked sheet."""
    ws.merge_range(0, 0, 0, last_col, title, fmt["title"])
    ws.merge_range(1, 0, 1, last_col, note, fmt["note"])
    ws.set_row(1, 30)


def blank_or(value, convert=float):
    """A cached formula value: "" for a missing number, as the formula shows it."""
    return "" if value is None else convert(value)


@dataclass(frozen=True)
class ParamCells:
    weights: dict[str, str]  # group code → absolute cell
    lows: str
    stars: str


# -- group columns shared by 汇总 and 流动红旗 ------------------------------------------------

def write_group_columns(ws, fmt, row: int, first_col: int, ratee_cell: str, groups: tuple[GroupScore, ...],
                        ranges: F.DataRanges, params: ParamCells) -> list[str]:
    """Per group: rater count and mean (formulas); returns the mean cells for the total."""
    mean_cells = []
    for k, gs in enumerate(groups):
        count_col, mean_col = first_col + 2 * k, first_col + 1 + 2 * k
        count_cell = F.col_letter(count_col) + str(row)
        ws.write_formula(row - 1, count_col - 1, F.rater_count(ranges, ratee_cell, gs.group.name), fmt["int"], gs.raters)
        mean = F.group_mean(ranges, ratee_cell, gs.group.name, count_cell)
        ws.write_formula(row - 1, mean_col - 1, mean, fmt["score"], blank_or(gs.mean))
        mean_cells.append(F.col_letter(mean_col) + str(row))
    return mean_cells


def total_formula(mean_cells: list[str], groups: tuple[GroupScore, ...], params: ParamCells) -> str:
    return F.weighted_total(mean_cells, [params.weights[g.group.code] for g in groups], TOTAL_DECIMALS)


def group_headers(groups) -> tuple[list[str], list[int]]:
    headers, widths = [], []
    for g in groups:
        headers += [f"{g.name}\n人数", f"{g.name}\n平均分"]
        widths += [7, 9]
    return headers, widths
