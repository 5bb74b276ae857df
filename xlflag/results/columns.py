"""Pieces of the results sheets: the per-group columns that 汇总 and 流动红旗 both show, and the
cells of 参数 their formulas read."""
from __future__ import annotations

from dataclasses import dataclass

from ..core import formulas as F
from ..core.scoring import TOTAL_DECIMALS, GroupScore

SUMMARY = "汇总"


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
