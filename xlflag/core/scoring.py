"""Step 4: accepted ratings → group means, weighted totals, star levels. Pure: no Excel.

Exact arithmetic (Fraction) until the one rounding the rules call for, half-up to two
decimals like Excel's ROUND, so the results workbook's formulas reproduce every number.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .model import RATER_SELF, Member, RaterGroup, Scheme, StarBand
from .ratings import AcceptedForm

TOTAL_DECIMALS = 2


@dataclass(frozen=True)
class Rating:
    """One rater's complete scores for one person; the rater is a label, never a name."""

    branch: str
    group: str  # RaterGroup.code
    rater: str  # e.g. 互评03
    ratee: str  # member id, or branch name on a flag form
    scores: tuple[tuple[str, Fraction], ...]
    answer: str = ""  # 满意度 on the masses' flag questionnaire

    @property
    def total(self) -> Fraction:
        return sum((s for _, s in self.scores), Fraction(0))

    def subtotal(self, codes: frozenset[str]) -> Fraction:
        return sum((s for c, s in self.scores if c in codes), Fraction(0))


@dataclass(frozen=True)
class GroupScore:
    group: RaterGroup
    raters: int
    mean: Fraction | None  # None when nobody in the group rated the member


@dataclass(frozen=True)
class MemberResult:
    member: Member
    groups: tuple[GroupScore, ...]
    total: Decimal | None  # None while a group has no rating
    stars: int | None

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(g.group.name for g in self.groups if g.mean is None)


def anonymise(scheme: Scheme, accepted: list[AcceptedForm]) -> list[Rating]:
    """Number raters within branch and group by form code: stable, and reveals no name."""
    names = {g.code: g.name for g in scheme.groups}
    kinds = {g.code: g.rater_kind for g in scheme.groups}
    by_slot: dict[tuple[str, str], list[AcceptedForm]] = {}
    for form in accepted:
        by_slot.setdefault((form.identity.branch, form.identity.group), []).append(form)
    ratings = []
    for (branch, group), forms in sorted(by_slot.items()):
        for n, form in enumerate(sorted(forms, key=lambda f: f.identity.code), start=1):
            label = names[group] if kinds[group] == RATER_SELF else f"{names[group]}{n:02d}"
            ratings += [Rating(branch, group, label, row.ratee, row.scores, row.answer) for row in form.rows]
    return ratings


def score_members(scheme: Scheme, ratings: list[Rating]) -> list[MemberResult]:
    by_member = group_scores(scheme.member_groups, ratings)
    results = []
    for member in scheme.members:
        groups = by_member(member.member_id)
        total = member_total(groups)
        stars = None if total is None else star_level(total, scheme.bands, member.outstanding, scheme.settings.top_star_needs_outstanding)
        results.append(MemberResult(member, groups, total, stars))
    return results


def group_scores(groups: tuple[RaterGroup, ...], ratings: list[Rating], codes: frozenset[str] | None = None):
    """ratee → per group (rater count, mean of the raters' totals — or of one category's
    subtotals when ``codes`` names its items)."""
    values: dict[tuple[str, str], list[Fraction]] = {}
    for r in ratings:
        values.setdefault((r.ratee, r.group), []).append(r.total if codes is None else r.subtotal(codes))

    def for_ratee(ratee: str) -> tuple[GroupScore, ...]:
        return tuple(_group_score(g, values.get((ratee, g.code), [])) for g in groups)

    return for_ratee


def _group_score(group: RaterGroup, totals: list[Fraction]) -> GroupScore:
    mean = sum(totals, Fraction(0)) / len(totals) if totals else None
    return GroupScore(group, len(totals), mean)


def member_total(groups: tuple[GroupScore, ...]) -> Decimal | None:
    """Σ weight% × group mean, rounded; undefined while any group is missing."""
    if any(g.mean is None for g in groups):
        return None
    return round_half_up(sum((g.group.weight / 100 * g.mean for g in groups), Fraction(0)))


def round_half_up(x: Fraction, decimals: int = TOTAL_DECIMALS) -> Decimal:
    """Excel's ROUND on an exact value: halves go away from zero."""
    scaled = x * 10**decimals
    whole = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(whole if x >= 0 else -whole).scaleb(-decimals)


def star_level(total: Decimal, bands: tuple[StarBand, ...], outstanding: bool, top_needs_outstanding: bool) -> int | None:
    """The band whose lower edge is the highest not above the total (Excel's LOOKUP).

    S2: "没有特别突出的优秀表现，不能评定五星级" — the top band without the mark drops one star.
    """
    exact = Fraction(total)
    reached = [b for b in bands if b.low <= exact]
    if not reached:
        return None
    stars = max(reached, key=lambda b: b.low).stars
    top = max(b.stars for b in bands)
    if stars == top and top_needs_outstanding and not outstanding:
        return stars - 1
    return stars
