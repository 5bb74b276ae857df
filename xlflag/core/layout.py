"""Where every cell of a measurement form sits: one source of truth for writing and reading.

Forms are written from this layout and returns are read back through it, so the two can
never disagree about which cell holds which score. The layout also decides how a form looks
on paper, because that decides where the cells are:

- ``ITEMS_AS_ROWS`` when a form rates few people (a self form, a flag form, the leaders of a
  small branch): one row per item with its full wording, one score column per person rated,
  portrait where it fits. "Few" is measured, not counted: as long as that layout prints one
  page wide at ``MIN_PRINTED_PT`` or more on portrait A4, or else on landscape (with the s2
  example's 20 items and names of three characters: portrait up to 7 people, landscape up to 13);
- ``PEOPLE_AS_ROWS`` when it rates many: one row per person, one narrow column per item
  headed by its code and 简称, the full wording in a legend block under the table, the two
  header rows repeated on every printed page. A form too long for one page is cut into pages
  of people, each with the legend under its rows and a page break after it, so every score is
  entered on a page that shows every item's wording (``ratee_rows``, ``page_breaks``).

Widths are chosen so the body text prints at ``MIN_PRINTED_PT`` or more once the sheet is
shrunk to one page wide (``printed_pt``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from .formulas import col_letter
from .model import Item
from .textfit import (
    MIN_PRINTED_PT,
    SHEET_WIDTH_FACTOR,
    chars_for_pt,
    fit_scale,
    fit_width,
    line_count,
    printable_height,
    printable_width,
    row_height,
    width_pt,
)

FORM_SHEET = "测评表"
IDENTITY_SHEET = "_xlflag"  # very hidden; A1 the identity JSON, A2 its signature

TITLE_ROW = 1
INFO_ROW = 2
NOTE_ROW = 3
CATEGORY_ROW = 4
HEADER_ROW = 5
FIRST_DATA_ROW = 6

# people as rows
SEQ_COL = 1
ID_COL = 2
NAME_COL = 3
FIRST_ITEM_COL = 4
# items as rows: 类别, 编号, 测评内容, 满分, then one column per person rated
CATEGORY_COL = 1
CODE_COL = 2
TEXT_COL = 3
MAX_COL = 4
FIRST_RATEE_COL = 5

PEOPLE_AS_ROWS = "people_as_rows"
ITEMS_AS_ROWS = "items_as_rows"

BODY_PT = 11
HEADER_PT = 10
LEGEND_PT = 10
MARGINS_IN = (0.4, 0.4)  # left, right
MARGINS_TB_IN = (0.5, 0.6)  # top, bottom
SHORT_LABEL_CHARS = 4
# Above the table forms/sheet.py puts a title (26 pt), the info line (20 pt) and the note (about
# NOTE_CHARS characters of LEGEND_PT, wrapped across the sheet): what the first page holds less.
TITLE_ROWS_PT = 26.0 + 20.0
NOTE_CHARS = 130
SLACK_PT = 4.0  # printed points a page keeps free for rounding
SPACER_PT = 6.0  # the empty row between the people and the legend


def short_label(item: Item) -> str:
    """The item's 简称, or its wording's first few characters when the scheme gives none."""
    if item.short:
        return item.short
    kept = [c for c in item.text if c.isalnum()]
    return "".join(kept[:SHORT_LABEL_CHARS]) or item.code


def item_heading(item: Item) -> str:
    """The column head of an item on a people-as-rows form: its code first (checked on return)."""
    return f"{item.code}\n{short_label(item)}\n{item.maximum}分"


@dataclass(frozen=True)
class LegendLine:
    """One cell of the legend: merged over columns first_col..last_col (1-based) of its row."""

    row: int
    text: str
    height: float
    heading: bool
    first_col: int
    last_col: int


@dataclass(frozen=True)
class FormLayout:
    """The cells of one form: its orientation, items, the people it rates and what it asks.

    Forms of one shape share one layout object (``form_layout`` keeps them): never change its
    dicts in place."""

    orientation: str
    items: tuple[Item, ...]
    n_ratees: int
    item_pos: dict[str, int]  # item code → its column (people as rows) or row (items as rows)
    subtotal_pos: dict[str, int]  # category → column or row
    total_pos: int
    answer_pos: int | None  # 满意度, on the masses' flag questionnaire
    col_widths: tuple[float, ...]  # Excel characters, column A first
    row_heights: dict[int, float] = field(default_factory=dict)  # row → points
    legend: tuple[LegendLine, ...] = ()
    landscape: bool = False
    ratee_rows: tuple[int, ...] = ()  # people as rows over several pages: the row of each; else contiguous
    page_breaks: tuple[int, ...] = ()  # the last row of every printed page but the last

    def ratee_row(self, n: int) -> int:
        """The row of ratee ``n`` on a people-as-rows form; ``n == n_ratees`` is the empty row after."""
        if not self.ratee_rows:
            return FIRST_DATA_ROW + n
        return self.ratee_rows[n] if n < len(self.ratee_rows) else self.ratee_rows[-1] + 1

    def ratee_blocks(self) -> list[range]:
        """The ratees (0-based) of each printed page, in order: one block unless paged."""
        blocks, start = [], 0
        for n in range(1, self.n_ratees + 1):
            if n == self.n_ratees or self.ratee_row(n) != self.ratee_row(n - 1) + 1:
                blocks.append(range(start, n))
                start = n
        return blocks

    @property
    def by_rows(self) -> bool:
        """People as rows."""
        return self.orientation == PEOPLE_AS_ROWS

    @property
    def category_items(self) -> dict[str, tuple[Item, ...]]:
        grouped: dict[str, list[Item]] = {}
        for item in self.items:
            grouped.setdefault(item.category, []).append(item)
        return {c: tuple(v) for c, v in grouped.items()}

    # -- the cells ------------------------------------------------------------------------------
    def _cell(self, n: int, pos: int) -> tuple[int, int]:
        return (self.ratee_row(n), pos) if self.by_rows else (pos, FIRST_RATEE_COL + n)

    def score_cell(self, n: int, code: str) -> tuple[int, int]:
        """(row, col) of the score of ratee ``n`` (0-based) for item ``code``."""
        return self._cell(n, self.item_pos[code])

    def subtotal_cell(self, n: int, category: str) -> tuple[int, int]:
        return self._cell(n, self.subtotal_pos[category])

    def total_cell(self, n: int) -> tuple[int, int]:
        return self._cell(n, self.total_pos)

    def answer_cell(self, n: int) -> tuple[int, int] | None:
        return None if self.answer_pos is None else self._cell(n, self.answer_pos)

    def ratee_cells(self, n: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """Where ratee ``n``'s 编号 and 名称 are printed; ``n == n_ratees`` is the slot after the
        last, which must stay empty."""
        if self.by_rows:
            row = self.ratee_row(n)
            return (row, ID_COL), (row, NAME_COL)
        col = FIRST_RATEE_COL + n
        return (CATEGORY_ROW, col), (HEADER_ROW, col)

    def item_label_cell(self, code: str) -> tuple[int, int]:
        """The cell that starts with the item's code."""
        return (HEADER_ROW, self.item_pos[code]) if self.by_rows else (self.item_pos[code], CODE_COL)

    def ratee_score_cells(self, n: int) -> list[tuple[int, int]]:
        """``score_cell(n, item.code)`` of every item, in the items' order."""
        if self.by_rows:
            row = self.ratee_row(n)
            return [(row, self.item_pos[item.code]) for item in self.items]
        col = FIRST_RATEE_COL + n
        return [(self.item_pos[item.code], col) for item in self.items]

    def score_cells(self) -> list[tuple[int, int]]:
        return [self.score_cell(n, i.code) for n in range(self.n_ratees) for i in self.items]

    # -- the extent and the print -------------------------------------------------------------
    @property
    def last_col(self) -> int:
        if self.by_rows:
            return self.answer_pos or self.total_pos
        return FIRST_RATEE_COL + self.n_ratees - 1

    @property
    def table_last_row(self) -> int:
        if self.by_rows:
            return self.ratee_row(self.n_ratees - 1)
        return self.answer_pos or self.total_pos

    @property
    def last_row(self) -> int:
        return self.legend[-1].row if self.legend else self.table_last_row

    @property
    def content_pt(self) -> float:
        return sum(width_pt(w) for w in self.col_widths)

    @property
    def scale(self) -> float:
        """What "fit to one page wide" shrinks the sheet to."""
        return fit_scale(self.content_pt, self.landscape, MARGINS_IN)

    def legend_heights(self) -> dict[int, float]:
        heights: dict[int, float] = {}
        for line in self.legend:
            heights[line.row] = max(heights.get(line.row, 0.0), line.height)
        return heights

    @property
    def printed_pt(self) -> float:
        """The smallest body text as printed: the legend's, shrunk with the sheet."""
        return printed_size(self.col_widths, self.landscape)


def printed_size(col_widths, landscape: bool) -> float:
    """The smallest text of a form with these columns (characters) as printed one page wide."""
    content = sum(width_pt(w) for w in col_widths)
    return round(min(BODY_PT, HEADER_PT, LEGEND_PT) * fit_scale(content, landscape, MARGINS_IN), 2)


def form_layout(items: tuple[Item, ...], labels: list[tuple[str, str]], with_answer: bool = False,
                answers: tuple[str, ...] = ()) -> FormLayout:
    """The layout of a form on ``items`` rating the people or branches ``labels`` (编号, 名称):
    items as rows while that prints one page wide at ``MIN_PRINTED_PT`` or more, on portrait
    A4 or else on landscape; people as rows when a score column per person is too many.

    What only the items and the number of people decide is worked out once per shape and kept
    (a county's 25,000 forms have a few hundred shapes); the names and codes are measured per form."""
    items, answers = tuple(items), tuple(answers)
    ratee_w = _ratee_width(labels, answers)
    landscape = _items_landscape(items, len(labels), ratee_w)
    if landscape is None:
        return _people_as_rows(items, labels, with_answer, answers)
    return _items_as_rows(items, labels, with_answer, _items_widths(items, len(labels), ratee_w, landscape), landscape)


def other_layout(items: tuple[Item, ...], labels: list[tuple[str, str]], with_answer: bool = False,
                 answers: tuple[str, ...] = (), chosen: FormLayout | None = None) -> FormLayout:
    """The orientation ``form_layout`` did not choose: where an earlier xlflag, choosing by
    another rule (items as rows only up to two people), put the cells of a form still out with
    raters. Ingest reads such a form there rather than refuse it for the office's upgrade."""
    items, answers = tuple(items), tuple(answers)
    chosen = chosen or form_layout(items, labels, with_answer, answers)
    if chosen.orientation == PEOPLE_AS_ROWS:
        widths = _items_widths(items, len(labels), _ratee_width(labels, answers), True)
        return _items_as_rows(items, labels, with_answer, widths, True)
    return _people_as_rows(items, labels, with_answer, answers)


def _grouped(items):
    grouped: dict[str, list[Item]] = {}
    for item in items:
        grouped.setdefault(item.category, []).append(item)
    return grouped


def _people_as_rows(items, labels, with_answer, answers) -> FormLayout:
    """Subtotal columns after each category when the sheet still prints at 9 pt with them.

    Only the 编号 and 名称 columns' widths and each person's row height come from the people:
    the layout is kept per (items, those)."""
    id_w = fit_width([lab[0] for lab in labels] + ["编号"], BODY_PT, least=4, most=10)
    name_w = fit_width([lab[1] for lab in labels] + ["被评人"], BODY_PT, least=6, most=14)
    people = tuple(_person_height(name, name_w) for _, name in labels)
    return _people_layout(tuple(items), with_answer, tuple(answers), id_w, name_w, people)


@lru_cache(maxsize=65536)
def _person_height(name: str, name_w: float) -> float:
    """A person's row: their name wrapped in the 名称 column, 20 pt at least."""
    return max(20.0, row_height([(name, width_pt(name_w))], BODY_PT))


@lru_cache(maxsize=1024)
def _people_layout(items, with_answer, answers, id_w: float, name_w: float, people: tuple[float, ...]) -> FormLayout:
    for with_subtotals in (True, False):
        item_pos, subtotal_pos, total_pos, answer_pos, widths = _people_columns(items, id_w, name_w, with_answer, answers, with_subtotals)
        if fit_scale(sum(width_pt(w) for w in widths), True, MARGINS_IN) * HEADER_PT >= MIN_PRINTED_PT:
            break
    narrow = chars_for_pt(2 * HEADER_PT + 1)
    content = sum(width_pt(w) for w in widths)
    landscape = fit_scale(content, False, MARGINS_IN) * BODY_PT < MIN_PRINTED_PT + 1
    head_lines = max(line_count(item_heading(i), width_pt(narrow), HEADER_PT) for i in items) if items else 3
    heights = {CATEGORY_ROW: row_height([(c, width_pt(narrow) * len(v) + width_pt(narrow))
                                         for c, v in _grouped(items).items()], HEADER_PT),
               HEADER_ROW: head_lines * HEADER_PT * 1.35 + 4}
    block = _legend(items, 0, widths)
    pages = _pages(people, heights[CATEGORY_ROW] + heights[HEADER_ROW], block, content, landscape)
    rows, legend, breaks, row = [], [], [], FIRST_DATA_ROW
    for page in pages:
        for n in page:
            rows.append(row)
            heights[row] = people[n]
            row += 1
        heights[row] = SPACER_PT
        legend += [replace(line, row=line.row + row + 1) for line in block]
        row = legend[-1].row + 1 if legend else row + 1
        breaks.append(row - 1)
    return FormLayout(PEOPLE_AS_ROWS, tuple(items), len(people), item_pos, subtotal_pos, total_pos, answer_pos,
                      tuple(widths), heights, tuple(legend), landscape,
                      tuple(rows) if len(pages) > 1 else (), tuple(breaks[:-1]))


def _pages(people: list[float], head_pt: float, legend: tuple[LegendLine, ...], content_pt: float,
           landscape: bool) -> list[list[int]]:
    """The people (by index) on each printed page: as many as fit with the repeated header rows
    and the legend under them (the first page also holds the title rows). One page when all fit
    or when a page cannot hold one person with the legend (the legend then follows once)."""
    room, top = _page_room(content_pt, landscape)
    legend_pt = SPACER_PT + sum(max(line.height for line in legend if line.row == r) for r in {line.row for line in legend})
    pages, page, used = [], [], top + head_pt + legend_pt
    for n, height in enumerate(people):
        if page and used + height > room:
            pages.append(page)
            page, used = [], head_pt + legend_pt
        if used + height > room:
            return [list(range(len(people)))]
        page.append(n)
        used += height
    return pages + [page]


def _page_room(content_pt: float, landscape: bool) -> tuple[float, float]:
    """What a printed page holds, in sheet points (before the print scale), and what the title
    rows above the table take of the first."""
    room = (printable_height(landscape, MARGINS_TB_IN) - SLACK_PT) / fit_scale(content_pt, landscape, MARGINS_IN)
    return room, TITLE_ROWS_PT + row_height([("字" * NOTE_CHARS, content_pt)], LEGEND_PT, least=20)


def _category_breaks(blocks: list[tuple[int, float]], head_pt: float, content_pt: float, landscape: bool) -> tuple[int, ...]:
    """Page breaks between categories of an items-as-rows form (``blocks``: each category's last
    row and height, its items and 小计), so that no page edge cuts a category's merged name;
    none when the form fits one page. A category taller than a page is cut where it must be."""
    room, top = _page_room(content_pt, landscape)
    breaks, used, last = [], top + head_pt, None
    for end, height in blocks:
        if last is not None and used + height > room:
            breaks.append(last)
            used = head_pt
        used += height
        last = end
    return tuple(breaks)


def _people_columns(items, id_w: float, name_w: float, with_answer, answers, with_subtotals: bool):
    item_pos, subtotal_pos, col = {}, {}, FIRST_ITEM_COL
    for category, cat_items in _grouped(items).items():
        for item in cat_items:
            item_pos[item.code] = col
            col += 1
        if with_subtotals:
            subtotal_pos[category] = col
            col += 1
    total_pos, answer_pos = col, (col + 1 if with_answer else None)
    narrow = chars_for_pt(2 * HEADER_PT + 1)  # two CJK characters of the head per line
    widths = [0.0] * (answer_pos or total_pos)
    widths[SEQ_COL - 1] = fit_width(["序号"], HEADER_PT, least=3)
    widths[ID_COL - 1], widths[NAME_COL - 1] = id_w, name_w
    for c in list(item_pos.values()) + list(subtotal_pos.values()):
        widths[c - 1] = max(narrow, fit_width([f"{i.maximum}分" for i in items], HEADER_PT, least=1))
    total = sum(i.maximum for i in items)
    widths[total_pos - 1] = fit_width(["合计", f"{total}分"], HEADER_PT, least=4)
    if answer_pos:
        widths[answer_pos - 1] = fit_width(list(answers) + ["满意度"], BODY_PT, least=6)
    return item_pos, subtotal_pos, total_pos, answer_pos, widths


def _legend(items, first_row: int, widths: list[float]) -> tuple[LegendLine, ...]:
    """The full wording under the table, in two blocks side by side (categories split where the
    two halves are most even), each block a heading per category and a line per item."""
    blocks = []
    for category, cat_items in _grouped(items).items():
        lines = [(f"{category}（{sum(i.maximum for i in cat_items)}分）", True)]
        blocks.append(lines + [(f"{i.code} {i.text}", False) for i in cat_items])
    mid_col = _split_col(widths)
    left_pt = sum(width_pt(w) for w in widths[:mid_col])
    right_pt = sum(width_pt(w) for w in widths[mid_col:])
    sizes = [len(b) for b in blocks]
    cut = min(range(len(blocks) + 1), key=lambda k: abs(sum(sizes[:k]) - sum(sizes[k:])))
    left = [t for b in blocks[:cut] for t in b]
    right = [t for b in blocks[cut:] for t in b]
    out, row = [], first_row
    for n in range(max(len(left), len(right))):
        pair = [(left, 1, mid_col, left_pt), (right, mid_col + 1, len(widths), right_pt)]
        cells = [(side[n], a, b, w) for side, a, b, w in pair if n < len(side)]
        height = max(row_height([(t, w)], LEGEND_PT, least=14) for (t, _), _, _, w in cells)
        out += [LegendLine(row, t, height, heading, a, b) for (t, heading), a, b, _ in cells]
        row += 1
    return tuple(out)


def _split_col(widths: list[float]) -> int:
    """The last column of the left legend block: where the sheet is split most evenly."""
    total, run = sum(width_pt(w) for w in widths), 0.0
    for col, w in enumerate(widths, start=1):
        run += width_pt(w)
        if run >= total / 2:
            return col
    return len(widths)


def items_columns(items, labels, answers, landscape: bool) -> list[float]:
    """类别, 编号, 测评内容, 满分, a column per ratee: the wording takes what the page leaves."""
    return list(_items_widths(tuple(items), len(labels), _ratee_width(labels, tuple(answers)), landscape))


def _ratee_width(labels, answers: tuple[str, ...]) -> float:
    """An items-as-rows form's score columns: each holds any ratee's 编号 and 名称 and the answers."""
    return fit_width([t for lab in labels for t in lab] + list(answers) + ["得分"], BODY_PT, least=8, most=16)


@lru_cache(maxsize=1024)
def _items_landscape(items: tuple[Item, ...], n: int, ratee_w: float) -> bool | None:
    """Items as rows on portrait (False) or landscape (True) A4, whichever first prints at
    ``MIN_PRINTED_PT`` or more; None: neither does, people as rows."""
    for landscape in (False, True):
        if printed_size(_items_widths(items, n, ratee_w, landscape), landscape) >= MIN_PRINTED_PT:
            return landscape
    return None


@lru_cache(maxsize=1024)
def _items_widths(items: tuple[Item, ...], n: int, ratee_w: float, landscape: bool) -> tuple[float, ...]:
    widths = [
        fit_width(list(_grouped(items)) + ["类别"], BODY_PT, least=6, most=8),
        fit_width([i.code for i in items] + ["编号"], BODY_PT, least=4, most=8),
        0.0,
        fit_width(["满分", "100"], BODY_PT, least=4),
    ] + [ratee_w] * n
    room = printable_width(landscape, MARGINS_IN) / SHEET_WIDTH_FACTOR - sum(width_pt(w) for w in widths)
    widths[TEXT_COL - 1] = max(20.0, chars_for_pt(room - 12))
    return tuple(widths)


def _items_as_rows(items, labels, with_answer, widths, landscape: bool) -> FormLayout:
    """Only the header row's height (the names wrapped in their columns) comes from the people:
    the layout is kept per (items, widths, that height)."""
    names = [(lab[1], width_pt(widths[FIRST_RATEE_COL - 1 + n])) for n, lab in enumerate(labels)]
    return _items_layout(tuple(items), with_answer, tuple(widths), landscape, row_height(names, BODY_PT, 22))


@lru_cache(maxsize=1024)
def _items_layout(items, with_answer, widths: tuple[float, ...], landscape: bool, header_pt: float) -> FormLayout:
    item_pos, subtotal_pos, row = {}, {}, FIRST_DATA_ROW
    for category, cat_items in _grouped(items).items():
        for item in cat_items:
            item_pos[item.code] = row
            row += 1
        subtotal_pos[category] = row
        row += 1
    total_pos, answer_pos = row, (row + 1 if with_answer else None)
    text_pt_wide = width_pt(widths[TEXT_COL - 1])
    heights = {CATEGORY_ROW: 22.0, HEADER_ROW: header_pt}
    for item in items:
        heights[item_pos[item.code]] = row_height([(item.text, text_pt_wide)], BODY_PT, least=20)
    for category, cat_items in _grouped(items).items():  # a category name taller than its rows
        need = row_height([(category, width_pt(widths[0]))], BODY_PT)
        have = sum(heights[item_pos[i.code]] for i in cat_items)
        if need > have:
            heights[item_pos[cat_items[-1].code]] += need - have
    for pos in (*subtotal_pos.values(), total_pos, *([answer_pos] if answer_pos else [])):
        heights[pos] = 22.0
    blocks, first = [], FIRST_DATA_ROW
    ends = [*list(subtotal_pos.values())[:-1], answer_pos or total_pos]  # the last takes the 合计 along
    for end in ends:
        blocks.append((end, sum(heights[r] for r in range(first, end + 1))))
        first = end + 1
    breaks = _category_breaks(blocks, heights[CATEGORY_ROW] + heights[HEADER_ROW], sum(width_pt(w) for w in widths), landscape)
    return FormLayout(ITEMS_AS_ROWS, tuple(items), len(widths) - FIRST_RATEE_COL + 1, item_pos, subtotal_pos, total_pos,
                      answer_pos, tuple(widths), heights, (), landscape, page_breaks=breaks)


def fits_one_page(lay: FormLayout, top_rows_pt: float) -> bool:
    """Whether the whole form, legend included, prints on one page (so the wording is on it)."""
    body = sum(lay.row_heights.get(r, 15.0) for r in range(CATEGORY_ROW, lay.last_row + 1))
    return (top_rows_pt + body) * lay.scale <= printable_height(lay.landscape, MARGINS_TB_IN) - 30


def cell_name(row: int, col: int) -> str:
    """A1-style reference (1-based row and column)."""
    return f"{col_letter(col)}{row}"

