"""read_score: one row per rule. Assertions name the score and the code, never the wording."""
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction

import pytest

from xlflag.core.problems import Code
from xlflag.core.values import expected_text, number_text, read_score

F = Fraction
HALF = Fraction(1, 2)
NORM = Code.SCORE_NORMALISED

# (raw, maximum, step, expected score, expected code)
CASES = [
    # blank
    (None, 5, 1, None, Code.SCORE_BLANK),
    ("", 5, 1, None, Code.SCORE_BLANK),
    ("   ", 5, 1, None, Code.SCORE_BLANK),
    ("\u3000\xa0\t", 5, 1, None, Code.SCORE_BLANK),
    ("\u200b", 5, 1, None, Code.SCORE_BLANK),  # a zero-width space pasted from a chat app
    # numbers as numbers: clean
    (5, 5, 1, F(5), None),
    (0, 5, 1, F(0), None),
    (3, 4, 1, F(3), None),  # S3 items have maximum 3 or 4
    (5.0, 5, 1, F(5), None),  # calamine hands integers over as floats
    (Decimal("4"), 5, 1, F(4), None),
    (4.5, 5, HALF, F(9, 2), None),
    (15, 20, 1, F(15), None),
    # bool and other non-numbers that arrive typed
    (True, 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    (False, 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    (datetime(1900, 1, 5), 5, 1, None, Code.SCORE_NOT_A_NUMBER),  # 5 in a date-formatted cell
    (date(2024, 3, 1), 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    (time(5, 0), 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    (float("nan"), 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    (float("inf"), 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    # Excel and LibreOffice error values
    ("#N/A", 5, 1, None, Code.SCORE_ERROR_VALUE),
    ("#VALUE!", 5, 1, None, Code.SCORE_ERROR_VALUE),
    ("#REF!", 5, 1, None, Code.SCORE_ERROR_VALUE),
    ("#DIV/0!", 5, 1, None, Code.SCORE_ERROR_VALUE),
    ("#NAME?", 5, 1, None, Code.SCORE_ERROR_VALUE),
    ("#NUM!", 5, 1, None, Code.SCORE_ERROR_VALUE),
    ("#NULL!", 5, 1, None, Code.SCORE_ERROR_VALUE),
    ("Err:502", 5, 1, None, Code.SCORE_ERROR_VALUE),
    # text that reads as a valid number: accepted, noted
    ("5", 5, 1, F(5), NORM),
    (" 4 ", 5, 1, F(4), NORM),
    ("\u30004\xa0", 5, 1, F(4), NORM),
    ("５", 5, 1, F(5), NORM),
    ("４．０", 5, 1, F(4), NORM),
    ("4.0", 5, 1, F(4), NORM),
    ("4。0", 5, 1, F(4), NORM),  # point typed with Chinese punctuation on
    ("5分", 5, 1, F(5), NORM),
    ("5 分", 5, 1, F(5), NORM),
    ("５分", 5, 1, F(5), NORM),
    ("〇", 5, 1, F(0), NORM),
    ("零", 5, 1, F(0), NORM),
    ("三", 5, 1, F(3), NORM),
    ("两", 5, 1, F(2), NORM),
    ("五分", 5, 1, F(5), NORM),
    ("十", 10, 1, F(10), NORM),
    ("十一", 20, 1, F(11), NORM),
    ("二十", 20, 1, F(20), NORM),
    ("十五分", 20, 1, F(15), NORM),
    ("4.5", 5, HALF, F(9, 2), NORM),
    ("四点五", 5, HALF, F(9, 2), NORM),
    ("+5", 5, 1, F(5), NORM),
    # fractional where the step forbids it
    (4.5, 5, 1, None, Code.SCORE_NOT_WHOLE),
    ("4.5", 5, 1, None, Code.SCORE_NOT_WHOLE),
    ("4.5分", 5, 1, None, Code.SCORE_NOT_WHOLE),
    (4.25, 5, HALF, None, Code.SCORE_NOT_WHOLE),
    (F(1, 3), 5, 1, None, Code.SCORE_NOT_WHOLE),
    (3, 10, 2, None, Code.SCORE_NOT_WHOLE),  # a step above 1 works the same way
    # out of range
    (-1, 5, 1, None, Code.SCORE_OUT_OF_RANGE),
    (6, 5, 1, None, Code.SCORE_OUT_OF_RANGE),
    (5.5, 5, HALF, None, Code.SCORE_OUT_OF_RANGE),
    ("-1", 5, 1, None, Code.SCORE_OUT_OF_RANGE),
    ("十", 5, 1, None, Code.SCORE_OUT_OF_RANGE),
    ("50", 5, 1, None, Code.SCORE_OUT_OF_RANGE),  # 5 typed with an extra 0
    (5, 4, 1, None, Code.SCORE_OUT_OF_RANGE),  # per-item maximum, not a blanket 0–5
    # anything else
    ("优", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("good", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("5-", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("4/5", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("1e1", 20, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("⑤", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("分", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("一五", 20, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("四点", 5, HALF, None, Code.SCORE_NOT_A_NUMBER),
    ("4 5", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
    ("2024-03-01", 5, 1, None, Code.SCORE_NOT_A_NUMBER),
]


@pytest.mark.parametrize("raw, maximum, step, score, code", CASES)
def test_read_score(raw, maximum, step, score, code):
    reading = read_score(raw, maximum, Fraction(step))
    assert (reading.score, reading.code) == (score, code)


@pytest.mark.parametrize("raw", [5, None, "5", "=5", "#N/A"])
def test_formula_wins_over_whatever_value_is_cached(raw):
    reading = read_score(raw, 5, formula="=A1")
    assert (reading.score, reading.code, reading.found) == (None, Code.SCORE_FORMULA, "=A1")


@pytest.mark.parametrize(
    "raw, step, found, expected",
    [
        (" 4 ", 1, " 4 ", "4"),  # found keeps the original text, spaces and all
        ("４．０", 1, "４．０", "4"),
        ("五分", 1, "五分", "5"),
        ("4.50", HALF, "4.50", "4.5"),
    ],
)
def test_normalised_records_original_and_number(raw, step, found, expected):
    reading = read_score(raw, 5, Fraction(step))
    assert (reading.code, reading.found, reading.expected) == (NORM, found, expected)


@pytest.mark.parametrize(
    "raw, step, found",
    [(4.5, 1, "4.5"), (7, 1, "7"), (0.1, HALF, "0.1"), ("abc", 1, "abc"), (True, 1, "TRUE")],
)
def test_rejections_record_what_was_found(raw, step, found):
    assert read_score(raw, 5, Fraction(step)).found == found


@pytest.mark.parametrize(
    "raw, blank", [(None, True), ("\u3000", True), (0, False), ("优", False), ("0", False)]
)
def test_blank_property(raw, blank):
    assert read_score(raw, 5).blank is blank


def test_expected_text_is_shared_wording():
    assert expected_text(5) == "0至5的整数"
    assert expected_text(5, HALF) == "0至5之间、以0.5为单位的分数"
    assert read_score("优", 5).expected == expected_text(5)
    assert read_score(6, 5).expected == "0至5"


@pytest.mark.parametrize(
    "value, text",
    [(F(5), "5"), (F(9, 2), "4.5"), (F(-1), "-1"), (F(1, 100), "0.01"), (F(1, 3), "1/3")],
)
def test_number_text(value, text):
    assert number_text(value) == text


def test_step_must_be_positive():
    with pytest.raises(ValueError):
        read_score(5, 5, Fraction(0))
