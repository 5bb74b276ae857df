"""What the results workbook is written from, and where 汇总 put each member (for the award sheets)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.adjustments import Adjusted
from ..core.awards import BranchResult, QuotaPick, StarAward
from ..core.model import Scheme
from ..core.problems import Problem
from ..core.scoring import MemberResult, Rating
from ..ingest.returns import LedgerEntry
from ..ingest.tracking import SlotStatus


@dataclass(frozen=True)
class ResultsInput:
    scheme: Scheme
    members: list[MemberResult]
    ratings: list[Rating]
    status: list[SlotStatus]
    problems: list[Problem]
    ledger: list[LedgerEntry]
    branches: list[BranchResult] = field(default_factory=list)
    star_awards: list[StarAward] = field(default_factory=list)
    quota_picks: list[QuotaPick] = field(default_factory=list)
    adjusted: Adjusted | None = None  # the 调整 rows applied after scoring

    def ratings_for(self, target: str) -> list[Rating]:
        """The ratings of the rater groups that rate members (评星) or branches (授旗)."""
        codes = {g.code for g in self.scheme.groups_for(target)}
        return [r for r in self.ratings if r.group in codes]


@dataclass(frozen=True)
class SummaryCells:
    """Where each member's row and key columns are in 汇总 (1-based), for other sheets."""

    rows: dict[str, int]  # member id → row
    name_col: int
    branch_col: int
    total_col: int
    glyph_col: int | None
    mean_cols: dict[str, int]  # group name → column
