"""How much room a text takes on a printed sheet (pure): column widths, wrapped lines, row heights.

Excel measures a column in characters of the workbook's default font (Calibri 11: a digit is
7 px wide, a column of width w is ``int(w * 7 + 0.5) + 5`` px, 1 px = 0.75 pt). A CJK glyph of a
font of s pt is s pt wide; Latin letters and digits about half that. Row heights are in points.
Estimates err on the generous side: a row a little too tall prints fine, one too short cuts text.
"""
from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

DIGIT_PX = 7  # max digit width of Calibri 11, the unit of column widths
CELL_PADDING_PX = 5
LINE_FACTOR = 1.3  # line height ÷ font size for CJK faces in Excel, WPS and LibreOffice
ROW_PADDING_PT = 3

# A4 in points, and the default margins xlflag prints with (inches)
A4_SHORT_PT, A4_LONG_PT = 595.0, 842.0
MIN_PRINTED_PT = 9.0
# LibreOffice lays a sheet out about 6.5 % wider than the pixel sum above (measured on A4 with
# Carlito, the metric twin of Calibri): the fit-to-width scale is computed on the wider figure.
SHEET_WIDTH_FACTOR = 1.065


def char_pt(ch: str, font_pt: float) -> float:
    """The printed width of one character in points: CJK a full em, and so are the symbols
    East Asian fonts draw as wide as CJK (★, “”, ①: Unicode's "ambiguous" width); capitals
    wider than the rest (form codes are capitals and digits), M and W widest."""
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return font_pt
    if ch in "MW@":
        return font_pt * 0.95
    return font_pt * (0.72 if ch.isupper() else 0.6)


@lru_cache(maxsize=65536)  # a county measures the same names and item texts thousands of times
def text_pt(text: str, font_pt: float = 11) -> float:
    """Width of the longest line of ``text`` in points."""
    return max((sum(char_pt(c, font_pt) for c in line) for line in str(text).split("\n")), default=0.0)


def width_px(width_chars: float) -> int:
    return int(width_chars * DIGIT_PX + 0.5) + CELL_PADDING_PX if width_chars > 0 else 0


def width_pt(width_chars: float) -> float:
    return width_px(width_chars) * 0.75


def chars_for_pt(points: float) -> float:
    """The column width (in Excel characters) that shows ``points`` of text plus padding."""
    px = points / 0.75 + CELL_PADDING_PX + 2
    return round(max(1.0, (px - CELL_PADDING_PX) / DIGIT_PX), 1)


def chars_holding(points: float) -> float:
    """The narrowest column width (characters, to 0.1) in which ``line_count`` keeps a line
    ``points`` wide on one line."""
    px = (max(points, 0.0) + CELL_PADDING_PX * 0.75 + 2) / 0.75
    return math.ceil((px - CELL_PADDING_PX) / DIGIT_PX * 10) / 10


def fit_width(texts, font_pt: float = 11, least: float = 4, most: float = 60) -> float:
    """A column width that shows the longest of ``texts`` on one line, within [least, most]."""
    need = max((text_pt(t, font_pt) for t in texts if t is not None and str(t) != ""), default=0.0)
    return min(most, max(least, chars_holding(need)))


NO_LINE_START = frozenset("，。、；：？！）》」』】〕”’…%,.;:?!)")


def line_count(text: str, points: float, font_pt: float = 11) -> int:
    """Lines ``text`` wraps to in a cell ``points`` wide (greedy, per character, as CJK wraps),
    with Excel's padding: a generous count (forms)."""
    return _lines(str(text), max(points - CELL_PADDING_PX * 0.75 - 2, font_pt), font_pt)


# LibreOffice, measured from its PDF (宋体 drawn in Noto CJK; columns of 45 to 323 pt, 11 and
# 10 pt text): a wrapped cell's text runs across 1.035 × the column's width (Excel's pixel sum in
# points; the forms' ``line_count`` keeps Excel's padding instead, a line shorter), and a line of
# CJK text takes 1.46 × its size (16 pt at 11 pt, 14.5 pt at 10 pt), not 1.3.
PRINTED_ROOM_FACTOR = 1.035
PRINTED_LINE_FACTOR = 1.46


def printed_lines(text: str, points: float, font_pt: float = 11) -> int:
    """Lines ``text`` prints on in a cell ``points`` wide, as LibreOffice wraps it."""
    return _lines(str(text), max(points * PRINTED_ROOM_FACTOR, font_pt), font_pt)


def printed_height(lines: int, font_pt: float = 11) -> float:
    """The row height (pt) that shows ``lines`` lines of ``font_pt`` text whole, as printed."""
    return math.ceil(lines * font_pt * PRINTED_LINE_FACTOR + ROW_PADDING_PT)


@lru_cache(maxsize=65536)
def _lines(text: str, room: float, font_pt: float) -> int:
    lines = 0
    for paragraph in str(text).split("\n"):
        used, before, lines = 0.0, 0.0, lines + 1
        for ch in paragraph:
            w = char_pt(ch, font_pt)
            if used + w > room:
                # a closing mark never starts a line: the character before it goes down too
                lines, used = lines + 1, (before if ch in NO_LINE_START else 0.0)
            used += w
            before = w
    return max(lines, 1)


def row_height(texts_and_widths, font_pt: float = 11, least: float = 15) -> float:
    """The height (pt) of a row whose cells hold these (text, width in points) pairs, wrapped."""
    lines = max((line_count(t, w, font_pt) for t, w in texts_and_widths if t not in (None, "")), default=1)
    return max(least, math.ceil(lines * font_pt * LINE_FACTOR + ROW_PADDING_PT))


def printable_width(landscape: bool, margins_in: tuple[float, float]) -> float:
    return (A4_LONG_PT if landscape else A4_SHORT_PT) - (margins_in[0] + margins_in[1]) * 72


def fit_scale(content_pt: float, landscape: bool, margins_in: tuple[float, float]) -> float:
    """The print scale "fit to one page wide" gives (1.0 when it fits): Excel and LibreOffice
    shrink to a whole percent."""
    printable = printable_width(landscape, margins_in)
    content_pt *= SHEET_WIDTH_FACTOR
    if content_pt <= printable:
        return 1.0
    return math.floor(printable / content_pt * 100) / 100


def printable_height(landscape: bool, margins_in: tuple[float, float]) -> float:
    paper = A4_SHORT_PT if landscape else A4_LONG_PT
    return paper - (margins_in[0] + margins_in[1]) * 72


# -- fitting a whole sheet ----------------------------------------------------------------------

# A wrapped line up to this many CJK characters wide (a heading, a name, a branch) is never
# broken: its column widens to hold it, as it does for a code or number of any length. Longer
# wrapped text breaks at the column's width.
LABEL_CHARS = 8
MAX_WIDTH = 60.0  # characters: wider than this, a sheet shrinks too far to read
DEFAULT_WIDTH = 8.43  # Excel's default column width (characters)
DEFAULT_HEIGHT = 15.0  # Excel's default row height (points)
BODY_FONT_PT = 11.0  # the default row height holds one line of this size
# A sheet "fit to one page wide" that would print below this scale prints at full size across
# pages instead (its header rows and key columns repeated): text at 40 % of 11 pt is unreadable.
LEAST_SHEET_SCALE = 0.6

# One written cell as the fitter sees it: (row, col, last_row, last_col, text, font_pt, wraps);
# last_row/last_col end a merged range (equal to row/col for a single cell).
Placed = tuple[int, int, int, int, str, float, bool]


def fit_cells(cells, widths: dict[int, float], heights: dict[int, float]) -> tuple[dict[int, float], dict[int, float]]:
    """Column widths (characters) and row heights (points) at which every cell's text shows
    whole: a cell that does not wrap widens its column to its longest line; one that wraps
    widens it only for a short line (``LABEL_CHARS``) and otherwise gets the rows it needs.
    ``widths`` and ``heights`` are what the sheet set (the rest are the defaults); they are
    never reduced. Returns only the widths and heights that change.
    """
    cells = list(cells)
    width = dict(widths)
    need: dict[int, float] = {}
    for row, col, last_row, last_col, text, font_pt, wraps in cells:
        if col != last_col:
            continue
        points = text_pt(text, font_pt)
        if wraps and points > LABEL_CHARS * font_pt and _breaks(text):
            continue
        if points > need.get(col, 0.0):
            need[col] = points
    for col, points in need.items():
        chars = min(MAX_WIDTH, chars_holding(points))
        if chars > width.get(col, DEFAULT_WIDTH):
            width[col] = chars
    for row, col, last_row, last_col, text, font_pt, wraps in cells:  # merged text that does not wrap
        if col != last_col and not wraps:
            short = text_pt(text, font_pt) - _span_pt(width, col, last_col)
            if short > 0:
                width[last_col] = min(MAX_WIDTH, chars_holding(width_pt(width.get(last_col, DEFAULT_WIDTH)) + short))
    height = dict(heights)
    spanning = []
    for row, col, last_row, last_col, text, font_pt, wraps in cells:
        lines = printed_lines(text, _span_pt(width, col, last_col), font_pt) if wraps else 1
        if lines == 1 and font_pt <= BODY_FONT_PT:
            continue
        points = printed_height(lines, font_pt)
        if row != last_row:
            spanning.append((row, last_row, points))
        elif points > height.get(row, DEFAULT_HEIGHT):
            height[row] = points
    for row, last_row, points in spanning:  # a merged block: its last row takes what is missing
        short = points - sum(height.get(r, DEFAULT_HEIGHT) for r in range(row, last_row + 1))
        if short > 0:
            height[last_row] = height.get(last_row, DEFAULT_HEIGHT) + short
    return ({c: w for c, w in width.items() if w != widths.get(c)},
            {r: h for r, h in height.items() if h != heights.get(r)})


def _breaks(text: str) -> bool:
    """Whether a text wraps well: at spaces or between CJK characters (a code or a number is
    better kept on one line)."""
    return any(ch.isspace() or unicodedata.east_asian_width(ch) in ("W", "F") for ch in text)


def _span_pt(width: dict[int, float], first: int, last: int) -> float:
    return sum(width_pt(width.get(c, DEFAULT_WIDTH)) for c in range(first, last + 1))


def one_page_wide(content_pt: float, landscape: bool, margins_in: tuple[float, float]) -> bool:
    """Whether a sheet this wide still reads when shrunk to one page wide."""
    return fit_scale(content_pt, landscape, margins_in) >= LEAST_SHEET_SCALE
