"""The ballot rules offices add to the plain mean (Chinese 民主测评 practice). Pure. Each is a
scheme setting (设置), off unless set, and stated on the sheets when it applies:

- 去掉一个最高分和一个最低分 (设置 去掉最高最低分), per ratee and rater group, only when the group
  has at least K raters and still has its anonymity threshold after the two are left out
  (``mark_extremes``): the rater with the highest total and the one with the lowest are left
  out of every score of that group (total, categories, model stars), so the mean is
  (Σ − max − min) ÷ (n − 2) (``trimmed_mean``). Self-rating is one rater and is never trimmed.
  Equal totals at the top or bottom: the first in rater order goes (the mean is the
  same whichever). 满意度 answers are votes, not scores: every rater's counts.
- A quota per star level (星级名额, e.g. "5星:5%" or "5星:1/3"): at most floor(share × members)
  members keep that level; the rest drop one level (and meet the next level's quota, if any).
  Order: higher 综合得分 first, then the group means named in 星级名额并列规则; members still
  tied across the line all drop, so the quota is never exceeded.
- 废票 (废票规则 全满分 and/or 超名额): a return giving every ratee full marks (on forms
  rating two or more), or more totals in the top star band than the top level's quota allows
  on that form, is counted as returned, listed, and not used.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from math import floor

from .model import Scheme
from .problems import Code, Problem
from .ratings import AcceptedForm
from .scoring import EXEMPT_KINDS, MemberResult, Rating, exact_sum, thresholds

FULL_MARKS, OVER_QUOTA = "全满分", "超名额"
VOID_RULES = (FULL_MARKS, OVER_QUOTA)
DEFAULT_TRIM_MINIMUM = 5


def trimmed_mean(totals: list[Fraction], minimum: int = DEFAULT_TRIM_MINIMUM) -> tuple[Fraction | None, bool]:
    """(mean, trimmed?): 去掉一个最高分和一个最低分 when there are at least ``minimum`` (≥ 3)
    totals: (Σ − max − min) ÷ (n − 2); the plain mean below that."""
    if not totals:
        return None, False
    if len(totals) >= max(minimum, 3):
        return (exact_sum(totals) - max(totals) - min(totals)) / (len(totals) - 2), True
    return exact_sum(totals) / len(totals), False


HIGHEST, LOWEST = "最高分", "最低分"


def mark_extremes(scheme: Scheme, ratings: list[Rating],
                  required: dict[tuple[str, str], int] | None = None) -> list[Rating]:
    """The ratings, the highest and lowest of each trimmed (ratee, group) marked ``dropped``;
    unchanged while 去掉最高最低分 is off."""
    k = scheme.settings.trim_minimum
    if k is None:
        return ratings
    required = thresholds(scheme) if required is None else required
    exempt = {g.code for g in scheme.groups if g.rater_kind in EXEMPT_KINDS}
    slots: dict[tuple[str, str], list[int]] = {}
    for n, r in enumerate(ratings):
        if r.group not in exempt:
            slots.setdefault((r.ratee, r.group), []).append(n)
    marks: dict[int, str] = {}
    for key, at in slots.items():
        if len(at) < max(k, 3, required.get(key, 1) + 2):
            continue
        high = min(at, key=lambda n: (-ratings[n].total, ratings[n].rater))
        low = min((n for n in at if n != high), key=lambda n: (ratings[n].total, ratings[n].rater))
        marks[high], marks[low] = HIGHEST, LOWEST
    return [replace(r, dropped=marks[n]) if n in marks else r for n, r in enumerate(ratings)]


def trim_rule_text(scheme: Scheme) -> str:
    """去掉最高最低分 as the sheets state it; empty while it is off."""
    k = scheme.settings.trim_minimum
    if k is None:
        return ""
    return (f"去掉一个最高分和一个最低分：同一评价主体对同一被评对象不少于{k}人评分时，去掉总分最高和最低的各一人，"
            f"其余评分求平均（去掉后不足计分门槛的不去掉）；本人自评不去掉；满意度按全部答卷统计。")


# -- quotas per star level -------------------------------------------------------------------------

@dataclass(frozen=True)
class QuotaOutcome:
    member_id: str
    before: int
    after: int
    note: str


def quota_cap(share: Fraction, members: int) -> int:
    return floor(share * members)


def apply_star_quotas(scheme: Scheme, members: list[MemberResult]) -> tuple[list[MemberResult], list[QuotaOutcome]]:
    """Members above a level's quota drop one level, top level first; returns the new results
    and one outcome per member moved (with the reason, for the sheets)."""
    quotas = dict(scheme.settings.star_quotas)
    if not quotas:
        return members, []
    levels = {m.member.member_id: m.stars for m in members}
    moved: dict[str, list[str]] = {}
    start = {k: v for k, v in levels.items()}
    ties = scheme.settings.quota_tie_break
    for level in sorted(quotas, reverse=True):
        cap = quota_cap(quotas[level], len(members))
        at_level = [m for m in members if levels[m.member.member_id] == level]
        ranked = sorted(at_level, key=lambda m: _order(m, ties))
        keep = ranked[:cap]
        if len(ranked) > cap and cap and _order(ranked[cap], ties) == _order(ranked[cap - 1], ties):
            line = _order(ranked[cap], ties)
            keep = [m for m in keep if _order(m, ties) != line]  # tied across the line: all drop
        for m in at_level:
            if m not in keep:
                levels[m.member.member_id] = level - 1
                moved.setdefault(m.member.member_id, []).append(
                    f"{level}星名额{cap}名（{_share_text(quotas[level])}×{len(members)}人），按名次未入")
    results = [replace(m, stars=levels[m.member.member_id]) for m in members]
    outcomes = [QuotaOutcome(k, start[k], levels[k], "；".join(v)) for k, v in moved.items()]
    return results, outcomes


def quota_rule_text(scheme: Scheme) -> str:
    """The quota rule as the sheets state it."""
    s = scheme.settings
    parts = "、".join(f"{level}星不超过参评人数的{_share_text(share)}" for level, share in sorted(s.star_quotas, reverse=True))
    ties = "、".join(f"{t}平均分" for t in s.quota_tie_break)
    order = "按综合得分从高到低" + (f"（并列时依次比较{ties}）" if ties else "")
    return f"星级名额：{parts}（向下取整），{order}确定，名额外的降一星；在名额线上仍并列的均降一星。"


def _order(m: MemberResult, ties: tuple[str, ...]):
    means = {g.group.name: g.mean for g in m.groups}
    return (-(m.total or 0), *(-(means.get(t) or 0) for t in ties))


def _share_text(share: Fraction) -> str:
    percent = share * 100
    return f"{percent.numerator}%" if percent.denominator == 1 else f"{share.numerator}/{share.denominator}"


# -- 废票 ---------------------------------------------------------------------------------------------

def void_ballots(scheme: Scheme, forms: list[AcceptedForm]) -> tuple[list[AcceptedForm], list[Problem]]:
    """(the forms that count, one RETURN_VOID_BALLOT problem per 废票)."""
    rules = scheme.settings.void_rules
    if not rules:
        return forms, []
    kept, problems = [], []
    for form in forms:
        why = _void_reason(scheme, form, rules)
        if why:
            problems.append(Problem(Code.RETURN_VOID_BALLOT, form.file, "", "", why, form.identity.code))
        else:
            kept.append(form)
    return kept, problems


def _void_reason(scheme: Scheme, form: AcceptedForm, rules: tuple[str, ...]) -> str:
    maxima = {i.code: i.maximum for i in scheme.items_of(form.identity.criteria_set)}
    if FULL_MARKS in rules and len(form.rows) >= 2:
        if all(score == maxima[code] for row in form.rows for code, score in row.scores):
            return f"对全部{len(form.rows)}名被评人各项均打满分"
    quotas = dict(scheme.settings.star_quotas)
    top = scheme.top_star
    if OVER_QUOTA in rules and top in quotas and form.identity.target == "党员":
        low = max(b.low for b in scheme.bands if b.stars == top)
        cap = quota_cap(quotas[top], len(form.rows))
        high = sum(1 for row in form.rows if exact_sum(s for _, s in row.scores) >= low)
        if high > cap:
            return f"{high}人达{top}星分数线（{low}分），超过{top}星名额{cap}名（{_share_text(quotas[top])}×{len(form.rows)}人）"
    return ""
