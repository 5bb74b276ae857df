"""Step 5: the results workbook — live formulas with xlflag's own numbers cached in them.

Sheets: 汇总 (formulas over 数据), 公示 (what may be posted), 数据 (anonymised ratings),
参数 (weights and star bands the formulas read), 回收情况, 问题清单, 文件清单.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import formulas as F
from .files import atomic_path, new_workbook
from .model import Item, Scheme
from .problems import Problem
from .returns import LedgerEntry
from .scoring import TOTAL_DECIMALS, MemberResult, Rating
from .tracking import SlotStatus
from .values import number_text

SUMMARY, PUBLIC, DATA, PARAMS = "汇总", "公示", "数据", "参数"
TRACKING, PROBLEMS, LEDGER = "回收情况", "问题清单", "文件清单"
SUMMARY_HEADER_ROW = 3  # 1-based; members start on the next row

# 数据 sheet: fixed columns, then one column per item of every criteria set.
DATA_COLUMNS = ("支部", "评价主体", "评价人", "被评人编号", "被评人姓名", "指标体系", "合计")
D_GROUP, D_RATEE, D_SET, D_TOTAL, D_FIRST_ITEM = 2, 4, 6, 7, 8


@dataclass(frozen=True)
class ResultsInput:
    scheme: Scheme
    members: list[MemberResult]
    ratings: list[Rating]
    status: list[SlotStatus]
    problems: list[Problem]
    ledger: list[LedgerEntry]


def write_results(data: ResultsInput, target: Path) -> Path:
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp)
        wb.set_properties({"title": _title(data.scheme), "author": "xlflag"})
        fmt = _formats(wb)
        summary = wb.add_worksheet(SUMMARY)
        public = wb.add_worksheet(PUBLIC)
        param_cells = _write_params(wb.add_worksheet(PARAMS), fmt, data.scheme)
        ranges = _write_data(wb.add_worksheet(DATA), fmt, data.scheme, data.ratings)
        cells = _write_summary(summary, fmt, data, ranges, param_cells)
        _write_public(public, fmt, data, cells)
        _write_tracking(wb.add_worksheet(TRACKING), fmt, data.status)
        _write_problems(wb.add_worksheet(PROBLEMS), fmt, data.problems)
        _write_ledger(wb.add_worksheet(LEDGER), fmt, data.ledger)
        summary.activate()
        wb.close()
    return Path(target)


def _title(scheme: Scheme) -> str:
    return f"{scheme.settings.organisation}{scheme.settings.period_label}党员授旗评星综合测评表"


def _formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 11, "border": 1, "valign": "vcenter"}
    return {
        "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center"}),
        "note": wb.add_format({"font_size": 10, "text_wrap": True, "valign": "top"}),
        "head": wb.add_format(base | {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}),
        "text": wb.add_format(base),
        "center": wb.add_format(base | {"align": "center"}),
        "int": wb.add_format(base | {"align": "center", "num_format": "0"}),
        "score": wb.add_format(base | {"align": "center", "num_format": "0.00"}),
        "star": wb.add_format(base | {"align": "center", "font_color": "#C00000"}),
    }


def _page(ws, header_rows: tuple[int, int], landscape: bool = True) -> None:
    """A4, one page wide, header rows repeated: what the office prints."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*header_rows)
    ws.set_footer("&C第&P页 共&N页")


def _table_head(ws, fmt, row: int, headers, widths) -> None:
    ws.write_row(row, 0, headers, fmt["head"])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(row + 1, 0)


# -- 参数 --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParamCells:
    weights: dict[str, str]  # group code → absolute cell
    lows: str
    stars: str


def _write_params(ws, fmt, scheme: Scheme) -> ParamCells:
    ws.write(0, 0, "评价主体及权重", fmt["head"])
    _table_head(ws, fmt, 1, ("代码", "评价主体", "权重(%)"), (14, 14, 10))
    weights = {}
    for r, group in enumerate(scheme.member_groups, start=2):
        ws.write_row(r, 0, (group.code, group.name), fmt["text"])
        ws.write_number(r, 2, float(group.weight), fmt["center"])
        weights[group.code] = f"'{PARAMS}'!$C${r + 1}"
    top = len(scheme.member_groups) + 4
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


# -- 数据 --------------------------------------------------------------------------------

def data_item_columns(scheme: Scheme) -> dict[tuple[str, str], int]:
    """(criteria set, item code) → column; sets stay contiguous so a row's total is one range."""
    return {(i.set_name, i.code): D_FIRST_ITEM + n for n, i in enumerate(scheme.items)}


def _item_header(scheme: Scheme, item: Item) -> str:
    single = len({i.set_name for i in scheme.items}) == 1
    return item.code if single else f"{item.set_name}{item.code}"


def _write_data(ws, fmt, scheme: Scheme, ratings: list[Rating]) -> F.DataRanges:
    columns = data_item_columns(scheme)
    headers = DATA_COLUMNS + tuple(_item_header(scheme, i) for i in scheme.items)
    _table_head(ws, fmt, 0, headers, (14, 10, 10, 10, 10, 10, 8) + (6,) * len(scheme.items))
    names = {g.code: g.name for g in scheme.groups}
    for r, rating in enumerate(ratings, start=1):
        member = scheme.member(rating.ratee)
        row = (rating.branch, names[rating.group], rating.rater, rating.ratee, member.name, member.criteria_set)
        ws.write_row(r, 0, row, fmt["text"])
        cols = [columns[(member.criteria_set, code)] for code, _ in rating.scores]
        for (code, score), col in zip(rating.scores, cols):
            ws.write_number(r, col - 1, float(score), fmt["center"])
        ws.write_formula(r, D_TOTAL - 1, F.row_sum(r + 1, min(cols), max(cols)), fmt["center"], float(rating.total))
    ws.autofilter(0, 0, max(len(ratings), 1), len(headers) - 1)
    _page(ws, (0, 0))
    return F.DataRanges(DATA, D_GROUP, D_RATEE, D_TOTAL, 2, len(ratings) + 1)


# -- 汇总 --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SummaryCells:
    """Per member row (1-based), the cells 公示 refers to."""

    rows: list[int]
    name_col: int
    branch_col: int
    total_col: int
    glyph_col: int


def _write_summary(ws, fmt, data: ResultsInput, ranges: F.DataRanges, params: ParamCells) -> SummaryCells:
    scheme = data.scheme
    groups = scheme.member_groups
    headers = ["序号", "支部", "编号", "姓名", "突出表现"]
    for g in groups:
        headers += [f"{g.name}\n人数", f"{g.name}\n平均分"]
    headers += ["综合得分", "星级", "星级评定", "备注"]
    widths = [5, 16, 9, 9, 7] + [7, 9] * len(groups) + [9, 6, 11, 24]
    last_col = len(headers) - 1
    ws.merge_range(0, 0, 0, last_col, _title(scheme), fmt["title"])
    ws.merge_range(1, 0, 1, last_col, _rule_note(scheme), fmt["note"])
    ws.set_row(1, 30)
    ws.set_row(SUMMARY_HEADER_ROW - 1, 32)
    _table_head(ws, fmt, SUMMARY_HEADER_ROW - 1, headers, widths)
    ws.freeze_panes(SUMMARY_HEADER_ROW, 4)
    total_col = 6 + 2 * len(groups)  # 1-based
    rows = []
    for n, result in enumerate(data.members, start=1):
        row = SUMMARY_HEADER_ROW + n
        rows.append(row)
        _summary_row(ws, fmt, scheme, result, n, row, ranges, params, total_col)
    _page(ws, (0, SUMMARY_HEADER_ROW - 1))
    return SummaryCells(rows, name_col=4, branch_col=2, total_col=total_col, glyph_col=total_col + 2)


def _rule_note(scheme: Scheme) -> str:
    weights = "、".join(f"{g.name}{number_text(g.weight)}%" for g in scheme.member_groups)
    rule = "；综合得分达最高星级但无“突出表现”标记者降一星" if scheme.settings.top_star_needs_outstanding else ""
    return f"计分规则：各评价主体取评价人平均分，按{weights}加权，综合得分保留两位小数后对照星级标准定星{rule}。"


def _summary_row(ws, fmt, scheme, result: MemberResult, n, row, ranges, params: ParamCells, total_col) -> None:
    r, m = row - 1, result.member
    ws.write_number(r, 0, n, fmt["center"])
    ws.write_row(r, 1, (m.branch, m.member_id, m.name), fmt["text"])
    ws.write(r, 4, "是" if m.outstanding else "", fmt["center"])
    id_cell = f"$C{row}"
    mean_cells, weight_cells = [], []
    for k, gs in enumerate(result.groups):
        count_col, mean_col = 6 + 2 * k, 7 + 2 * k
        count_cell = F.col_letter(count_col) + str(row)
        ws.write_formula(r, count_col - 1, F.rater_count(ranges, id_cell, gs.group.name), fmt["int"], gs.raters)
        mean = "" if gs.mean is None else float(gs.mean)
        ws.write_formula(r, mean_col - 1, F.group_mean(ranges, id_cell, gs.group.name, count_cell), fmt["score"], mean)
        mean_cells.append(F.col_letter(mean_col) + str(row))
        weight_cells.append(params.weights[gs.group.code])
    total_cell = F.col_letter(total_col) + str(row)
    total = "" if result.total is None else float(result.total)
    ws.write_formula(r, total_col - 1, F.weighted_total(mean_cells, weight_cells, TOTAL_DECIMALS), fmt["score"], total)
    outstanding = f"$E{row}" if scheme.settings.top_star_needs_outstanding else None
    stars = "" if result.stars is None else result.stars
    star_formula = F.star_level(total_cell, params.lows, params.stars, scheme.top_star, outstanding)
    ws.write_formula(r, total_col, star_formula, fmt["int"], stars)
    glyphs = "" if result.stars is None else "★" * result.stars
    ws.write_formula(r, total_col + 1, F.star_glyphs(F.col_letter(total_col + 1) + str(row)), fmt["star"], glyphs)
    note = f"缺少：{'、'.join(result.missing)}" if result.missing else ""
    ws.write(r, total_col + 2, note, fmt["text"])


# -- 公示 --------------------------------------------------------------------------------

def _write_public(ws, fmt, data: ResultsInput, cells: SummaryCells) -> None:
    """Names, totals and stars only: nothing that shows who rated whom."""
    ws.merge_range(0, 0, 0, 4, _title(data.scheme).replace("综合测评表", "评星结果公示"), fmt["title"])
    _table_head(ws, fmt, 1, ("序号", "支部", "姓名", "综合得分", "星级"), (6, 20, 12, 12, 14))
    for n, (row, result) in enumerate(zip(cells.rows, data.members), start=1):
        r = n + 1
        ws.write_number(r, 0, n, fmt["center"])
        ws.write_formula(r, 1, F.ref(SUMMARY, F.col_letter(cells.branch_col) + str(row)), fmt["text"], result.member.branch)
        ws.write_formula(r, 2, F.ref(SUMMARY, F.col_letter(cells.name_col) + str(row)), fmt["center"], result.member.name)
        total = "" if result.total is None else float(result.total)
        ws.write_formula(r, 3, F.ref(SUMMARY, F.col_letter(cells.total_col) + str(row)), fmt["score"], total)
        glyphs = "" if result.stars is None else "★" * result.stars
        ws.write_formula(r, 4, F.ref(SUMMARY, F.col_letter(cells.glyph_col) + str(row)), fmt["star"], glyphs)
    last = len(cells.rows) + 3
    ws.write(last, 0, "公示期不少于3天。如有异议，请在公示期内向党支部提出。", fmt["note"])
    _page(ws, (1, 1), landscape=False)


# -- 回收情况, 问题清单, 文件清单 ---------------------------------------------------------------

def _write_tracking(ws, fmt, status: list[SlotStatus]) -> None:
    _table_head(ws, fmt, 0, ("支部", "评价主体", "应收", "已收", "未收", "未收评价人"), (18, 12, 7, 7, 7, 50))
    for r, s in enumerate(status, start=1):
        ws.write_row(r, 0, (s.branch, s.group), fmt["text"])
        ws.write_row(r, 2, (s.expected, s.accepted, s.expected - s.accepted), fmt["center"])
        ws.write(r, 5, "、".join(s.missing), fmt["text"])
    _page(ws, (0, 0))


def _write_problems(ws, fmt, problems: list[Problem]) -> None:
    headers = ("代码", "级别", "文件", "工作表", "单元格", "发现", "应为", "说明")
    _table_head(ws, fmt, 0, headers, (26, 6, 36, 10, 10, 18, 18, 50))
    for r, problem in enumerate(problems, start=1):
        # write_string: a rater's "=1+1" must stay text, never become a formula
        for c, value in enumerate(problem.as_row().values()):
            ws.write_string(r, c, value, fmt["text"])
    ws.autofilter(0, 0, max(len(problems), 1), len(headers) - 1)
    _page(ws, (0, 0))


def _write_ledger(ws, fmt, ledger: list[LedgerEntry]) -> None:
    headers = ("文件", "状态", "表单编号", "说明", "SHA-256")
    _table_head(ws, fmt, 0, headers, (40, 8, 18, 50, 20))
    for r, e in enumerate(ledger, start=1):
        for c, value in enumerate((e.file, e.status, e.form_code, e.reason, e.sha256)):
            ws.write_string(r, c, value, fmt["text"])
    ws.autofilter(0, 0, max(len(ledger), 1), len(headers) - 1)
    _page(ws, (0, 0))
