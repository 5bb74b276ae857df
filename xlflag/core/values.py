"""Turn one raw score cell into a score, or say why it cannot be used.

Pure: no spreadsheet library is imported. The readers hand over whatever the cell held (int,
float, str, datetime, None …) and, separately, its formula text; this module decides.
Scores are ``Fraction`` so that 4.5 stays 4.5 and sums never drift.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from .model import BLANK_AS_ZERO, BLANK_SKIP_ROW
from .problems import Code


@dataclass(frozen=True)
class Reading:
    """What one cell yields: a score, a code, or both (SCORE_NORMALISED)."""

    score: Fraction | None  # the accepted score; None when blank or not usable
    code: Code | None  # None = clean; SCORE_NORMALISED = accepted but noted; other = rejected
    found: str = ""  # what was in the cell, as text for a problem record
    expected: str = ""  # what should have been there, or the number a text was read as

    @property
    def blank(self) -> bool:
        return self.code is Code.SCORE_BLANK


# Forms' instructions and ingest both take the blank policy's wording and behaviour from here
# and model.BLANK_POLICIES, so they cannot disagree.


def blank_rule_text(policy: str = BLANK_SKIP_ROW) -> str:
    """The instruction a form prints about blank cells under ``policy``."""
    if policy == BLANK_AS_ZERO:
        return "未填写的项目按0分计（整行未填写的被评人不计分）"
    return "请勿留空（有空项的行本表不计分）"


def expected_text(maximum: int, step: Fraction = Fraction(1)) -> str:
    """The wording forms' instructions and the validator share for an item's valid scores."""
    if step == 1:
        return f"0至{maximum}的整数"
    return f"0至{maximum}之间、以{number_text(Fraction(step))}为单位的分数"


def read_score(
    raw: object, maximum: int, step: Fraction = Fraction(1), formula: str | None = None
) -> Reading:
    """Read one score cell; never raises on what a rater typed.

    A county's returns hold millions of score cells but only a few distinct ones (0–5, "5分"),
    so readings are remembered: the same cell content gives the same Reading object, which also
    keeps one Fraction per distinct score in memory instead of one per cell.
    """
    try:
        return _remembered(raw, maximum, step, formula)
    except TypeError:  # an unhashable value: read it afresh
        return _read_score(raw, maximum, step, formula)


@lru_cache(maxsize=4096, typed=True)  # 5, 5.0 and True are equal keys otherwise
def _remembered(raw: object, maximum: int, step: Fraction, formula: str | None) -> Reading:
    return _read_score(raw, maximum, step, formula)


def _read_score(raw: object, maximum: int, step: Fraction, formula: str | None) -> Reading:
    step = Fraction(step)
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    wanted = expected_text(maximum, step)
    if formula:
        # Whatever the cached value says, a formula is not a score the rater gave.
        return Reading(None, Code.SCORE_FORMULA, formula, wanted)
    if raw is None:
        return Reading(None, Code.SCORE_BLANK, "", wanted)
    if isinstance(raw, str):
        return _read_text(raw, maximum, step)
    value = _number(raw)
    if value is None:
        return Reading(None, Code.SCORE_NOT_A_NUMBER, _shortened(_cell_text(raw)), wanted)
    if abs(value) >= 10**_LONGEST:  # its digits may be more than str() will write (4,300)
        return Reading(None, Code.SCORE_OUT_OF_RANGE, f"超过{_LONGEST}位的数", f"0至{maximum}")
    return _check(value, number_text(value), maximum, step)


def number_text(value: Fraction) -> str:
    """A score as people write it: 5, 4.5, -1 (never 5.0 or 9/2 unless it cannot end)."""
    if value.denominator == 1:
        return str(value.numerator)
    if not _terminates(value.denominator):
        return f"{value.numerator}/{value.denominator}"
    return format(Decimal(value.numerator) / Decimal(value.denominator), "f")


# -- numbers that arrived as numbers --


def _number(raw: object) -> Fraction | None:
    if isinstance(raw, bool):  # bool is an int subclass; TRUE is not a score
        return None
    if isinstance(raw, (int, Fraction)):
        return Fraction(raw)
    if isinstance(raw, Decimal):
        return Fraction(raw) if raw.is_finite() else None
    if isinstance(raw, float) and math.isfinite(raw):
        # Through str() so 4.5 is 9/2 and 0.1 is 1/10, not the binary float's exact value.
        return Fraction(Decimal(str(raw)))
    return None  # NaN, inf, dates, times, anything else


def _cell_text(raw: object) -> str:
    return str(raw).upper() if isinstance(raw, bool) else str(raw)  # TRUE as Excel shows it


def _check(value: Fraction, found: str, maximum: int, step: Fraction) -> Reading:
    if value < 0 or value > maximum:
        return Reading(None, Code.SCORE_OUT_OF_RANGE, found, f"0至{maximum}")
    if value % step:
        return Reading(None, Code.SCORE_NOT_WHOLE, found, expected_text(maximum, step))
    return Reading(value, None, found)


def _terminates(denominator: int) -> bool:
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


# -- numbers that arrived as text --

# Excel's error values, plus LibreOffice's "Err:502" form that .ods files can carry.
_ERROR_VALUES = frozenset(
    {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!",
     "#SPILL!", "#CALC!", "#GETTING_DATA"}
)
_LIBREOFFICE_ERROR = re.compile(r"Err:\d+")

# Zero-width characters come with text pasted from chat apps and web pages; never meaningful.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

# Chinese input methods type full-width digits, point and sign; "。" is the point typed with
# Chinese punctuation on. Only these, not all of NFKC, so "⑤" or "½" are not silently scores.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．。－＋", "0123456789..-+")

_UNIT = re.compile(r"\s*分$")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")  # gate: Fraction() alone would take "4/5"

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_TENS = re.compile(r"([一二两三四五六七八九]?)十([一二三四五六七八九]?)")  # 十, 十一, 二十, 九十九


def _read_text(raw: str, maximum: int, step: Fraction) -> Reading:
    text = raw.translate(_INVISIBLE).strip()  # str.strip() covers \u3000 and nbsp too
    wanted = expected_text(maximum, step)
    if not text:
        return Reading(None, Code.SCORE_BLANK, "", wanted)
    if text.upper() in _ERROR_VALUES or _LIBREOFFICE_ERROR.fullmatch(text):
        return Reading(None, Code.SCORE_ERROR_VALUE, text, wanted)
    if len(text) > _LONGEST:  # no score is this long; int() refuses over 4,300 digits anyway
        code = Code.SCORE_OUT_OF_RANGE if _DECIMAL.fullmatch(text) else Code.SCORE_NOT_A_NUMBER
        return Reading(None, code, _shortened(raw), f"0至{maximum}" if code is Code.SCORE_OUT_OF_RANGE else wanted)
    value = _parse_text(text)
    if value is None:
        return Reading(None, Code.SCORE_NOT_A_NUMBER, raw, wanted)
    reading = _check(value, raw, maximum, step)
    if reading.code is not None:
        return reading
    # Text that reads as a valid number is used, but noted: it was not entered as a number.
    return Reading(value, Code.SCORE_NORMALISED, raw, number_text(value))


_LONGEST = 30  # characters of a score typed as text, digits of a number: longer is never a score


def _shortened(text: str) -> str:
    """What a problem record shows of a long cell: its start and how long it was."""
    return text if len(text) <= _LONGEST else f"{text[:12]}…（共{len(text)}个字符）"


def _parse_text(text: str) -> Fraction | None:
    text = _UNIT.sub("", text.translate(_FULL_WIDTH))
    if _DECIMAL.fullmatch(text):
        return Fraction(text)
    return _chinese_number(text)


def _chinese_number(text: str) -> Fraction | None:
    """〇..九十九, with an optional 点 and digits after it (四点五 for half-point items)."""
    whole, point, decimals = text.partition("点")
    integer = _chinese_integer(whole)
    if integer is None:
        return None
    if not point:
        return Fraction(integer)
    if not decimals or any(char not in _CN_DIGITS for char in decimals):
        return None
    return integer + Fraction("0." + "".join(str(_CN_DIGITS[char]) for char in decimals))


def _chinese_integer(text: str) -> int | None:
    if text in _CN_DIGITS:
        return _CN_DIGITS[text]
    match = _CN_TENS.fullmatch(text)
    if match is None:
        return None
    tens, units = match.groups()
    return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(units, 0)
