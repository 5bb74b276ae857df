"""For the office's working papers only (never 汇总结果, the 公示 or the 简报): each member's
self-versus-others gap and each branch's highest and lowest items. Pure.

- 自评差距: the self rating's total minus the others' score, where the others' score is the
  weighted mean of the member's non-self group means with the weights rescaled to 100 % (a
  member rated by 互评 30 %, 领导 20 %, 群众 30 % gets 3/8, 2/8, 3/8). Positive: the member rates
  themselves higher than others do.
- 支部强弱项: per branch, each item's mean score over every member rating in the branch as a share
  of the item's maximum (items of different maxima compare fairly); the highest and the lowest,
  all of them when tied.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .model import RATER_SELF, Item, Member, Scheme
from .scoring import Rating, group_scores, rating_sums


@dataclass(frozen=True)
class SelfGap:
    member: Member
    self_total: Fraction | None
    others: Fraction | None
    gap: Fraction | None  # self − others; None when either is missing


def self_gaps(scheme: Scheme, ratings: list[Rating]) -> list[SelfGap]:
    groups = scheme.member_groups
    by_member = group_scores(groups, ratings)
    gaps = []
    for member in scheme.members:
        scores = by_member(member.member_id)
        own = next((g.mean for g in scores if g.group.rater_kind == RATER_SELF), None)
        others = [g for g in scores if g.group.rater_kind != RATER_SELF and g.mean is not None and g.group.weight]
        weight = sum((g.group.weight for g in others), Fraction(0))
        other = sum((g.group.weight * g.mean for g in others), Fraction(0)) / weight if weight else None
        gap = own - other if own is not None and other is not None else None
        gaps.append(SelfGap(member, own, other, gap))
    return gaps


@dataclass(frozen=True)
class BranchItems:
    branch: str
    shares: tuple[tuple[Item, Fraction], ...]  # every item rated, with its mean share of the maximum
    highest: tuple[Item, ...]
    lowest: tuple[Item, ...]


def branch_items(scheme: Scheme, ratings: list[Rating]) -> list[BranchItems]:
    """One pass over the ratings (a county has a quarter of a million), then per branch."""
    member_codes = {g.code for g in scheme.member_groups}
    rows: dict[str, dict[str, list]] = {b.name: {} for b in scheme.branches}  # branch → set → ratings
    sets = {m.member_id: m.criteria_set for m in scheme.members}
    for r in ratings:
        if r.group not in member_codes or r.dropped or r.branch not in rows:
            continue  # 去掉最高最低分: what every score leaves out, the analysis does too
        rows[r.branch].setdefault(sets[r.ratee], []).append(r)
    results = []
    for branch in scheme.branches:
        found = {}  # (set, item code) → (Σ scores, how many)
        for set_name, rated in rows[branch.name].items():
            sums, counts = rating_sums(rated)
            found.update({(set_name, code): (total, counts[code]) for code, total in sums.items()})
        items = [i for i in scheme.items if (i.set_name, i.code) in found]
        shares = tuple((i, Fraction(found[(i.set_name, i.code)][0]) / found[(i.set_name, i.code)][1] / i.maximum) for i in items)
        if not shares:
            results.append(BranchItems(branch.name, (), (), ()))
            continue
        top, bottom = max(s for _, s in shares), min(s for _, s in shares)
        results.append(BranchItems(branch.name, shares, tuple(i for i, s in shares if s == top), tuple(i for i, s in shares if s == bottom)))
    return results
