"""LibreOffice headless on real files: recalculation finds wrong cached values, conversion
keeps values, and the source workbook is never touched."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter

from xlflag.edge.libreoffice import (
    LibreOfficeError,
    cached_formula_values,
    convert,
    find_soffice,
    formula_mismatches,
    recalculated_values,
)

needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")

# (cell, content, cached value) — plain values have no cached value.
# A1=2, B1=3 on 得分; 汇总!A1=10.
SCORES = [
    ("A1", 2, None),
    ("B1", 3, None),
    ("C1", "=A1+B1", 5),  # right
    ("D1", "=A1*B1", 7),  # WRONG: 2*3 = 6
    ("E1", '=IF(A1>5,"高","")', ""),  # right: an empty-string result
    ("F1", '=IF(A1>1,"高","低")', "高"),  # right
    ("G1", "=ROUND(A1/3,2)", 0.67),  # right
    ("H1", "=A1>1", True),  # right
    ("I1", "=C1+汇总!A1", 15),  # right: 5 + 10 across sheets
]


def write_book(path: Path) -> Path:
    book = xlsxwriter.Workbook(path)
    scores, summary = book.add_worksheet("得分"), book.add_worksheet("汇总")
    for cell, content, cached in SCORES:
        if isinstance(content, str) and content.startswith("="):
            scores.write_formula(cell, content, None, cached)
        else:
            scores.write(cell, content)
    summary.write("A1", 10)
    book.close()
    return path


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return write_book(tmp_path_factory.mktemp("src") / "评分表.xlsx")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def calamine_values(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet as rows of values, integral floats made ints (calamine returns 5.0)."""
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {
        name: [
            [int(v) if isinstance(v, float) and v.is_integer() else v for v in row]
            for row in book.get_sheet_by_name(name).to_python()
        ]
        for name in book.sheet_names
    }


def test_cached_formula_values_reads_text_and_cache(book):
    cells = cached_formula_values(book)
    assert set(cells) == {"得分", "汇总"}
    assert cells["汇总"] == {}
    assert cells["得分"]["C1"] == ("=A1+B1", 5)
    assert cells["得分"]["D1"] == ("=A1*B1", 7)
    assert set(cells["得分"]) == {"C1", "D1", "E1", "F1", "G1", "H1", "I1"}


@needs_soffice
def test_formula_mismatches_finds_only_the_wrong_cache(book):
    assert formula_mismatches(book) == [("得分", "D1", 7, 6)]


@needs_soffice
def test_recalculated_values_has_every_nonempty_cell(book):
    values = recalculated_values(book)
    assert values["汇总"] == {"A1": 10}
    # E1's empty-string result counts as empty; D1 is recalculated to 2*3 = 6.
    assert values["得分"] == {
        "A1": 2,
        "B1": 3,
        "C1": 5,
        "D1": 6,
        "F1": "高",
        "G1": 0.67,
        "H1": True,
        "I1": 15,
    }


@needs_soffice
@pytest.mark.parametrize(
    ("fmt", "suffix"), [("xls", ".xls"), ('xls:"MS Excel 97"', ".xls"), ("ods", ".ods")]
)
def test_convert_keeps_values(book, tmp_path, fmt, suffix):
    # recalc=True because without it LibreOffice 7.4 writes a cached text result ("高") as 0
    # in .xls and a cached TRUE as 1 in .ods. Recalculated, D1 becomes 2*3 = 6.
    result = convert(book, fmt, tmp_path, recalc=True)
    assert result == tmp_path / f"评分表{suffix}"
    assert calamine_values(result) == {
        "得分": [[2, 3, 5, 6, "", "高", 0.67, True, 15]],
        "汇总": [[10]],
    }


@needs_soffice
def test_source_is_never_touched(book, tmp_path):
    before, listing = sha256(book), sorted(book.parent.iterdir())
    convert(book, "xlsx", tmp_path, recalc=True)
    with pytest.raises(LibreOfficeError, match="overwrite"):
        convert(book, "xlsx", book.parent)
    assert sha256(book) == before
    assert sorted(book.parent.iterdir()) == listing  # no lock file or stray output beside it


@needs_soffice
def test_convert_reports_a_timeout(book, tmp_path):
    with pytest.raises(LibreOfficeError, match="longer than"):
        convert(book, "xlsx", tmp_path, timeout=0.05)


@needs_soffice
def test_convert_reports_a_missing_source(tmp_path):
    with pytest.raises(LibreOfficeError, match="no such file"):
        convert(tmp_path / "absent.xlsx", "xlsx", tmp_path / "out")
