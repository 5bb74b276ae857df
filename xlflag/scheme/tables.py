"""Rows of a clerk's sheet, with the cell each value came from (pure: no Excel)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from ..core.formulas import col_letter

YES = ("是", "Y", "y", "yes", "1", "√", "✓", "TRUE", "True")
NAME_SEPARATORS = ("、", ",", "，", ";", "；", "/", "\n")


@dataclass(frozen=True)
class Table:
    """A sheet's rows with the header mapped to column indexes (0-based)."""

    sheet: str
    header: dict[str, int]
    rows: tuple[tuple[int, tuple], ...]  # (1-based sheet row, values)

    def get(self, values: tuple, column: str):
        index = self.header.get(column)
        return values[index] if index is not None and index < len(values) else None

    def cell(self, row: int, column: str) -> str:
        return f"{col_letter(self.header.get(column, 0) + 1)}{row}"


def blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def share(v) -> Fraction | None:
    """0.85, "0.85" or "85%" → 17/20; None when not a share in (0, 1]."""
    raw = text(v).replace("％", "%")
    try:
        value = Fraction(raw[:-1]) / 100 if raw.endswith("%") else Fraction(raw)
    except (ValueError, ZeroDivisionError):
        return None
    return value if 0 < value <= 1 else None


def names(text: str) -> tuple[str, ...]:
    for sep in NAME_SEPARATORS[1:]:
        text = text.replace(sep, NAME_SEPARATORS[0])
    return tuple(n.strip() for n in text.split(NAME_SEPARATORS[0]) if n.strip())


_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+00:00(?::00)?)?\s*$")


def day(v) -> date | None:
    """A date cell, or text such as 2026-12-01, 2026/12/1 or 2026年12月1日; None otherwise."""
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    found = _DATE.match(text(v))
    if not found:
        return None
    try:
        return date(*(int(g) for g in found.groups()))
    except ValueError:
        return None
