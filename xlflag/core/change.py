"""What the 简报 says about the change since the previous period: plain text and counts, built
from the archive's comparison (``archive.history.period_change``) and written by ``publish``."""
from __future__ import annotations

from dataclasses import dataclass

CHANGE_HEADERS = ("支部", "升星", "持平", "降星", "新入档", "未评定")


@dataclass(frozen=True)
class PeriodChange:
    previous: str  # the previous period's label, e.g. 2026年第三季度
    sentence: str  # for the summary paragraph
    rows: tuple[tuple[str, int, int, int, int, int], ...]  # per branch, in CHANGE_HEADERS order
