"""Ballot rules (core.ballots, scoring.trimmed_mean), each off unless the scheme sets it; worked by hand."""
from __future__ import annotations

import pickle
from decimal import Decimal
from fractions import Fraction

from preset_kit import preset_sheets, set_value

from xlflag.core.adjustments import apply_adjustments
from xlflag.core.awards import Awards, quota_star
from xlflag.core.ballots import apply_star_quotas, trimmed_mean, void_ballots
from xlflag.core.identity import FormIdentity
from xlflag.core.problems import Code
from xlflag.core.ratings import AcceptedForm, RateeScores
from xlflag.core.scoring import GroupScore, MemberResult
from xlflag.scheme.read import parse_scheme

F = Fraction
BRANCH = "质检中心党支部"
BRANCHES = [("支部名称", "领导点评人"), (BRANCH, "周主任")]
IDS = [f"Q{n:02d}" for n in range(1, 11)]
ROSTER = [("支部", "编号", "姓名", "突出表现"), *((BRANCH, i, f"员{i}", "是") for i in IDS)]


def s2_scheme(**values):
    sheets = preset_sheets("s2", BRANCHES, ROSTER)
    for key, value in values.items():
        set_value(sheets, "设置", key, value)
    scheme, report = parse_scheme(sheets)
    assert report.valid, report.codes()
    return scheme


# -- 去掉一个最高分和一个最低分 ------------------------------------------------------------------------

def test_trimmed_mean_from_k_raters_on():
    five = [F(100), F(95), F(80), F(70), F(40)]
    assert trimmed_mean(five, 5) == (F(245, 3), True)  # (385 − 100 − 40) ÷ 3
    assert trimmed_mean(five[:4], 5) == (F(345, 4), False)  # 4 < 5 raters: the plain mean 86.25
    assert trimmed_mean([F(1), F(2), F(9)], 3) == (F(2), True)  # (12 − 9 − 1) ÷ 1
    assert trimmed_mean([], 5) == (None, False)


# -- quotas per star level ---------------------------------------------------------------------------

def results(scheme, totals: dict[str, tuple[float, int]], leader: dict[str, int] | None = None) -> list[MemberResult]:
    group = next(g for g in scheme.member_groups if g.name == "领导点评")
    out = []
    for m in scheme.members:
        total, stars = totals[m.member_id]
        mean = F((leader or {}).get(m.member_id, 0))
        out.append(MemberResult(m, (GroupScore(group, 1, mean),), Decimal(str(total)), stars))
    return out


# ten members; by the scores three 5★ (95, 93, 93), two 4★ (85, 82), five 3★
TEN = {"Q01": (95, 5), "Q02": (93, 5), "Q03": (93, 5), "Q04": (85, 4), "Q05": (82, 4),
       **{i: (75, 3) for i in IDS[5:]}}


def test_quota_per_level_top_down():
    # 5星:10% of 10 → 1 (Q01, 95); Q02 and Q03 drop to 4★. 4星:30% → 3 of the now four 4★
    # (93, 93, 85, 82): Q02, Q03, Q04 keep 4★, Q05 (82) drops to 3★. 3★ has no quota.
    scheme = s2_scheme(星级名额="5星:10%；4星:30%")
    after, moves = apply_star_quotas(scheme, results(scheme, TEN))
    assert [m.stars for m in after] == [5, 4, 4, 4, 3, 3, 3, 3, 3, 3]
    assert [(q.member_id, q.before, q.after) for q in moves] == [("Q02", 5, 4), ("Q03", 5, 4), ("Q05", 4, 3)]
    assert moves[0].note == "5星名额1名（10%×10人），按名次未入"


def test_tie_on_the_quota_line_all_drop_unless_the_stated_tie_break_settles_it():
    tied = TEN | {"Q01": (93, 5)}  # Q01, Q02, Q03 all at 93 for one 5★ place
    scheme = s2_scheme(星级名额="5星:1/10")
    after, _ = apply_star_quotas(scheme, results(scheme, tied))
    assert [m.stars for m in after][:3] == [4, 4, 4]  # never more than the quota
    broken = s2_scheme(星级名额="5星:1/10", 星级名额并列规则="领导点评平均分高者优先")
    after, _ = apply_star_quotas(broken, results(broken, tied, leader={"Q01": 18, "Q02": 20, "Q03": 19}))
    assert [m.stars for m in after][:3] == [4, 5, 4]  # Q02 has the highest 领导点评 mean


def test_quota_shows_in_the_final_results_and_adjustments_come_after():
    scheme = s2_scheme(星级名额="5星:10%")
    adjusted = apply_adjustments(scheme, results(scheme, TEN), Awards([], [], []))
    q2 = adjusted.member("Q02")
    assert (q2.stars_by_score, q2.stars_by_quota, q2.stars) == (5, 4, 4) and "名额" in q2.quota_note


# -- 废票 ---------------------------------------------------------------------------------------------

def form(scheme, group: str, rows: dict[str, int], rater="Q01") -> AcceptedForm:
    """A returned member form whose rows each total ``rows[ratee]``, spread full marks first."""
    items = scheme.items_of("党员")
    built = []
    for ratee, total in rows.items():
        scores, left = [], total
        for item in items:
            scores.append((item.code, F(min(item.maximum, left))))
            left -= min(item.maximum, left)
        built.append(RateeScores(ratee, tuple(scores)))
    identity = FormIdentity(f"2026Q4/{BRANCH}/{group}/{rater}", f"C-{group}-{rater}", "x", "2026Q4", BRANCH, group, rater,
                            tuple(rows), "党员")
    return AcceptedForm(identity, f"{group}-{rater}.xlsx", "0" * 64, tuple(built))


def test_full_marks_to_everyone_is_void_but_a_full_self_rating_is_not():
    scheme = s2_scheme(废票规则="全满分")
    peers = form(scheme, "DH", {i: 100 for i in IDS[1:]})
    honest = form(scheme, "DH", {**{i: 100 for i in IDS[2:]}, "Q02": 99}, rater="Q03")
    self_rating = form(scheme, "DZ", {"Q01": 100})
    kept, void = void_ballots(scheme, [peers, honest, self_rating])
    assert kept == [honest, self_rating]
    assert [(p.code, p.file, p.expected) for p in void] == [(Code.RETURN_VOID_BALLOT, "DH-Q01.xlsx", "C-DH-Q01")]
    assert void[0].found == "对全部9名被评人各项均打满分"


def test_more_top_grades_than_the_quota_allows_is_void():
    # 5星:20% of the 9 ratees on a peer form → 1; a form with two totals ≥ 90 is a 废票
    scheme = s2_scheme(星级名额="5星:20%", 废票规则="超名额")
    two_high = form(scheme, "DH", {"Q02": 90, "Q03": 95, **{i: 80 for i in IDS[3:]}})
    one_high = form(scheme, "DH", {"Q02": 89, "Q03": 95, **{i: 80 for i in IDS[3:]}}, rater="Q02")
    kept, void = void_ballots(scheme, [two_high, one_high])
    assert kept == [one_high] and void[0].found == "2人达5星分数线（90分），超过5星名额1名（20%×9人）"


def test_no_rule_no_void():
    scheme = s2_scheme()
    everything = [form(scheme, "DH", {i: 100 for i in IDS[1:]})]
    assert void_ballots(scheme, everything) == (everything, [])


def test_a_row_comes_back_from_a_worker_as_it_was_sent():
    # rows travel pickled from ingest's workers: every field back in its place, halves kept exact
    row = RateeScores("A2", (("1.1", Fraction(9, 2)), ("1.2", Fraction(5))), "满意")
    back = pickle.loads(pickle.dumps(row, pickle.HIGHEST_PROTOCOL))
    assert back == row and (back.ratee, back.scores, back.answer) == ("A2", (("1.1", Fraction(9, 2)), ("1.2", 5)), "满意")


# -- 党员之星 notes on ties -----------------------------------------------------------------------------

def test_a_tie_of_many_is_told_as_the_run_of_places_it_spans():
    """A note names each other place of a small tie; a larger one by the run of places (a county
    ties 1,800 members at one total: naming 1,799 places in each of their notes made the notes
    grow with the square of the tie, ~21 MB of text in the results workbook)."""
    sheets = preset_sheets("s4", BRANCHES, ROSTER)
    scheme, report = parse_scheme(sheets)
    assert report.valid, report.codes()
    # Q01 95 first; Q02..Q08 (7 members) tie at 90 for places 2–8; Q09, Q10 tie at 80 for 9–10
    totals = {"Q01": (95, 5), **{i: (90, 5) for i in IDS[1:8]}, "Q09": (80, 4), "Q10": (80, 4)}
    notes = {p.result.member.member_id: p.note for p in quota_star(scheme, results(scheme, totals))}
    assert notes["Q01"] == ""
    assert notes["Q02"].startswith("与排序第2至第8名中的另外6人总分并列")
    assert notes["Q08"] == notes["Q02"]
    assert notes["Q09"].startswith("与排序第10名总分并列") and notes["Q10"].startswith("与排序第9名总分并列")
    # a tie of six (five others) is still named place by place
    six = {"Q01": (95, 5), **{i: (90, 5) for i in IDS[1:7]}, **{i: (70, 3) for i in IDS[7:]}}
    assert quota_star(scheme, results(scheme, six))[1].note.startswith("与排序第3名、第4名、第5名、第6名、第7名总分并列")
