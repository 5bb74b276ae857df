"""Adjustments and appeals, applied after scoring (S1 增星升级/降级摘星, S3 撤旗、摘星, S2 更正). Pure.

The final result: the score-based levels, then the 星级名额 (core.ballots) where the scheme sets
one, then the 调整 rows.

The scheme's 调整 sheet says, one row each, what the office decided beyond the scores. A row is
applied only when it names a member (by 编号) or a branch the scheme knows, has a reason and an
approver, fits what it adjusts and contradicts no other row; otherwise it is a Problem, located
at its cell, and the result stays as the scores made it. Every row shows in the audit either
way (``records``), so nothing the office wrote is silently dropped.

What each kind does (新值 in brackets):
  增星 [n, blank = 1 | a named star]   star level + n (at most the top level), or grant the named star
  摘星 [n, blank = 1 | a named star]   star level − n (at least 0, "no star"), or withdraw the named star
  降级 [level, blank = one lower]      star level set lower
  撤旗 [blank]                         a branch that won the flag by score loses it
  更正 [level | named star | 授旗 | 不授旗]  the result set to what it should have been (after an appeal)
Two rows on the same result (one member's star level, one member's named star, one branch's
flag) contradict each other: neither is applied, and the office merges them into one.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .awards import Awards
from .ballots import apply_star_quotas
from .model import Adjustment, Scheme
from .problems import Code, Problem
from .scoring import MemberResult

ADD_STAR, REMOVE_STAR, DEMOTE, WITHDRAW_FLAG, CORRECT = "增星", "摘星", "降级", "撤旗", "更正"
KINDS = (ADD_STAR, REMOVE_STAR, DEMOTE, WITHDRAW_FLAG, CORRECT)
GRANT, REFUSE = "授旗", "不授旗"
SHEET = "调整"
COLUMNS = ("对象", "类型", "新值", "理由", "批准人", "日期", "所答申诉")
LEVEL, FLAG = "星级", "流动红旗"  # the result a row adjusts, besides a named star's name


@dataclass(frozen=True)
class MemberOutcome:
    """A member's result as the scores made it and as it stands after the adjustments."""

    result: MemberResult
    stars: int | None  # final star level
    named: tuple[str, ...]  # final named stars (模范星, 党员之星)
    named_by_score: tuple[str, ...]
    applied: tuple[Adjustment, ...] = ()
    stars_by_quota: int | None = None  # after the 星级名额 (core.ballots), before the 调整 rows
    quota_note: str = ""  # why the quota moved the member down

    @property
    def stars_by_score(self) -> int | None:
        return self.result.stars

    @property
    def changed(self) -> bool:
        return self.stars != self.stars_by_score or self.named != self.named_by_score


@dataclass(frozen=True)
class BranchOutcome:
    branch: str
    winner_by_score: bool
    winner: bool
    applied: tuple[Adjustment, ...] = ()


@dataclass(frozen=True)
class Record:
    """One 调整 row in the audit (调整记录): what it changed, or why it was not applied."""

    adjustment: Adjustment
    what: str  # 星级, 流动红旗 or a named star's name; "" when the row never got that far
    before: str
    after: str
    applied: bool
    problem: Problem | None = None


@dataclass(frozen=True)
class Adjusted:
    members: list[MemberOutcome]
    branches: list[BranchOutcome]
    records: list[Record]

    @property
    def problems(self) -> list[Problem]:
        return [r.problem for r in self.records if r.problem is not None]

    @property
    def applied(self) -> list[Adjustment]:
        return [r.adjustment for r in self.records if r.applied]

    def member(self, member_id: str) -> MemberOutcome:
        return next(m for m in self.members if m.result.member.member_id == member_id)

    def flag_winners(self) -> list[str]:
        return [b.branch for b in self.branches if b.winner]


def stars_text(stars: int | None) -> str:
    if stars is None:
        return "无得分"
    return "★" * stars if stars else "无星"


def named_by_score(scheme: Scheme, awards: Awards) -> dict[str, tuple[str, ...]]:
    """member id → named stars won on the scores: 模范星 reached, then 党员之星 when picked."""
    named: dict[str, list[str]] = {}
    for award in awards.stars:
        if award.awarded:
            named.setdefault(award.member.member_id, []).append(award.star.name)
    for pick in awards.picks:
        if pick.chosen:
            named.setdefault(pick.result.member.member_id, []).append(scheme.quota_star.name)
    return {k: tuple(v) for k, v in named.items()}


def apply_adjustments(scheme: Scheme, members: list[MemberResult], awards: Awards, file: str = "") -> Adjusted:
    """``file`` names the scheme workbook in the problems (the rows are its 调整 sheet's)."""
    named = named_by_score(scheme, awards)
    quota_members, moves = apply_star_quotas(scheme, members)
    notes = {q.member_id: q.note for q in moves}
    state = _State(file, scheme, {m.member.member_id: m for m in quota_members}, named, {b.branch: b.winner for b in awards.branches})
    checked = [(a, state.check(a)) for a in scheme.adjustments]
    records = _settle_conflicts(checked, file)
    for record in records:
        if record.applied:
            state.apply(record)
    outcomes = [
        MemberOutcome(m, state.levels[m.member.member_id], state.named[m.member.member_id],
                      named.get(m.member.member_id, ()), state.applied_to(m.member.member_id),
                      q.stars, notes.get(m.member.member_id, ""))
        for m, q in zip(members, quota_members)
    ]
    branches = [BranchOutcome(b.branch, b.winner, state.flags[b.branch], state.applied_to(b.branch)) for b in awards.branches]
    return Adjusted(outcomes, branches, state.final_records(records))


# -- checking one row ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Change:
    what: str
    before: str
    after: str
    level: int | None = None  # the new level, for a 星级 change
    grant: bool | None = None  # a named star or the flag granted (True) or taken (False)


class _State:
    """The results being adjusted; ``check`` reads them as the scores made them."""

    def __init__(self, file: str, scheme: Scheme, members: dict[str, MemberResult], named: dict[str, tuple[str, ...]], flags: dict[str, bool]):
        self.file, self.scheme, self.members = file, scheme, members
        self.levels = {k: m.stars for k, m in members.items()}
        self.named = {k: named.get(k, ()) for k in members}
        self.flags = dict(flags)
        self.star_names = [s.name for s in scheme.model_stars] + ([scheme.quota_star.name] if scheme.quota_star else [])
        self._applied: dict[str, list[Adjustment]] = {}

    def check(self, a: Adjustment) -> _Change | Problem:
        if a.kind not in KINDS:
            return self._problem(a, Code.ADJUST_KIND_UNKNOWN, "类型", a.kind, "、".join(KINDS))
        for column, value in (("理由", a.reason), ("批准人", a.approver)):
            if not value:
                return self._problem(a, Code.ADJUST_FIELD_MISSING, column, "", column)
        if a.target in self.members:
            return self._member_change(a)
        if a.target in self.flags or any(b.name == a.target for b in self.scheme.branches):
            return self._branch_change(a)
        return self._problem(a, Code.ADJUST_TARGET_UNKNOWN, "对象", a.target, "党员名册中的编号或支部表中的支部名称")

    def _member_change(self, a: Adjustment) -> _Change | Problem:
        if a.kind == WITHDRAW_FLAG:
            return self._problem(a, Code.ADJUST_TARGET_UNKNOWN, "对象", a.target, "支部名称（撤旗的对象是支部）")
        if a.value in self.star_names:
            return self._named_change(a)
        if not self.scheme.bands:
            return self._problem(a, Code.ADJUST_VALUE_INVALID, "新值", a.value, "本方案的星名：" + "、".join(self.star_names))
        level = self.levels[a.target]
        if level is None:
            return self._problem(a, Code.ADJUST_NOT_APPLICABLE, "对象", f"{a.target}本期缺少评分、没有星级", "调整星级")
        top = self.scheme.top_star
        number = _whole(a.value)
        if a.kind in (ADD_STAR, REMOVE_STAR):
            if number is None or number <= 0:
                return self._problem(a, Code.ADJUST_VALUE_INVALID, "新值", a.value, "增减的星数（正整数，留空为1）或星名")
            new = min(top, level + number) if a.kind == ADD_STAR else max(0, level - number)
            if new == level:
                return self._problem(a, Code.ADJUST_NOT_APPLICABLE, "新值", f"{a.target}已是{stars_text(level)}", a.kind)
        elif a.kind == DEMOTE:
            new = level - 1 if not a.value else number
            if new is None or not 0 <= new < level:
                return self._problem(a, Code.ADJUST_VALUE_INVALID, "新值", a.value, f"低于现有{level}星的星级（0至{level - 1}，留空为降一级）")
        else:  # 更正
            if not a.value or number is None or not 0 <= number <= top:
                return self._problem(a, Code.ADJUST_VALUE_INVALID, "新值", a.value, f"更正后的星级（0至{top}）或星名")
            new = number
        return _Change(LEVEL, stars_text(level), stars_text(new), level=new)

    def _named_change(self, a: Adjustment) -> _Change | Problem:
        if a.kind == DEMOTE:
            return self._problem(a, Code.ADJUST_VALUE_INVALID, "新值", a.value, "降级后的星级（降级不用于星名，摘去星名请用“摘星”）")
        has = a.value in self.named[a.target]
        grant = a.kind in (ADD_STAR, CORRECT)
        if has == grant:
            state = "已获" if has else "未获"
            return self._problem(a, Code.ADJUST_NOT_APPLICABLE, "新值", f"{a.target}本期{state}“{a.value}”", a.kind)
        return _Change(a.value, "有" if has else "无", "有" if grant else "无", grant=grant)

    def _branch_change(self, a: Adjustment) -> _Change | Problem:
        if a.target not in self.flags:
            return self._problem(a, Code.ADJUST_NOT_APPLICABLE, "对象", "本方案不授旗", a.kind)
        won = self.flags[a.target]
        if a.kind == WITHDRAW_FLAG or (a.kind == CORRECT and a.value in (GRANT, REFUSE)):
            grant = a.kind == CORRECT and a.value == GRANT
            if won == grant:
                return self._problem(a, Code.ADJUST_NOT_APPLICABLE, "对象", f"{a.target}本期{'已' if won else '未'}授旗", a.kind)
            return _Change(FLAG, _flag_text(won), _flag_text(grant), grant=grant)
        if a.kind == CORRECT:
            return self._problem(a, Code.ADJUST_VALUE_INVALID, "新值", a.value, f"{GRANT}或{REFUSE}")
        return self._problem(a, Code.ADJUST_TARGET_UNKNOWN, "对象", a.target, f"党员编号（{a.kind}的对象是党员）")

    def _problem(self, a: Adjustment, code: Code, column: str, found: str, expected: str) -> Problem:
        return Problem(code, self.file, SHEET, a.cell(column), found, expected)

    # -- applying ----------------------------------------------------------------------------------

    def apply(self, record: _Row) -> None:
        a, what, change = record.adjustment, record.what, record.change
        if what == LEVEL:
            self.levels[a.target] = change.level
        elif what == FLAG:
            self.flags[a.target] = change.grant
        elif change.grant:
            self.named[a.target] = tuple(s for s in self.star_names if s in self.named[a.target] or s == what)
        else:
            self.named[a.target] = tuple(s for s in self.named[a.target] if s != what)
        self._applied.setdefault(a.target, []).append(a)

    def applied_to(self, target: str) -> tuple[Adjustment, ...]:
        return tuple(self._applied.get(target, ()))

    @staticmethod
    def final_records(records: list[_Row]) -> list[Record]:
        return [Record(r.adjustment, r.what, r.before, r.after, r.applied, r.problem) for r in records]


@dataclass(frozen=True)
class _Row(Record):
    """A record while it is being settled: with the change it would make."""

    change: _Change | None = None


def _settle_conflicts(checked: list[tuple[Adjustment, _Change | Problem]], file: str) -> list[_Row]:
    """Rows that passed their own checks but adjust the same result as another are problems."""
    keys: dict[tuple[str, str], list[Adjustment]] = {}
    for a, outcome in checked:
        if isinstance(outcome, _Change):
            keys.setdefault((a.target, outcome.what), []).append(a)
    rows = []
    for a, outcome in checked:
        if isinstance(outcome, Problem):
            rows.append(_Row(a, "", "", "", False, outcome))
            continue
        others = [o for o in keys[(a.target, outcome.what)] if o is not a]
        if others:
            found = "、".join(f"第{o.row}行" for o in others)
            problem = Problem(Code.ADJUST_CONFLICT, file, SHEET, a.cell("对象"), found, outcome.what)
            rows.append(_Row(a, outcome.what, outcome.before, outcome.before, False, problem, outcome))
        else:
            rows.append(_Row(a, outcome.what, outcome.before, outcome.after, True, None, outcome))
    return rows


def _flag_text(won: bool) -> str:
    return GRANT if won else REFUSE


def _whole(text: str) -> int | None:
    """"2", "2.0", "２" → 2; blank → 1 (one star, one level); anything else → None."""
    text = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789")).removesuffix("星").removesuffix("颗")
    if not text:
        return 1
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return int(value) if value.denominator == 1 else None
