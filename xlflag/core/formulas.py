"""Excel formula text for the results workbook, built from plain values (pure, no Excel).

Each builder mirrors one function of ``scoring``; the LibreOffice recalculation test proves
that the two give the same numbers. Formulas read 数据's pre-aggregated rows (one per ratee and
rater group) by direct reference, so each costs the same however large the scheme.
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


def cell(sheet: str, col: int, row: int) -> str:
    """An absolute reference to one cell of another sheet."""
    return f"'{sheet}'!${col_letter(col)}${row}"


@dataclass(frozen=True)
class GroupCells:
    """Where one ratee's row for one rater group sits in 数据: the cells a formula reads."""

    count: str  # raters who rated
    required: str  # raters needed before the mean is shown
    total: str  # sum of the raters' totals
    categories: dict[tuple[str, str], str] = field(default_factory=dict)  # (set, category) → sum
    answers: dict[str, str] = field(default_factory=dict)  # 满意度 answer → how many gave it
    counted_cell: str = ""  # raters the sums are over, when 去掉最高最低分 leaves some out

    @property
    def counted(self) -> str:
        """The divisor of every mean: the counted raters, or all who rated."""
        return self.counted_cell or self.count


def group_mean(cells: GroupCells) -> str:
    """Mirrors scoring._group_score: sum ÷ counted raters, or 不足N人 below the threshold."""
    return (f'=IF({cells.count}<{cells.required},"不足"&{cells.required}&"人",'
            f'{cells.total}/{cells.counted})')


def weighted_total(mean_cells: list[str], weight_cells: list[str], decimals: int, rescale: bool) -> str:
    """Mirrors scoring.member_total: a mean cell holds a number when its group counts."""
    if not rescale:
        terms = "+".join(f"{m}*{w}/100" for m, w in zip(mean_cells, weight_cells))
        return f'=IF(COUNT({",".join(mean_cells)})<{len(mean_cells)},"",ROUND({terms},{decimals}))'
    num = "+".join(f"IF(ISNUMBER({m}),{m}*{w},0)" for m, w in zip(mean_cells, weight_cells))
    den = "+".join(f"IF(ISNUMBER({m}),{w},0)" for m, w in zip(mean_cells, weight_cells))
    return f'=IF(({den})=0,"",ROUND(({num})/({den}),{decimals}))'


def weighted_category(groups: list[tuple[GroupCells, str]], key: tuple[str, str], guard_cell: str,
                      decimals: int, rescale: bool) -> str:
    """A category's subtotal weighted like the total (awards.weighted_category): the same
    groups count, with the same weights; blank while ``guard_cell`` (the total) is."""
    def counts(g: GroupCells) -> str:
        return f"{g.count}>={g.required}"
    if not rescale:
        terms = "+".join(f"{g.categories[key]}/{g.counted}*{w}/100" for g, w in groups)
        return f'=IF({guard_cell}="","",ROUND({terms},{decimals}))'
    num = "+".join(f"IF({counts(g)},{g.categories[key]}/{g.counted}*{w},0)" for g, w in groups)
    den = "+".join(f"IF({counts(g)},{w},0)" for g, w in groups)
    return f'=IF({guard_cell}="","",ROUND(({num})/({den}),{decimals}))'


def satisfaction(groups: list[GroupCells], satisfied: tuple[str, ...], answers: tuple[str, ...], decimals: int) -> str:
    """Share of satisfied answers over the groups that reached their threshold (S3: 满意 +
    基本满意 over all answers); mirrors awards.satisfaction."""
    def count(values):
        return "+".join(f"IF({g.count}>={g.required},{'+'.join(g.answers[v] for v in values)},0)" for g in groups if g.answers)
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
