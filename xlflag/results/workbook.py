"""Step 5: the results workbook — live formulas with xlflag's own numbers cached in them.

Sheets: 汇总 (formulas over 数据), the award sheets (流动红旗,
模范星, 党员之星, see ``award_sheets``), 数据 / 授旗数据 (per ratee and rater group: counts
and sums, see ``data``), 参数 (weights, star bands and the anonymity threshold the formulas
read), 回收情况 (counts only).

This workbook is what gets pasted and posted: it holds no rater's name, form id, form code,
file name or mail sender, and no per-rater row. Those are in the working papers (``papers``).
What is pinned up is 公示.xlsx (``publish.notice``), from the final results after the 调整 rows;
this workbook holds no second, different 公示.
"""
from __future__ import annotations

from pathlib import Path

from ..core import formulas as F
from ..core.ballots import trim_rule_text
from ..core.formplan import expected_raters
from ..core.model import BRANCH_TARGET, MEMBER_TARGET, SHORT_RESCALE, Scheme
from ..core.scoring import MemberResult, thresholds
from ..core.values import number_text
from ..edge.bulk import BulkSheet
from ..edge.files import atomic_path, new_workbook
from ..edge.sheetkit import formats, page, table_head, titled
from ..ingest.tracking import SlotStatus
from . import award_sheets as awards_sheets
from .adjust_sheets import write_adjusted
from .chart_sheet import write_charts
from .columns import (
    SUMMARY,
    ParamCells,
    blank_or,
    group_headers,
    short_rule,
    total_formula,
    write_group_columns,
)
from .data import DataRows, write_sums
from .inputs import ResultsInput, SummaryCells

DATA, FLAG_DATA, PARAMS = "数据", "授旗数据", "参数"
TRACKING = "回收情况"
HEADER_ROW = 3  # 1-based header row of 汇总 and the ranked sheets; data start below
# zlib level of the results' parts: a county's (112 MB of XML) deflate to 9.3 MiB in 1.6 s at level
# 5, to 9.2 MiB in 2.4 s at zlib's default 6 (and to 13.7 MiB in 0.7 s at 2: this file is mailed)
RESULTS_ZIP_LEVEL = 5


def write_results(data: ResultsInput, target: Path) -> Path:
    scheme = data.scheme
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, zip_level=RESULTS_ZIP_LEVEL, title=_title(scheme))
        fmt = formats(wb)
        summary = wb.add_worksheet(SUMMARY)
        award_sheets = awards_sheets.add_sheets(wb, data)
        if data.adjusted is not None and data.adjusted.records:
            write_adjusted(wb, fmt, scheme, data.adjusted)
        params = _write_params(wb.add_worksheet(PARAMS), fmt, scheme)
        expected = expected_raters(scheme)
        counts = (expected, thresholds(scheme, expected))
        rows = write_sums(wb.add_worksheet(DATA, BulkSheet), fmt, scheme, data.ratings_for(MEMBER_TARGET), MEMBER_TARGET, *counts)
        cells = _write_summary(summary, fmt, data, rows, params)
        if scheme.flag:
            flag_rows = write_sums(wb.add_worksheet(FLAG_DATA, BulkSheet), fmt, scheme, data.ratings_for(BRANCH_TARGET), BRANCH_TARGET, *counts)
            awards_sheets.write_flag(award_sheets, fmt, data, flag_rows, params)
        awards_sheets.write_member_awards(award_sheets, fmt, data, rows, params, cells)
        if data.adjusted is not None:
            write_charts(wb, fmt, scheme, data.adjusted, data.branches)
        _write_tracking(wb.add_worksheet(TRACKING), fmt, data.status)
        summary.activate()
        wb.close()
    return Path(target)


def _title(scheme: Scheme) -> str:
    return f"{scheme.settings.organisation}{scheme.settings.period_label}党员授旗评星综合测评表"


# -- 参数 --------------------------------------------------------------------------------

PARAMS_LOCKED = "参数已锁定：权重、星级标准等请在方案中修改后重新汇总。"


def _write_params(ws, fmt, scheme: Scheme) -> ParamCells:
    """The values the formulas read, locked: one truth, the scheme. Every derived column —
    formula or value (名次, 当选, ★, 模范星, 排序, the rule sentences) — was decided from these
    numbers, so they are changed in the scheme and consolidated again, never here."""
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
    ws.merge_range(0, 5, 2, 9, PARAMS_LOCKED, fmt["note"])
    ws.merge_range(0, 0, 0, 3, "评价主体及权重", fmt["head"])  # headings and notes span their table
    table_head(ws, fmt, 1, ("对象", "代码", "评价主体", "权重(%)"), (10, 10, 14, 10))
    weights = {}
    groups = scheme.member_groups + scheme.flag_groups
    for r, group in enumerate(groups, start=2):
        ws.write_row(r, 0, (group.target, group.code, group.name), fmt["text"])
        ws.write_number(r, 3, float(group.weight), fmt["center"])
        weights[group.code] = f"'{PARAMS}'!$D${r + 1}"
    top = len(groups) + 4
    ws.merge_range(top - 1, 0, top - 1, 2, "星级标准（下限含，上限不含）", fmt["head"])
    ws.write_row(top, 0, ("星级", "下限", "上限"), fmt["head"])
    for r, band in enumerate(scheme.bands, start=top + 1):  # ascending lows, as LOOKUP needs
        ws.write_number(r, 0, band.stars, fmt["center"])
        ws.write_number(r, 1, float(band.low), fmt["center"])
        ws.write_number(r, 2, float(band.high), fmt["center"])
    first, last = top + 2, top + 1 + len(scheme.bands)
    rule = "是" if scheme.settings.top_star_needs_outstanding else "否"
    ws.merge_range(last + 1, 0, last + 1, 3, f"最高星级需“突出表现”标记：{rule}", fmt["note"])
    ws.merge_range(last + 3, 0, last + 3, 1, "匿名门槛", fmt["head"])
    ws.write_row(last + 4, 0, ("评价人数门槛", scheme.settings.min_raters), fmt["text"])
    ws.write_row(last + 5, 0, ("不足门槛时", scheme.settings.short_policy), fmt["text"])
    ws.merge_range(last + 6, 0, last + 6, 3, short_rule(scheme) + "。", fmt["note"])
    page(ws, (0, 1), landscape=False)
    return ParamCells(weights, f"'{PARAMS}'!$B${first}:$B${last}", f"'{PARAMS}'!$A${first}:$A${last}")


# -- 汇总 --------------------------------------------------------------------------------

def _write_summary(ws, fmt, data: ResultsInput, data_rows: DataRows, params: ParamCells) -> SummaryCells:
    scheme = data.scheme
    groups = scheme.member_groups
    with_stars = bool(scheme.bands)
    g_heads, g_widths = group_headers(groups)
    headers = ["序号", "支部", "编号", "姓名", "突出表现", *g_heads, "综合得分"]
    widths = [5, 16, 9, 9, 7, *g_widths, 9]
    if with_stars:
        headers += ["星级", "星级评定"]
        widths += [6, 11]
    headers.append("备注")
    widths.append(24)
    titled(ws, fmt, _title(scheme), _rule_note(scheme), len(headers) - 1)
    ws.set_row(HEADER_ROW - 1, 32)
    table_head(ws, fmt, HEADER_ROW - 1, headers, widths)
    ws.freeze_panes(HEADER_ROW, 4)
    total_col = 6 + 2 * len(groups)  # 1-based
    rows = {}
    for n, result in enumerate(data.members, start=1):
        row = HEADER_ROW + n
        rows[result.member.member_id] = row
        _summary_row(ws, fmt, scheme, result, n, row, data_rows.of(result.member.member_id, groups), params, total_col)
    page(ws, (0, HEADER_ROW - 1), key_columns=4)
    mean_cols = {g.name: 7 + 2 * k for k, g in enumerate(groups)}
    return SummaryCells(rows, 4, 2, total_col, total_col + 2 if with_stars else None, mean_cols)


def _rule_note(scheme: Scheme) -> str:
    weights = "、".join(f"{g.name}{number_text(g.weight)}%" for g in scheme.member_groups)
    note = f"计分规则：各评价主体取评价人平均分，按{weights}加权，综合得分保留两位小数"
    if scheme.bands:
        note += "后对照星级标准定星"
        if scheme.settings.top_star_needs_outstanding:
            note += "；综合得分达最高星级但无“突出表现”标记者降一星"
    return note + "；" + short_rule(scheme) + "。" + trim_rule_text(scheme)


def _summary_row(ws, fmt, scheme, result: MemberResult, n, row, group_cells, params: ParamCells, total_col) -> None:
    r, m = row - 1, result.member
    ws.write_number(r, 0, n, fmt["center"])
    for c, value in enumerate((m.branch, m.member_id, m.name, "是" if m.outstanding else ""), start=1):
        ws.write_string(r, c, value, fmt["text"] if c < 4 else fmt["center"])
    mean_cells = write_group_columns(ws, fmt, row, 6, result.groups, group_cells)
    total_cell = F.col_letter(total_col) + str(row)
    rescale = scheme.settings.short_policy == SHORT_RESCALE
    formula = total_formula(mean_cells, result.groups, params, rescale)
    ws.write_formula(r, total_col - 1, formula, fmt["score"], blank_or(result.total))
    note_col = total_col
    if scheme.bands:
        outstanding = f"$E{row}" if scheme.settings.top_star_needs_outstanding else None
        star_formula = F.star_level(total_cell, params.lows, params.stars, scheme.top_star, outstanding)
        ws.write_formula(r, total_col, star_formula, fmt["int"], blank_or(result.stars, int))
        glyphs = "" if result.stars is None else "★" * result.stars
        ws.write_formula(r, total_col + 1, F.star_glyphs(F.col_letter(total_col + 1) + str(row)), fmt["star"], glyphs)
        note_col = total_col + 2
    ws.write_string(r, note_col, short_note(result.groups, result.total), fmt["text"])


def short_note(groups, total) -> str:
    """备注: which groups are not counted, and whether the others' weights were rescaled."""
    left_out = [f"{g.group.name}{g.short_text}" for g in groups if g.mean is None]
    if not left_out:
        return ""
    return f"未计入：{'、'.join(left_out)}" + ("；权重已按其余评价主体折算" if total is not None else "")


# -- 回收情况 ---------------------------------------------------------------------------------

def _write_tracking(ws, fmt, status: list[SlotStatus]) -> None:
    """How many forms came back per branch and rater group; who still owes one is only in the
    working papers and the 催收名单."""
    headers = ("支部", "评价主体", "应收", "已交", "已采用", "问题", "未采用")
    table_head(ws, fmt, 0, headers, (18, 12, 7, 7, 7, 7, 7))
    for r, s in enumerate(status, start=1):
        ws.write_string(r, 0, s.branch, fmt["text"])
        ws.write_string(r, 1, s.group, fmt["text"])
        ws.write_row(r, 2, (s.expected, s.returned, s.accepted, s.problems, s.expected - s.accepted), fmt["center"])
    page(ws, (0, 0))
