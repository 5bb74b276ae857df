"""scoring.item_sums: each item's sum and count over a group's score rows, exactly, whether the
rows share one form layout (summed column by column) or not (one score at a time); and
rating_sums, the same over ratings, their whole scores (``points``) summed as ints."""
from fractions import Fraction

from xlflag.core.scoring import Rating, item_sums, rating_sums, whole_points

F = Fraction


def test_rows_of_one_layout_sum_column_by_column_as_ints_while_whole():
    rows = [(("1.1", F(8)), ("1.2", F(9))), (("1.1", F(7)), ("1.2", F(10))), (("1.1", F(9)), ("1.2", F(6)))]
    sums, counts = item_sums(rows)
    # 1.1: 8 + 7 + 9 = 24; 1.2: 9 + 10 + 6 = 25; three scores each
    assert sums == {"1.1": 24, "1.2": 25} and counts == {"1.1": 3, "1.2": 3}
    assert all(type(s) is int for s in sums.values())


def test_a_half_point_keeps_its_column_exact():
    rows = [(("1.1", F(17, 2)), ("1.2", F(9))), (("1.1", F(7)), ("1.2", F(10)))]
    sums, _ = item_sums(rows)
    assert sums == {"1.1": F(31, 2), "1.2": 19}  # 8.5 + 7 = 15.5; 9 + 10


def test_rows_of_different_layouts_are_summed_score_by_score():
    """An earlier version's form asked 1.1 and 1.3 only; the current one asks 1.1, 1.2, 1.3."""
    rows = [(("1.1", F(8)), ("1.2", F(9)), ("1.3", F(5))),
            (("1.1", F(6)), ("1.3", F(9, 2))),
            (("1.3", F(4)), ("1.1", F(10)), ("1.2", F(7)))]  # columns in another order
    sums, counts = item_sums(rows)
    # 1.1: 8 + 6 + 10 = 24 (3); 1.2: 9 + 7 = 16 (2); 1.3: 5 + 4.5 + 4 = 13.5 (3)
    assert sums == {"1.1": 24, "1.2": 16, "1.3": F(27, 2)}
    assert counts == {"1.1": 3, "1.2": 2, "1.3": 3}


def test_no_rows_no_sums():
    assert item_sums([]) == ({}, {})


def _rating(*scores):
    return Rating("一支部", "DH", "互评01", "M01", scores)


def test_whole_scores_are_points_as_bytes_and_anything_else_is_not():
    assert whole_points((("1.1", F(8)), ("1.2", F(0)))) == b"\x08\x00"
    assert whole_points((("1.1", F(300)), ("1.2", F(2)))) == (300, 2)  # beyond a byte: a tuple
    assert whole_points((("1.1", F(17, 2)), ("1.2", F(9)))) is None
    assert whole_points((("1.1", F(3, 2)),)) is None  # one half-point alone is not whole either
    assert whole_points((("1.1", 7), ("1.2", F(2)))) == b"\x07\x02"  # plain ints too


def test_rating_sums_add_points_and_fall_back_on_a_half_point():
    whole = [_rating(("1.1", F(8)), ("1.2", F(9))), _rating(("1.1", F(7)), ("1.2", F(10)))]
    assert rating_sums(whole) == ({"1.1": 15, "1.2": 19}, {"1.1": 2, "1.2": 2})  # 8 + 7; 9 + 10
    assert _rating(("1.1", F(8)), ("1.2", F(9))).total == 17
    half = whole + [_rating(("1.1", F(1, 2)), ("1.2", F(1)))]
    # 8 + 7 + 0.5 = 15.5; 9 + 10 + 1 = 20: exact, as item_sums gives it
    assert rating_sums(half) == ({"1.1": F(31, 2), "1.2": 20}, {"1.1": 3, "1.2": 3})
    other_layout = whole + [_rating(("1.2", F(1)), ("1.1", F(2)))]  # columns in another order
    assert rating_sums(other_layout) == ({"1.1": 17, "1.2": 20}, {"1.1": 3, "1.2": 3})
