"""Step 2: write one protected, print-ready measurement workbook per planned form.

Cell positions come from ``layout``; which forms exist comes from ``formplan``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..core import layout as L
from ..core.formplan import PlannedForm, form_layout_of, plan_forms, ratee_labels
from ..core.identity import sign
from ..core.model import BRANCH_TARGET, Scheme
from ..core.values import blank_rule_text, expected_text, number_text
from ..edge import sheetkit
from ..scheme.read import SchemeError
from ..edge.files import atomic_path, new_workbook, safe_filename, within

DISPATCH_FILE = "发放清单.xlsx"


@dataclass(frozen=True)
class FormsWritten:
    forms: list[tuple[PlannedForm, Path]]
    dispatch: Path


def write_forms(scheme: Scheme, key: bytes, out: Path, protected: tuple[Path, ...] = ()) -> FormsWritten:
    """All forms under OUT/<branch>/<group>/<rater>.xlsx, plus the dispatch list.

    Every path is made from safe names and checked to lie inside OUT; none may be one of
    ``protected`` (the scheme, its key), so no roster name can make xlflag overwrite them.
    """
    out = Path(out)
    planned = plan_forms(scheme, key)
    files = dispatch_files(planned)
    targets = [(form, within(out, files[form.form_id])) for form in planned] + [(None, within(out, DISPATCH_FILE))]
    keep = {Path(p).resolve() for p in protected}
    clash = next((t for _, t in targets if t.resolve() in keep), None)
    if clash is not None:
        raise SchemeError(f"测评表将覆盖{clash}，未生成；请换一个输出文件夹")
    written = []
    for form, path in targets[:-1]:
        write_form(scheme, key, form, path)
        written.append((form, path))
    dispatch = targets[-1][1]
    write_dispatch(written, out, dispatch)
    return FormsWritten(written, dispatch)


def dispatch_files(planned: list[PlannedForm]) -> dict[str, str]:
    """form id → where its file goes under OUT: <支部 or 授旗>/<评价主体>/<评价人>.xlsx.

    发放清单 and 催收名单 both name files by this, so a reminder points at the file sent. A clash
    (two 张伟 in one branch, or one rater with two criteria sets) gets the rater id and set added.
    """
    folders = {f.form_id: f"{safe_filename(f.folder)}/{safe_filename(f.group_name)}" for f in planned}
    plain = {f.form_id: f"{folders[f.form_id]}/{safe_filename(f.rater_name)}" for f in planned}
    clashes = Counter(plain.values())
    files, taken = {}, Counter()
    for f in planned:
        path = plain[f.form_id]
        if clashes[path] > 1:
            path = f"{folders[f.form_id]}/{safe_filename(f'{f.rater_name}_{f.identity.rater}_{f.identity.criteria_set}')}"
        taken[path.casefold()] += 1  # names that differ only in case, or became equal when made safe
        if taken[path.casefold()] > 1:
            path += f"~{taken[path.casefold()]}"
        files[f.form_id] = path + ".xlsx"
    return files


def write_form(scheme: Scheme, key: bytes, form: PlannedForm, path: Path) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, title=_title(scheme, form), comments=form.identity.code)
        fmt = _formats(wb)
        _write_sheet(wb, fmt, scheme, form)
        _write_guide(wb, fmt, scheme, form)
        _write_identity(wb, key, form)
        wb.set_custom_property("xlflag_form_code", form.identity.code)
        wb.close()


def _formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter", "border": 1}
    return {
        "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"}),
        "info": wb.add_format({"font_name": "宋体", "font_size": 11, "valign": "vcenter"}),
        "note": wb.add_format({"font_name": "宋体", "font_size": 10, "text_wrap": True, "valign": "top", "font_color": "#C00000"}),
        "head": wb.add_format(base | {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}),
        "cell": wb.add_format(base | {"align": "center"}),
        "name": wb.add_format(base | {"align": "center"}),
        "score": wb.add_format(base | {"align": "center", "locked": False, "bg_color": "#FFF2CC"}),
        "sum": wb.add_format(base | {"align": "center", "bold": True, "bg_color": "#F2F2F2"}),
        "text": wb.add_format(base | {"text_wrap": True}),
    }


def _title(scheme: Scheme, form: PlannedForm) -> str:
    s = scheme.settings
    if form.identity.target == BRANCH_TARGET:
        return f"{s.organisation}{s.period_label}“{scheme.flag.flag_name}”授旗测评表（{form.group_name}）"
    return f"{s.organisation}{s.period_label}党员授旗评星测评表（{form.group_name}）"


def instructions(scheme: Scheme, form: PlannedForm) -> str:
    """The rules as the rater reads them; the same rules ingest applies (values.expected_text)."""
    step = scheme.settings.step
    rule = "每项填写0至该项满分的整数" if step == 1 else f"每项填写0至该项满分之间、以{number_text(step)}分为单位的分数"
    who = "每个支部" if form.identity.target == BRANCH_TARGET else "每位被评人"
    answer = f"，并在“满意度”栏选择{'、'.join(scheme.flag.answers)}之一" if form.asks_answer else ""
    return (
        f"填写说明：请在浅黄色单元格中为{who}逐项打分，{rule}{answer}；"
        f"{blank_rule_text(scheme.settings.blank_policy)}，请勿增删行列或改动名称；填好后保存并按原文件交回。"
    )


def _write_sheet(wb, fmt, scheme: Scheme, form: PlannedForm) -> None:
    ws = wb.add_worksheet(L.FORM_SHEET)
    lay = form_layout_of(scheme, form.identity)
    last = lay.last_col - 1  # xlsxwriter is 0-based
    ident = form.identity
    ws.merge_range(L.TITLE_ROW - 1, 0, L.TITLE_ROW - 1, last, _title(scheme, form), fmt["title"])
    info = f"支部：{ident.branch}　　评价主体：{form.group_name}　　评价人：{form.rater_name}　　表单编号：{ident.code}"
    ws.merge_range(L.INFO_ROW - 1, 0, L.INFO_ROW - 1, last, info, fmt["info"])
    ws.merge_range(L.NOTE_ROW - 1, 0, L.NOTE_ROW - 1, last, instructions(scheme, form), fmt["note"])
    ws.set_row(L.TITLE_ROW - 1, 30)
    ws.set_row(L.NOTE_ROW - 1, 32)
    ws.set_row(L.HEADER_ROW - 1, 36)
    _write_header(ws, fmt, lay, "支部" if ident.target == BRANCH_TARGET else "被评人")
    for n, labels in enumerate(ratee_labels(scheme, ident)):
        _write_ratee_row(ws, fmt, lay, L.FIRST_DATA_ROW + n, n + 1, labels)
    _set_widths(ws, lay)
    _validate(ws, scheme, lay, len(ident.ratees))
    if lay.answer_col:
        _validate_answers(ws, scheme.flag.answers, lay.answer_col, len(ident.ratees))
    _print_setup(ws, lay, len(ident.ratees), ident.code)
    ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True, "format_columns": True, "format_rows": True})
    ws.activate()


def _write_header(ws, fmt, lay: L.FormLayout, ratee_heading: str) -> None:
    for col, text in ((L.SEQ_COL, "序号"), (L.ID_COL, "编号"), (L.NAME_COL, ratee_heading)):
        ws.merge_range(L.CATEGORY_ROW - 1, col - 1, L.HEADER_ROW - 1, col - 1, text, fmt["head"])
    for category, cat_items in lay.category_items.items():
        first = lay.item_cols[cat_items[0].code] - 1
        points = sum(i.maximum for i in cat_items)
        ws.merge_range(L.CATEGORY_ROW - 1, first, L.CATEGORY_ROW - 1, lay.subtotal_cols[category] - 1, f"{category}（{points}分）", fmt["head"])
        for item in cat_items:
            ws.write(L.HEADER_ROW - 1, lay.item_cols[item.code] - 1, f"{item.code}\n({item.maximum}分)", fmt["head"])
        ws.write(L.HEADER_ROW - 1, lay.subtotal_cols[category] - 1, "小计", fmt["head"])
    total = sum(i.maximum for items in lay.category_items.values() for i in items)
    ws.merge_range(L.CATEGORY_ROW - 1, lay.total_col - 1, L.HEADER_ROW - 1, lay.total_col - 1, f"合计\n({total}分)", fmt["head"])
    if lay.answer_col:
        ws.merge_range(L.CATEGORY_ROW - 1, lay.answer_col - 1, L.HEADER_ROW - 1, lay.answer_col - 1, "满意度", fmt["head"])


def _write_ratee_row(ws, fmt, lay: L.FormLayout, row: int, seq: int, labels: tuple[str, str]) -> None:
    r = row - 1
    ws.set_row(r, 22)  # room to write by hand on a printed copy
    ws.write_number(r, L.SEQ_COL - 1, seq, fmt["cell"])
    ws.write_string(r, L.ID_COL - 1, labels[0], fmt["cell"])
    ws.write_string(r, L.NAME_COL - 1, labels[1], fmt["name"])
    if lay.answer_col:
        ws.write_blank(r, lay.answer_col - 1, None, fmt["score"])
    for category, cat_items in lay.category_items.items():
        for item in cat_items:
            ws.write_blank(r, lay.item_cols[item.code] - 1, None, fmt["score"])
        first = L.cell_name(row, lay.item_cols[cat_items[0].code])
        last = L.cell_name(row, lay.item_cols[cat_items[-1].code])
        # blank until something is typed, so an untouched form prints clean
        ws.write_formula(r, lay.subtotal_cols[category] - 1, f'=IF(COUNT({first}:{last})=0,"",SUM({first}:{last}))', fmt["sum"], "")
    subtotals = ",".join(L.cell_name(row, c) for c in lay.subtotal_cols.values())
    ws.write_formula(r, lay.total_col - 1, f'=IF(COUNT({subtotals})=0,"",SUM({subtotals}))', fmt["sum"], "")


def _set_widths(ws, lay: L.FormLayout) -> None:
    ws.set_column(L.SEQ_COL - 1, L.SEQ_COL - 1, 5)
    ws.set_column(L.ID_COL - 1, L.ID_COL - 1, 9)
    ws.set_column(L.NAME_COL - 1, L.NAME_COL - 1, 10)
    ws.set_column(L.FIRST_ITEM_COL - 1, lay.total_col - 2, 6.5)
    ws.set_column(lay.total_col - 1, lay.total_col - 1, 8)
    if lay.answer_col:
        ws.set_column(lay.answer_col - 1, lay.answer_col - 1, 11)


def _validate(ws, scheme: Scheme, lay: L.FormLayout, n_ratees: int) -> None:
    step = scheme.settings.step
    first, last = L.FIRST_DATA_ROW - 1, L.FIRST_DATA_ROW + n_ratees - 2
    for items in lay.category_items.values():
        for item in items:
            rule = expected_text(item.maximum, step)
            col = lay.item_cols[item.code] - 1
            ws.data_validation(first, col, last, col, {
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


def _validate_answers(ws, answers: tuple[str, ...], col: int, n_ratees: int) -> None:
    first, last = L.FIRST_DATA_ROW - 1, L.FIRST_DATA_ROW + n_ratees - 2
    ws.data_validation(first, col - 1, last, col - 1, {
        "validate": "list",
        "source": list(answers),
        "input_title": "满意度",
        "input_message": "请从下拉列表选择：" + "、".join(answers),
        "error_title": "满意度无效",
        "error_message": "请选择：" + "、".join(answers),
    })


def _print_setup(ws, lay: L.FormLayout, n_ratees: int, code: str) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(L.CATEGORY_ROW - 1, L.HEADER_ROW - 1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer(f"&L表单编号 {code}&R第&P页 共&N页")
    ws.print_area(0, 0, L.FIRST_DATA_ROW + n_ratees - 2, lay.last_col - 1)
    ws.freeze_panes(L.FIRST_DATA_ROW - 1, L.FIRST_ITEM_COL - 1)


def _write_guide(wb, fmt, scheme: Scheme, form: PlannedForm) -> None:
    ws = wb.add_worksheet(L.GUIDE_SHEET)
    for col, text in enumerate(("类别", "项目编号", "项目内容", "满分")):
        ws.write(0, col, text, fmt["head"])
    for r, item in enumerate(scheme.items_of(form.identity.criteria_set), start=1):
        ws.write_string(r, 0, item.category, fmt["text"])
        ws.write_string(r, 1, item.code, fmt["cell"])
        ws.write_string(r, 2, item.text, fmt["text"])
        ws.write_number(r, 3, item.maximum, fmt["cell"])
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 9)
    ws.set_column(2, 2, 80)
    ws.set_column(3, 3, 6)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.protect()


def _write_identity(wb, key: bytes, form: PlannedForm) -> None:
    ws = wb.add_worksheet(L.IDENTITY_SHEET)
    text = form.identity.to_json()
    ws.write_string(0, 0, text)
    ws.write_string(1, 0, sign(key, text))
    ws.very_hidden()
    ws.protect()


def write_dispatch(written: list[tuple[PlannedForm, Path]], out: Path, target: Path) -> None:
    """Who gets which file: columns a mail merge can use directly."""
    headers = ("序号", "支部", "评价主体", "评价人", "表单编号", "文件", "邮箱", "发出日期", "备注")
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, title="发放清单")
        fmt = sheetkit.formats(wb)
        ws = wb.add_worksheet("发放清单")
        sheetkit.table_head(ws, fmt, 0, headers, (6, 16, 16, 16, 16, 40, 16, 16, 16))
        for r, (form, path) in enumerate(written, start=1):
            rel = str(path.relative_to(out))
            ws.write_number(r, 0, r, fmt["center"])
            for c, value in enumerate((form.folder, form.group_name, form.rater_name, form.identity.code, rel), start=1):
                ws.write_string(r, c, value, fmt["text"])
        ws.autofilter(0, 0, len(written), len(headers) - 1)
        sheetkit.page(ws, (0, 0))
        wb.close()
