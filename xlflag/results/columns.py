"""Pieces of the results sheets: the per-group columns that 汇总 and 流动红旗 both show, and the
cells of 参数 their formulas read."""
from __future__ import annotations

from dataclasses import dataclass

from ..core import formulas as F
from ..core.model import SHORT_RESCALE
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

def mean_value(gs: GroupScore):
    """A mean cell's cached value: the mean, or 不足N人 below the threshold."""
    return gs.short_text if gs.mean is None else float(gs.mean)


def write_group_columns(ws, fmt, row: int, first_col: int, groups: tuple[GroupScore, ...],
                        cells: list[F.GroupCells]) -> list[str]:
    """Per group: rater count and mean, formulas over 数据's row; returns the mean cells."""
    mean_cells = []
    for k, (gs, at) in enumerate(zip(groups, cells)):
        count_col, mean_col = first_col + 2 * k, first_col + 1 + 2 * k
        ws.write_formula(row - 1, count_col - 1, "=" + at.count, fmt["int"], gs.raters)
        ws.write_formula(row - 1, mean_col - 1, F.group_mean(at), fmt["score"], mean_value(gs))
        mean_cells.append(F.col_letter(mean_col) + str(row))
    return mean_cells


def total_formula(mean_cells: list[str], groups: tuple[GroupScore, ...], params: ParamCells, rescale: bool) -> str:
    return F.weighted_total(mean_cells, [params.weights[g.group.code] for g in groups], TOTAL_DECIMALS, rescale)


def group_headers(groups) -> tuple[list[str], list[int]]:
    headers, widths = [], []
    for g in groups:
        headers += [f"{g.name}\n人数", f"{g.name}\n平均分"]
        widths += [7, 9]
    return headers, widths


def short_rule(scheme) -> str:
    """How the sheet treats a group below its threshold, in one sentence for the rule note."""
    n = scheme.settings.min_raters
    then = ("该评价主体不计入，其余评价主体按权重比例折算为100%" if scheme.settings.short_policy == SHORT_RESCALE
            else "暂不计算综合得分，待收齐后再算")
    return (f"某评价主体评价人不足{n}人（人数本就少于{n}人的须全部收回；自评不限）时显示“不足N人”，{then}")
