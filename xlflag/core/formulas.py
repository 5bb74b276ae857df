"""Excel formula text for the results workbook, built from plain values (pure, no Excel).

Each builder mirrors one function of ``scoring``; the LibreOffice recalculation test proves
that the two give the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def col_letter(col: int) -> str:
    """1-based column number → letters."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def absolute(sheet: str, col: int, first_row: int, last_row: int) -> str:
    c = col_letter(col)
    return f"'{sheet}'!${c}${first_row}:${c}${last_row}"


def quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class DataRanges:
    """Where the anonymised ratings sit, for COUNTIFS/AVERAGEIFS."""

    sheet: str
    group_col: int
    ratee_col: int
    total_col: int
    first_row: int
    last_row: int
    answer_col: int = 0
    category_cols: dict[tuple[str, str], int] = field(default_factory=dict)  # (set, category) → col

    def range(self, col: int) -> str:
        return absolute(self.sheet, col, self.first_row, max(self.last_row, self.first_row))


def rater_count(data: DataRanges, ratee_cell: str, group_name: str) -> str:
    return f"=COUNTIFS({data.range(data.ratee_col)},{ratee_cell},{data.range(data.group_col)},{quoted(group_name)})"


def group_mean(data: DataRanges, ratee_cell: str, group_name: str, count_cell: str) -> str:
    """Mean of the group's rater totals (S2: 以平均值为综合测评得分); blank when nobody rated."""
    avg = f"AVERAGEIFS({data.range(data.total_col)},{data.range(data.ratee_col)},{ratee_cell},{data.range(data.group_col)},{quoted(group_name)})"
    return f'=IF({count_cell}=0,"",{avg})'


def weighted_total(mean_cells: list[str], weight_cells: list[str], decimals: int) -> str:
    terms = "+".join(f"{m}*{w}/100" for m, w in zip(mean_cells, weight_cells))
    return f'=IF(COUNT({",".join(mean_cells)})<{len(mean_cells)},"",ROUND({terms},{decimals}))'


def weighted_category(data: DataRanges, ratee_cell: str, groups: list[tuple[str, str]], col: int,
                      guard_cell: str, decimals: int) -> str:
    """Σ weight% × the group's mean of one category's subtotals; blank while ``guard_cell`` is
    (the total is blank exactly when some group has no rater)."""
    terms = "+".join(
        f"AVERAGEIFS({data.range(col)},{data.range(data.ratee_col)},{ratee_cell},{data.range(data.group_col)},{quoted(name)})*{weight}/100"
        for name, weight in groups
    )
    return f'=IF({guard_cell}="","",ROUND({terms},{decimals}))'


def satisfaction(data: DataRanges, ratee_cell: str, satisfied: tuple[str, ...], answers: tuple[str, ...], decimals: int) -> str:
    """Share of answers that count as satisfied (S3: 满意 + 基本满意 over all answers)."""
    def count(values):
        return "+".join(f"COUNTIFS({data.range(data.ratee_col)},{ratee_cell},{data.range(data.answer_col)},{quoted(v)})" for v in values)
    return f'=IF(({count(answers)})=0,"",ROUND(({count(satisfied)})/({count(answers)}),{decimals}))'


def competition_rank(cell: str, column_range: str) -> str:
    """1 + how many are strictly higher: equal totals share a rank."""
    return f'=IF({cell}="","",COUNTIF({column_range},">"&{cell})+1)'


def reached(score_cell: str, needed_cell: str, mark: str = "★") -> str:
    return f'=IF({score_cell}="","",IF({score_cell}>={needed_cell},{quoted(mark)},""))'


def star_level(total_cell: str, lows: str, stars: str, top: int, outstanding_cell: str | None) -> str:
    """LOOKUP over ascending lower edges; the top star needs the 突出 mark when one is given."""
    lookup = f"LOOKUP({total_cell},{lows},{stars})"
    if outstanding_cell is not None:
        lookup = f'{lookup}-IF(AND({lookup}={top},{outstanding_cell}<>"是"),1,0)'
    return f'=IF({total_cell}="","",IFERROR({lookup},""))'


def star_glyphs(stars_cell: str) -> str:
    return f'=IF({stars_cell}="","",REPT("★",{stars_cell}))'


def row_sum(row: int, first_col: int, last_col: int) -> str:
    return f"=SUM({col_letter(first_col)}{row}:{col_letter(last_col)}{row})"


def ref(sheet: str, cell: str) -> str:
    return f"='{sheet}'!{cell}"
