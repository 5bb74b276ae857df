"""The 测评表 sheet of one form, drawn cell by cell from its layout (core/layout.py).

Nothing here decides a position: every row and column comes from ``FormLayout``, so the
sheet ingest reads back is the sheet written here. Writing is deterministic (same scheme,
same form → same cells), which lets a fast writer patch a per-layout template instead.
"""
from __future__ import annotations

from ..core import layout as L
from ..core.formplan import PlannedForm, form_layout_of, ratee_labels
from ..core.model import BRANCH_TARGET, Scheme
from ..core.textfit import row_height, width_pt
from ..core.values import expected_text


def formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": L.BODY_PT, "valign": "vcenter", "border": 1}
    head = base | {"font_size": L.HEADER_PT, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}
    return {
        "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center",
                                "valign": "vcenter", "text_wrap": True}),
        "info": wb.add_format({"font_name": "宋体", "font_size": L.BODY_PT, "valign": "vcenter", "text_wrap": True}),
        "note": wb.add_format({"font_name": "宋体", "font_size": L.LEGEND_PT, "text_wrap": True, "valign": "top",
                               "font_color": "#C00000"}),
        "head": wb.add_format(head),
        "cell": wb.add_format(base | {"align": "center", "text_wrap": True}),
        "score": wb.add_format(base | {"align": "center", "locked": False, "bg_color": "#FFF2CC"}),
        "sum": wb.add_format(base | {"align": "center", "bold": True, "bg_color": "#F2F2F2"}),
        "text": wb.add_format(base | {"text_wrap": True}),
        "legend": wb.add_format({"font_name": "宋体", "font_size": L.LEGEND_PT, "text_wrap": True, "valign": "top"}),
        "legend_head": wb.add_format({"font_name": "黑体", "font_size": L.LEGEND_PT, "bold": True, "valign": "vcenter"}),
    }


def info_line(scheme: Scheme, form: PlannedForm) -> str:
    """支部 (where the form has one), 评价主体, 评价人, 表单编号: what the rater checks first."""
    ident = form.identity
    parts = [f"支部：{ident.branch}"] if ident.branch else []
    parts += [f"评价主体：{form.group_name}", f"评价人：{form.rater_name}", f"表单编号：{ident.code}"]
    return "　　".join(parts)


def info_height(scheme: Scheme, form: PlannedForm, lay=None) -> float:
    """The info row's height: its text (branch, rater, code) wrapped across the printed width."""
    lay = lay or form_layout_of(scheme, form.identity)
    page_pt = sum(width_pt(w) for w in lay.col_widths)
    return row_height([(info_line(scheme, form), page_pt)], L.BODY_PT, least=20)


def write_form_sheet(wb, fmt, scheme: Scheme, form: PlannedForm, title: str, note: str) -> None:
    ws = wb.add_worksheet(L.FORM_SHEET)
    lay = form_layout_of(scheme, form.identity)
    for col, width in enumerate(lay.col_widths):
        ws.set_column(col, col, width)
    last = lay.last_col - 1  # xlsxwriter is 0-based
    page_pt = sum(width_pt(w) for w in lay.col_widths)
    ws.merge_range(L.TITLE_ROW - 1, 0, L.TITLE_ROW - 1, last, title, fmt["title"])
    ws.merge_range(L.INFO_ROW - 1, 0, L.INFO_ROW - 1, last, info_line(scheme, form), fmt["info"])
    ws.merge_range(L.NOTE_ROW - 1, 0, L.NOTE_ROW - 1, last, note, fmt["note"])
    ws.set_row(L.TITLE_ROW - 1, row_height([(title, page_pt)], 16, least=26))
    ws.set_row(L.INFO_ROW - 1, info_height(scheme, form, lay))
    ws.set_row(L.NOTE_ROW - 1, row_height([(note, page_pt)], L.LEGEND_PT, least=20))
    for row, height in lay.row_heights.items():
        ws.set_row(row - 1, height)
    labels = ratee_labels(scheme, form.identity)
    heading = "支部" if form.identity.target == BRANCH_TARGET else "被评人"
    if lay.by_rows:
        _people_as_rows(ws, fmt, lay, labels, heading)
    else:
        _items_as_rows(ws, fmt, lay, labels, heading)
    for line in lay.legend:
        look = fmt["legend_head" if line.heading else "legend"]
        ws.merge_range(line.row - 1, line.first_col - 1, line.row - 1, line.last_col - 1, line.text, look)
    for row, height in lay.legend_heights().items():
        ws.set_row(row - 1, height)
    _validate(ws, scheme, lay)
    if lay.answer_pos:
        _validate_answers(ws, scheme.flag.answers, lay)
    _print_setup(ws, lay, form.identity.code)
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True, "format_rows": True})
    ws.activate()


def _people_as_rows(ws, fmt, lay: L.FormLayout, labels, heading: str) -> None:
    for col, text in ((L.SEQ_COL, "序号"), (L.ID_COL, "编号"), (L.NAME_COL, heading)):
        ws.merge_range(L.CATEGORY_ROW - 1, col - 1, L.HEADER_ROW - 1, col - 1, text, fmt["head"])
    for category, cat_items in lay.category_items.items():
        first = lay.item_pos[cat_items[0].code] - 1
        points = sum(i.maximum for i in cat_items)
        last = lay.subtotal_pos.get(category, lay.item_pos[cat_items[-1].code]) - 1
        if last > first:
            ws.merge_range(L.CATEGORY_ROW - 1, first, L.CATEGORY_ROW - 1, last, f"{category}（{points}分）", fmt["head"])
        else:
            ws.write(L.CATEGORY_ROW - 1, first, f"{category}（{points}分）", fmt["head"])
        for item in cat_items:
            ws.write(L.HEADER_ROW - 1, lay.item_pos[item.code] - 1, L.item_heading(item), fmt["head"])
        if category in lay.subtotal_pos:
            ws.write(L.HEADER_ROW - 1, lay.subtotal_pos[category] - 1, "小计", fmt["head"])
    total = sum(i.maximum for i in lay.items)
    ws.merge_range(L.CATEGORY_ROW - 1, lay.total_pos - 1, L.HEADER_ROW - 1, lay.total_pos - 1, f"合计\n{total}分", fmt["head"])
    if lay.answer_pos:
        ws.merge_range(L.CATEGORY_ROW - 1, lay.answer_pos - 1, L.HEADER_ROW - 1, lay.answer_pos - 1, "满意度", fmt["head"])
    for n, (code, name) in enumerate(labels):
        r = lay.ratee_row(n) - 1
        ws.write_number(r, L.SEQ_COL - 1, n + 1, fmt["cell"])
        ws.write_string(r, L.ID_COL - 1, code, fmt["cell"])
        ws.write_string(r, L.NAME_COL - 1, name, fmt["cell"])
        _write_scores(ws, fmt, lay, n)


def _items_as_rows(ws, fmt, lay: L.FormLayout, labels, heading: str) -> None:
    for col, text in ((L.CATEGORY_COL, "类别"), (L.CODE_COL, "编号"), (L.TEXT_COL, "测评内容"), (L.MAX_COL, "满分")):
        ws.merge_range(L.CATEGORY_ROW - 1, col - 1, L.HEADER_ROW - 1, col - 1, text, fmt["head"])
    for n, (code, name) in enumerate(labels):
        (id_row, col), (name_row, _) = lay.ratee_cells(n)
        ws.write_string(id_row - 1, col - 1, code, fmt["head"])
        ws.write_string(name_row - 1, col - 1, name, fmt["head"])
    for category, cat_items in lay.category_items.items():
        first, last = lay.item_pos[cat_items[0].code] - 1, lay.item_pos[cat_items[-1].code] - 1
        if first == last:
            ws.write_string(first, L.CATEGORY_COL - 1, category, fmt["cell"])
        else:
            ws.merge_range(first, L.CATEGORY_COL - 1, last, L.CATEGORY_COL - 1, category, fmt["cell"])
        for item in cat_items:
            r = lay.item_pos[item.code] - 1
            ws.write_string(r, L.CODE_COL - 1, item.code, fmt["cell"])
            ws.write_string(r, L.TEXT_COL - 1, item.text, fmt["text"])
            ws.write_number(r, L.MAX_COL - 1, item.maximum, fmt["cell"])
        r = lay.subtotal_pos[category] - 1
        ws.merge_range(r, 0, r, L.TEXT_COL - 1, f"{category} 小计", fmt["sum"])
        ws.write_number(r, L.MAX_COL - 1, sum(i.maximum for i in cat_items), fmt["sum"])
    r = lay.total_pos - 1
    ws.merge_range(r, 0, r, L.TEXT_COL - 1, "合计", fmt["sum"])
    ws.write_number(r, L.MAX_COL - 1, sum(i.maximum for i in lay.items), fmt["sum"])
    if lay.answer_pos:
        r = lay.answer_pos - 1
        ws.merge_range(r, 0, r, L.MAX_COL - 1, f"满意度（对本{heading}的总体评价）", fmt["text"])
    for n in range(len(labels)):
        _write_scores(ws, fmt, lay, n)


def _write_scores(ws, fmt, lay: L.FormLayout, n: int) -> None:
    """Open score cells for ratee ``n``, each category's 小计 and the 合计 as formulas."""
    answer = lay.answer_cell(n)
    if answer:
        ws.write_blank(answer[0] - 1, answer[1] - 1, None, fmt["score"])
    spans = []
    for category, cat_items in lay.category_items.items():
        for item in cat_items:
            r, c = lay.score_cell(n, item.code)
            ws.write_blank(r - 1, c - 1, None, fmt["score"])
        span = f"{L.cell_name(*lay.score_cell(n, cat_items[0].code))}:{L.cell_name(*lay.score_cell(n, cat_items[-1].code))}"
        spans.append(span)
        if category in lay.subtotal_pos:
            r, c = lay.subtotal_cell(n, category)
            # blank until something is typed, so an untouched form prints clean
            ws.write_formula(r - 1, c - 1, f'=IF(COUNT({span})=0,"",SUM({span}))', fmt["sum"], "")
    subtotals = ",".join(L.cell_name(*lay.subtotal_cell(n, c)) for c in lay.subtotal_pos) or ",".join(spans)
    r, c = lay.total_cell(n)
    ws.write_formula(r - 1, c - 1, f'=IF(COUNT({subtotals})=0,"",SUM({subtotals}))', fmt["sum"], "")


def _ranges(lay: L.FormLayout, cells: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    rows, cols = [r for r, _ in cells], [c for _, c in cells]
    return min(rows) - 1, min(cols) - 1, max(rows) - 1, max(cols) - 1


def _blocks(lay: L.FormLayout) -> list[range]:
    """The ratees whose cells are contiguous: one block, or one per printed page."""
    return lay.ratee_blocks() if lay.by_rows else [range(lay.n_ratees)]


def _validate(ws, scheme: Scheme, lay: L.FormLayout) -> None:
    step = scheme.settings.step
    for item, block in ((item, block) for item in lay.items for block in _blocks(lay)):
        rule = expected_text(item.maximum, step)
        cells = [lay.score_cell(n, item.code) for n in block]
        ws.data_validation(*_ranges(lay, cells), {
            "validate": "integer" if step == 1 else "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": item.maximum,
            "input_title": f"项目{item.code}"[:32],
            "input_message": f"满分{item.maximum}分，请填写{rule}"[:255],
            "error_title": "分数无效",
            "error_message": f"项目{item.code}应填写{rule}，请重新输入。"[:255],
            "error_type": "stop",
        })


def _validate_answers(ws, answers: tuple[str, ...], lay: L.FormLayout) -> None:
    for block in _blocks(lay):
        _validate_answer_block(ws, answers, lay, block)


def _validate_answer_block(ws, answers: tuple[str, ...], lay: L.FormLayout, block: range) -> None:
    cells = [lay.answer_cell(n) for n in block]
    ws.data_validation(*_ranges(lay, cells), {
        "validate": "list",
        "source": list(answers),
        "input_title": "满意度",
        "input_message": "请从下拉列表选择：" + "、".join(answers),
        "error_title": "满意度无效",
        "error_message": "请选择：" + "、".join(answers),
    })


def _print_setup(ws, lay: L.FormLayout, code: str) -> None:
    if lay.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    if lay.page_breaks:  # pages of people, each with the legend: a scale, since "fit to" drops manual breaks
        ws.set_print_scale(int(round(lay.scale * 100)))
        ws.set_h_pagebreaks(list(lay.page_breaks))
    else:
        ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(L.CATEGORY_ROW - 1, L.HEADER_ROW - 1)
    ws.center_horizontally()
    ws.set_margins(left=L.MARGINS_IN[0], right=L.MARGINS_IN[1], top=L.MARGINS_TB_IN[0], bottom=L.MARGINS_TB_IN[1])
    ws.set_footer(f"&L表单编号 {code}&R第&P页 共&N页")
    ws.print_area(0, 0, lay.last_row - 1, lay.last_col - 1)
    if lay.by_rows:
        ws.freeze_panes(L.FIRST_DATA_ROW - 1, L.FIRST_ITEM_COL - 1)
    else:
        ws.freeze_panes(L.FIRST_DATA_ROW - 1, L.FIRST_RATEE_COL - 1)
