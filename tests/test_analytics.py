"""Working-paper analytics (core.analytics), worked by hand on the S2 scheme (20 items of 5)."""
from __future__ import annotations

from fractions import Fraction

from preset_kit import split_total
from test_ballots import s2_scheme

from xlflag.core.analytics import branch_items, self_gaps
from xlflag.core.scoring import Rating

BRANCH = "质检中心党支部"


def rating(scheme, group: str, rater: str, ratee: str, total: int | None = None, **items: int) -> Rating:
    codes = [i.code for i in scheme.items_of("党员")]
    scores = dict(zip(codes, split_total(total, [5] * 20))) if total is not None else dict.fromkeys(codes, 5)
    scores |= {code.replace("_", "."): value for code, value in items.items()}
    return Rating(BRANCH, group, rater, ratee, tuple((c, Fraction(s)) for c, s in scores.items()))


def test_self_versus_others_gap():
    scheme = s2_scheme()
    ratings = [
        rating(scheme, "DZ", "自评", "Q01", 100),
        rating(scheme, "DH", "互评01", "Q01", 80), rating(scheme, "DH", "互评02", "Q01", 70),  # mean 75
        rating(scheme, "DL", "领导点评01", "Q01", 90),
        rating(scheme, "DQ", "职工参评01", "Q01", 60),
    ]
    gaps = {g.member.member_id: g for g in self_gaps(scheme, ratings)}
    # others: (30 × 75 + 20 × 90 + 30 × 60) ÷ (30 + 20 + 30) = 5850 ÷ 80 = 73.125; gap 100 − 73.125
    assert (gaps["Q01"].self_total, gaps["Q01"].others, gaps["Q01"].gap) == (100, Fraction(585, 8), Fraction(215, 8))
    assert gaps["Q02"].gap is None  # nobody rated Q02


def test_branch_highest_and_lowest_items():
    scheme = s2_scheme()
    ratings = [
        rating(scheme, "DH", "互评01", "Q01", **{"5_4": 1}),
        rating(scheme, "DH", "互评02", "Q02", **{"5_4": 3, "1_1": 4}),
    ]
    (branch,) = branch_items(scheme, ratings)
    shares = {i.code: s for i, s in branch.shares}
    # 1.1: (5 + 4) ÷ 2 ÷ 5 = 0.9; 5.4: (1 + 3) ÷ 2 ÷ 5 = 0.4; the other 18 items 1
    assert (shares["1.1"], shares["5.4"], shares["2.1"]) == (Fraction(9, 10), Fraction(2, 5), 1)
    assert [i.code for i in branch.lowest] == ["5.4"]
    assert len(branch.highest) == 18 and "1.1" not in {i.code for i in branch.highest}
