"""Step 2: write one protected, print-ready measurement workbook per planned form.

Cell positions and the look on paper come from ``core/layout`` (drawn by ``sheet``); which
forms exist comes from ``formplan``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from ..core import layout as L
from ..core.formplan import PlannedForm, form_layout_of, plan_forms
from ..core.identity import sign
from ..core.issued import Issued
from ..core.reissue import FormChange, changes
from ..core.model import BRANCH_TARGET, Scheme
from ..core.values import blank_rule_text, number_text
from ..edge import sheetkit
from ..scheme.read import SchemeError
from .reissue_list import REISSUE_FILE, write_reissue_list
from ..edge.files import atomic_path, new_workbook, safe_filename, within_all
from .sheet import formats, write_form_sheet
from .template import Progress, prepare, write_by_template

DISPATCH_FILE = "发放清单.xlsx"


@dataclass(frozen=True)
class FormsWritten:
    forms: list[tuple[PlannedForm, Path]]
    dispatch: Path  # 发放清单, or 补发清单 for a reissue
    changes: tuple[FormChange, ...] = ()  # what an edit since the last issue changed


def write_forms(scheme: Scheme, key: bytes, out: Path, protected: tuple[Path, ...] = (),
                issued: Issued | None = None, reissue: bool = False, *, direct: bool = False,
                progress: Progress | None = None, records: dict | None = None) -> FormsWritten:
    """All forms under OUT/<branch>/<group>/<rater>.xlsx, plus the dispatch list.

    ``issued``: what went out before, so unchanged forms keep their version. With ``reissue``,
    only the forms whose current version has not gone out are written, with 补发清单 instead.
    Every path is made from safe names and checked to lie inside OUT; none may be one of
    ``protected`` (the scheme, its key), so no roster name can make xlflag overwrite them.

    Forms of one shape are copied from a template and patched (``template``), the same bytes
    ``write_form`` gives, ten times faster; ``direct`` writes each form with ``write_form``.
    ``progress(done, total, file name)`` as forms are written; ``records``: see
    ``write_by_template`` (filled on the pool only).
    """
    out = Path(out)
    planned = plan_forms(scheme, key, issued)
    files = dispatch_files(planned)
    found = tuple(changes(scheme, planned, issued or Issued()))
    chosen = [f for f in planned if not f.issued] if reissue else planned
    if not direct:
        prepare(len(chosen))
    listing = REISSUE_FILE if reissue else DISPATCH_FILE
    placed = within_all(out, [files[form.form_id] for form in chosen] + [listing])
    keep = {str(Path(p).resolve()) for p in protected}
    clash = next((t for t, resolved in placed if resolved in keep), None)
    if clash is not None:
        raise SchemeError(f"测评表将覆盖{clash}，未生成；请换一个输出文件夹")
    written = [(form, target) for form, (target, _) in zip(chosen, placed)]
    listed = placed[-1][0]
    with atomic_path(listed) as staged:  # in place only once every form is written
        if reissue:
            listing = partial(write_reissue_list, list(found), files, staged)
        else:
            # the rows as text: sent to a worker, all the planned forms would cost seconds to pickle
            listing = partial(write_dispatch, dispatch_rows(written, files), staged)
        if direct:
            for n, (form, path) in enumerate(written, start=1):
                write_form(scheme, key, form, path)
                if progress is not None:
                    progress(n, len(written), path.name)
            listing()
        else:  # the list is written on the pool too, beside the forms
            write_by_template(scheme, key, written, write_form, progress=progress, also=listing, records=records)
    return FormsWritten(written, listed, found)


def get_ready(scheme: Scheme) -> None:
    """Called as soon as the scheme is read: a scheme whose forms will go on the pool (a few
    hundred members or more; two forms each at least in most plans) has the pool's fork server
    start loading now (``template.prepare``), on the other core while the scheme's forms are
    planned, so the workers start ready when the planning is done; otherwise nothing."""
    prepare(2 * len(scheme.members))


def dispatch_files(planned: list[PlannedForm]) -> dict[str, str]:
    """form id → where its file goes under OUT: <支部 or 授旗>/<评价主体>/<评价人>.xlsx.

    发放清单 and 催收名单 both name files by this, so a reminder points at the file sent. A clash
    (two 张伟 in one branch, or one rater with two criteria sets) gets only what tells the files
    apart: the rater id (张伟_M099) when the raters differ, the set (钱书记_机关党员) when the sets do.
    """
    safe = cache(safe_filename)  # each call's own: a county's 25,000 forms name a few thousand folders and raters
    folders = {f.form_id: f"{safe(f.folder)}/{safe(f.group_name)}" for f in planned}
    plain = {f.form_id: f"{folders[f.form_id]}/{safe(f.rater_name)}" for f in planned}
    clashing: dict[str, list[PlannedForm]] = {}
    for f in planned:
        clashing.setdefault(plain[f.form_id], []).append(f)
    files, taken = {}, Counter()
    for f in planned:
        path = plain[f.form_id]
        group = clashing[path]
        if len(group) > 1:
            parts = [f.rater_name]
            if len({g.identity.rater for g in group}) > 1 and f.identity.rater != f.rater_name:
                parts.append(f.identity.rater)
            if len({g.identity.criteria_set for g in group}) > 1:
                parts.append(f.identity.criteria_set)
            path = f"{folders[f.form_id]}/{safe_filename('_'.join(parts))}"
        taken[path.casefold()] += 1  # names that differ only in case, or became equal when made safe
        if taken[path.casefold()] > 1:
            path += f"~{taken[path.casefold()]}"
        files[f.form_id] = path + ".xlsx"
    return files


def write_form(scheme: Scheme, key: bytes, form: PlannedForm, path: Path) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, fit=False, in_memory=True, title=_title(scheme, form), comments=form.identity.code)
        write_form_sheet(wb, formats(wb), scheme, form, _title(scheme, form), instructions(scheme, form))
        _write_identity(wb, key, form)
        wb.set_custom_property("xlflag_form_code", form.identity.code)
        wb.close()


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
    legend = "表头为项目编号和简称，各项全文见表下；" if form_layout_of(scheme, form.identity).by_rows else ""
    return (
        f"填写说明：请在浅黄色单元格中为{who}逐项打分，{rule}{answer}；{legend}"
        f"{blank_rule_text(scheme.settings.blank_policy)}，请勿增删行列或改动名称；填好后保存并按原文件交回。"
    )


def _write_identity(wb, key: bytes, form: PlannedForm) -> None:
    ws = wb.add_worksheet(L.IDENTITY_SHEET)
    text = form.identity.to_json()
    ws.write_string(0, 0, text)
    ws.write_string(1, 0, sign(key, text))
    ws.very_hidden()
    ws.protect()


def dispatch_rows(written: list[tuple[PlannedForm, Path]], files: dict[str, str]) -> list[tuple[str, ...]]:
    """发放清单's text per form: 支部, 评价主体, 评价人, 表单编号, its file under OUT (``files``:
    ``dispatch_files``, safe names joined by "/": already as a path under OUT prints)."""
    return [(form.folder, form.group_name, form.rater_name, form.identity.code, files[form.form_id])
            for form, _ in written]


def write_dispatch(rows: list[tuple[str, ...]], target: Path) -> None:
    """Who gets which file (``rows``: ``dispatch_rows``): columns a mail merge can use directly."""
    headers = ("序号", "支部", "评价主体", "评价人", "表单编号", "文件", "邮箱", "发出日期", "备注")
    with atomic_path(target) as tmp:
        wb = new_workbook(tmp, title="发放清单")
        fmt = sheetkit.formats(wb)
        ws = wb.add_worksheet("发放清单")
        sheetkit.table_head(ws, fmt, 0, headers, (6, 16, 16, 16, 16, 40, 16, 16, 16))
        for r, values in enumerate(rows, start=1):
            ws.write_number(r, 0, r, fmt["center"])
            for c, value in enumerate(values, start=1):
                ws.write_string(r, c, value, fmt["text"])
        ws.autofilter(0, 0, len(rows), len(headers) - 1)
        sheetkit.page(ws, (0, 0))
        wb.close()
