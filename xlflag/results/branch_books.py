"""One results workbook per branch, for its secretary (``consolidate --per-branch DIR``).

Each is the results workbook written for one branch's members only: 汇总, 评定结果 and 调整记录,
模范星, 数据, 参数, 图表 and 回收情况 — the same formulas over the same sums, so every number equals
the whole workbook's. What ranks branches or members against the whole organisation (the flag
sheet, 党员之星) stays in the whole workbook only: ranked inside one branch it would show other
places than the real ones. Like the whole workbook it names no rater.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..core.adjustments import Adjusted
from ..core.model import Scheme
from ..edge.files import safe_filename
from .inputs import ResultsInput
from .workbook import write_results


def branch_scheme(scheme: Scheme, branch: str) -> Scheme:
    """The scheme cut to one branch: its members, no flag or 党员之星 (they rank the whole)."""
    settings = replace(scheme.settings, organisation=f"{scheme.settings.organisation}{branch}")
    return replace(scheme, settings=settings, branches=tuple(b for b in scheme.branches if b.name == branch),
                   members=tuple(m for m in scheme.members if m.branch == branch), flag=None, quota_star=None)


def branch_input(data: ResultsInput, branch: str) -> ResultsInput:
    scheme = branch_scheme(data.scheme, branch)
    ids = {m.member_id for m in scheme.members}
    member_groups = {g.code for g in scheme.member_groups}
    adjusted = data.adjusted and Adjusted(
        [o for o in data.adjusted.members if o.result.member.member_id in ids], [],
        [r for r in data.adjusted.records if r.adjustment.target in ids])
    return ResultsInput(
        scheme,
        [m for m in data.members if m.member.member_id in ids],
        [r for r in data.ratings if r.ratee in ids and r.group in member_groups],
        [s for s in data.status if s.branch == branch],
        [], [],  # problems and the ledger name files: the office's working papers only
        [],
        [a for a in data.star_awards if a.member.member_id in ids],
        [],
        adjusted,
    )


def book_path(folder: Path, branch: str) -> Path:
    return Path(folder) / f"{safe_filename(branch)}.xlsx"


def write_branch_books(data: ResultsInput, folder: Path, progress=None) -> list[Path]:
    """FOLDER/<branch>.xlsx for every branch with members; ``progress(done, total, name)``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    branches = [b.name for b in data.scheme.branches if any(m.branch == b.name for m in data.scheme.members)]
    written = []
    for n, branch in enumerate(branches, start=1):
        written.append(write_results(branch_input(data, branch), book_path(folder, branch)))
        if progress:
            progress(n, len(branches), branch)
    return written
