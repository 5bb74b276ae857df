"""What the archive keeps of one period, as plain frozen data (pure: no database, no Excel).

A period's record is built from consolidation's own computation (``period_record``), from an
office's hand-kept history workbook (importer.py), or read back from the database (store.py);
everything that reads the archive (history.py, sheets.py) sees only these records.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from ..core.awards import Awards
from ..core.model import Scheme
from ..core.scoring import MemberResult, round_half_up

MEAN_DECIMALS = 4  # group means kept to four places; totals are already rounded to two

# Kinds of adjustment (S1, S3 动态管理): stars added, stars removed, a level lowered, a flag
# withdrawn, a correction after 公示.
RAISE, REMOVE, LOWER, WITHDRAW_FLAG, CORRECT = "增星", "摘星", "降级", "撤旗", "更正"
ADJUSTMENT_KINDS = (RAISE, REMOVE, LOWER, WITHDRAW_FLAG, CORRECT)
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
    winner: bool  # the flag as scored
    satisfaction: Decimal | None = None
    reason: str = ""
    withdrawn: bool = False  # 撤旗 by an adjustment

    @property
    def holds_flag(self) -> bool:
        return self.winner and not self.withdrawn


@dataclass(frozen=True)
class Participation:
    branch: str
    group: str
    expected: int
    returned: int
    accepted: int


@dataclass(frozen=True)
class Adjustment:
    """增星/摘星/降级/撤旗/更正 with its reason and approver; ``target`` is a member id, or a
    branch name for 撤旗. ``before``/``after`` are star levels (empty for 撤旗)."""

    target: str
    kind: str
    before: int | None
    after: int | None
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
        return next((m for m in self.members if m.member_id == member_id), None)

    @property
    def flag_holders(self) -> tuple[str, ...]:
        return tuple(b.branch for b in self.branches if b.holds_flag)


def mean_decimal(mean: Fraction | None) -> Decimal | None:
    return None if mean is None else round_half_up(mean, MEAN_DECIMALS)


def period_record(scheme: Scheme, members: list[MemberResult], awards: Awards | None, status=(),
                  adjustments: tuple[Adjustment, ...] = ()) -> PeriodRecord:
    """The period as consolidation computed it, adjustments applied (``apply_adjustments``)."""
    named: dict[str, list[str]] = {}
    chosen: set[str] = set()
    branches = ()
    if awards is not None:
        for award in awards.stars:
            if award.awarded:
                named.setdefault(award.member.member_id, []).append(award.star.name)
        chosen = {p.result.member.member_id for p in awards.picks if p.chosen}
        branches = tuple(BranchRecord(b.branch, b.total, b.rank, b.winner, b.satisfaction, b.reason) for b in awards.branches)
    records = tuple(
        MemberRecord(
            m.member.member_id, m.member.name, m.member.branch, m.total, m.stars, m.stars,
            tuple(GroupMean(g.group.name, g.raters, mean_decimal(g.mean)) for g in m.groups),
            tuple(named.get(m.member.member_id, ())), m.member.member_id in chosen,
        )
        for m in members
    )
    participation = tuple(Participation(s.branch, s.group, s.expected, s.returned, s.accepted) for s in status)
    s = scheme.settings
    record = PeriodRecord(s.period, s.organisation, s.cycle, scheme.flag.flag_name if scheme.flag else "",
                          s.award_min_stars, records, branches, participation)
    return apply_adjustments(record, tuple(adjustments))


def apply_adjustments(record: PeriodRecord, adjustments: tuple[Adjustment, ...]) -> PeriodRecord:
    """Each member's final level is the ``after`` of their last star adjustment; 撤旗 takes
    the flag from the branch. The adjustments are kept on the record, in the order given."""
    final = {a.target: a.after for a in adjustments if a.kind != WITHDRAW_FLAG and a.after is not None}
    withdrawn = {a.target for a in adjustments if a.kind == WITHDRAW_FLAG}
    members = tuple(replace(m, stars=final.get(m.member_id, m.stars)) for m in record.members)
    branches = tuple(replace(b, withdrawn=b.withdrawn or b.branch in withdrawn) for b in record.branches)
    return replace(record, members=members, branches=branches, adjustments=record.adjustments + adjustments)
