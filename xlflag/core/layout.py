"""Where every cell of a measurement form sits: one source of truth for writing and reading.

Forms are written from this layout and returns are read back through it, so the two can
never disagree about which cell holds which score.
"""
from __future__ import annotations

from dataclasses import dataclass

from .formulas import col_letter
from .model import Item

FORM_SHEET = "测评表"
GUIDE_SHEET = "评分标准"
IDENTITY_SHEET = "_xlflag"  # very hidden; A1 the identity JSON, A2 its signature

TITLE_ROW = 1
INFO_ROW = 2
NOTE_ROW = 3
CATEGORY_ROW = 4
HEADER_ROW = 5
FIRST_DATA_ROW = 6

SEQ_COL = 1
ID_COL = 2
NAME_COL = 3
FIRST_ITEM_COL = 4


@dataclass(frozen=True)
class FormLayout:
    """Columns of one criteria set: items grouped by category, each category then its subtotal."""

    item_cols: dict[str, int]  # item code → column (1-based)
    subtotal_cols: dict[str, int]  # category → column
    category_items: dict[str, tuple[Item, ...]]
    total_col: int
    answer_col: int | None = None  # 满意度, on the masses' flag questionnaire

    @property
    def last_col(self) -> int:
        return self.answer_col or self.total_col

    def data_rows(self, n_ratees: int) -> range:
        return range(FIRST_DATA_ROW, FIRST_DATA_ROW + n_ratees)


def form_layout(items: tuple[Item, ...], with_answer: bool = False) -> FormLayout:
    item_cols, subtotal_cols, by_category = {}, {}, {}
    col = FIRST_ITEM_COL
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    for category, cat_items in by_category.items():
        for item in cat_items:
            item_cols[item.code] = col
            col += 1
        subtotal_cols[category] = col
        col += 1
    frozen = {c: tuple(v) for c, v in by_category.items()}
    return FormLayout(item_cols, subtotal_cols, frozen, total_col=col, answer_col=col + 1 if with_answer else None)


def cell_name(row: int, col: int) -> str:
    """A1-style reference (1-based row and column)."""
    return f"{col_letter(col)}{row}"
