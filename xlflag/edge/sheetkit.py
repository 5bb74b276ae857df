"""The look every sheet xlflag writes shares: formats, table heads, titles, A4 print setup, and
column widths and row heights fitted to what the cells hold (``fit_sheet``)."""
from __future__ import annotations

import unicodedata
from functools import lru_cache, partial

import xlsxwriter
import xlsxwriter.workbook as xlsxworkbook

from ..core.textfit import (
    BODY_FONT_PT,
    DEFAULT_WIDTH,
    NO_LINE_START,
    SHEET_WIDTH_FACTOR,
    char_pt,
    fit_cells,
    one_page_wide,
    printable_width,
    width_pt,
)
from .xlsxsheet import Sheet


def formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 11, "border": 1, "valign": "vcenter"}
    return {
        "title": wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center"}),
        "note": wb.add_format({"font_size": 10, "text_wrap": True, "valign": "top"}),
        "head": wb.add_format(base | {"bold": True, "align": "center", "text_wrap": True, "bg_color": "#DDEBF7"}),
        "text": wb.add_format(base | {"text_wrap": True}),
        "plain": wb.add_format(base),  # one line whatever its length: columns kept for looking up
        "center": wb.add_format(base | {"align": "center"}),
        "int": wb.add_format(base | {"align": "center", "num_format": "0"}),
        "score": wb.add_format(base | {"align": "center", "num_format": "0.00"}),
        "percent": wb.add_format(base | {"align": "center", "num_format": "0.00%"}),
        "star": wb.add_format(base | {"align": "center", "font_color": "#C00000"}),
        "win": wb.add_format(base | {"align": "center", "bold": True, "font_color": "#C00000", "bg_color": "#FDE9D9",
                                     "text_wrap": True}),
    }


def page(ws, header_rows: tuple[int, int], landscape: bool = True, key_columns: int = 0,
         printed_columns: int = 0) -> None:
    """A4, one page wide, header rows repeated: what the office prints. A sheet too wide to
    read at one page wide prints across pages at full size (``fit_sheet`` decides), with its
    first ``key_columns`` (who or what each row is about) repeated on every page. With
    ``printed_columns``, only the first so many are printed (the rest are for looking up)."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*header_rows)
    if key_columns:
        ws.repeat_columns(0, key_columns - 1)
    if printed_columns:
        ws.printed_columns = printed_columns  # the print area is set once the rows are known
    ws.set_footer("&C第&P页 共&N页")


def table_head(ws, fmt, row: int, headers, widths) -> None:
    """Header row (0-based ``row``), column widths, panes frozen below it."""
    ws.write_row(row, 0, headers, fmt["head"])
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.freeze_panes(row + 1, 0)


def titled(ws, fmt, title: str, note: str, last_col: int) -> None:
    """Title on row 1, a rule note on row 2: the first two rows of every ranked sheet."""
    ws.merge_range(0, 0, 0, last_col, title, fmt["title"])
    ws.merge_range(1, 0, 1, last_col, note, fmt["note"])
    ws.set_row(1, 30)


# -- fitting: widths and heights from what was written -----------------------------------------

class FittedWorkbook(xlsxwriter.Workbook):
    """A workbook whose sheets are fitted (``fit_sheet``) as it closes. ``zip_level``: the
    zlib level its parts are deflated at (None: zlib's default, 6, as XlsxWriter leaves it)."""

    worksheet_class = Sheet
    zip_level: int | None = None

    def close(self) -> None:
        for ws in self.worksheets():
            fit_sheet(ws)
        super().close()

    def _store_workbook(self) -> None:
        if self.zip_level is None:
            return super()._store_workbook()
        # XlsxWriter opens its ZipFile without a level and takes no option for one: for the
        # moment of storing, its module's ZipFile is one that has it (a workbook is stored on
        # one thread at a time: consolidate writes its workbooks one after another)
        plain = xlsxworkbook.ZipFile
        xlsxworkbook.ZipFile = partial(plain, compresslevel=self.zip_level)
        try:
            return super()._store_workbook()
        finally:
            xlsxworkbook.ZipFile = plain


def fit_sheet(ws) -> None:
    """Widen the columns and heighten the rows of an XlsxWriter worksheet so every cell's text
    shows whole when printed (``textfit.fit_cells``). Call it once everything is written: it
    reads the cells back the way XlsxWriter's own ``autofit`` does. A sheet printed across
    pages has its titles and notes merged over the first page's columns only, so that no page
    edge cuts them."""
    if getattr(ws, "constant_memory", True) or not ws.table:
        return
    widths = _fit(ws)
    if getattr(ws, "printed_columns", None):
        ws.print_area(0, 0, ws.dim_rowmax, ws.printed_columns - 1)
    if ws.fit_page and ws.fit_width == 1:
        columns = range(getattr(ws, "printed_columns", None) or ws.dim_colmax + 1)
        if not _orient(ws, sum(width_pt(widths.get(c, DEFAULT_WIDTH)) for c in columns)):
            _merge_within_first_page(ws, widths)
            _fit(ws)


def _fit(ws) -> dict[int, float]:
    """Fit once; the column widths (characters) the sheet then has."""
    strings = sorted(ws.str_table.string_table, key=ws.str_table.string_table.__getitem__)
    ends = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in ws.merge}
    cells, seen = [], set()
    for row, columns in ws.table.items():
        for col, cell in columns.items():
            text = _cell_text(cell, strings)
            if text:
                fmt = cell.format
                last_row, last_col = ends.get((row, col), (row, col))
                font, wraps = float(fmt.font_size) if fmt else 11.0, bool(fmt and fmt.text_wrap)
                if SHAPED_FIT:
                    text = text.translate(_SHAPES)
                    if not wraps and font <= BODY_FONT_PT and (row, col) == (last_row, last_col):
                        # one line of body text in one cell: it only widens its column, so the
                        # column's texts of one shape are measured once, whatever their rows
                        if (col, text, font) in seen:
                            continue
                        seen.add((col, text, font))
                cells.append((row, col, last_row, last_col, text, font, wraps))
    widths = {c: (info.width - 5) / 7 for c, info in ws.col_info.items() if info.width}
    heights = {r: info.height * 0.75 for r, info in ws.row_info.items() if info.height is not None}
    new_widths, new_heights = fit_cells(cells, widths, heights)
    for col, chars in new_widths.items():
        info = ws.col_info.get(col)
        options = {"hidden": info.hidden, "level": info.level, "collapsed": info.collapsed} if info else {}
        ws.set_column(col, col, chars, info.column_format if info else None, options)
    for row, points in new_heights.items():
        info = ws.row_info.get(row)
        options = {"hidden": info.hidden, "level": info.level, "collapsed": info.collapsed} if info else {}
        ws.set_row(row, points, info.row_format if info else None, options)
    return widths | new_widths


SHAPED_FIT = True  # False: every cell measured as written (tests compare the two)


class _Shapes(dict):
    """``str.translate`` table: each character → the first character seen that the fitter
    measures and breaks exactly as it (same width at every size, same space, wide and
    closing-mark tests). A county's cells are a few hundred thousand distinct texts but a few
    thousand shapes (every SHA-256 is 64 narrow characters): textfit measures each shape once."""

    def __init__(self):
        super().__init__()
        self._first: dict[tuple, str] = {}

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        key = (tuple(char_pt(ch, size) for size in _SIZES), ch == "\n", ch.isspace(),
               unicodedata.east_asian_width(ch) in ("W", "F"), ch in NO_LINE_START)
        shape = self[code] = self._first.setdefault(key, ch)
        return shape


_SIZES = (1.0, 9.0, 10.0, 11.0, 12.0, 14.0, 16.0)  # every font size a fitted sheet uses
_SHAPES = _Shapes()


def _orient(ws, content_pt: float) -> bool:
    """Portrait while it reads one page wide, else landscape; too wide for that, full size
    across pages (returns False)."""
    margins = (ws.margin_left, ws.margin_right)
    if one_page_wide(content_pt, ws.orientation == 0, margins):
        return True
    if ws.orientation == 1 and one_page_wide(content_pt, True, margins):
        ws.set_landscape()
        return True
    ws.fit_page = 0
    return False


def _merge_within_first_page(ws, widths: dict[int, float]) -> None:
    room, last = printable_width(ws.orientation == 0, (ws.margin_left, ws.margin_right)) / SHEET_WIDTH_FACTOR, -1
    while last + 1 <= ws.dim_colmax and room >= width_pt(widths.get(last + 1, DEFAULT_WIDTH)):
        last += 1
        room -= width_pt(widths.get(last, DEFAULT_WIDTH))
    for merged in ws.merge:  # [first_row, first_col, last_row, last_col]
        if merged[1] <= last < merged[3]:
            merged[3] = max(last, merged[1] + 1)


def _cell_text(cell, strings) -> str:
    kind = type(cell).__name__
    if kind == "String":
        return strings[cell.string]
    if kind == "Number":
        return shown_number(cell.number, cell.format.num_format if cell.format else 0)
    if kind == "Formula":
        value = cell.value
        if isinstance(value, str):
            return value
        return shown_number(value, cell.format.num_format if cell.format else 0)
    return ""


@lru_cache(maxsize=4096)
def shown_number(value, num_format) -> str:
    """A number as its format shows it (near enough to measure): 0, 0.00, 0.00%, or general."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if num_format == "0":
        return f"{value:.0f}"
    if num_format == "0.00":
        return f"{value:.2f}"
    if num_format == "0.00%":
        return f"{value * 100:.2f}%"
    return f"{value:.10g}"
