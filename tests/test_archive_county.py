"""Four quarters of an S4-like county in the archive, worked by hand, on SQLite and PostgreSQL.

Each member's raters all give the same total T, so every group mean and the weighted total are
T; S4's bands: ≥90 5★, [80,90) 4★, [70,80) 3★, [60,70) 2★ (no 突出表现 needed). One flag and
one 党员之星 per quarter; 表彰最低星级 4 (every quarter at least 4★, after adjustments).

         P1 甲  P2 甲  P3 乙  P4 乙→丙(Q3)  P5 丙 周五→周伍(Q3)  P6 丙  P7 乙
  Q1     95 5   85 4   88 4   72 3          91 5                 65 2   75 3
  Q2     92 5   86 4   90 5   81 4 增星→5    84 4                 66 2   75 3
  Q3     93 5摘星2→3 80 4 89 4 83 4          95 5                 70 3   75 3
  Q4     96 5   82 4   91 5   78 3          88 4                 71 3   75 3
  final  5,5,3,5 4×4   4,5,4,5 3,5,4,3       5,4,5,4              2,2,3,3 3×4
  mean   4.50   4.00   4.50   3.75          4.50                 2.50   3.00
  表彰   no(Q3) yes    yes    no            yes                  no     no
党员之星 (the best total): Q1 P1 95, Q2 P1 92, Q3 P5 95, Q4 P1 96.
Flag (甲/乙/丙): Q1 95/90/85 → 甲; Q2 88/93/80 → 乙 takes it; Q3 90/94/91 → 乙 defends;
Q4 89/95/92 → 乙 defends. 甲 once, 乙 three times; longest run 乙 2026Q2–2026Q4, 3 quarters.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from archive_kit import quarter_scheme, scored_period

from xlflag import api
from xlflag.archive.history import DEFENDED, DOWN, LOST, SAME, TAKEN, UP, Tenure
from xlflag.archive.record import Adjustment
from xlflag.archive.store import PeriodCommitted, database_url, opened

JIA, YI, BING = "甲支部", "乙支部", "丙支部"
BRANCHES = [("支部名称", "领导点评人"), (JIA, "张书记"), (YI, "李书记"), (BING, "王书记")]


def roster(quarter: int) -> list[tuple]:
    moved = quarter >= 3
    return [("支部", "编号", "姓名", "突出表现"),
            (JIA, "P1", "周一", ""), (JIA, "P2", "周二", ""), (YI, "P3", "周三", ""),
            (BING if moved else YI, "P4", "周四", ""), (BING, "P5", "周伍" if moved else "周五", ""),
            (BING, "P6", "周六", ""), (YI, "P7", "周七", "")]


MEMBERS = {
    1: {"P1": 95, "P2": 85, "P3": 88, "P4": 72, "P5": 91, "P6": 65, "P7": 75},
    2: {"P1": 92, "P2": 86, "P3": 90, "P4": 81, "P5": 84, "P6": 66, "P7": 75},
    3: {"P1": 93, "P2": 80, "P3": 89, "P4": 83, "P5": 95, "P6": 70, "P7": 75},
    4: {"P1": 96, "P2": 82, "P3": 91, "P4": 78, "P5": 88, "P6": 71, "P7": 75},
}
FLAGS = {1: {JIA: 95, YI: 90, BING: 85}, 2: {JIA: 88, YI: 93, BING: 80},
         3: {JIA: 90, YI: 94, BING: 91}, 4: {JIA: 89, YI: 95, BING: 92}}
# the 调整 rows (对象, 类型, 新值, 理由, 批准人, 日期): 增星 with 新值 blank adds one star
ADJUSTMENTS = {2: [("P4", "增星", None, "防汛抢险中表现突出", "县委组织部", "2026-06-20")],
               3: [("P1", "摘星", 2, "公开承诺未兑现", "县委组织部", "2026-09-28")]}
RAISED = Adjustment("P4", "增星", "星级", "★★★★", "★★★★★", "防汛抢险中表现突出", "县委组织部", "2026-06-20")
REMOVED = Adjustment("P1", "摘星", "星级", "★★★★★", "★★★", "公开承诺未兑现", "县委组织部", "2026-09-28")


@pytest.fixture(scope="module")
def quarters(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county")
    return [scored_period(quarter_scheme(folder, f"2026Q{q}", BRANCHES, roster(q), ADJUSTMENTS.get(q, ())),
                          MEMBERS[q], FLAGS[q]) for q in (1, 2, 3, 4)]


@pytest.fixture
def archive(db, quarters):
    """The four quarters committed, the last first: the archive orders periods itself."""
    with opened(database_url(db)) as a:
        for record in reversed(quarters):
            a.commit(record)
    return db


def test_scored_quarters_as_worked(quarters):
    q1, q2, q3, q4 = quarters
    assert {m.member_id: (m.total, m.stars) for m in q1.members} == {
        "P1": (Decimal("95.00"), 5), "P2": (Decimal("85.00"), 4), "P3": (Decimal("88.00"), 4),
        "P4": (Decimal("72.00"), 3), "P5": (Decimal("91.00"), 5), "P6": (Decimal("65.00"), 2), "P7": (Decimal("75.00"), 3)}
    assert (q2.member("P4").stars_scored, q2.member("P4").stars) == (4, 5)
    assert (q3.member("P1").stars_scored, q3.member("P1").stars) == (5, 3)
    assert (q2.adjustments, q3.adjustments, q1.adjustments, q4.adjustments) == ((RAISED,), (REMOVED,), (), ())
    assert [r.flag_holders for r in quarters] == [(JIA,), (YI,), (YI,), (YI,)]
    assert [[m.member_id for m in r.members if m.quota_star] for r in quarters] == [["P1"], ["P1"], ["P5"], ["P1"]]
    assert [g.group for g in q1.member("P1").means] == ["自评", "互评", "领导点评", "群众参评"]
    assert {g.mean for g in q1.member("P1").means} == {Decimal("95.0000")}


def test_records_come_back_as_committed(archive, quarters):
    stored = api.archive_records(archive)
    assert [r.period for r in stored] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert all(r.version == 1 for r in stored)
    for got, made in zip(stored, quarters):
        assert (got.members, got.branches, got.adjustments) == (made.members, made.branches, made.adjustments)
        assert (got.organisation, got.award_min_stars, got.flag_name) == (made.organisation, 4, "流动红旗")


def test_flag_history(archive):
    history = api.archive_flag(archive)
    assert history.holders == (("2026Q1", (JIA,)), ("2026Q2", (YI,)), ("2026Q3", (YI,)), ("2026Q4", (YI,)))
    assert history.counts == {YI: 3, JIA: 1}
    assert history.runs == (Tenure(JIA, "2026Q1", "2026Q1", 1), Tenure(YI, "2026Q2", "2026Q4", 3))
    assert history.longest == (Tenure(YI, "2026Q2", "2026Q4", 3),)


def test_member_across_branches_and_names(archive):
    p4 = api.archive_member("P4", archive)
    assert [(h.period, h.record.branch, h.record.stars_scored, h.record.stars) for h in p4] == [
        ("2026Q1", YI, 3, 3), ("2026Q2", YI, 4, 5), ("2026Q3", BING, 4, 4), ("2026Q4", BING, 3, 3)]
    assert [h.adjustments for h in p4] == [(), (RAISED,), (), ()]
    p5 = api.archive_member("P5", archive)
    assert [h.record.name for h in p5] == ["周五", "周五", "周伍", "周伍"]
    assert api.archive_member("P9", archive) == []


def test_remove_star_holds_until_the_next_evaluation(archive):
    # Q3: P1 scored 5★, 摘星 to 3★ — held into Q4's comparison: 3★ → 5★ is 升星.
    q3 = api.archive_compare("2026Q3", archive)
    assert (q3.of("P1").before, q3.of("P1").after, q3.of("P1").change) == (5, 3, DOWN)
    q4 = api.archive_compare(db=archive)
    assert (q4.previous, q4.current) == ("2026Q3", "2026Q4")
    assert (q4.of("P1").before, q4.of("P1").after, q4.of("P1").change) == (3, 5, UP)


def test_compare_moves_renames_and_the_flag(archive):
    q2 = api.archive_compare("2026Q2", archive)
    # P4 3★ → 5★ (scored 4, 增星 to 5); P3 4 → 5; P5 5 → 4; P2 4 → 4
    assert [(m.member_id, m.change) for m in q2.members if m.change != SAME] == [("P3", UP), ("P4", UP), ("P5", DOWN)]
    assert (q2.branch(JIA).change, q2.branch(YI).change, q2.branch(BING).change) == (LOST, TAKEN, "")
    q3 = api.archive_compare("2026Q3", archive)
    assert (q3.of("P4").moved_from, q3.of("P4").branch, q3.of("P4").change) == (YI, BING, DOWN)  # 5 → 4
    assert (q3.of("P5").renamed_from, q3.of("P5").name) == ("周五", "周伍")
    assert q3.branch(YI).change == DEFENDED
    first = api.archive_compare("2026Q1", archive)
    assert first.previous is None and {m.change for m in first.members} == {"新入档"}
    with pytest.raises(LookupError):
        api.archive_compare("2025Q4", archive)


def test_year_summary_and_award_candidates(archive, tmp_path):
    summary = api.archive_year(2026, tmp_path / "年度汇总.xlsx", db=archive)
    rows = {r.member_id: (r.stars, r.mean, r.candidate) for r in summary.rows}
    assert rows == {
        "P1": ((5, 5, 3, 5), Decimal("4.50"), False), "P2": ((4, 4, 4, 4), Decimal("4.00"), True),
        "P3": ((4, 5, 4, 5), Decimal("4.50"), True), "P4": ((3, 5, 4, 3), Decimal("3.75"), False),
        "P5": ((5, 4, 5, 4), Decimal("4.50"), True), "P6": ((2, 2, 3, 3), Decimal("2.50"), False),
        "P7": ((3, 3, 3, 3), Decimal("3.00"), False)}
    by_id = {r.member_id: r for r in summary.rows}
    assert (by_id["P1"].quota_stars, by_id["P5"].quota_stars) == (3, 1)
    assert (by_id["P5"].name, by_id["P4"].branch) == ("周伍", BING)  # as in the year's last period
    assert by_id["P1"].adjustments == ("2026Q3 摘星 星级 ★★★★★→★★★（公开承诺未兑现，批准：县委组织部，2026-09-28）",)
    assert [r.member_id for r in summary.candidates] == ["P2", "P3", "P5"]
    # a stricter rule than the scheme's: every quarter 5★ → nobody
    assert api.archive_year(2026, tmp_path / "严.xlsx", db=archive, min_stars=5).candidates == ()


def test_replace_keeps_the_replaced_version(archive, quarters):
    q4 = quarters[3]
    with pytest.raises(PeriodCommitted):
        with opened(database_url(archive)) as a:
            a.commit(q4)
    # after 公示 an appeal corrects P4's level: the period is committed again
    corrected = Adjustment("P4", "更正", "星级", "★★★", "★★★★", "公示期间申诉成立", "县委组织部", "2026-12-30")
    p4 = replace(q4.member("P4"), stars=4)
    fixed = replace(q4, members=tuple(p4 if m.member_id == "P4" else m for m in q4.members), adjustments=(corrected,))
    with opened(database_url(archive)) as a:
        stored = a.commit(fixed, replace=True)
    assert (stored.version, stored.member("P4").stars) == (2, 4)
    assert api.archive_records(archive)[-1].member("P4").stars == 4
    versions = [(r.period, r.version) for r in api.archive_records(archive, all_versions=True) if r.period == "2026Q4"]
    assert sorted(versions) == [("2026Q4", 1), ("2026Q4", 2)]
    old = next(r for r in api.archive_records(archive, all_versions=True) if r.version == 1 and r.period == "2026Q4")
    assert old.member("P4").stars == 3


def test_database_url(tmp_path):
    scheme = tmp_path / "县" / "方案.xlsx"
    assert database_url(None, scheme) == f"sqlite:///{tmp_path / '县' / 'xlflag-档案.sqlite'}"  # beside the scheme
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'xlflag-档案.sqlite'}"  # in that folder
    assert database_url("postgresql://u:p@db.example/xl") == "postgresql+psycopg://u:p@db.example/xl"
    assert database_url("postgres://u:p@db.example/xl") == "postgresql+psycopg://u:p@db.example/xl"
    assert database_url("postgresql+psycopg://u@h/x") == "postgresql+psycopg://u@h/x"
    from xlflag.archive.store import shown_url

    assert shown_url("postgresql+psycopg://u:secret@h/x") == "postgresql+psycopg://u:***@h/x"
