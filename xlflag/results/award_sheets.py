"""The award sheets of the results workbook: 流动红旗 (branch ranking), 模范星, 党员之星.

Scores and shares are formulas over 数据 / 授旗数据 (per ratee and group sums, read by direct
reference) with xlflag's values cached; who wins
(quota, tie-breaks, the 满意率 condition) is decided by ``awards`` and written as values
with the reason beside each branch.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core import formulas as F
from ..core.awards import SATISFACTION_DECIMALS, percent_text
from ..core.ballots import trim_rule_text
from ..core.model import RATER_REPS, SATISFACTION, SHORT_RESCALE
from ..core.scoring import TOTAL_DECIMALS
from ..core.values import number_text
from ..edge.sheetkit import page, table_head, titled
from .columns import (
    SUMMARY,
    ParamCells,
    blank_or,
    group_headers,
    mean_value,
    short_rule,
    total_formula,
    write_group_columns,
)
from .data import DataRows
from .inputs import ResultsInput, SummaryCells

FLAG_SHEET, STARS_SHEET, QUOTA_SHEET = "流动红旗", "模范星", "党员之星"


def flag_sheet_name(scheme) -> str:
    """The flag's own name (XX先锋旗, 建设先锋旗), as Excel allows a sheet name: ≤31 characters,
    none of []:*?/\\; 流动红旗 when the name is unusable or taken by another sheet."""
    name = "".join(c for c in scheme.flag.flag_name if c not in "[]:*?/\\'").strip()[:31]
    return name if name and name not in (STARS_SHEET, QUOTA_SHEET, "汇总", "公示", "参数", "数据") else FLAG_SHEET


@dataclass(frozen=True)
class AwardSheets:
    flag: object | None
    stars: object | None
    quota: object | None


def add_sheets(wb, data: "ResultsInput") -> AwardSheets:
    """Create the award sheets up front so they sit right after 汇总 and 公示."""
    scheme = data.scheme
    return AwardSheets(
        wb.add_worksheet(flag_sheet_name(scheme)) if scheme.flag else None,
        wb.add_worksheet(STARS_SHEET) if scheme.model_stars else None,
        wb.add_worksheet(QUOTA_SHEET) if scheme.quota_star else None,
    )


# -- 流动红旗 ------------------------------------------------------------------------------

def write_flag(sheets: AwardSheets, fmt, data: "ResultsInput", data_rows: DataRows, params: ParamCells) -> None:
    ws, scheme, flag = sheets.flag, data.scheme, data.scheme.flag
    groups = scheme.flag_groups
    categories = [k for k in flag.tie_break if k != SATISFACTION]
    has_answers = any(g.rater_kind == RATER_REPS for g in groups)
    g_heads, g_widths = group_headers(groups)
    headers = ["序号", "支部", "编号", *g_heads, "综合得分", *(f"{c}\n小计" for c in categories)]
    headers += (["群众\n满意率"] if has_answers else []) + ["名次", "排序", "结果", "说明"]
    widths = [5, 18, 6, *g_widths, 9, *(9 for _ in categories)] + ([9] if has_answers else []) + [6, 6, 8, 40]
    title = f"{scheme.settings.organisation}{scheme.settings.period_label}“{flag.flag_name}”评比排名"
    titled(ws, fmt, title, _flag_note(scheme), len(headers) - 1)
    ws.set_row(F_HEADER - 1, 48)  # group names such as 上级综合评定 wrap to three lines
    table_head(ws, fmt, F_HEADER - 1, headers, widths)
    total_col = 4 + 2 * len(groups)
    first, last = F_HEADER + 1, F_HEADER + len(data.branches)
    totals = F.absolute(ws.name, total_col, first, last)
    rescale = scheme.settings.short_policy == SHORT_RESCALE
    for n, br in enumerate(data.branches, start=1):
        row = F_HEADER + n
        r, total_cell = row - 1, F.col_letter(total_col) + str(row)
        ws.write_number(r, 0, n, fmt["center"])
        ws.write_string(r, 1, br.branch, fmt["text"])
        ws.write_string(r, 2, scheme.branch_code(br.branch), fmt["center"])
        at = data_rows.of(br.branch, groups)
        means = write_group_columns(ws, fmt, row, 4, br.groups, at)
        ws.write_formula(r, total_col - 1, total_formula(means, br.groups, params, rescale), fmt["score"], blank_or(br.total))
        weighted = list(zip(at, (params.weights[g.code] for g in groups)))
        col = total_col + 1
        for category in categories:
            formula = F.weighted_category(weighted, (flag.set_name, category), total_cell, TOTAL_DECIMALS, rescale)
            ws.write_formula(r, col - 1, formula, fmt["score"], blank_or(br.tie_values[flag.tie_break.index(category)]))
            col += 1
        if has_answers:
            formula = F.satisfaction(at, flag.satisfied, flag.answers, SATISFACTION_DECIMALS)
            ws.write_formula(r, col - 1, formula, fmt["percent"], blank_or(br.satisfaction))
            col += 1
        ws.write_formula(r, col - 1, F.competition_rank(total_cell, totals), fmt["int"], blank_or(br.rank, int))
        ws.write(r, col, "" if br.position is None else br.position, fmt["center"])
        ws.write_string(r, col + 1, "授旗" if br.winner else "", fmt["win"] if br.winner else fmt["center"])
        ws.write_string(r, col + 2, br.reason, fmt["text"])
    page(ws, (0, F_HEADER - 1))


F_HEADER = 3  # header row of the ranked sheets (1-based)


def _flag_note(scheme) -> str:
    flag = scheme.flag
    weights = "、".join(f"{g.name}{number_text(g.weight)}%" for g in scheme.flag_groups)
    parts = [f"按{weights}加权计综合得分"]
    if flag.satisfaction_floor is not None:
        parts.append(f"群众满意率（{'、'.join(flag.satisfied)}）须达{percent_text(flag.satisfaction_floor)}")
    if flag.minimum is not None:
        parts.append(f"综合得分不低于{number_text(flag.minimum)}")
    if flag.quota is not None:
        parts.append(f"名额{flag.quota}面")
    if flag.tie_break:
        parts.append("总分并列时依次按" + "、".join(k if k == SATISFACTION else f"{k}小计" for k in flag.tie_break) + "高者优先")
    parts.append(short_rule(scheme))
    return ("评比规则：" + "；".join(parts) + "。“名次”按综合得分并列同名次，“排序”为按并列规则排出的先后。"
            + trim_rule_text(scheme))


def _tie_cache(result, group_name: str, value):
    """What a 汇总 mean cell shows: the mean, or 不足N人."""
    gs = next((g for g in result.groups if g.group.name == group_name), None)
    return blank_or(value) if gs is None else mean_value(gs)


# -- 模范星 and 党员之星 ----------------------------------------------------------------------

def write_member_awards(sheets: AwardSheets, fmt, data: "ResultsInput", data_rows: DataRows,
                        params: ParamCells, cells: "SummaryCells") -> None:
    if sheets.stars is not None:
        _write_model_stars(sheets.stars, fmt, data, data_rows, params, cells)
    if sheets.quota is not None:
        _write_quota(sheets.quota, fmt, data, cells)


def _write_model_stars(ws, fmt, data, data_rows: DataRows, params, cells) -> None:
    scheme = data.scheme
    headers = ("序号", "支部", "编号", "姓名", "人员类别", "星名", "类别", "类别满分", "门槛", "达标分", "类别得分", "获星")
    note = ("评星规则：类别得分＝各评价主体对该类别小计的平均分按权重加权（保留两位小数，计入的评价主体与综合得分相同）；"
            "达到“类别满分×门槛”即获该星，可同时获多颗星。")
    titled(ws, fmt, f"{scheme.settings.organisation}{scheme.settings.period_label}模范星评定", note, len(headers) - 1)
    table_head(ws, fmt, F_HEADER - 1, headers, (5, 16, 8, 9, 12, 12, 10, 8, 7, 8, 9, 6))
    groups = scheme.member_groups
    weights = [params.weights[g.code] for g in groups]
    rescale = scheme.settings.short_policy == SHORT_RESCALE
    for n, award in enumerate(data.star_awards, start=1):
        row, r, m = F_HEADER + n, F_HEADER + n - 1, award.member
        star = award.star
        for c, value in enumerate((m.branch, m.member_id, m.name, m.staff_type, star.name, star.category), start=1):
            ws.write_string(r, c, value, fmt["text"])
        ws.write_number(r, 0, n, fmt["center"])
        ws.write_number(r, 7, scheme.category_maximum(star.set_name, star.category), fmt["center"])
        ws.write_number(r, 8, float(star.threshold), fmt["percent"])
        ws.write_number(r, 9, float(award.needed), fmt["score"])
        guard = f"'{SUMMARY}'!${F.col_letter(cells.total_col)}${cells.rows[m.member_id]}"
        weighted = list(zip(data_rows.of(m.member_id, groups), weights))
        formula = F.weighted_category(weighted, (star.set_name, star.category), guard, TOTAL_DECIMALS, rescale)
        ws.write_formula(r, 10, formula, fmt["score"], blank_or(award.score))
        ws.write_formula(r, 11, F.reached(f"K{row}", f"J{row}"), fmt["star"], "★" if award.awarded else "")
    ws.autofilter(F_HEADER - 1, 0, F_HEADER - 1 + max(len(data.star_awards), 1), len(headers) - 1)
    page(ws, (0, F_HEADER - 1))


def _write_quota(ws, fmt, data, cells) -> None:
    rule = data.scheme.quota_star
    headers = ["排序", "支部", "编号", "姓名", "综合得分", *(f"{n}\n平均分" for n in rule.tie_break), "当选", "说明"]
    ties = "、".join(f"{n}平均分" for n in rule.tie_break)
    note = f"评选规则：按综合得分从高到低取前{rule.quota}名" + (f"；总分并列时依次按{ties}高者优先" if ties else "") + "。"
    title = f"{data.scheme.settings.organisation}{data.scheme.settings.period_label}{rule.name}评选"
    titled(ws, fmt, title, note, len(headers) - 1)
    table_head(ws, fmt, F_HEADER - 1, headers, [6, 16, 8, 9, 9, *(9 for _ in rule.tie_break), 6, 40])
    for n, pick in enumerate(data.quota_picks, start=1):
        r, m = F_HEADER + n - 1, pick.result.member
        summary_row = cells.rows[m.member_id]
        ws.write_number(r, 0, pick.position, fmt["center"])
        for c, value in enumerate((m.branch, m.member_id, m.name), start=1):
            ws.write_string(r, c, value, fmt["text"])
        total_ref = F.ref(SUMMARY, f"{F.col_letter(cells.total_col)}{summary_row}")
        ws.write_formula(r, 4, total_ref, fmt["score"], blank_or(pick.result.total))
        for k, (name, value) in enumerate(zip(rule.tie_break, pick.tie_values)):
            mean_ref = F.ref(SUMMARY, f"{F.col_letter(cells.mean_cols[name])}{summary_row}")
            ws.write_formula(r, 5 + k, mean_ref, fmt["score"], _tie_cache(pick.result, name, value))
        col = 5 + len(rule.tie_break)
        ws.write_string(r, col, "★" if pick.chosen else "", fmt["star"])
        ws.write_string(r, col + 1, pick.note, fmt["text"])
    page(ws, (0, F_HEADER - 1))
