"""How the pipeline scales: forms written and returns consolidated, per file, as ratios.

    python bench/pipeline_bench.py [BRANCHES] [MEMBERS_PER_BRANCH]

Prints milliseconds per form and per return, each next to a baseline measured in the same run
on the same machine (an XlsxWriter workbook with one cell; openpyxl opening a form), so the
figures compare across noisy machines. Targets (county scale is 387 branches, 9,000 members a
quarter, on 2 cores): writing a form ≤ 10× the one-cell baseline; ingesting a return ≤ 3×
openpyxl's bare load of it.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import xlsxwriter

from xlflag import api
from xlflag.demo import fill_form, hashed_answer, hashed_score
from xlflag.scheme.key import create_key
from xlflag.scheme.templates import template_sheets, write_scheme_workbook


def build_scheme(folder: Path, branches: int, members: int) -> Path:
    sheets = template_sheets("s2")
    sheets["支部"] = [("支部名称", "领导点评人")] + [(f"第{b + 1}支部", "书记") for b in range(branches)]
    sheets["党员名册"] = [("支部", "编号", "姓名", "突出表现")] + [
        (f"第{b + 1}支部", f"M{b:03d}{m:03d}", f"党员{b}-{m}", "") for b in range(branches) for m in range(members)
    ]
    path = write_scheme_workbook(sheets, folder / "方案.xlsx")
    create_key(path)
    return path


def per_file_ms(fn, paths) -> float:
    start = time.perf_counter()
    for p in paths:
        fn(p)
    return (time.perf_counter() - start) * 1000 / max(len(paths), 1)


def one_cell(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write(0, 0, 1)
    wb.close()


def main(branches: int = 4, members: int = 8) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scheme_path = build_scheme(root, branches, members)
        start = time.perf_counter()
        written = api.make_forms(scheme_path, root / "forms")
        form_ms = (time.perf_counter() - start) * 1000 / len(written.forms)
        baseline_write = per_file_ms(one_cell, [root / f"base{n}.xlsx" for n in range(50)])
        scheme = api.load_scheme(scheme_path)
        returns = [fill_form(scheme, p, hashed_score, root / "returns" / f"{n}.xlsx", hashed_answer)
                   for n, (_, p) in enumerate(written.forms)]
        baseline_read = per_file_ms(lambda p: openpyxl.load_workbook(p), returns[:50])
        start = time.perf_counter()
        result = api.consolidate(scheme_path, root / "returns", root / "结果.xlsx")
        ingest_ms = (time.perf_counter() - start) * 1000 / len(returns)
    print(f"{branches} branches × {members} members: {len(written.forms)} forms, {len(result.intake.accepted)} accepted")
    print(f"write a form      {form_ms:7.2f} ms   = {form_ms / baseline_write:5.1f} × one-cell workbook ({baseline_write:.2f} ms)")
    print(f"consolidate/file  {ingest_ms:7.2f} ms   = {ingest_ms / baseline_read:5.1f} × openpyxl load ({baseline_read:.2f} ms)")
    print(f"median member total: {statistics.median(float(m.total) for m in result.members if m.total is not None):.2f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
