"""The presets end to end: one module per preset (tests/test_preset_s1.py … s5.py, built on
tests/preset_kit.py), plus what cuts across them here.

Run them all with: python -m pytest -n 2 tests/test_presets_e2e.py tests/test_preset_s?.py
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from preset_kit import preset_sheets, set_value, split_total

from xlflag import api
from xlflag.core.awards import score_branches
from xlflag.core.model import RATER_REPS
from xlflag.core.scoring import Rating
from xlflag.scheme.read import parse_scheme


def test_every_preset_has_an_end_to_end_module():
    here = Path(__file__).parent
    assert [p for p in api.presets() if not (here / f"test_preset_{p}.py").is_file()] == []


# -- a minimum score and a 满意率 floor that are not whole numbers ------------------------------
# S3's “85%以上” is whole; a clerk may as well write 最低分 87.5 or 满意率下限 87.5%. Ratings
# are built by hand here (every group gives the branch the same total), no files needed.
A, B, C = "甲支部", "乙支部", "丙支部"


@pytest.fixture(scope="module")
def fractional():
    roster = [("支部", "编号", "姓名", "突出表现")] + [(b, f"{b}{n}", f"{b}{n}", "") for b in (A, B, C) for n in (1, 2)]
    sheets = preset_sheets("s4", [("支部名称", "领导点评人"), (A, "甲"), (B, "乙"), (C, "丙")], roster)
    set_value(sheets, "授旗规则", "名额", 3)
    set_value(sheets, "授旗规则", "最低分", "87.5")
    set_value(sheets, "授旗规则", "满意率下限", "87.5%")
    scheme, report = parse_scheme(sheets)
    assert report.problems == []
    items = scheme.items_of(scheme.flag.set_name)

    def ratings(branch, total, answers):
        scores = tuple((i.code, Fraction(s)) for i, s in zip(items, split_total(total, [i.maximum for i in items])))
        rows = []
        for g in scheme.flag_groups:
            given = answers if g.rater_kind == RATER_REPS else [""]
            rows += [Rating(branch, g.code, f"{g.name}{n}", branch, scores, a) for n, a in enumerate(given)]
        return rows

    # A: 86.00 < 87.5, all three satisfied (three: the anonymity threshold); B: 95.00 but 6 of 7 = 85.71 % < 87.5 %;
    # C: 88.00 and 7 of 8 = 87.50 % exactly → the only winner though the quota is 3
    every = ratings(A, 86, ["满意"] * 3) + ratings(B, 95, ["满意"] * 6 + ["不满意"]) + ratings(C, 88, ["满意"] * 7 + ["不满意"])
    return {b.branch: b for b in score_branches(scheme, every)}


def test_fractional_minimum_and_floor_decide_exactly(fractional):
    assert {n: b.winner for n, b in fractional.items()} == {A: False, B: False, C: True}
    assert [float(fractional[n].satisfaction) for n in (A, B, C)] == [1.0, 0.8571, 0.875]
    assert "最低分" in fractional[A].reason and "满意率" in fractional[B].reason


def test_reason_shows_a_fractional_minimum_as_a_decimal(fractional):
    assert "最低分87.5" in fractional[A].reason


def test_reason_shows_the_floor_as_set(fractional):
    assert "低于87.5%" in fractional[B].reason
