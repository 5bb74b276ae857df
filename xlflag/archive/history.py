"""Reading the archive: the flag's history, a member across periods, the change since the last
period, the year's summary and its 表彰 candidates. Pure: records in, plain data out.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ..core.change import PeriodChange
from ..core.model import period_label
from ..core.scoring import round_half_up
from .record import Adjustment, MemberRecord, PeriodRecord

_PART_MONTH = {"Q": {"1": 1, "2": 4, "3": 7, "4": 10}, "H": {"1": 1, "2": 7}}
UP, DOWN, SAME, NEW, UNRATED = "升星", "降星", "持平", "新入档", "未评定"
TAKEN, DEFENDED, LOST = "夺旗", "卫冕", "失旗"


def period_key(period: str) -> tuple:
    """2026Q1 < 2026H1 < 2026Q2 < 2026Q3 = 2026H2 by first month; other names after their year."""
    text = period.upper()
    year = text[:4]
    if len(text) == 6 and year.isdigit() and text[5] in _PART_MONTH.get(text[4], {}):
        return (int(year), _PART_MONTH[text[4]][text[5]], text)
    return (int(year) if year.isdigit() else 10**6, 13, text)


def period_year(period: str) -> int | None:
    return int(period[:4]) if period[:4].isdigit() else None


def ordered(records) -> list[PeriodRecord]:
    return sorted(records, key=lambda r: period_key(r.period))


# -- the mobile flag ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Tenure:
    """One unbroken run of periods in which a branch held the flag."""

    branch: str
    first: str
    last: str
    periods: int


@dataclass(frozen=True)
class FlagHistory:
    holders: tuple[tuple[str, tuple[str, ...]], ...]  # (period, branches holding the flag)
    counts: dict[str, int]  # branch → periods held, most first
    runs: tuple[Tenure, ...]  # in order of their first period
    withdrawn: tuple[tuple[str, str], ...] = ()  # (period, branch) 撤旗

    @property
    def longest(self) -> tuple[Tenure, ...]:
        """Every run of the greatest length (a tie lists each)."""
        top = max((t.periods for t in self.runs), default=0)
        return tuple(t for t in self.runs if t.periods == top and top)


def flag_history(records) -> FlagHistory:
    records = ordered(records)
    holders = tuple((r.period, r.flag_holders) for r in records)
    counts: dict[str, int] = {}
    open_runs: dict[str, list] = {}  # branch → [first, last, n] while it holds the flag
    runs = []
    for period, held in holders:
        for branch in list(open_runs):
            if branch not in held:
                runs.append(Tenure(branch, *open_runs.pop(branch)))
        for branch in held:
            counts[branch] = counts.get(branch, 0) + 1
            first, _, n = open_runs.get(branch, (period, period, 0))
            open_runs[branch] = [first, period, n + 1]
    runs += [Tenure(branch, *run) for branch, run in open_runs.items()]
    runs.sort(key=lambda t: (period_key(t.first), t.branch))
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    withdrawn = tuple((r.period, b.branch) for r in records for b in r.branches if b.withdrawn)
    return FlagHistory(holders, counts, tuple(runs), withdrawn)


def flag_summary_lines(history: FlagHistory) -> list[str]:
    counts = "；".join(f"{b}{n}次" for b, n in history.counts.items()) or "无"
    runs = "；".join(f"{t.branch}（{t.first}至{t.last}，连续{t.periods}期）" for t in history.longest) or "无"
    return [f"持旗次数：{counts}", f"最长连续持旗：{runs}"]


# -- one member across periods --------------------------------------------------------------

@dataclass(frozen=True)
class MemberPeriod:
    period: str
    record: MemberRecord
    adjustments: tuple[Adjustment, ...]


def adjustments_of(record: PeriodRecord, target: str) -> tuple[Adjustment, ...]:
    return tuple(a for a in record.adjustments if a.target == target)


def member_history(records, member_id: str) -> list[MemberPeriod]:
    """Every period the member was rated in, by member id: a new branch or name is the same person."""
    return [MemberPeriod(r.period, m, adjustments_of(r, member_id))
            for r in ordered(records) if (m := r.member(member_id)) is not None]


def adjustment_text(a: Adjustment) -> str:
    """增星 星级 ★★★→★★★★（理由，批准：某某，2026-04-02）"""
    detail = "，".join(x for x in (a.reason, a.approver and f"批准：{a.approver}", a.date) if x)
    return f"{a.kind} {a.what} {a.before}→{a.after}" + (f"（{detail}）" if detail else "")


def member_lines(history) -> list[str]:
    """One line per period of a member's record (the CLI prints them)."""
    lines = []
    for h in history:
        m = h.record
        stars = "未评定" if m.stars is None else f"{m.stars}★"
        scored = "" if m.stars_scored == m.stars else f"（评定{'—' if m.stars_scored is None else m.stars_scored}★）"
        total = "" if m.total is None else f" 综合得分{m.total}"
        named = f" 模范星：{'、'.join(m.named_stars)}" if m.named_stars else ""
        quota = " 党员之星" if m.quota_star else ""
        lines.append(f"{h.period} {m.branch} {m.name}{total} {stars}{scored}{named}{quota}")
        lines += [f"    {adjustment_text(a)}" for a in h.adjustments]
    return lines


# -- change since the previous period (the 简报 uses this) --------------------------------

@dataclass(frozen=True)
class MemberChange:
    member_id: str
    name: str
    branch: str
    before: int | None  # the level held after the previous period's adjustments
    after: int | None
    change: str  # UP, DOWN, SAME, NEW, UNRATED
    moved_from: str = ""  # the previous period's branch, when it differs
    renamed_from: str = ""  # the previous period's name, when it differs


@dataclass(frozen=True)
class BranchChange:
    branch: str
    held_before: bool
    holds: bool
    change: str  # TAKEN, DEFENDED, LOST or ""


@dataclass(frozen=True)
class Comparison:
    previous: str | None  # None when the current period is the first in the archive
    current: str
    members: tuple[MemberChange, ...]
    branches: tuple[BranchChange, ...]

    def of(self, member_id: str) -> MemberChange:
        return next(m for m in self.members if m.member_id == member_id)

    def branch(self, name: str) -> BranchChange:
        return next(b for b in self.branches if b.branch == name)


def compare(previous: PeriodRecord | None, current: PeriodRecord) -> Comparison:
    """Per member the final level against the level held before (a 摘星 holds until this
    evaluation); per branch whether the flag was taken, defended or lost."""
    members = tuple(_member_change(previous and previous.member(m.member_id), m) for m in current.members)
    held = set(previous.flag_holders) if previous else set()
    names = list(dict.fromkeys([b.branch for b in current.branches] + sorted(held)))
    holds = set(current.flag_holders)
    branches = tuple(BranchChange(n, n in held, n in holds, _flag_change(n in held, n in holds)) for n in names)
    return Comparison(previous and previous.period, current.period, members, branches)


def _member_change(before: MemberRecord | None, now: MemberRecord) -> MemberChange:
    if now.stars is None:
        change = UNRATED
    elif before is None or before.stars is None:
        change = NEW
    else:
        change = UP if now.stars > before.stars else DOWN if now.stars < before.stars else SAME
    moved = before.branch if before and before.branch != now.branch else ""
    renamed = before.name if before and before.name != now.name else ""
    return MemberChange(now.member_id, now.name, now.branch, before and before.stars, now.stars, change, moved, renamed)


def _flag_change(held: bool, holds: bool) -> str:
    return DEFENDED if held and holds else TAKEN if holds else LOST if held else ""


def period_change(c: Comparison, flag_name: str = "") -> PeriodChange | None:
    """The comparison as the 简报 states it: counts per kind and branch, the flag's move;
    None for the first period in the archive. Names no member (a 简报 is circulated)."""
    if c.previous is None:
        return None
    counts = {kind: sum(m.change == kind for m in c.members) for kind in (UP, SAME, DOWN, NEW, UNRATED)}
    said = "，".join(f"{kind}{n}名" for kind, n in counts.items() if n)
    sentence = f"与{period_label(c.previous)}相比，{said}。"
    flag = "；".join(f"{b.branch}{b.change}" for b in c.branches if b.change)
    if flag_name and flag:
        sentence += f"{flag_name}：{flag}。"
    branches = list(dict.fromkeys(m.branch for m in c.members))
    rows = tuple((b, *(sum(m.branch == b and m.change == kind for m in c.members) for kind in (UP, SAME, DOWN, NEW, UNRATED)))
                 for b in branches)
    return PeriodChange(period_label(c.previous), sentence, rows)


def previous_of(records, period: str) -> PeriodRecord | None:
    earlier = [r for r in ordered(records) if period_key(r.period) < period_key(period)]
    return earlier[-1] if earlier else None


# -- the year: 年度考核 and 评先评优 -----------------------------------------------------------

@dataclass(frozen=True)
class YearRow:
    member_id: str
    name: str  # as in the year's last period
    branch: str
    stars: tuple[int | None, ...]  # per period of the year, None where not rated or absent
    mean: Decimal | None  # mean level over the periods rated
    named_stars: tuple[str, ...]  # every 模范星 of the year, with its period
    quota_stars: int  # times chosen 党员之星
    adjustments: tuple[str, ...]
    candidate: bool
    note: str  # why not a candidate, or the rule met


@dataclass(frozen=True)
class YearSummary:
    year: int
    periods: tuple[str, ...]
    min_stars: int | None
    rows: tuple[YearRow, ...]
    flag: FlagHistory

    @property
    def candidates(self) -> tuple[YearRow, ...]:
        return tuple(r for r in self.rows if r.candidate)


def year_summary(records, year: int, min_stars: int | None = None) -> YearSummary:
    """Stars per period, their mean, named stars, adjustments; a 表彰 candidate holds at least
    ``min_stars`` (default: the 表彰最低星级 of the year's last period) in every period of the year."""
    records = [r for r in ordered(records) if period_year(r.period) == year]
    if min_stars is None:
        min_stars = next((r.award_min_stars for r in reversed(records) if r.award_min_stars), None)
    ids = list(dict.fromkeys(m.member_id for r in records for m in r.members))
    rows = tuple(_year_row(records, member_id, min_stars) for member_id in ids)
    return YearSummary(year, tuple(r.period for r in records), min_stars, rows, flag_history(records))


def _year_row(records: list[PeriodRecord], member_id: str, min_stars: int | None) -> YearRow:
    history = member_history(records, member_id)
    by_period = {h.period: h.record for h in history}
    stars = tuple(by_period[r.period].stars if r.period in by_period else None for r in records)
    rated = [s for s in stars if s is not None]
    mean = round_half_up(Fraction(sum(rated), len(rated))) if rated else None
    last = history[-1].record
    named = tuple(f"{h.period}{s}" for h in history for s in h.record.named_stars)
    adjustments = tuple(f"{h.period} {adjustment_text(a)}" for h in history for a in h.adjustments)
    candidate, note = _candidate(stars, min_stars)
    return YearRow(member_id, last.name, last.branch, stars, mean, named,
                   sum(h.record.quota_star for h in history), adjustments, candidate, note)


def _candidate(stars: tuple[int | None, ...], min_stars: int | None) -> tuple[bool, str]:
    if min_stars is None:
        return False, "方案未设“表彰最低星级”"
    if any(s is None for s in stars):
        return False, "有期次未评定星级"
    if all(s >= min_stars for s in stars):
        return True, f"每期均达{min_stars}星"
    return False, f"有期次低于{min_stars}星"


def compare_lines(c: Comparison) -> list[str]:
    """The comparison as the CLI prints it: changes first, then a count per kind."""
    since = f"与{c.previous}相比" if c.previous else "首个存档期次"
    lines = [f"{c.current}（{since}）"]
    for m in c.members:
        notes = [x for x in (m.moved_from and f"原{m.moved_from}", m.renamed_from and f"原名{m.renamed_from}") if x]
        if m.change in (UP, DOWN) or notes:
            was = "" if m.before is None else f"{m.before}★→"
            now = "—" if m.after is None else f"{m.after}★"
            lines.append(f"  {m.member_id} {m.name}（{m.branch}）{m.change} {was}{now}" + (f"；{'，'.join(notes)}" if notes else ""))
    for b in c.branches:
        if b.change:
            lines.append(f"  {b.branch}：{b.change}")
    counts = {}
    for m in c.members:
        counts[m.change] = counts.get(m.change, 0) + 1
    lines.append("合计：" + "，".join(f"{k}{v}人" for k, v in counts.items()))
    return lines
