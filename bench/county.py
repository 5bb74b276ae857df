"""A whole county's quarter: forms out, returns in, at three county sizes, as ratios.

    python bench/county.py [--sizes 10,20,40] [--naive-limit 2000] [--keep DIR [--reuse]] [--recalc] [--only forms]

For each size (branches of the fixed-seed synthetic S4 county, ``xlflag.county``) it times, in one
run on the same files:
- writing every form (``api.make_forms``);
- filling every form as a rater would (not a target; the scores patched into the sheet XML);
- ingest + consolidate of every return (``api.consolidate``, results workbook included);
- (a) a naive reader: pandas.read_excel(engine="openpyxl"), file after file, the score sheet and
  the identity sheet of each return (on at most ``--naive-limit`` files, the rest extrapolated);
- (b) the floor: only unzipping each return's score sheet XML.
(a) and (b) are timed around their reading loop alone; ingest + consolidate is the whole call as
a user waits for it (imports, the scheme, the store, every output written).
``--only forms`` builds the county and times only writing its forms. Each step runs in a fresh process; "peak" is the largest RSS of that process and all its workers
together, "cpu" CPU seconds of them all over wall seconds (2.0 = both cores busy all along).

Targets (issue 14, county = 387 branches on 2 cores): forms ≤ 20 s; ingest + consolidate ≤ 15 s,
≤ 5× (b) and ≥ 20× faster than (a); peak RSS ≤ 1 GiB; time and memory linear in score cells.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# this worktree's xlflag, in this process and in every process it starts
_ROOT = str(Path(__file__).resolve().parents[1])
sys.path.insert(0, _ROOT)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (_ROOT, os.environ.get("PYTHONPATH"))))


class _TreeWatch:
    """CPU seconds and peak RSS of this process and every process under it (pool workers are
    the forkserver's children, which getrusage never sees), sampled every 0.4 s: each sample walks
    every process of the machine (psutil's children), and at 50 ms that walk took a third of the
    measured process's own CPU at the county, on a thread competing with it for the GIL."""

    def __init__(self):
        import psutil

        self._me = psutil.Process()
        self._cpu: dict[int, float] = {}
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        import psutil

        total = 0
        for proc in [self._me, *self._me.children(recursive=True)]:
            try:
                times, rss = proc.cpu_times(), proc.memory_info().rss
            except psutil.Error:
                continue
            self._cpu[proc.pid] = times.user + times.system
            total += rss
        self.peak = max(self.peak, total)

    def _run(self) -> None:
        while not self._stop.wait(0.4):
            self._sample()

    def __enter__(self):
        self._sample()
        self._start = dict(self._cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def cpu(self) -> float:
        return sum(self._cpu.values()) - sum(self._start.values())


def _measured(fn, *args):
    """Run in a fresh process: (result, wall s, cpu s of the process tree, peak RSS MiB of the tree)."""
    with _TreeWatch() as watch:
        start = time.perf_counter()
        result = fn(*args)
        wall = time.perf_counter() - start
    return result, wall, watch.cpu, watch.peak / 2**20


def _in_fresh_process(fn, *args):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_measured, fn, *args).result()


# -- the steps (each runs in its own process) --------------------------------------------------

def step_build(root: Path, branches: int) -> int:
    from xlflag import api
    from xlflag.county import write_county_scheme
    from xlflag.scheme.key import create_key

    path = write_county_scheme(root, branches)
    create_key(path)
    return len(api.load_scheme(path).members)


def step_write(root: Path) -> int:
    from xlflag import api

    return len(api.make_forms(root / "方案.xlsx", root / "forms").forms)


def _fill_chunk(root: Path, jobs: list[tuple[int, str]]) -> int:
    from xlflag import api
    from xlflag.core.formplan import plan_forms
    from xlflag.county import fill_fast
    from xlflag.forms.write import dispatch_files
    from xlflag.scheme.key import load_key

    scheme = api.load_scheme(root / "方案.xlsx")
    forms = plan_forms(scheme, load_key(root / "方案.xlsx"))
    planned, files = {f.form_id: f for f in forms}, dispatch_files(forms)
    cells = 0
    for n, form_id in jobs:
        rel = files[form_id]
        cells += fill_fast(scheme, planned[form_id], root / "forms" / rel, root / "returns" / f"{n // 1000:03d}" / f"r{n:06d}.xlsx")
    return cells


def step_fill(root: Path) -> int:
    from xlflag import api
    from xlflag.core.formplan import plan_forms
    from xlflag.scheme.key import load_key

    ids = [f.form_id for f in plan_forms(api.load_scheme(root / "方案.xlsx"), load_key(root / "方案.xlsx"))]
    jobs = list(enumerate(ids))
    workers = os.cpu_count() or 2
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(_fill_chunk, [root] * workers, [jobs[w::workers] for w in range(workers)]))


class _Phases:
    """Where consolidate's time goes, from its own progress calls: before the first return is
    read (the scheme, the store, the plan, the folder), reading every return, scoring (from the
    last return read to the first output), and writing the outputs."""

    def __init__(self):
        self.start, self.marks = time.perf_counter(), {}

    def __call__(self, done, total, name, step="读取回收表"):
        now = time.perf_counter() - self.start
        if step == "读取回收表":
            self.marks.setdefault("read", now)
            self.marks["read_end"] = now
        elif step == "写出结果":
            self.marks.setdefault("write", now)
            self.marks["write_end"] = now

    def seconds(self) -> dict:
        m = self.marks
        return dict(start=m["read"], read=m["read_end"] - m["read"], score=m["write"] - m["read_end"],
                    write=m["write_end"] - m["write"])


def step_consolidate(root: Path) -> tuple[int, int, dict]:
    from xlflag import api

    from xlflag.ingest.readers import close_pool

    phases = _Phases()
    result = api.consolidate(root / "方案.xlsx", root / "returns", root / "结果.xlsx", progress=phases)
    close_pool()  # a pool's worker process runs no atexit: stop the calamine worker here
    return len(result.intake.accepted), (root / "结果.xlsx").stat().st_size, phases.seconds()


def step_recalc(root: Path) -> int:
    """The results workbook opened, recalculated and saved by LibreOffice headless (a private
    profile that always recalculates: edge/libreoffice); returns its formula cells."""
    import re

    from xlflag.edge.libreoffice import convert

    with tempfile.TemporaryDirectory(prefix="xlflag-recalc-") as out:
        convert(root / "结果.xlsx", "xlsx", Path(out), recalc=True, timeout=600)
    with zipfile.ZipFile(root / "结果.xlsx") as zf:
        return sum(len(re.findall(rb"<f>", zf.read(n))) for n in zf.namelist() if n.startswith("xl/worksheets/"))


def _returns(root: Path) -> list[Path]:
    return sorted((root / "returns").rglob("*.xlsx"))


def step_floor(root: Path) -> float:
    """(b): only unzip each return's score sheet XML; seconds for that alone (imports and the
    listing of the folder excluded: the floor is what no reader can go below)."""
    from xlflag.core import layout as L
    from xlflag.ingest.xlsx_scan import sheet_parts

    files = _returns(root)
    with zipfile.ZipFile(files[0]) as zf:
        part = sheet_parts(zf)[L.FORM_SHEET]
    start = time.perf_counter()
    for path in files:
        with zipfile.ZipFile(path) as zf:
            zf.read(part)
    return time.perf_counter() - start


def step_naive(root: Path, limit: int) -> tuple[int, float]:
    """(a): pandas.read_excel with openpyxl, file after file (score sheet and identity sheet):
    (files read, seconds for the reading alone)."""
    import pandas

    from xlflag.core import layout as L

    files = _returns(root)[:limit]
    start = time.perf_counter()
    for path in files:
        pandas.read_excel(path, sheet_name=[L.FORM_SHEET, L.IDENTITY_SHEET], engine="openpyxl", header=None)
    return len(files), time.perf_counter() - start


# -- the run -----------------------------------------------------------------------------------

def _built(root: Path, branches: int, only: str) -> dict:
    """Build the county, write its forms (timed) and fill them; what ``--reuse`` reads back."""
    members, *_ = _in_fresh_process(step_build, root, branches)
    forms, write_s, write_cpu, write_rss = _in_fresh_process(step_write, root)
    built = dict(branches=branches, members=members, forms=forms, write_s=write_s, write_cpu=write_cpu / write_s,
                 write_rss=write_rss)
    if only != "forms":
        built["cells"], built["fill_s"], *_ = _in_fresh_process(step_fill, root)
        (root / "bench.json").write_text(json.dumps(built))
    return built


def _reused(root: Path) -> dict:
    """A county an earlier ``--keep`` run built and filled, its period's store emptied (the
    issue record kept) so that consolidate starts the period afresh, as it did then.

    The old store is moved aside, and deleted only once the run is measured (``_forget``): for
    a minute after 25,000 files are deleted, ext4 skips their inodes when a file is created
    (``recently_deleted``), so each of the store's new copies would cost ~1 ms of the kernel's
    time instead of ~0.1 — a cost no office's first run pays."""
    trash = _trash(root)
    trash.mkdir(exist_ok=True)
    for n, store in enumerate((root / "xlflag-存档").iterdir()):
        for part in store.iterdir():
            if part.name != "发放记录.json":
                part.rename(trash / f"{n}-{part.name}")
    return json.loads((root / "bench.json").read_text())


def _trash(root: Path) -> Path:
    return root / "bench-old-store"


def _forget(root: Path) -> None:
    shutil.rmtree(_trash(root), ignore_errors=True)


def run_size(root: Path, branches: int, naive_limit: int, recalc: bool = False, only: str = "",
             reuse: bool = False) -> dict:
    built = _reused(root) if reuse else _built(root, branches, only)
    if only == "forms":
        return built
    forms = built["forms"]
    (accepted, size, phases), ingest_s, ingest_cpu, ingest_rss = _in_fresh_process(step_consolidate, root)
    floor_s, *_ = _in_fresh_process(step_floor, root)
    (naive_n, naive_s), *_ = _in_fresh_process(step_naive, root, naive_limit)
    naive_s *= forms / max(naive_n, 1)
    formulas, recalc_s = (_in_fresh_process(step_recalc, root)[:2]) if recalc else (0, 0.0)
    _forget(root)
    return built | dict(formulas=formulas, recalc_s=recalc_s, accepted=accepted, size=size, reused=reuse,
                ingest_s=ingest_s, ingest_cpu=ingest_cpu / ingest_s, ingest_rss=ingest_rss, phases=phases,
                floor_s=floor_s, naive_s=naive_s, naive_n=naive_n)


def _write_line(r: dict) -> str:
    return (f"  write forms     {r['write_s']:7.1f} s  {r['forms'] / r['write_s']:7.0f} forms/s  cpu {r['write_cpu']:.2f}"
            f"  peak {r['write_rss']:.0f} MiB  {r['write_s'] * 1000 / r['forms']:.2f} ms/form")


def report(r: dict) -> str:
    if "cells" not in r:  # --only forms
        return f"{r['branches']} branches, {r['members']} members, {r['forms']} forms\n{_write_line(r)}"
    return "\n".join((
        f"{r['branches']} branches, {r['members']} members, {r['forms']} forms, {r['cells']:,} score cells "
        f"({r['accepted']} accepted; results {r['size'] / 2**20:.1f} MB)",
        _write_line(r) + ("  (as measured when the county was built: --reuse)" if r.get("reused") else ""),
        f"  fill (rater)    {r['fill_s']:7.1f} s",
        f"  ingest+consol.  {r['ingest_s']:7.1f} s  {r['forms'] / r['ingest_s']:7.0f} files/s  cpu {r['ingest_cpu']:.2f}  peak {r['ingest_rss']:.0f} MiB"
        f"  {r['ingest_s'] * 1e6 / r['cells']:.2f} µs/score cell",
        "                  of which: " + ", ".join(f"{name} {r['phases'][key]:.1f} s" for key, name in (
            ("start", "until the first return is read"), ("read", "reading returns"), ("score", "scoring"),
            ("write", "writing the outputs"))) + f", the rest (imports, 台账.csv) {r['ingest_s'] - sum(r['phases'].values()):.1f} s",
        f"  (a) naive       {r['naive_s']:7.1f} s  (pandas+openpyxl on {r['naive_n']} files, scaled)",
        f"  (b) floor       {r['floor_s']:7.2f} s",
        f"  ingest/(b) = {r['ingest_s'] / r['floor_s']:.1f}×   (a)/ingest = {r['naive_s'] / r['ingest_s']:.1f}×",
        *([f"  results workbook: {r['formulas']:,} formula cells, LibreOffice headless recalculation {r['recalc_s']:.1f} s"]
          if r["recalc_s"] else []),
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,20,40", help="branches per county, comma-separated (county: 387)")
    parser.add_argument("--naive-limit", type=int, default=2000, help="files read by (a); the rest extrapolated")
    parser.add_argument("--keep", type=Path, help="keep the counties under this folder")
    parser.add_argument("--recalc", action="store_true", help="also time LibreOffice recalculating the results workbook")
    parser.add_argument("--only", choices=("forms",), help="time only this step (the county is still built)")
    parser.add_argument("--reuse", action="store_true", help="with --keep: the counties an earlier --keep run built, "
                                                             "forms written and filled; time consolidate and the references only")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="xlflag-county-"))
    try:
        rows = []
        for branches in (int(s) for s in args.sizes.split(",")):
            root = base / f"county{branches}"
            if not args.reuse:
                shutil.rmtree(root, ignore_errors=True)
            rows.append(run_size(root, branches, args.naive_limit, args.recalc, args.only or "", args.reuse))
            print(report(rows[-1]), flush=True)
        if len(rows) > 1 and args.only == "forms":
            first, last = rows[0], rows[-1]
            print(f"growth {first['branches']}→{last['branches']} branches: forms ×{last['forms'] / first['forms']:.2f}, "
                  f"write time ×{last['write_s'] / first['write_s']:.2f}")
        elif len(rows) > 1:
            first, last = rows[0], rows[-1]
            print(f"growth {first['branches']}→{last['branches']} branches: score cells ×{last['cells'] / first['cells']:.2f}, "
                  f"ingest time ×{last['ingest_s'] / first['ingest_s']:.2f}, write time ×{last['write_s'] / first['write_s']:.2f}, "
                  f"ingest peak RSS ×{last['ingest_rss'] / first['ingest_rss']:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
