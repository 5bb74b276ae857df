"""Step 4: accepted ratings → group means, weighted totals, star levels. Pure: no Excel.

Exact arithmetic (Fraction) until the one rounding the rules call for, half-up to two
decimals like Excel's ROUND, so the results workbook's formulas reproduce every number.

Anonymity threshold (设置 → 评价人数门槛, default 3): a group's mean for a ratee is shown
only once that many of its raters rated the ratee; below it the group reads 不足N人 and is
left out of the total (设置 → 不足门槛时: the remaining weights are scaled up, or the total
stays open). Self-rating (本人, a branch's own 支部自评) is exempt. A group smaller than the
threshold by design (two leaders, one superior) needs all its raters: its mean is shown only
when every planned rater returned, so a partial group never shows one person's scores. A
one-person group (a single leader, the superior) is a named role: its mean is that person's
own, signed opinion, as the scheme decided by giving it a weight.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from fractions import Fraction
from operator import attrgetter, itemgetter

from .formplan import expected_raters
from .model import (
    RATER_BRANCH,
    RATER_SELF,
    SHORT_OPEN,
    SHORT_RESCALE,
    Member,
    RaterGroup,
    Scheme,
    StarBand,
)
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
    dropped: str = ""  # 最高分 / 最低分: left out of the group's scores (设置 去掉最高最低分)

    @property
    def total(self) -> Fraction:
        return self._summed[0]

    @property
    def points(self) -> bytes | tuple[int, ...] | None:
        """The scores as ints, in form order, when every one is whole (a county's are), else
        None: what every sum over them adds in C instead of as Fractions."""
        return self._summed[1]

    # read and summed once: the total, 数据's sums, the working papers and the analyses share it.
    # One attribute for both: a second one makes each of a county's 310,000 instance dicts
    # 336 bytes bigger (the class's shared key table no longer serves them)
    @cached_property
    def _summed(self) -> tuple[Fraction, bytes | tuple[int, ...] | None]:
        points = whole_points(self.scores)
        return exact_sum(list(map(_score, self.scores))) if points is None else Fraction(sum(points)), points

    def subtotal(self, codes: frozenset[str]) -> Fraction:
        return exact_sum([s for c, s in self.scores if c in codes])


_score = itemgetter(1)
# Fraction's own slots, read in C: its numerator/denominator properties are Python calls, and a
# county's 6 million scores are summed this way (2.5× faster than the loop below)
_numerators, _denominators = attrgetter("_numerator"), attrgetter("_denominator")


def whole_points(scores: tuple[tuple[str, Fraction], ...]) -> bytes | tuple[int, ...] | None:
    """(code, score) pairs → the scores as ints when every one is whole, else None. As bytes
    when each fits one (scores are 0..an item's maximum): a county's 310,000 ratings of 20
    scores then hold 16 MB instead of 67, and sum, zip and iterate as ints just the same."""
    values = list(map(_score, scores))
    if not values:
        return None
    numerators = whole_numerators(values)
    if numerators is not None:
        whole = list(numerators)
    elif any(v.denominator != 1 for v in values):  # a half point (or, not Fractions, a mix with one)
        return None
    else:  # not Fractions: ints, or a mix
        whole = [v.numerator for v in values]
    try:
        return bytes(whole)
    except ValueError:  # below 0 or above 255
        return tuple(whole)


def exact_sum(values) -> Fraction:
    """Σ values, exactly: whole numbers add as ints (a county sums millions of them; Fraction's
    + is twenty times slower), only the others as Fractions."""
    if type(values) is list and values and type(values[0]) is Fraction:
        whole = _whole_sum(values)  # every value a whole Fraction: a sum of ints
        if whole is not None:
            return Fraction(whole)
    whole, rest = 0, None
    for value in values:
        if value.denominator == 1:
            whole += value.numerator
        else:
            rest = value if rest is None else rest + value
    return Fraction(whole) if rest is None else rest + whole


@dataclass(frozen=True)
class GroupScore:
    group: RaterGroup
    raters: int
    mean: Fraction | None  # None while fewer than ``required`` raters rated the ratee
    required: int = 1  # raters needed before the mean is shown (the anonymity threshold)
    dropped: int = 0  # of ``raters``, left out as the highest and lowest (去掉最高最低分)

    @property
    def short_text(self) -> str:
        """What the sheet shows instead of the mean below the threshold."""
        return short_text(self.required)


def short_text(required: int) -> str:
    return f"不足{required}人"


@dataclass(frozen=True)
class MemberResult:
    member: Member
    groups: tuple[GroupScore, ...]
    total: Decimal | None  # None while no group (or, with SHORT_OPEN, not every group) counts
    stars: int | None

    @property
    def missing(self) -> tuple[str, ...]:
        """Groups left out of the total: below their threshold or not rated at all."""
        return tuple(g.group.name for g in self.groups if g.mean is None)


EXEMPT_KINDS = (RATER_SELF, RATER_BRANCH)  # rating oneself: nothing to hide


def required_raters(group: RaterGroup, expected: int, threshold: int) -> int:
    """Raters a group needs before its mean is shown: the threshold, or every planned rater
    of a group smaller than it by design; one for self-rating."""
    if group.rater_kind in EXEMPT_KINDS:
        return 1
    return max(1, min(threshold, expected))


def thresholds(scheme: Scheme, expected: dict[tuple[str, str], int] | None = None) -> dict[tuple[str, str], int]:
    """(ratee, group code) → raters required, for every pair the plan has raters for
    (``expected``: ``formplan.expected_raters(scheme)`` when the caller has it already)."""
    groups = {g.code: g for g in scheme.groups}
    n = scheme.settings.min_raters
    expected = expected_raters(scheme) if expected is None else expected
    return {key: required_raters(groups[key[1]], count, n) for key, count in expected.items()}


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
    by_member = group_scores(scheme.member_groups, ratings, required=thresholds(scheme))
    policy = scheme.settings.short_policy
    results = []
    for member in scheme.members:
        groups = by_member(member.member_id)
        total = member_total(groups, policy)
        stars = None if total is None else star_level(total, scheme.bands, member.outstanding, scheme.settings.top_star_needs_outstanding)
        results.append(MemberResult(member, groups, total, stars))
    return results


def group_scores(groups: tuple[RaterGroup, ...], ratings: list[Rating], codes: frozenset[str] | None = None,
                 required: dict[tuple[str, str], int] | None = None):
    """ratee → per group (rater count, mean of the raters' totals — or of one category's
    subtotals when ``codes`` names its items); the mean is None below ``required[(ratee,
    group code)]`` raters (1 where not given)."""
    values: dict[tuple[str, str], list[Fraction]] = {}
    dropped: dict[tuple[str, str], int] = {}
    for r in ratings:
        key = (r.ratee, r.group)
        if r.dropped:
            dropped[key] = dropped.get(key, 0) + 1
        else:
            values.setdefault(key, []).append(r.total if codes is None else r.subtotal(codes))
    required = required or {}

    def for_ratee(ratee: str) -> tuple[GroupScore, ...]:
        return tuple(_group_score(g, values.get((ratee, g.code), []), required.get((ratee, g.code), 1),
                                  dropped.get((ratee, g.code), 0)) for g in groups)

    return for_ratee


def _group_score(group: RaterGroup, totals: list[Fraction], required: int, dropped: int = 0) -> GroupScore:
    """The mean over the counted raters; shown once all who rated (counted or dropped) reach
    ``required`` — trimming leaves at least ``required`` counted (ballots.mark_extremes)."""
    raters = len(totals) + dropped
    mean = exact_sum(totals) / len(totals) if totals and raters >= required else None
    return GroupScore(group, raters, mean, required, dropped)


def member_total(groups: tuple[GroupScore, ...], policy: str = SHORT_RESCALE) -> Decimal | None:
    """Σ weight × group mean ÷ Σ weight over the groups that count, rounded.

    With every group counted the weights add up to 100 and this is Σ weight% × mean. A group
    below its threshold is left out and, with SHORT_RESCALE, the others' weights are scaled up
    to make 100 % again; with SHORT_OPEN the total stays undefined until every group counts.
    Undefined when no group (or only weight-0 groups) counts.
    """
    counted = [g for g in groups if g.mean is not None]
    if policy == SHORT_OPEN and len(counted) < len(groups):
        return None
    weight = sum((g.group.weight for g in counted), Fraction(0))
    if weight == 0:
        return None
    return round_half_up(sum((g.group.weight * g.mean for g in counted), Fraction(0)) / weight)


@dataclass(frozen=True)
class GroupSums:
    """What 数据 publishes per ratee and rater group: how many rated, and the sums over them."""

    raters: int
    items: dict[str, int | Fraction]  # item code → sum of that item's scores, over the counted raters (exact)
    answers: dict[str, int]  # 满意度 answer → how many gave it (every rater: a vote, not a score)
    dropped: int = 0  # raters left out of ``items`` as the highest and lowest (去掉最高最低分)

    @property
    def counted(self) -> int:
        return self.raters - self.dropped


def group_sums(ratings: list[Rating]) -> dict[tuple[str, str], GroupSums]:
    """(ratee, group code) → the group's sums: no single rater's scores survive the sum."""
    acc: dict[tuple[str, str], tuple[list[int], list, dict]] = {}
    for r in ratings:
        count, counted, answers = acc.setdefault((r.ratee, r.group), ([0, 0], [], {}))
        count[0] += 1
        if r.answer:
            answers[r.answer] = answers.get(r.answer, 0) + 1
        if r.dropped:
            count[1] += 1
        else:
            counted.append(r)
    return {key: GroupSums(count[0], rating_sums(counted)[0], answers, count[1]) for key, (count, counted, answers) in acc.items()}


_code = itemgetter(0)


def item_sums(score_rows: list[tuple[tuple[str, Fraction], ...]]) -> tuple[dict[str, int | Fraction], dict[str, int]]:
    """item code → Σ of its scores over ``score_rows`` (ints while the scores are whole: exact,
    and fast), and item code → how many scores it has. Rows mostly share one form layout: then
    the sums are taken column by column, in C (a county's 6 million scores)."""
    codes = tuple(map(_code, score_rows[0])) if score_rows else ()
    if codes and all(tuple(map(_code, row)) == codes for row in score_rows):
        items = {}
        for code, column in zip(codes, zip(*score_rows)):
            values = list(map(_score, column))
            whole = _whole_sum(values)
            items[code] = exact_sum(values) if whole is None else whole
        return items, dict.fromkeys(codes, len(score_rows))
    items, counts = {}, {}
    for row in score_rows:
        for code, score in row:
            items[code] = items.get(code, 0) + (score.numerator if score.denominator == 1 else score)
            counts[code] = counts.get(code, 0) + 1
    return items, counts


def rating_sums(ratings: list[Rating]) -> tuple[dict[str, int | Fraction], dict[str, int]]:
    """``item_sums`` over the ratings' scores; while they share one layout and are whole, the
    columns of their ``points`` are summed in C."""
    rows = [r.scores for r in ratings]
    points = [r.points for r in ratings]
    codes = tuple(map(_code, rows[0])) if rows else ()
    if codes and None not in points and all(tuple(map(_code, row)) == codes for row in rows):
        return dict(zip(codes, map(sum, zip(*points)))), dict.fromkeys(codes, len(rows))
    return item_sums(rows)


def _whole_sum(values: list) -> int | None:
    """Σ values as an int when every one is a whole Fraction, else None."""
    whole = whole_numerators(values)
    return None if whole is None else sum(whole)


def whole_numerators(values: list) -> map | None:
    """The values' numerators (an iterator) when every value is a whole Fraction, else None."""
    try:
        return map(_numerators, values) if set(map(_denominators, values)) <= {1} else None
    except AttributeError:  # not Fractions
        return None


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
