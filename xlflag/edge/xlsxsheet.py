"""The XlsxWriter worksheet every office workbook uses: the same XML, formulas prepared faster.

XlsxWriter prepares every formula by running some thirty regular-expression substitutions over
it (prefixing Excel 365's dynamic-array functions with ``_xlfn.``): about 0.2 ms a formula, a
minute for a county's 370,000. xlflag's formulas use none of those functions, so one search for
any of their names decides, and only a formula that names one is prepared the long way.
"""
from __future__ import annotations

import re

from xlsxwriter.worksheet import Worksheet

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
