"""Shared machinery of the per-preset end-to-end tests (tests/test_preset_s1.py … s5.py).

Each test builds its scheme inline from a preset's template sheets with a hand-made roster,
writes the forms, fills every form from a plan of what each rater gives, consolidates, and
compares the results with numbers worked by hand in the test module.

A plan maps a ratee (member id, or branch name on flag forms) to what its raters give:
  {category: spec, …}  per category of the ratee's criteria set; a category not named takes
                       ``OTHER``'s spec, or full marks when there is no ``OTHER`` either
  {TOTAL: spec}        one total per rater, spread over all items of the set
and a spec is a number every rater gives, or {group code: number | {rater id: number}}
(a group or rater not named gives full marks). Rater ids: a member id (自评, 互评), a
leader's name (领导点评), 群众代表3 / 职工代表3 (代表 groups), the branch name (支部自评), the
superior's name (上级综合评定). A number is spread over the items full marks first, so the
shortfall always sits in the last items of the category (or of the set, for ``TOTAL``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from xlflag import api
from xlflag.demo import fill_form
from xlflag.edge.libreoffice import find_soffice
from xlflag.scheme.key import create_key
from xlflag.scheme.templates import template_sheets, write_scheme_workbook

OTHER = "其余"
TOTAL = "合计"
HEADER_ROW = 3  # 1-based header row of 汇总, 流动红旗, 模范星 and 党员之星

needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")


# -- the scheme ------------------------------------------------------------------------------

def preset_sheets(preset: str, branches: list[tuple], roster: list[tuple]) -> dict[str, list[tuple]]:
    sheets = template_sheets(preset)
    sheets["支部"], sheets["党员名册"] = branches, roster
    return sheets


SURNAMES, GIVEN = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨", "伟芳娜洋静磊敏强杰霞明丽超军"


def sized_sheets(sizes: dict[str, int]) -> dict[str, list[tuple]]:
    """The s2 example's sheets with branches of the given sizes, each with one leader (王书记,
    then 书记2, …) and members M001, M002, … named 赵伟, 赵芳, … (a form's layout follows how
    many it rates)."""
    branches, roster, n = [("支部名称", "领导点评人")], [("支部", "编号", "姓名", "突出表现")], 0
    for k, (branch, size) in enumerate(sizes.items()):
        branches.append((branch, "王书记" if k == 0 else f"书记{k + 1}"))
        for _ in range(size):
            roster.append((branch, f"M{n + 1:03d}", SURNAMES[n // len(GIVEN)] + GIVEN[n % len(GIVEN)], ""))
            n += 1
    return preset_sheets("s2", branches, roster)


def sized_s2(folder: Path, sizes: dict[str, int], sheets: dict | None = None) -> Path:
    """``sized_sheets`` (or ``sheets`` made from them) written as a scheme with its key."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_scheme_workbook(sheets or sized_sheets(sizes), folder / api.SCHEME_FILE)
    create_key(path)
    return path


def set_value(sheets: dict, sheet: str, key: str, value) -> None:
    """Set one 项目/值 row of a key-value sheet (设置, 授旗规则, 党员之星), adding it if absent."""
    rows = sheets[sheet]
    for n, row in enumerate(rows):
        if row and row[0] == key:
            rows[n] = (key, value, *row[2:])
            return
    rows.append((key, value))


def set_reps(sheets: dict, code: str, count: int) -> None:
    """The 人数 of a 代表 rater group in 评价主体."""
    rows = sheets["评价主体"]
    code_col, count_col = rows[0].index("代码"), rows[0].index("人数")
    for n, row in enumerate(rows):
        if row[code_col] == code:
            rows[n] = (*row[:count_col], count, *row[count_col + 1:])
            return
    raise KeyError(code)


# -- filling the forms per plan --------------------------------------------------------------

def split_total(total: int, maxima: list[int]) -> list[int]:
    """Item scores adding up to ``total``: full marks first, the remainder, then zeros."""
    scores = []
    for maximum in maxima:
        scores.append(min(maximum, total))
        total -= scores[-1]
    assert total == 0, "the plan gives more than the items' maxima"
    return scores


def _given(spec, identity, full: int) -> int:
    if isinstance(spec, dict):
        spec = spec.get(identity.group)
    if isinstance(spec, dict):
        spec = spec.get(identity.rater)
    return full if spec is None else spec


def planned_values(scheme, plan: dict):
    """A ``fill_form`` value_for typing what ``plan`` says each rater gives."""
    def value_for(identity, ratee, item):
        wanted = plan[ratee]
        items = scheme.items_of(identity.criteria_set)
        if TOTAL in wanted:
            spec = wanted[TOTAL]
        else:
            items = tuple(i for i in items if i.category == item.category)
            spec = wanted.get(item.category, wanted.get(OTHER))
        given = _given(spec, identity, sum(i.maximum for i in items))
        return split_total(given, [i.maximum for i in items])[items.index(item)]
    return value_for


def planned_answers(satisfied: dict[str, int]):
    """Representative n of a branch answers 满意 (odd n) or 基本满意 (even n) while
    n ≤ satisfied[branch], and 不满意 after: both satisfied answers are exercised."""
    def answer_for(identity, ratee):
        n = int(identity.rater.rsplit("代表", 1)[1])
        if n > satisfied[ratee]:
            return "不满意"
        return "满意" if n % 2 else "基本满意"
    return answer_for


@dataclass(frozen=True)
class Run:
    root: Path
    scheme_path: Path
    written: object  # forms.FormsWritten
    result: api.Consolidation

    @property
    def results(self) -> Path:
        return self.result.output


def fill_returns(root: Path, sheets: dict, plan: dict, satisfied: dict[str, int] | None = None):
    """Scheme → forms → every form filled per plan into ROOT/returns; (scheme path, forms written)."""
    (root / "scheme").mkdir(parents=True, exist_ok=True)
    scheme_path = write_scheme_workbook(sheets, root / "scheme" / "方案.xlsx")
    create_key(scheme_path)
    written = api.make_forms(scheme_path, root / "forms")
    scheme = api.load_scheme(scheme_path)
    value_for = planned_values(scheme, plan)
    answer_for = planned_answers(satisfied) if satisfied is not None else None
    for n, (_, path) in enumerate(written.forms):
        fill_form(scheme, path, value_for, root / "returns" / f"{n:03d}_{path.name}", answer_for)
    return scheme_path, written


def run_preset(root: Path, sheets: dict, plan: dict, satisfied: dict[str, int] | None = None) -> Run:
    """Scheme → forms → every form filled per plan into a returns folder → results."""
    scheme_path, written = fill_returns(root, sheets, plan, satisfied)
    result = api.consolidate(scheme_path, root / "returns", root / "结果.xlsx")
    return Run(root, scheme_path, written, result)


# -- reading the results workbook ------------------------------------------------------------

def sheet_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    """Cached values of a ranked sheet's rows, keyed by header (line breaks removed);
    an empty cell or empty cached string reads as ""."""
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        ws = wb[sheet]
        header = [str(c.value or "").replace("\n", "") for c in ws[HEADER_ROW]]
        return [
            {h: ("" if v is None else v) for h, v in zip(header, row)}
            for row in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)
            if any(v not in (None, "") for v in row)
        ]
    finally:
        wb.close()


def sheet_title(path: Path, sheet: str, cell: str = "A1") -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb[sheet][cell].value
    finally:
        wb.close()


def form_title(path: Path) -> str:
    return sheet_title(path, "测评表")


def assert_clean_intake(run: Run) -> None:
    """Every planned form came back once, complete, with nothing to report."""
    result = run.result
    assert [e.status for e in result.intake.ledger] == ["已采用"] * len(run.written.forms)
    assert result.intake.report.problems == []
    assert all(s.expected == s.accepted and not s.missing for s in result.status)
