"""What the archive keeps of one period, as plain frozen data (pure: no database, no Excel).

A period's record is built from consolidation's own computation (``period_record``), from an
office's hand-kept history workbook (importer.py), or read back from the database (store.py);
everything that reads the archive (history.py, sheets.py) sees only these records.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from fractions import Fraction

from ..core.adjustments import Adjusted, named_by_score
from ..core.awards import Awards
from ..core.model import Scheme
from ..core.scoring import MemberResult, round_half_up

MEAN_DECIMALS = 4  # group means kept to four places; totals are already rounded to two

SOURCE_SCHEME, SOURCE_IMPORT = "汇总", "导入"


@dataclass(frozen=True)
class GroupMean:
    group: str  # the rater group's name, e.g. 互评
    raters: int
    mean: Decimal | None


@dataclass(frozen=True)
class MemberRecord:
    member_id: str  # one person across periods, whatever their branch or name that period
    name: str
    branch: str
    total: Decimal | None
    stars_scored: int | None  # the level the scores gave
    stars: int | None  # the level after adjustments: what the member holds until the next period
    means: tuple[GroupMean, ...] = ()
    named_stars: tuple[str, ...] = ()  # 模范星 awarded
    quota_star: bool = False  # chosen 党员之星


@dataclass(frozen=True)
class BranchRecord:
    branch: str
    total: Decimal | None
    rank: int | None
    winner: bool  # the flag as the scores gave it
    holds: bool  # the flag after adjustments (撤旗, 更正): what the branch holds until the next period
    satisfaction: Decimal | None = None
    reason: str = ""

    @property
    def withdrawn(self) -> bool:
        return self.winner and not self.holds


@dataclass(frozen=True)
class Participation:
    branch: str
    group: str
    expected: int
    returned: int
    accepted: int


@dataclass(frozen=True)
class Adjustment:
    """An applied 调整 (增星/摘星/降级/撤旗/更正) with its reason and approver. ``target`` is a
    member id or a branch; ``what`` the result it changed (星级, 流动红旗 or a star's name),
    ``before``/``after`` as the results workbook shows them (★★★, 授旗 …)."""

    target: str
    kind: str
    what: str
    before: str
    after: str
    reason: str
    approver: str = ""
    date: str = ""


@dataclass(frozen=True)
class PeriodRecord:
    period: str  # e.g. 2026Q1, 2026H2
    organisation: str
    cycle: str
    flag_name: str = ""
    award_min_stars: int | None = None  # 表彰最低星级: the scheme's rule for 表彰 candidates
    members: tuple[MemberRecord, ...] = ()
    branches: tuple[BranchRecord, ...] = ()
    participation: tuple[Participation, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    source: str = SOURCE_SCHEME
    version: int = 0  # set by the archive: 1 for the first commit, +1 per --replace
    committed_at: str = ""

    def member(self, member_id: str) -> MemberRecord | None:
        return self._members_by_id.get(member_id)

    @cached_property  # looked up once per member per period: a county has 9,000 (not a field, not compared)
    def _members_by_id(self) -> dict[str, MemberRecord]:
        return {m.member_id: m for m in self.members}

    @property
    def flag_holders(self) -> tuple[str, ...]:
        return tuple(b.branch for b in self.branches if b.holds)


def mean_decimal(mean: Fraction | None) -> Decimal | None:
    return None if mean is None else round_half_up(mean, MEAN_DECIMALS)


def period_record(scheme: Scheme, members: list[MemberResult], awards: Awards | None, status=(),
                  adjusted: Adjusted | None = None) -> PeriodRecord:
    """The period's final results as consolidation computed them: star levels, named stars,
    党员之星 and the flag after the applied 调整 rows (``adjusted``), the scores' own beside them."""
    awards = awards or Awards([], [], [])
    named = named_by_score(scheme, awards)
    quota = scheme.quota_star.name if scheme.quota_star else None
    outcomes = {o.result.member.member_id: o for o in adjusted.members} if adjusted else {}
    flags = {b.branch: b.winner for b in adjusted.branches} if adjusted else {}
    records = []
    for m in members:
        outcome = outcomes.get(m.member.member_id)
        stars = outcome.stars if outcome else m.stars
        final = outcome.named if outcome else named.get(m.member.member_id, ())
        records.append(MemberRecord(
            m.member.member_id, m.member.name, m.member.branch, m.total, m.stars, stars,
            tuple(GroupMean(g.group.name, g.raters, mean_decimal(g.mean)) for g in m.groups),
            tuple(n for n in final if n != quota), quota in final))
    branches = tuple(BranchRecord(b.branch, b.total, b.rank, b.winner, flags.get(b.branch, b.winner), b.satisfaction,
                                  b.reason) for b in awards.branches)
    applied = tuple(Adjustment(r.adjustment.target, r.adjustment.kind, r.what, r.before, r.after, r.adjustment.reason,
                               r.adjustment.approver, r.adjustment.date)
                    for r in (adjusted.records if adjusted else ()) if r.applied)
    participation = tuple(Participation(s.branch, s.group, s.expected, s.returned, s.accepted) for s in status)
    s = scheme.settings
    return PeriodRecord(s.period, s.organisation, s.cycle, scheme.flag.flag_name if scheme.flag else "",
                        s.award_min_stars, tuple(records), branches, participation, applied)
