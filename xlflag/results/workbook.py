"""Step 5: the results workbook — live formulas with xlflag's own numbers cached in them.

Sheets: 汇总 (formulas over 数据), 公示 (what may be posted), the award sheets (流动红旗,
模范星, 党员之星, see ``award_sheets``), 数据 / 授旗数据 (anonymised ratings), 参数 (weights
and star bands the formulas read), 回收情况, 问题清单, 文件清单.
"""
from __future__ import annotations

from pathlib import Path

from ..core import formulas as F
from ..core.model import BRANCH_TARGET, MEMBER_TARGET, Scheme
from ..core.problems import Problem
from ..core.scoring import MemberResult, Rating
from ..core.values import number_text
from ..edge.files import atomic_path, new_workbook
from ..edge.sheetkit import formats, page, table_head, titled
from ..ingest.returns import LedgerEntry
from ..ingest.store import LEDGER_COLUMNS
from ..ingest.tracking import SlotStatus
from . import award_sheets as awards_sheets
from .adjust_sheets import write_adjusted
from .columns import (
    SUMMARY,
    ParamCells,
    blank_or,
    group_headers,
    total_formula,
    write_group_columns,
)
from .inputs import ResultsInput, SummaryCells

PUBLIC, DATA, FLAG_DATA, PARAMS = "公示", "数据", "授旗数据", "参数"
TRACKING, PROBLEMS, LEDGER = "回收情况", "问题清单", "文件清单"
HEADER_ROW = 3  # 1-based header row of 汇总 and the ranked sheets; data start below

# 数据 / 授旗数据: fixed columns, then category subtotals, then one column per item.
DATA_COLUMNS = ("支部", "评价主体", "评价人", "被评编号", "被评名称", "指标体系", "满意度", "合计")
D_GROUP, D_RATEE, D_ANSWER, D_TOTAL, D_FIRST = 2, 4, 7, 8, 9


def write_results(data: ResultsInput, target: Path) -> Path:
    scheme = data.scheme
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, title=_title(scheme))
        fmt = formats(wb)
        summary = wb.add_worksheet(SUMMARY)
        public = wb.add_worksheet(PUBLIC)
        award_sheets = awards_sheets.add_sheets(wb, data)
        if data.adjusted is not None and data.adjusted.records:
            write_adjusted(wb, fmt, scheme, data.adjusted)
        params = _write_params(wb.add_worksheet(PARAMS), fmt, scheme)
        member_ratings = [r for r in data.ratings if r.group in {g.code for g in scheme.member_groups}]
        ranges = write_data(wb.add_worksheet(DATA), fmt, scheme, member_ratings, MEMBER_TARGET)
        cells = _write_summary(summary, fmt, data, ranges, params)
        _write_public(public, fmt, data, cells)
        if scheme.flag:
            flag_ratings = [r for r in data.ratings if r.group in {g.code for g in scheme.flag_groups}]
            flag_ranges = write_data(wb.add_worksheet(FLAG_DATA), fmt, scheme, flag_ratings, BRANCH_TARGET)
            awards_sheets.write_flag(award_sheets, fmt, data, flag_ranges, params)
        awards_sheets.write_member_awards(award_sheets, fmt, data, ranges, params, cells)
        _write_tracking(wb.add_worksheet(TRACKING), fmt, data.status)
        _write_problems(wb.add_worksheet(PROBLEMS), fmt, data.problems)
        _write_ledger(wb.add_worksheet(LEDGER), fmt, data.ledger)
        summary.activate()
        wb.close()
    return Path(target)


def _title(scheme: Scheme) -> str:
    return f"{scheme.settings.organisation}{scheme.settings.period_label}党员授旗评星综合测评表"


# -- 参数 --------------------------------------------------------------------------------

def _write_params(ws, fmt, scheme: Scheme) -> ParamCells:
    ws.write(0, 0, "评价主体及权重", fmt["head"])
    table_head(ws, fmt, 1, ("对象", "代码", "评价主体", "权重(%)"), (10, 10, 14, 10))
    weights = {}
    groups = scheme.member_groups + scheme.flag_groups
    for r, group in enumerate(groups, start=2):
        ws.write_row(r, 0, (group.target, group.code, group.name), fmt["text"])
        ws.write_number(r, 3, float(group.weight), fmt["center"])
        weights[group.code] = f"'{PARAMS}'!$D${r + 1}"
    top = len(groups) + 4
    ws.write(top - 1, 0, "星级标准（下限含，上限不含）", fmt["head"])
    ws.write_row(top, 0, ("星级", "下限", "上限"), fmt["head"])
    for r, band in enumerate(scheme.bands, start=top + 1):  # ascending lows, as LOOKUP needs
        ws.write_number(r, 0, band.stars, fmt["center"])
        ws.write_number(r, 1, float(band.low), fmt["center"])
        ws.write_number(r, 2, float(band.high), fmt["center"])
    first, last = top + 2, top + 1 + len(scheme.bands)
    rule = "是" if scheme.settings.top_star_needs_outstanding else "否"
    ws.write(last + 1, 0, f"最高星级需“突出表现”标记：{rule}", fmt["note"])
    return ParamCells(weights, f"'{PARAMS}'!$B${first}:$B${last}", f"'{PARAMS}'!$A${first}:$A${last}")


# -- 数据 and 授旗数据 ---------------------------------------------------------------------

def _sets_for(scheme: Scheme, target: str) -> list[str]:
    if target == BRANCH_TARGET:
        return [scheme.flag.set_name]
    return list(dict.fromkeys(m.criteria_set for m in scheme.members))


def write_data(ws, fmt, scheme: Scheme, ratings: list[Rating], target: str) -> F.DataRanges:
    """One row per rater per person (or branch) rated; category subtotals and the total as SUMs."""
    sets = _sets_for(scheme, target)
    items = [i for s in sets for i in scheme.items_of(s)]
    categories = [(s, c) for s in sets for c in scheme.categories_of(s)]
    cat_cols = {key: D_FIRST + n for n, key in enumerate(categories)}
    item_cols = {(i.set_name, i.code): D_FIRST + len(categories) + n for n, i in enumerate(items)}
    prefix = len(sets) > 1
    headers = DATA_COLUMNS + tuple(f"{s}{c}小计" if prefix else f"{c}小计" for s, c in categories)
    headers += tuple(f"{i.set_name}{i.code}" if prefix else i.code for i in items)
    table_head(ws, fmt, 0, headers, (14, 10, 10, 10, 12, 10, 8, 8) + (9,) * len(categories) + (6,) * len(items))
    names = {g.code: g.name for g in scheme.groups}
    for r, rating in enumerate(ratings, start=1):
        set_name, (ratee_id, ratee_name, branch) = _ratee(scheme, rating, target)
        row = (branch, names[rating.group], rating.rater, ratee_id, ratee_name, set_name, rating.answer)
        for c, value in enumerate(row):
            ws.write_string(r, c, value, fmt["text"])
        cols = {code: item_cols[(set_name, code)] for code, _ in rating.scores}
        for code, score in rating.scores:
            ws.write_number(r, cols[code] - 1, float(score), fmt["center"])
        ws.write_formula(r, D_TOTAL - 1, F.row_sum(r + 1, min(cols.values()), max(cols.values())), fmt["center"], float(rating.total))
        for category in scheme.categories_of(set_name):
            codes = [i.code for i in scheme.items_of(set_name) if i.category == category]
            span = [cols[c] for c in codes]
            subtotal = float(rating.subtotal(frozenset(codes)))
            ws.write_formula(r, cat_cols[(set_name, category)] - 1, F.row_sum(r + 1, min(span), max(span)), fmt["center"], subtotal)
    ws.autofilter(0, 0, max(len(ratings), 1), len(headers) - 1)
    page(ws, (0, 0))
    return F.DataRanges(ws.get_name(), D_GROUP, D_RATEE, D_TOTAL, 2, len(ratings) + 1, D_ANSWER, cat_cols)


def _ratee(scheme: Scheme, rating: Rating, target: str):
    """(criteria set, (编号, 名称, 支部)) of whoever a rating is about."""
    if target == BRANCH_TARGET:
        return scheme.flag.set_name, (scheme.branch_code(rating.ratee), rating.ratee, rating.ratee)
    member = scheme.member(rating.ratee)
    return member.criteria_set, (member.member_id, member.name, member.branch)


# -- 汇总 --------------------------------------------------------------------------------

def _write_summary(ws, fmt, data: ResultsInput, ranges: F.DataRanges, params: ParamCells) -> SummaryCells:
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
        _summary_row(ws, fmt, scheme, result, n, row, ranges, params, total_col)
    page(ws, (0, HEADER_ROW - 1))
    mean_cols = {g.name: 7 + 2 * k for k, g in enumerate(groups)}
    return SummaryCells(rows, 4, 2, total_col, total_col + 2 if with_stars else None, mean_cols)


def _rule_note(scheme: Scheme) -> str:
    weights = "、".join(f"{g.name}{number_text(g.weight)}%" for g in scheme.member_groups)
    note = f"计分规则：各评价主体取评价人平均分，按{weights}加权，综合得分保留两位小数"
    if scheme.bands:
        note += "后对照星级标准定星"
        if scheme.settings.top_star_needs_outstanding:
            note += "；综合得分达最高星级但无“突出表现”标记者降一星"
    return note + "。"


def _summary_row(ws, fmt, scheme, result: MemberResult, n, row, ranges, params: ParamCells, total_col) -> None:
    r, m = row - 1, result.member
    ws.write_number(r, 0, n, fmt["center"])
    for c, value in enumerate((m.branch, m.member_id, m.name, "是" if m.outstanding else ""), start=1):
        ws.write_string(r, c, value, fmt["text"] if c < 4 else fmt["center"])
    mean_cells = write_group_columns(ws, fmt, row, 6, f"$C{row}", result.groups, ranges, params)
    total_cell = F.col_letter(total_col) + str(row)
    ws.write_formula(r, total_col - 1, total_formula(mean_cells, result.groups, params), fmt["score"], blank_or(result.total))
    note_col = total_col
    if scheme.bands:
        outstanding = f"$E{row}" if scheme.settings.top_star_needs_outstanding else None
        star_formula = F.star_level(total_cell, params.lows, params.stars, scheme.top_star, outstanding)
        ws.write_formula(r, total_col, star_formula, fmt["int"], blank_or(result.stars, int))
        glyphs = "" if result.stars is None else "★" * result.stars
        ws.write_formula(r, total_col + 1, F.star_glyphs(F.col_letter(total_col + 1) + str(row)), fmt["star"], glyphs)
        note_col = total_col + 2
    note = f"缺少：{'、'.join(result.missing)}" if result.missing else ""
    ws.write_string(r, note_col, note, fmt["text"])


# -- 公示 --------------------------------------------------------------------------------

def _write_public(ws, fmt, data: ResultsInput, cells: SummaryCells) -> None:
    """Names, totals, stars and named stars only: nothing that shows who rated whom."""
    with_stars = cells.glyph_col is not None
    earned = _earned_stars(data)
    headers = ("序号", "支部", "姓名", "综合得分") + (("星级",) if with_stars else ()) + (("模范星",) if earned else ())
    last = len(headers) - 1
    ws.merge_range(0, 0, 0, last, _title(data.scheme).replace("综合测评表", "结果公示"), fmt["public_title"])
    ws.set_row(0, 28)
    table_head(ws, fmt, 1, headers, (6, 22, 12, 10) + ((12,) if with_stars else ()) + ((60,) if earned else ()))
    for n, result in enumerate(data.members, start=1):
        r, row, m = n + 1, cells.rows[result.member.member_id], result.member
        ws.write_number(r, 0, n, fmt["center"])
        ws.write_formula(r, 1, F.ref(SUMMARY, F.col_letter(cells.branch_col) + str(row)), fmt["text"], m.branch)
        ws.write_formula(r, 2, F.ref(SUMMARY, F.col_letter(cells.name_col) + str(row)), fmt["center"], m.name)
        ws.write_formula(r, 3, F.ref(SUMMARY, F.col_letter(cells.total_col) + str(row)), fmt["score"], blank_or(result.total))
        if with_stars:
            glyphs = "" if result.stars is None else "★" * result.stars
            ws.write_formula(r, 4, F.ref(SUMMARY, F.col_letter(cells.glyph_col) + str(row)), fmt["star"], glyphs)
        if earned:  # decided by the 模范星 sheet's formulas; listed here by name
            ws.write_string(r, last, "、".join(earned.get(m.member_id, ())), fmt["text"])
    notice = len(data.members) + 3
    ws.merge_range(notice, 0, notice, last, "公示期不少于3天。如有异议，请在公示期内向党支部提出。", fmt["note"])
    page(ws, (1, 1), landscape=False)


def _earned_stars(data: ResultsInput) -> dict[str, list[str]]:
    earned: dict[str, list[str]] = {}
    for award in data.star_awards:
        if award.awarded:
            earned.setdefault(award.member.member_id, []).append(award.star.name)
    return earned if data.star_awards else {}


# -- 回收情况, 问题清单, 文件清单 ---------------------------------------------------------------

def _write_tracking(ws, fmt, status: list[SlotStatus]) -> None:
    """The same matrix ``xlflag status`` prints."""
    headers = ("支部", "评价主体", "应收", "已交", "已采用", "问题", "未采用", "待催收评价人")
    table_head(ws, fmt, 0, headers, (18, 12, 7, 7, 7, 7, 7, 50))
    for r, s in enumerate(status, start=1):
        ws.write_string(r, 0, s.branch, fmt["text"])
        ws.write_string(r, 1, s.group, fmt["text"])
        ws.write_row(r, 2, (s.expected, s.returned, s.accepted, s.problems, s.expected - s.accepted), fmt["center"])
        ws.write_string(r, 7, "、".join(s.missing), fmt["text"])
    page(ws, (0, 0))


def _write_problems(ws, fmt, problems: list[Problem]) -> None:
    headers = ("代码", "级别", "文件", "工作表", "单元格", "发现", "应为", "说明")
    table_head(ws, fmt, 0, headers, (26, 6, 36, 10, 10, 18, 18, 50))
    for r, problem in enumerate(problems, start=1):
        # write_string: a rater's "=1+1" must stay text, never become a formula
        for c, value in enumerate(problem.as_row().values()):
            ws.write_string(r, c, value, fmt["text"])
    ws.autofilter(0, 0, max(len(problems), 1), len(headers) - 1)
    page(ws, (0, 0))


def _write_ledger(ws, fmt, ledger: list[LedgerEntry]) -> None:
    """The same ledger as the evidence store's 台账.csv, column for column."""
    headers = tuple(heading for heading, _ in LEDGER_COLUMNS)
    table_head(ws, fmt, 0, headers, (40, 8, 18, 50, 24, 24, 18, 30, 20, 30, 30))
    for r, e in enumerate(ledger, start=1):
        for c, (_, attribute) in enumerate(LEDGER_COLUMNS):
            ws.write_string(r, c, str(getattr(e, attribute) or ""), fmt["text"])
    ws.autofilter(0, 0, max(len(ledger), 1), len(headers) - 1)
    page(ws, (0, 0))
