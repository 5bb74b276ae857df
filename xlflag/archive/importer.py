"""Earlier periods an office kept by hand, from the import template, into period records.

Every bad cell is reported like the scheme check does (sheet and cell, what was found, what is
expected); a workbook with any error imports nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..core.adjustments import FLAG, KINDS, LEVEL, WITHDRAW_FLAG, stars_text
from ..core.problems import Code, Problem, Report
from ..scheme.tables import YES, Table, blank, names, text
from .layout import (
    ADJUSTMENTS,
    BRANCHES,
    MEANS,
    MEMBERS,
    PARTICIPATION,
    PERIODS,
    REQUIRED_SHEETS,
    SHEETS,
)
from .record import (
    SOURCE_IMPORT,
    Adjustment,
    BranchRecord,
    GroupMean,
    MemberRecord,
    Participation,
    PeriodRecord,
)

MAX_STARS = 10  # no plan has more than five; a larger number is a typing slip


class HistoryUnreadable(Exception):
    """The file is missing or not a workbook."""


def load_sheets(path: Path) -> dict[str, list[tuple]]:
    import openpyxl

    if not Path(path).is_file():
        raise HistoryUnreadable(f"找不到历史成绩文件：{path}")
    try:
        wb = openpyxl.load_workbook(path, data_only=True, read_only=True)
    except Exception as exc:
        raise HistoryUnreadable(f"历史成绩文件无法打开（{type(exc).__name__}）：{path}") from exc
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


@dataclass
class _Reader:
    file: str
    report: Report = field(default_factory=Report)

    def problem(self, code, table: Table, row: int, column: str, found="", expected="") -> None:
        self.report.add(Problem(code, self.file, table.sheet, table.cell(row, column), str(found), expected))

    def table(self, sheets, name: str) -> Table | None:
        required = SHEETS[name][1]
        if name not in sheets:
            if name in REQUIRED_SHEETS:
                self.report.add(Problem(Code.ARCHIVE_SHEET_MISSING, self.file, name, expected=name))
            return None
        raw = sheets[name]
        header = {text(v): i for i, v in enumerate(raw[0])} if raw else {}
        missing = [c for c in required if c not in header]
        for column in missing:
            self.report.add(Problem(Code.ARCHIVE_COLUMN_MISSING, self.file, name, "A1", expected=column))
        if missing:
            return None
        return Table(name, header, tuple((n, r) for n, r in enumerate(raw[1:], start=2) if not all(blank(v) for v in r)))

    def integer(self, table, row, values, column, low=0, high=None, required=False) -> int | None:
        v = table.get(values, column)
        if blank(v):
            if required:
                self.problem(Code.ARCHIVE_VALUE_INVALID, table, row, column, "", "必填")
            return None
        raw = text(v).replace("★", "").replace("星", "")
        if raw.isdigit() and low <= int(raw) <= (high if high is not None else int(raw)):
            return int(raw)
        if raw and set(text(v)) == {"★"}:
            return len(text(v))
        expected = f"{low}至{high}的整数" if high is not None else f"不小于{low}的整数"
        self.problem(Code.ARCHIVE_VALUE_INVALID, table, row, column, text(v), expected)
        return None

    def decimal(self, table, row, values, column) -> Decimal | None:
        v = table.get(values, column)
        if blank(v):
            return None
        try:
            raw = text(v).replace("％", "%")
            return Decimal(raw[:-1]) / 100 if raw.endswith("%") else Decimal(raw)
        except InvalidOperation:
            self.problem(Code.ARCHIVE_VALUE_INVALID, table, row, column, text(v), "数字")
            return None

    def yes(self, table, row, values, column) -> bool:
        v = text(table.get(values, column))
        if v and v not in YES and v not in ("否", "N", "n", "no", "0"):
            self.problem(Code.ARCHIVE_VALUE_INVALID, table, row, column, v, "“是”或留空")
        return v in YES

    def period_of(self, table, row, values, known) -> str | None:
        period = text(table.get(values, "期次"))
        if period not in known:
            self.problem(Code.ARCHIVE_PERIOD_UNKNOWN, table, row, "期次", period)
            return None
        return period


def read_history(path: Path) -> tuple[list[PeriodRecord], Report]:
    """The periods of a history workbook; none when the report has an error."""
    sheets = load_sheets(Path(path))
    r = _Reader(Path(path).name)
    tables = {name: r.table(sheets, name) for name in SHEETS}
    if tables[PERIODS] is None or tables[MEMBERS] is None:
        return [], r.report
    heads = _periods(r, tables[PERIODS])
    members = _members(r, tables[MEMBERS], heads, tables[MEANS])
    branches = _rows_by_period(r, tables[BRANCHES], heads, lambda t, n, v: _branch(r, t, n, v))
    participation = _rows_by_period(r, tables[PARTICIPATION], heads, lambda t, n, v: Participation(
        text(t.get(v, "支部")), text(t.get(v, "评价主体")), r.integer(t, n, v, "应收", required=True) or 0,
        r.integer(t, n, v, "已交", required=True) or 0, r.integer(t, n, v, "已采用") or 0))
    adjustments = _adjustments(r, tables[ADJUSTMENTS], heads, members, branches)
    records = [
        PeriodRecord(period, *head, members=tuple(members.get(period, ())), branches=tuple(branches.get(period, ())),
                     participation=tuple(participation.get(period, ())), adjustments=tuple(adjustments.get(period, ())),
                     source=SOURCE_IMPORT)
        for period, head in heads.items()
    ]
    return ([] if r.report.errors else records), r.report


def _branch(r: _Reader, t: Table, n: int, v: tuple) -> BranchRecord:
    holds = r.yes(t, n, v, "授旗")
    winner = holds if blank(t.get(v, "评定授旗")) else r.yes(t, n, v, "评定授旗")
    return BranchRecord(text(t.get(v, "支部")), r.decimal(t, n, v, "综合得分"), r.integer(t, n, v, "名次", low=1),
                        winner, holds, r.decimal(t, n, v, "满意率"), text(t.get(v, "说明")))


def _periods(r: _Reader, table: Table) -> dict[str, tuple]:
    heads = {}
    for n, values in table.rows:
        period = text(table.get(values, "期次"))
        if not period or not period[:4].isdigit():
            r.problem(Code.ARCHIVE_VALUE_INVALID, table, n, "期次", period, "如2025Q3或2025H2")
            continue
        if period in heads:
            r.problem(Code.ARCHIVE_DUPLICATE, table, n, "期次", period)
            continue
        organisation = text(table.get(values, "组织名称"))
        if not organisation:
            r.problem(Code.ARCHIVE_VALUE_INVALID, table, n, "组织名称", "", "必填")
        cycle = text(table.get(values, "周期")) or ("半年" if period[4:5].upper() == "H" else "季度")
        heads[period] = (organisation, cycle, text(table.get(values, "旗名")), r.integer(table, n, values, "表彰最低星级", 1, MAX_STARS))
    return heads


def _rows_by_period(r: _Reader, table: Table | None, heads, build) -> dict[str, list]:
    found: dict[str, list] = {}
    for n, values in table.rows if table is not None else ():
        period = r.period_of(table, n, values, heads)
        if period is not None:
            found.setdefault(period, []).append(build(table, n, values))
    return found


def _members(r: _Reader, table: Table, heads, means_table: Table | None) -> dict[str, list[MemberRecord]]:
    means = _rows_by_period(r, means_table, heads, lambda t, n, v: (text(t.get(v, "编号")), GroupMean(
        text(t.get(v, "评价主体")), r.integer(t, n, v, "人数") or 0, r.decimal(t, n, v, "平均分"))))
    by_member: dict[tuple[str, str], list[GroupMean]] = {}
    for period, rows in means.items():
        for member_id, mean in rows:
            by_member.setdefault((period, member_id), []).append(mean)
    found: dict[str, list[MemberRecord]] = {}
    for n, v in table.rows:
        period = r.period_of(table, n, v, heads)
        member_id = text(table.get(v, "编号"))
        if not member_id:
            r.problem(Code.ARCHIVE_VALUE_INVALID, table, n, "编号", "", "必填：党员编号，跨期以编号认人")
        if period is None or not member_id:
            continue
        if any(m.member_id == member_id for m in found.get(period, ())):
            r.problem(Code.ARCHIVE_DUPLICATE, table, n, "编号", member_id)
            continue
        stars = r.integer(table, n, v, "最终星级", 0, MAX_STARS)
        scored = stars if blank(table.get(v, "评定星级")) else r.integer(table, n, v, "评定星级", 0, MAX_STARS)
        found.setdefault(period, []).append(MemberRecord(
            member_id, text(table.get(v, "姓名")), text(table.get(v, "支部")), r.decimal(table, n, v, "综合得分"),
            scored, stars,
            tuple(by_member.get((period, member_id), ())), names(text(table.get(v, "模范星"))),
            r.yes(table, n, v, "党员之星")))
    return found


def _date(v) -> str:
    """A date cell as 2026-04-02; text as typed."""
    if isinstance(v, datetime):
        v = v.date()
    return v.isoformat() if isinstance(v, date) else text(v)


def _shown(v) -> str:
    """A star level typed as a number reads as the results workbook shows it (3 → ★★★)."""
    raw = text(v)
    return stars_text(int(raw)) if raw.isdigit() and int(raw) <= MAX_STARS else raw


def _adjustments(r: _Reader, table: Table | None, heads, members, branches) -> dict[str, list[Adjustment]]:
    def build(t, n, v):
        kind, target = text(t.get(v, "类型")), text(t.get(v, "对象"))
        if kind not in KINDS:
            r.problem(Code.ARCHIVE_VALUE_INVALID, t, n, "类型", kind, "、".join(KINDS) + "之一")
        period = text(t.get(v, "期次"))
        if kind == WITHDRAW_FLAG:
            if target not in {b.branch for b in branches.get(period, ())}:
                r.problem(Code.ARCHIVE_TARGET_UNKNOWN, t, n, "对象", target, "“支部”表中的支部")
        elif target not in {m.member_id for m in members.get(period, ())}:
            r.problem(Code.ARCHIVE_TARGET_UNKNOWN, t, n, "对象", target, "“党员”表中的党员编号")
        if not text(t.get(v, "理由")):
            r.problem(Code.ARCHIVE_VALUE_INVALID, t, n, "理由", "", "必填：每项调整须写明理由")
        what = text(t.get(v, "调整项")) or (FLAG if kind == WITHDRAW_FLAG else LEVEL)
        return Adjustment(target, kind, what, _shown(t.get(v, "调整前")), _shown(t.get(v, "调整后")),
                          text(t.get(v, "理由")), text(t.get(v, "批准人")), _date(t.get(v, "日期")))

    return _rows_by_period(r, table, heads, build)
