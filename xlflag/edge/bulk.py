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

import re
import shutil
import tempfile
from typing import Iterable, NamedTuple, Sequence

from xlsxwriter.utility import xl_col_to_name

from ..core.textfit import fit_width
from .sheetkit import shown_number
from .xlsxsheet import Sheet


class Formula(NamedTuple):
    """A formula cell: its text as written ("=SUM(E3:J3)"; only plain functions, nothing
    XlsxWriter would have to prefix) and the value xlflag computed for it."""

    text: str
    value: float


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

    def write_bulk(self, first_row: int, rows: Iterable[Sequence], formats: Sequence, font_pt: float = 11) -> int:
        """Write ``rows`` (sequences of str, int, float, ``Formula``, None for no cell, "" for
        an empty styled cell) from the 0-based ``first_row`` down, column 0 on, cell ``c`` in
        ``formats[c]``; widen each column to its widest value. Returns the row after the last.
        Blocks follow one another; nothing else may be written at or below ``first_row``."""
        if not BULK_XML:
            return self._write_plainly(first_row, rows, formats, font_pt)
        if self._bulk is None:
            self._bulk = tempfile.TemporaryFile("w+", encoding="utf-8", dir=self.tmpdir)
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
        shared = self.str_table._get_shared_string_index
        numbers: dict = {}  # a county's scores are a few dozen values: each rendered once
        seen: list[set] = [set() for _ in formats]
        out, row, last_col = [], first_row, -1
        for values in rows:
            r = str(row + 1)
            cells = []
            for c, value in enumerate(values):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    if value:
                        cells.append(f"{opens[c]}{r}{texts[c]}{shared(value)}</v></c>")
                        seen[c].add(value)
                    else:
                        cells.append(f"{opens[c]}{r}{blanks[c]}")
                elif kind is Formula:
                    cells.append(f'{opens[c]}{r}{formulas[c]}{_escaped(value.text.removeprefix("="))}</f>'
                                 f"<v>{_number(value.value)}</v></c>")
                    seen[c].add(value.value)
                else:
                    text = numbers.get(value) if value else None  # 0 and -0.0 are equal, not alike
                    if text is None:
                        text = numbers[value] = _number(value)
                    cells.append(f"{opens[c]}{r}{values_[c]}{text}</v></c>")
                    seen[c].add(value)
            if cells:
                out.append(f'<row r="{r}">{"".join(cells)}</row>')
                last_col = max(last_col, len(values) - 1)
            row += 1
            if len(out) >= 2000:
                self._bulk.write("".join(out))
                out.clear()
        self._bulk.write("".join(out))
        if row > first_row and last_col >= 0:
            self._check_dimensions(first_row, 0)
            self._check_dimensions(row - 1, last_col)
        self._widen(seen, formats, font_pt)
        self._bulk_next = row
        return row

    def _write_plainly(self, first_row: int, rows: Iterable[Sequence], formats: Sequence, font_pt: float) -> int:
        seen: list[set] = [set() for _ in formats]
        row = first_row
        for values in rows:
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
        shutil.copyfileobj(self._bulk, self.fh, 1 << 20)
        self._bulk.close()

