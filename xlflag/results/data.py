"""数据 and 授旗数据: one row per person (or branch) rated and rater group — how many raters
rated, how many the plan expects, how many the anonymity threshold needs, and the sums of their
scores per item, category and in total.

No single rater's scores are ever written here: a group's sums only appear once at least its
threshold of raters rated (below it the row shows the counts alone), and nothing names or
numbers a rater. The per-rater scores are in the office's working papers (``papers``).
Rows are contiguous per ratee in roster (or branch) order, groups in scheme order, so every
formula of 汇总 and the award sheets reads its cells by direct reference.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core import formulas as F
from ..core.model import BRANCH_TARGET, RATER_REPS, Scheme
from ..core.scoring import GroupSums, Rating, group_sums
from ..edge.bulk import Formula
from ..edge.sheetkit import page, table_head

DATA_COLUMNS = ("支部", "被评编号", "被评名称", "指标体系", "评价主体", "应评人数", "计分门槛", "已评人数")
C_EXPECTED, C_REQUIRED, C_COUNT = 6, 7, 8  # 1-based
COUNTED = "计分人数"  # with 去掉最高最低分: the raters the sums are over (已评 − 去掉的)
NOTE_ROW, HEAD_ROW = 1, 2  # 1-based: a note, then the header; data below
NOTE = ("每行为一个被评对象的一个评价主体：已评人数及其评分之和（非单个评价人的评分）。"
        "已评人数不足计分门槛时不列分数，汇总中该评价主体显示“不足N人”。")
TRIM_NOTE = "去掉最高分和最低分时，评分之和只含计分人数内的评价人。"


@dataclass(frozen=True)
class DataRows:
    """(ratee, group code) → the cells of its row in 数据 / 授旗数据."""

    cells: dict[tuple[str, str], F.GroupCells]

    def of(self, ratee: str, groups) -> list[F.GroupCells]:
        return [self.cells[(ratee, g.code)] for g in groups]


def _sets_for(scheme: Scheme, target: str) -> list[str]:
    if target == BRANCH_TARGET:
        return [scheme.flag.set_name]
    return list(dict.fromkeys(m.criteria_set for m in scheme.members))


def _ratees(scheme: Scheme, target: str):
    """(ratee key, 支部, 编号, 名称, criteria set) in roster or branch order."""
    if target == BRANCH_TARGET:
        return [(b.name, b.name, scheme.branch_code(b.name), b.name, scheme.flag.set_name) for b in scheme.branches]
    return [(m.member_id, m.branch, m.member_id, m.name, m.criteria_set) for m in scheme.members]


def write_sums(ws, fmt, scheme: Scheme, ratings: list[Rating], target: str,
               expected: dict[tuple[str, str], int], required: dict[tuple[str, str], int]) -> DataRows:
    """``expected``: raters planned per (ratee, group code); ``required``: the threshold of each."""
    groups = scheme.groups_for(target)
    sets = _sets_for(scheme, target)
    items = [i for s in sets for i in scheme.items_of(s)]
    categories = [(s, c) for s in sets for c in scheme.categories_of(s)]
    answers = scheme.flag.answers if target == BRANCH_TARGET and any(g.rater_kind == RATER_REPS for g in groups) else ()
    trim = scheme.settings.trim_minimum is not None
    first = C_COUNT + 1 + trim  # after 已评人数 (and 计分人数)
    answer_cols = {a: first + n for n, a in enumerate(answers)}
    total_col = first + len(answers)
    cat_cols = {key: total_col + 1 + n for n, key in enumerate(categories)}
    item_cols = {(i.set_name, i.code): total_col + 1 + len(categories) + n for n, i in enumerate(items)}
    prefix = len(sets) > 1
    headers = DATA_COLUMNS + (COUNTED,) * trim + tuple(f"{a}\n人数" for a in answers) + ("合计\n之和",)
    headers += tuple(f"{s}{c}小计\n之和" if prefix else f"{c}小计\n之和" for s, c in categories)
    headers += tuple(f"{i.set_name}{i.code}" if prefix else i.code for i in items)
    widths = (14, 9, 10, 9, 12, 7, 7, 7) + (7,) * (trim + len(answers)) + (8,) + (9,) * len(categories) + (6,) * len(items)
    ws.merge_range(NOTE_ROW - 1, 0, NOTE_ROW - 1, min(len(headers), 12) - 1, NOTE + TRIM_NOTE * trim, fmt["note"])
    ws.set_row(NOTE_ROW - 1, 30)
    table_head(ws, fmt, HEAD_ROW - 1, headers, widths)
    sums = group_sums(ratings)
    sheet, cells, width = ws.get_name(), {}, len(headers)
    layouts = {s: _SetColumns.of(scheme, s, item_cols, cat_cols, total_col) for s in sets}

    def at(col: int) -> str:  # a county's 35,000 rows × 5 references: the part before the row made once
        return F.cell(sheet, col, "")

    count_at, required_at, total_at, counted_at = at(C_COUNT), at(C_REQUIRED), at(total_col), at(C_COUNT + 1)
    answer_at = {a: at(c) for a, c in answer_cols.items()}
    category_at = {s: {k: at(c) for k, c in layout.categories.items()} for s, layout in layouts.items()}

    def rows():  # a county's 35,000 rows: straight to XML (edge.bulk)
        row = HEAD_ROW
        for ratee, branch, code, name, set_name in _ratees(scheme, target):
            layout, categories = layouts[set_name], category_at[set_name]
            for group in groups:
                row += 1
                r = str(row)
                key = (ratee, group.code)
                got = sums.get(key, GroupSums(0, {}, {}))
                need = required.get(key, 1)
                values = [None] * width
                values[:C_EXPECTED - 1] = (branch, code, name, set_name, group.name)
                counts = (expected.get(key, 0), need, got.raters) + (got.counted,) * trim
                values[C_EXPECTED - 1:C_EXPECTED - 1 + len(counts)] = counts
                shown = got.raters >= need
                group_answers = answer_cols if group.rater_kind == RATER_REPS else {}
                for answer, col in group_answers.items():
                    values[col - 1] = got.answers.get(answer, 0) if shown else ""
                if shown:
                    layout.sums(values, r, got)
                cells[key] = F.GroupCells(
                    count_at + r, required_at + r, total_at + r, {k: c + r for k, c in categories.items()},
                    {a: answer_at[a] + r for a in group_answers}, counted_at + r if trim else "",
                )
                yield values

    row = ws.write_bulk(HEAD_ROW, rows(), [fmt["text"]] * (C_EXPECTED - 1) + [fmt["center"]] * (width - C_EXPECTED + 1))
    ws.autofilter(HEAD_ROW - 1, 0, max(row, HEAD_ROW), len(headers) - 1)
    page(ws, (0, HEAD_ROW - 1), key_columns=5)
    return DataRows(cells)


@dataclass(frozen=True)
class _SetColumns:
    """Where one criteria set's items and category sums sit in the row (1-based columns), and
    the SUM formulas over them (``F.row_sum``) with the row left out: a county's 230,000
    formulas are then put together from two parts each, never escaped (only references)."""

    items: dict[str, int]  # item code → column
    categories: dict[tuple[str, str], int]  # (set, category) → column of its sum
    spans: dict[tuple[str, str], tuple[str, ...]]  # (set, category) → its item codes
    total_col: int
    sum_parts: dict[int, tuple[str, str]]  # column of a sum → its formula around the row: "=SUM(E", ":X"

    @classmethod
    def of(cls, scheme: Scheme, set_name: str, item_cols, cat_cols, total_col: int) -> _SetColumns:
        items = scheme.items_of(set_name)
        categories = {k: c for k, c in cat_cols.items() if k[0] == set_name}
        spans = {k: tuple(i.code for i in items if i.category == k[1]) for k in categories}
        cols = {i.code: item_cols[(set_name, i.code)] for i in items}
        parts = {total_col: _sum_parts(list(cols.values()))}
        parts.update({col: _sum_parts([cols[c] for c in spans[k]]) for k, col in categories.items()})
        return cls(cols, categories, spans, total_col, parts)

    def sums(self, values: list, row: str, got: GroupSums) -> None:
        """Item sums as values; category and grand sums as SUM formulas over them (``row`` the
        1-based row's digits)."""
        items = got.items
        for code, col in self.items.items():
            values[col - 1] = float(items.get(code, 0))
        parts = self.sum_parts
        # the sums are exact (ints while the scores are whole: sum adds them in C), the same value
        start, middle = parts[self.total_col]
        values[self.total_col - 1] = Formula(f"{start}{row}{middle}{row})", float(sum(items.values())), True)
        for key, col in self.categories.items():
            start, middle = parts[col]
            subtotal = sum([items.get(c, 0) for c in self.spans[key]])
            values[col - 1] = Formula(f"{start}{row}{middle}{row})", float(subtotal), True)


def _sum_parts(span: list[int]) -> tuple[str, str]:
    """``F.row_sum(row, min(span), max(span))`` around its row: the text before each of its
    two row numbers ("=SUM(E", ":X"); ")" follows the second."""
    start, middle, end = F.row_sum("|", min(span), max(span)).split("|")
    return start, middle
