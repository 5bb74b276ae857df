"""The XlsxWriter worksheet every office workbook uses: the same XML, formulas prepared and
cells written faster.

XlsxWriter prepares every formula by running some thirty regular-expression substitutions over
it (prefixing Excel 365's dynamic-array functions with ``_xlfn.``): about 0.2 ms a formula, a
minute for a county's 370,000. xlflag's formulas use none of those functions, so one search for
any of their names decides, and only a formula that names one is prepared the long way.

XlsxWriter writes each cell's XML through a general tag writer that escapes every attribute,
its style number too (a regular-expression search on an int, raising TypeError each time):
``_write_cell`` writes numbers, shared strings, formulas and blanks as it does, character for
character, without that (a county's results and working papers: 600,000 cells).
"""
from __future__ import annotations

import re

from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import CellBlankTuple, CellFormulaTuple, CellNumberTuple, CellStringTuple, Worksheet

# every name XlsxWriter's _prepare_formula expands before it looks at use_future_functions
_DYNAMIC = re.compile(
    r"\b(?:ANCHORARRAY|BYCOL|BYROW|CHOOSECOLS|CHOOSEROWS|DROP|EXPAND|FILTER|HSTACK|LAMBDA|MAKEARRAY|MAP|"
    r"RANDARRAY|REDUCE|SCAN|SEQUENCE|SORT|SORTBY|SWITCH|TAKE|TEXTSPLIT|TOCOL|TOROW|UNIQUE|VSTACK|"
    r"WRAPCOLS|WRAPROWS|XLOOKUP)\(|\SINGLE\(")  # \S, not \b: as XlsxWriter writes it


FAST_FORMULAS = True  # False: XlsxWriter's own preparation (tests compare the two)


class Sheet(Worksheet):
    def _prepare_formula(self, formula, expand_future_functions=False):
        if not FAST_FORMULAS or self.use_future_functions or expand_future_functions or _DYNAMIC.search(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula

    def _write_cell(self, row: int, col: int, cell) -> None:
        kind = type(cell)
        if not FAST_FORMULAS or self.constant_memory or kind not in _FAST_CELLS:
            return super()._write_cell(row, col, cell)
        # the style as XlsxWriter picks it: the cell's format, else the row's, else the column's
        style = cell.format
        if not style:
            info = self.row_info.get(row)
            style = info.row_format if info is not None and info.row_format else None
            if style is None and col in self.col_info:
                style = self.col_info[col].column_format
        attributes = f' r="{xl_rowcol_to_cell_fast(row, col)}"' + (f' s="{style._get_xf_index()}"' if style else "")
        if kind is CellNumberTuple:
            self.fh.write(f"<c{attributes}><v>{cell.number:.16G}</v></c>")
        elif kind is CellStringTuple:
            self.fh.write(f'<c{attributes} t="s"><v>{cell.string}</v></c>')
        elif kind is CellBlankTuple:
            self.fh.write(f"<c{attributes}/>")
        else:
            value = cell.value
            if isinstance(value, bool):
                attributes += ' t="b"'
                value = 1 if value else 0
            elif isinstance(value, str):
                if value in _ERROR_CODES:
                    attributes += ' t="e"'
                elif value:
                    attributes += ' t="str"'
                value = self._escape_data(value)
            self.fh.write(f"<c{attributes}><f>{self._escape_data(cell.formula)}</f><v>{value}</v></c>")


_FAST_CELLS = frozenset((CellNumberTuple, CellStringTuple, CellFormulaTuple, CellBlankTuple))
_ERROR_CODES = frozenset(("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"))
