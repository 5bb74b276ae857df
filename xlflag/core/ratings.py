"""What scoring consumes: the accepted forms, as plain data (pure, no Excel).

Ingest produces these from returned workbooks; scoring, tracking and the results read them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from .identity import FormIdentity


@dataclass(frozen=True, slots=True)  # slots: a county keeps ~600,000 of them
class RateeScores:
    """One complete row: a score for every item (incomplete rows are never kept)."""

    ratee: str
    scores: tuple[tuple[str, Fraction], ...]  # (item code, score) in form order
    answer: str = ""  # 满意度 on the masses' flag questionnaire

    def __reduce__(self):  # pickled as its three fields: a worker sends back ~600,000 of them
        return RateeScores, (self.ratee, self.scores, self.answer)


@dataclass(frozen=True)
class AcceptedForm:
    identity: FormIdentity
    file: str
    sha256: str
    rows: tuple[RateeScores, ...]
    modified: datetime | None = None  # when saved: the workbook's own date, else the mail's
