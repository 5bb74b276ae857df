"""评定结果 (the score-based and the final result side by side) and 调整记录 (the audit of every
row of the scheme's 调整 sheet, applied or not). Values, not formulas: the adjustments are the
office's decisions, not arithmetic on 参数."""
from __future__ import annotations

from ..core.adjustments import Adjusted, stars_text
from ..core.ballots import quota_rule_text
from ..core.model import Scheme
from ..edge.sheetkit import page, table_head, titled

RESULTS_SHEET, AUDIT_SHEET = "评定结果", "调整记录"
HEADER_ROW = 3  # 1-based, as on the other ranked sheets


def write_adjusted(wb, fmt, scheme: Scheme, adjusted: Adjusted) -> None:
    _write_results(wb.add_worksheet(RESULTS_SHEET), fmt, scheme, adjusted)
    _write_audit(wb.add_worksheet(AUDIT_SHEET), fmt, scheme, adjusted)


def _write_results(ws, fmt, scheme: Scheme, adjusted: Adjusted) -> None:
    with_levels, with_named = bool(scheme.bands), bool(scheme.model_stars or scheme.quota_star)
    headers = ["序号", "支部", "编号", "姓名"]
    widths = [5, 16, 8, 9]
    with_quota = with_levels and bool(scheme.settings.star_quotas)
    if with_levels:
        headers += ["按得分星级"] + (["名额限制后"] if with_quota else []) + ["最终星级"]
        widths += [11] + ([11] if with_quota else []) + [11]
    if with_named:
        headers += ["按得分星名", "最终星名"]
        widths += [24, 24]
    headers.append("调整依据")
    widths.append(40)
    title = f"{scheme.settings.organisation}{scheme.settings.period_label}评定结果（按得分与调整后）"
    note = "“按得分”为测评汇总的结果；“最终”为执行方案“调整”工作表中各条调整（增星、摘星、降级、撤旗、更正）后的结果，依据见“调整记录”。"
    if scheme.settings.star_quotas:
        note += quota_rule_text(scheme)
    titled(ws, fmt, title, note, len(headers) - 1)
    table_head(ws, fmt, HEADER_ROW - 1, headers, widths)
    r = HEADER_ROW
    for n, outcome in enumerate(adjusted.members, start=1):
        m = outcome.result.member
        cells = [n, m.branch, m.member_id, m.name]
        if with_levels:
            quota = [stars_text(outcome.stars_by_quota)] if with_quota else []
            cells += [stars_text(outcome.stars_by_score), *quota, stars_text(outcome.stars)]
        if with_named:
            cells += ["、".join(outcome.named_by_score), "、".join(outcome.named)]
        cells.append("；".join([outcome.quota_note] * bool(outcome.quota_note) + [_basis(a) for a in outcome.applied]))
        _row(ws, fmt, r, cells, changed=outcome.changed)
        r += 1
    if adjusted.branches:
        r += 1
        flag = scheme.flag.flag_name
        ws.write_row(r, 0, ("序号", "支部", f"按得分{flag}", f"最终{flag}", "调整依据"), fmt["head"])
        for n, b in enumerate(adjusted.branches, start=1):
            cells = [n, b.branch, "授旗" if b.winner_by_score else "", "授旗" if b.winner else "",
                     "；".join(_basis(a) for a in b.applied)]
            _row(ws, fmt, r + n, cells, changed=b.winner != b.winner_by_score)
    page(ws, (0, HEADER_ROW - 1), landscape=False)


def _row(ws, fmt, r: int, cells: list, changed: bool) -> None:
    for c, value in enumerate(cells):
        style = "win" if changed and c >= 2 else ("center" if isinstance(value, int) else "text")
        if isinstance(value, int):
            ws.write_number(r, c, value, fmt[style])
        else:
            ws.write_string(r, c, value, fmt[style])


def _basis(a) -> str:
    appeal = f"，答复{a.appeal}" if a.appeal else ""
    return f"{a.kind}（{a.reason}；{a.approver}批准{('，' + a.date) if a.date else ''}{appeal}）"


def _write_audit(ws, fmt, scheme: Scheme, adjusted: Adjusted) -> None:
    headers = ("调整表行", "对象", "类型", "新值", "调整项", "调整前", "调整后", "理由", "批准人", "日期", "所答申诉", "执行", "未执行原因")
    title = f"{scheme.settings.organisation}{scheme.settings.period_label}调整记录"
    note = "方案“调整”工作表的每一行均列于此：已执行的写明调整前后；未执行的写明原因（对象不存在、缺理由或批准人、与其他调整矛盾等），改正方案后重新汇总。"
    titled(ws, fmt, title, note, len(headers) - 1)
    table_head(ws, fmt, HEADER_ROW - 1, headers, (8, 12, 6, 10, 12, 10, 10, 30, 10, 11, 14, 6, 40))
    for n, record in enumerate(adjusted.records):
        a, r = record.adjustment, HEADER_ROW + n
        ws.write_number(r, 0, a.row, fmt["center"])
        values = (a.target, a.kind, a.value, record.what, record.before, record.after, a.reason, a.approver,
                  a.date, a.appeal, "是" if record.applied else "否", record.problem.message if record.problem else "")
        for c, value in enumerate(values, start=1):
            ws.write_string(r, c, value, fmt["text"])
    page(ws, (0, HEADER_ROW - 1))
