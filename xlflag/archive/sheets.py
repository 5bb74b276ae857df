"""Archive workbooks: the whole archive exported, the import template, the year's summary."""
from __future__ import annotations

from pathlib import Path

from ..edge.files import atomic_path, new_workbook
from ..edge.sheetkit import formats, page, table_head, titled
from .history import YearSummary, flag_summary_lines
from .layout import (
    ADJUSTMENTS,
    BRANCHES,
    MEANS,
    MEMBERS,
    PARTICIPATION,
    PERIODS,
    SHEETS,
    TEMPLATE_NOTE,
    WIDTHS,
)
from .record import PeriodRecord

NOTE_SHEET = "说明"
VERSIONS_SHEET = "版本记录"  # export only: every committed version, replaced ones too


def _yes(flag: bool) -> str:
    return "是" if flag else ""


def archive_rows(records: list[PeriodRecord]) -> dict[str, list[tuple]]:
    """Every sheet's rows, in the columns of layout.SHEETS."""
    rows: dict[str, list[tuple]] = {name: [] for name in SHEETS}
    for r in records:
        rows[PERIODS].append((r.period, r.organisation, r.cycle, r.flag_name, r.award_min_stars, r.source, r.version,
                              r.committed_at))
        for m in r.members:
            rows[MEMBERS].append((r.period, m.member_id, m.name, m.branch, m.total, m.stars_scored, m.stars,
                                  "、".join(m.named_stars), _yes(m.quota_star)))
            rows[MEANS] += [(r.period, m.member_id, g.group, g.raters, g.mean) for g in m.means]
        rows[BRANCHES] += [(r.period, b.branch, b.total, b.rank, _yes(b.winner), _yes(b.holds), b.satisfaction,
                            b.reason) for b in r.branches]
        rows[PARTICIPATION] += [(r.period, p.branch, p.group, p.expected, p.returned, p.accepted) for p in r.participation]
        rows[ADJUSTMENTS] += [(r.period, a.target, a.kind, a.what, a.before, a.after, a.reason, a.approver, a.date)
                              for a in r.adjustments]
    return rows


def write_archive(records: list[PeriodRecord], path: Path, versions: list[PeriodRecord] = ()) -> Path:
    """One workbook of the archive: each period's current version in the import template's
    layout (so it imports back), and every version ever committed listed in 版本记录."""
    rows = archive_rows(records)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, title="星级党员档案")
        fmt = formats(wb)
        for name, (columns, _required) in SHEETS.items():
            ws = wb.add_worksheet(name)
            table_head(ws, fmt, 0, columns, [WIDTHS.get(c, 10) for c in columns])
            for n, row in enumerate(rows[name], start=1):
                ws.write_row(n, 0, [_cell(v) for v in row], fmt["text"])
            page(ws, (0, 0))
        if versions:
            ws = wb.add_worksheet(VERSIONS_SHEET)
            current = {(r.period, r.version) for r in records}
            table_head(ws, fmt, 0, ("期次", "版本", "当前", "来源", "存档时间", "党员", "调整"), (10, 6, 6, 8, 22, 6, 6))
            for n, v in enumerate(versions, start=1):
                ws.write_row(n, 0, (v.period, v.version, _yes((v.period, v.version) in current), v.source,
                                    v.committed_at, len(v.members), len(v.adjustments)), fmt["text"])
        ws = wb.add_worksheet(NOTE_SHEET)
        ws.set_column(0, 0, 80)  # 80 characters: within portrait A4's printable width at full size
        ws.write(0, 0, TEMPLATE_NOTE, fmt["note"])
        wb.close()
    return Path(path)


def _cell(value):
    """Decimals as numbers (exact to their places), everything else as it is."""
    return float(value) if hasattr(value, "as_tuple") else value


def write_year(summary: YearSummary, organisation: str, path: Path) -> Path:
    """年度汇总 for 年度考核 and 评先评优: stars per period, mean, named stars, adjustments,
    表彰 candidates by the scheme's rule; and who held the flag."""
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp, title=f"{summary.year}年度汇总")
        fmt = formats(wb)
        _year_sheet(wb, fmt, summary, organisation)
        _flag_sheet(wb, fmt, summary)
        wb.close()
    return Path(path)


def _year_sheet(wb, fmt, summary: YearSummary, organisation: str) -> None:
    ws = wb.add_worksheet("年度汇总")
    headers = ["编号", "姓名", "支部", *(f"{p}星级" for p in summary.periods), "平均星级", "模范星", "党员之星次数",
               "动态调整", "表彰候选", "说明"]
    rule = f"表彰候选：每期均不低于{summary.min_stars}星" if summary.min_stars else "方案未设“表彰最低星级”，不列表彰候选"
    titled(ws, fmt, f"{organisation}{summary.year}年度星级党员汇总", f"星级为调整后的最终星级。{rule}。", len(headers) - 1)
    table_head(ws, fmt, 2, headers, [10, 10, 16, *([10] * len(summary.periods)), 10, 28, 10, 36, 10, 18])
    for n, r in enumerate(summary.rows, start=3):
        ws.write_row(n, 0, (r.member_id, r.name, r.branch), fmt["text"])
        col = 3
        for stars in r.stars:
            ws.write(n, col, "" if stars is None else stars, fmt["int"])
            col += 1
        ws.write(n, col, "" if r.mean is None else float(r.mean), fmt["score"])
        ws.write_row(n, col + 1, ("、".join(r.named_stars),), fmt["text"])
        ws.write(n, col + 2, r.quota_stars, fmt["int"])
        ws.write(n, col + 3, "；".join(r.adjustments), fmt["text"])
        ws.write(n, col + 4, "★" if r.candidate else "", fmt["win"] if r.candidate else fmt["center"])
        ws.write(n, col + 5, r.note, fmt["text"])
    page(ws, (2, 2))


def _flag_sheet(wb, fmt, summary: YearSummary) -> None:
    ws = wb.add_worksheet("流动红旗")
    titled(ws, fmt, f"{summary.year}年度流动红旗", "。".join(flag_summary_lines(summary.flag)) + "。", 2)
    table_head(ws, fmt, 2, ("期次", "持旗支部", "撤旗"), (12, 36, 24))
    withdrawn = {}
    for period, branch in summary.flag.withdrawn:
        withdrawn.setdefault(period, []).append(branch)
    for n, (period, held) in enumerate(summary.flag.holders, start=3):
        ws.write_row(n, 0, (period, "、".join(held) or "—", "、".join(withdrawn.get(period, ()))), fmt["text"])
    page(ws, (2, 2), landscape=False)
