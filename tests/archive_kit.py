"""Shared machinery of the archive tests: the PostgreSQL server the ``db`` fixture (conftest.py)
makes a fresh database on, and periods scored from constructed ratings.

PostgreSQL: XLFLAG_TEST_PG names the server (.ci/run exports it after .ci/postgres starts it).
Outside CI, without it, the tests run .ci/postgres themselves; in CI a missing variable fails.
"""
from __future__ import annotations

import os
import subprocess
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
from preset_kit import preset_sheets, set_reps, set_value, split_total

from xlflag import api
from xlflag.archive.record import period_record
from xlflag.core.adjustments import COLUMNS, apply_adjustments
from xlflag.core.awards import decide_awards
from xlflag.core.scoring import Rating, score_members
from xlflag.scheme.templates import write_scheme_workbook

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
ADJUST_COLUMNS = COLUMNS[:6]


@cache
def server_url() -> str:
    url = os.environ.get("XLFLAG_TEST_PG")
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail("XLFLAG_TEST_PG is not set: .ci/run must start PostgreSQL with .ci/postgres and export it")
    started = subprocess.run(["bash", str(ROOT / ".ci" / "postgres")], capture_output=True, text=True, check=True)
    return started.stdout.strip().splitlines()[-1]


# -- periods scored from constructed ratings (much faster than forms for many periods) --------

def quarter_scheme(folder: Path, period: str, branches: list[tuple], roster: list[tuple], adjustments=(),
                   preset: str = "s4"):
    """A preset's scheme with this roster and these 调整 rows (对象, 类型, 新值, 理由, 批准人, 日期):
    one flag, one 党员之星, 表彰最低星级 4."""
    sheets = preset_sheets(preset, branches, roster)
    sheets["调整"] = [ADJUST_COLUMNS, *adjustments]
    set_value(sheets, "设置", "期次", period)
    set_value(sheets, "设置", "表彰最低星级", 4)
    set_value(sheets, "设置", "评价人数门槛", 1)  # one constructed rating stands for each group
    set_value(sheets, "授旗规则", "名额", 1)
    if "党员之星" in sheets:
        set_value(sheets, "党员之星", "名额", 1)
    set_reps(sheets, "DQ", 2)
    set_reps(sheets, "ZQ", 2)
    folder.mkdir(parents=True, exist_ok=True)
    return api.load_scheme(write_scheme_workbook(sheets, folder / f"方案{period}.xlsx"))


def _rating(scheme, set_name: str, group: str, ratee: str, total: int, answer: str = "") -> Rating:
    items = scheme.items_of(set_name)
    scores = split_total(total, [i.maximum for i in items])
    return Rating("", group, f"{group}01", ratee, tuple((i.code, Fraction(s)) for i, s in zip(items, scores)), answer)


def scored_period(scheme, member_totals: dict[str, int], flag_totals: dict[str, int]):
    """Every rater of a member (of a branch) gives the same total T: each group mean is T, so
    the weighted total is T. The period's record, the scheme's 调整 rows applied as
    consolidation applies them."""
    ratings = [_rating(scheme, scheme.member(m).criteria_set, g.code, m, t)
               for m, t in member_totals.items() for g in scheme.member_groups]
    ratings += [_rating(scheme, scheme.flag.set_name, g.code, b, t, "满意" if g.rater_kind == "代表" else "")
                for b, t in flag_totals.items() for g in scheme.flag_groups]
    members = score_members(scheme, ratings)
    awards = decide_awards(scheme, ratings, members)
    adjusted = apply_adjustments(scheme, members, awards)
    assert adjusted.problems == [], adjusted.problems
    return period_record(scheme, members, awards, (), adjusted)
