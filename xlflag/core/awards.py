"""Step 4b: awards beyond star levels — the branch flag, named model stars, 党员之星. Pure.

Every number that decides an award is rounded half-up to two decimals (Excel's ROUND), so
the results workbook's formulas land on exactly the same side of every threshold.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .model import SATISFACTION, Member, ModelStar, Scheme
from .scoring import (
    GroupScore,
    MemberResult,
    Rating,
    group_scores,
    member_total,
    round_half_up,
    thresholds,
)
from .values import number_text

SATISFACTION_DECIMALS = 4  # 满意率 compared as a share, e.g. 0.8500


@dataclass(frozen=True)
class Awards:
    branches: list["BranchResult"]
    stars: list["StarAward"]
    picks: list["QuotaPick"]


def decide_awards(scheme: Scheme, ratings: list[Rating], members: list[MemberResult]) -> Awards:
    """Everything a scheme awards besides star levels; empty lists where it awards nothing."""
    required = thresholds(scheme)  # once: the plan's expected raters are a county's 50,000 pairs
    return Awards(
        score_branches(scheme, ratings, required) if scheme.flag else [],
        model_stars(scheme, ratings, required),
        quota_star(scheme, members) if scheme.quota_star else [],
    )


def category_codes(scheme: Scheme, set_name: str, category: str) -> frozenset[str]:
    return frozenset(i.code for i in scheme.items_of(set_name) if i.category == category)


def weighted_category(scheme: Scheme, groups, ratings: list[Rating], set_name: str, category: str,
                      required: dict[tuple[str, str], int] | None = None):
    """ratee → the category subtotal weighted like the total (same groups counted, same
    rescaling), rounded; None exactly when the total is."""
    required = thresholds(scheme) if required is None else required
    by_ratee = group_scores(groups, ratings, category_codes(scheme, set_name, category), required)
    return lambda ratee: member_total(by_ratee(ratee), scheme.settings.short_policy)


# -- named model stars (S3, S5) ------------------------------------------------------------

@dataclass(frozen=True)
class StarAward:
    member: Member
    star: ModelStar
    score: Decimal | None  # the member's weighted category score
    needed: Decimal  # threshold × category maximum
    awarded: bool


def model_stars(scheme: Scheme, ratings: list[Rating],
                required: dict[tuple[str, str], int] | None = None) -> list[StarAward]:
    awards, required = [], thresholds(scheme) if required is None else required
    for star in scheme.model_stars:
        score_of = weighted_category(scheme, scheme.member_groups, ratings, star.set_name, star.category, required)
        needed = round_half_up(star.threshold * scheme.category_maximum(star.set_name, star.category))
        for member in scheme.members:
            if member.criteria_set == star.set_name:
                score = score_of(member.member_id)
                awards.append(StarAward(member, star, score, needed, score is not None and score >= needed))
    order = {m.member_id: n for n, m in enumerate(scheme.members)}
    return sorted(awards, key=lambda a: (order[a.member.member_id], scheme.model_stars.index(a.star)))


# -- the branch flag (S1, S3, S4, S5) -----------------------------------------------------

@dataclass(frozen=True)
class BranchResult:
    branch: str
    groups: tuple[GroupScore, ...]
    total: Decimal | None
    tie_values: tuple[Decimal | None, ...]  # one per FlagRules.tie_break key
    satisfaction: Decimal | None  # share of satisfied answers, None without answers
    rank: int | None  # by total alone; equal totals share a rank (formula: COUNTIF)
    position: int | None  # after tie-breaks, among branches with a total
    winner: bool
    reason: str  # why a branch did not win, or how a tie was settled


def score_branches(scheme: Scheme, ratings: list[Rating],
                   required: dict[tuple[str, str], int] | None = None) -> list[BranchResult]:
    flag = scheme.flag
    codes = {g.code for g in scheme.flag_groups}
    flag_ratings = [r for r in ratings if r.group in codes]
    required = thresholds(scheme) if required is None else required
    by_branch = group_scores(scheme.flag_groups, flag_ratings, required=required)
    sat_of = satisfactions(scheme, flag_ratings, required)
    tie_fns = [sat_of if key == SATISFACTION else _tie_value_fn(scheme, flag_ratings, key, required)
               for key in flag.tie_break]
    policy, rows = scheme.settings.short_policy, []
    for branch in scheme.branches:
        groups = by_branch(branch.name)
        rows.append((branch.name, groups, member_total(groups, policy), tuple(f(branch.name) for f in tie_fns),
                     sat_of(branch.name)))
    return _rank(scheme, rows)


def satisfaction(scheme: Scheme, ratings: list[Rating], branch: str,
                 required: dict[tuple[str, str], int] | None = None) -> Decimal | None:
    """Share of satisfied answers, over the groups that reached their threshold for the branch
    (one representative's answer is never shown alone)."""
    return satisfactions(scheme, [r for r in ratings if r.ratee == branch], required)(branch)


def satisfactions(scheme: Scheme, ratings: list[Rating], required: dict[tuple[str, str], int] | None = None):
    """branch → ``satisfaction``, the ratings gone through once (not once per branch: a county
    has 387 branches and 50,000 flag ratings)."""
    required = thresholds(scheme) if required is None else required
    by_branch: dict[str, dict[str, list[str]]] = {}
    for r in ratings:
        by_branch.setdefault(r.ratee, {}).setdefault(r.group, []).append(r.answer)
    return lambda branch: _satisfaction(scheme, by_branch.get(branch, {}), branch, required)


def _satisfaction(scheme: Scheme, given: dict[str, list[str]], branch: str, required) -> Decimal | None:
    answers = [a for g, got in given.items() if len(got) >= required.get((branch, g), 1) for a in got if a]
    if not answers:
        return None
    satisfied = sum(a in scheme.flag.satisfied for a in answers)
    return round_half_up(Fraction(satisfied, len(answers)), SATISFACTION_DECIMALS)


def _tie_value_fn(scheme: Scheme, ratings: list[Rating], key: str, required):
    return weighted_category(scheme, scheme.flag_groups, ratings, scheme.flag.set_name, key, required)


def _sort_key(row):
    """Higher total first, then each tie-break value higher first, then the name (stable)."""
    name, _, total, ties, _ = row
    return (-(total or 0), *(-(t if t is not None else -1) for t in ties), name)


def _rank(scheme: Scheme, rows) -> list[BranchResult]:
    flag = scheme.flag
    scored = sorted((r for r in rows if r[2] is not None), key=_sort_key)
    totals = [r[2] for r in scored]
    position = {r[0]: n for n, r in enumerate(scored, start=1)}
    winners, results = set(), {}
    for name, groups, total, ties, sat in scored:
        reason = _shortfall(flag, total, sat)
        if not reason and (flag.quota is None or len(winners) < flag.quota):
            winners.add(name)
        elif not reason:
            reason = f"名额已满（共{flag.quota}面）"
        tied = [r[0] for r in scored if r[2] == total and r[0] != name]
        if tied and flag.tie_break:
            reason = "；".join(x for x in (reason, f"与{'、'.join(tied)}总分并列，依次按{'、'.join(_tie_names(flag))}排序") if x)
        rank = 1 + sum(t > total for t in totals)
        results[name] = BranchResult(name, groups, total, ties, sat, rank, position[name], name in winners, reason)
    for name, groups, total, ties, sat in rows:
        if total is None:
            results[name] = BranchResult(name, groups, None, ties, sat, None, None, False, "缺少评分，未参加排名")
    return [results[r[0]] for r in rows]


def percent_text(share: Fraction) -> str:
    """0.875 → 87.5%: the floor exactly as the scheme set it."""
    return f"{number_text(Fraction(share) * 100)}%"


def _tie_names(flag) -> list[str]:
    return [k if k == SATISFACTION else f"{k}小计" for k in flag.tie_break]


def _shortfall(flag, total: Decimal, sat: Decimal | None) -> str:
    """The hard conditions: S3's 群众满意率 ≥ 85 %, and a minimum score where one is set."""
    if flag.satisfaction_floor is not None:
        floor = round_half_up(flag.satisfaction_floor, SATISFACTION_DECIMALS)
        if sat is None or sat < floor:
            shown = "无问卷" if sat is None else f"{sat:.2%}"
            return f"群众满意率{shown}，低于{percent_text(flag.satisfaction_floor)}"
    if flag.minimum is not None and total < flag.minimum:
        return f"综合得分低于最低分{number_text(flag.minimum)}"
    return ""


# -- 党员之星 (S4): a quota across the whole scheme ------------------------------------------

@dataclass(frozen=True)
class QuotaPick:
    result: MemberResult
    tie_values: tuple[Fraction | None, ...]  # group means named by the tie rule
    position: int
    chosen: bool
    note: str


def quota_star(scheme: Scheme, members: list[MemberResult]) -> list[QuotaPick]:
    rule = scheme.quota_star
    names = list(rule.tie_break)

    def ties(m: MemberResult):
        means = {g.group.name: g.mean for g in m.groups}
        return tuple(means.get(n) for n in names)

    ranked = sorted((m for m in members if m.total is not None),
                    key=lambda m: (-m.total, *(-(t or 0) for t in ties(m)), m.member.member_id))
    places: dict = {}  # total → the places holding it (one pass: a county ranks 9,000)
    for k, o in enumerate(ranked, start=1):
        places.setdefault(o.total, []).append(k)
    rule_text = "、".join(f"{n}平均分" for n in names)
    picks = []
    for n, m in enumerate(ranked, start=1):
        tied = _tied_with(places[m.total], n)
        note = f"与排序{tied}总分并列，依次按{rule_text}排序" if tied else ""
        picks.append(QuotaPick(m, ties(m), n, n <= rule.quota, note))
    return picks


NAMED_TIES = 5  # a tie of more others is told as the run of places it spans


def _tied_with(run: list[int], place: int) -> str:
    """The places ``place`` shares its total with, by position, not by name (names stand only in
    the 姓名 column): "第3名、第4名"; past ``NAMED_TIES`` others, "第12至第1825名中的另外1813人"
    (a county can tie 1,800 members at one total: naming every other place in each note made
    1,800 notes of 1,799 places). ``run``: the places holding the total, in order (a run:
    ranked by total first)."""
    if len(run) - 1 > NAMED_TIES:
        return f"第{run[0]}至第{run[-1]}名中的另外{len(run) - 1}人"
    return "、".join(f"第{k}名" for k in run if k != place)
