"""Big tables straight to sheet XML: a county's 评分明细 and 数据.

XlsxWriter keeps every cell as an object until the workbook closes and writes each through its
general cell writer: about 10 µs and a few hundred bytes a cell. A county's 评分明细 has some
eight million cells (one row per rater per person rated), which is minutes and gigabytes.
``BulkSheet`` is an XlsxWriter worksheet that also takes blocks of rows of plain values — text
(a shared string, as XlsxWriter writes it), numbers, ``Formula`` (formula and cached value) —
renders them as sheet XML at once into a temporary file, and copies that file into the sheet
when the workbook is assembled: memory does not grow with the rows, and a cell costs about a
microsecond. Column widths are measured from the values written (``textfit.fit_width``), as
``sheetkit.fit_sheet`` would have measured them, so no cell is read back.

Everything else on the sheet (banner, header, filter, panes, print setup) is written the usual
way, above the block.
"""
from __future__ import annotations

import io
import re
import shutil
from array import array
import tempfile
from typing import Iterable, NamedTuple, Sequence

from xlsxwriter.utility import xl_col_to_name

from ..core.textfit import fit_width
from .sheetkit import shown_number
from .xlsxsheet import Sheet


class Formula(NamedTuple):
    """A formula cell: its text as written ("=SUM(E3:J3)"; only plain functions, nothing
    XlsxWriter would have to prefix) and the value xlflag computed for it. ``plain``: the
    caller built the text from parts that hold nothing XML escapes (&, <, >, control
    characters: cell references, digits, function names), so it is written as it is."""

    text: str
    value: float
    plain: bool = False


_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _escaped(text: str) -> str:
    text = text.translate(_ESCAPES)
    if _CONTROL.search(text):  # as XlsxWriter escapes them: OOXML's _xHHHH_
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


def _number(value) -> str:
    return f"{value:.16G}"  # XlsxWriter's own rendering of a number


BULK_XML = True  # False: every cell through XlsxWriter's own writers (tests compare the two)


class BulkSheet(Sheet):
    """An XlsxWriter worksheet (``wb.add_worksheet(name, worksheet_class=BulkSheet)``) with
    ``write_bulk``."""

    def __init__(self):
        super().__init__()
        self._bulk = None  # the temporary file of rendered rows
        self._bulk_first = None  # first 0-based row of the block
        self._bulk_next = 0  # the row after the block

    def write_bulk(self, first_row: int, rows: Iterable[Sequence], formats: Sequence, font_pt: float = 11,
                   tails: Iterable[tuple[tuple[int, ...], Sequence[float]]] | None = None) -> int:
        """Write ``rows`` (sequences of str, int, float, ``Formula``, None for no cell, "" for
        an empty styled cell) from the 0-based ``first_row`` down, column 0 on, cell ``c`` in
        ``formats[c]``; widen each column to its widest value. Returns the row after the last.
        Blocks follow one another; nothing else may be written at or below ``first_row``.

        ``tails``, one per row: numbers to the right of the row's own values, as (their 0-based
        columns, all different, in any order; the values, never −0.0). A county's 评分明细 is
        six million scores in a few column layouts: each layout's cells are rendered from one
        template per row, and such a row spans every column of ``formats``."""
        if not BULK_XML:
            return self._write_plainly(first_row, rows, formats, font_pt, tails)
        if self._bulk is None:
            self._bulk = tempfile.TemporaryFile("w+b", dir=self.tmpdir)  # UTF-8, encoded as rendered
            self._bulk_first = first_row
        elif first_row < self._bulk_next:
            raise ValueError("bulk rows must follow the rows already written")
        styles = [f' s="{f._get_xf_index()}"' if f is not None else "" for f in formats]
        # each cell is <c r="{column}{row}"{style} …>: the parts around the row number made once
        opens = [f'<c r="{xl_col_to_name(c)}' for c in range(len(formats))]
        texts = [f'"{style} t="s"><v>' for style in styles]
        values_ = [f'"{style}><v>' for style in styles]
        blanks = [f'"{style}/>' for style in styles]
        formulas = [f'"{style}><f>' for style in styles]
        table = self.str_table
        known, shared, hits = table.string_table, table._get_shared_string_index, 0
        numbers: dict = {}  # a county's scores are a few dozen values, its sums a few thousand: each rendered once
        seen: list[set] = [set() for _ in formats]
        out, row, last_col = [], first_row, -1
        tails = iter(tails) if tails is not None else None
        templates: dict[tuple[int, ...], _TailTemplate] = {}
        tail_values: dict[tuple[int, ...], array] = {}  # per layout, its values since the last flush (for widths)
        for values in rows:
            r = str(row + 1)
            cells = []
            for c, value in enumerate(values):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    if value:
                        index = known.get(value)
                        if index is None:
                            index = shared(value)
                        else:  # XlsxWriter's own count of string cells, kept by hand (its method is a Python call)
                            hits += 1
                        cells.append(f"{opens[c]}{r}{texts[c]}{index}</v></c>")
                        seen[c].add(value)
                    else:
                        cells.append(f"{opens[c]}{r}{blanks[c]}")
                elif kind is Formula:
                    text, number = value.text.removeprefix("="), value.value
                    shown = numbers.get(number) if number else None
                    if shown is None:
                        shown = numbers[number] = _number(number)
                    cells.append(f'{opens[c]}{r}{formulas[c]}{text if value.plain else _escaped(text)}</f>'
                                 f"<v>{shown}</v></c>")
                    seen[c].add(number)
                else:
                    text = numbers.get(value) if value else None  # 0 and -0.0 are equal, not alike
                    if text is None:
                        text = numbers[value] = _number(value)
                    cells.append(f"{opens[c]}{r}{values_[c]}{text}</v></c>")
                    seen[c].add(value)
            if tails is not None:
                columns, tail = next(tails)
                template = templates.get(columns)
                if template is None:
                    template = templates[columns] = _TailTemplate(columns, opens, values_)
                    tail_values[columns] = array("d")
                cells.append(template.render(r, tail))
                tail_values[columns].extend(tail)
                last_col = len(formats) - 1
            if cells:
                out.append(f'<row r="{r}">{"".join(cells)}</row>')
                last_col = max(last_col, len(values) - 1)
            row += 1
            if len(out) >= 2000:
                self._bulk.write("".join(out).encode())
                out.clear()
                _seen_tails(seen, tail_values)
        self._bulk.write("".join(out).encode())
        _seen_tails(seen, tail_values)
        table.count += hits
        if row > first_row and last_col >= 0:
            self._check_dimensions(first_row, 0)
            self._check_dimensions(row - 1, last_col)
        self._widen(seen, formats, font_pt)
        self._bulk_next = row
        return row

    def _write_plainly(self, first_row: int, rows: Iterable[Sequence], formats: Sequence, font_pt: float,
                       tails=None) -> int:
        seen: list[set] = [set() for _ in formats]
        row = first_row
        tails = iter(tails) if tails is not None else None
        for values in rows:
            if tails is not None:
                columns, tail = next(tails)
                spread = [None] * len(formats)
                for col, value in zip(columns, tail):
                    spread[col] = value
                values = (*values, *spread[len(values):])
            for c, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, Formula):
                    self.write_formula(row, c, value.text, formats[c], value.value)
                    seen[c].add(value.value)
                elif value == "":
                    self.write_blank(row, c, None, formats[c])
                elif isinstance(value, str):
                    self.write_string(row, c, value, formats[c])
                    seen[c].add(value)
                else:
                    self.write_number(row, c, value, formats[c])
                    seen[c].add(value)
            row += 1
        self._widen(seen, formats, font_pt)
        return row

    def _widen(self, seen: list[set], formats: Sequence, font_pt: float) -> None:
        for col, values in enumerate(seen):
            if not values:
                continue
            fmt = formats[col]
            num_format = fmt.num_format if fmt is not None else 0
            texts = [v if isinstance(v, str) else shown_number(v, num_format) for v in values]
            info = self.col_info.get(col)
            width = fit_width(texts, float(fmt.font_size) if fmt is not None else font_pt)
            if info is None or not info.width or (info.width - 5) / 7 < width:
                self.set_column(col, col, width, info.column_format if info else None)

    def _write_rows(self) -> None:
        if self._bulk is None:
            return super()._write_rows()
        last = self.dim_rowmax
        above = [r for r, cells in self.table.items() if cells] + list(self.row_info)
        self.dim_rowmax = max([r for r in above if r < self._bulk_first], default=self.dim_rowmin)
        super()._write_rows()
        self.dim_rowmax = last
        self._bulk.seek(0)
        target = getattr(self.fh, "buffer", None)  # a file: its bytes, not decoded and encoded again
        if target is None:  # in memory: text
            shutil.copyfileobj(io.TextIOWrapper(self._bulk, encoding="utf-8"), self.fh, 1 << 20)
        else:
            self.fh.flush()
            shutil.copyfileobj(self._bulk, target, 1 << 20)
        self._bulk.close()



class _TailTemplate:
    """One layout's tail cells. Between one cell's row number and the next's, the XML depends
    only on the cell's value: ``"><v>5</v></c><c r="K``. Those pieces are made once per
    column and value, and a row's tail is its row number joined with them (one C join a row
    instead of an f-string a cell: 3 µs instead of 14 for twenty scores)."""

    def __init__(self, columns: tuple[int, ...], opens: list[str], values_: list[str]):
        if len(set(columns)) != len(columns):
            raise ValueError("a tail's columns must all differ")
        placed = sorted(zip(columns, range(len(columns))))  # (column, the value's position), by column
        cols, order = [col for col, _ in placed], [k for _, k in placed]
        self.order = None if order == sorted(order) else order
        self.first = opens[cols[0]] if cols else ""
        self.pieces = [_Pieces(values_[col], opens[after] if after is not None else "")
                       for col, after in zip(cols, [*cols[1:], None])]

    def render(self, row: str, values) -> str:
        if self.order is not None:
            values = [values[k] for k in self.order]
        return row.join([self.first, *[piece[v] for piece, v in zip(self.pieces, values)]]) if self.first else ""


class _Pieces(dict):
    """value → the XML from after a cell's row number to before the next cell's: made on first use."""

    def __init__(self, before: str, after: str):
        super().__init__()
        self.before, self.after = before, after

    def __missing__(self, value) -> str:
        piece = self[value] = f"{self.before}{_number(value)}</v></c>{self.after}"
        return piece


def _seen_tails(seen: list[set], tail_values: dict[tuple[int, ...], array]) -> None:
    """Every layout's values since the last call into its columns' ``seen`` sets (sliced in C)."""
    for columns, values in tail_values.items():
        n = len(columns)
        for k, col in enumerate(columns):
            seen[col].update(values[k::n])
        del values[:]
