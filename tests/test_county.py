"""A small county (5 branches of the synthetic S4 county) proves that the fast paths give what
the plain paths give, cell for cell: forms copied from a template vs written one by one with
XlsxWriter; returns judged here vs on a process pool vs on a Dask cluster; the results workbook.

Speed is not tested here (bench/county.py measures it); only sameness.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from xlflag import api
from xlflag.core import layout as L
from xlflag.core.formplan import form_layout_of, plan_forms, ratee_labels
from xlflag.county import county_sheets, fill_fast, write_county_scheme
from xlflag.edge import bulk, sheetkit, xlsxsheet
from xlflag.edge.libreoffice import convert_many, find_soffice
from xlflag.forms.template import _values, _Worker, build_template, shape_of, twins, write_by_template
from xlflag.forms.write import write_form, write_forms
from xlflag.ingest import readers
from xlflag.ingest.xlsx_fast import read_fast
from xlflag.scheme.issued import record_lines
from xlflag.scheme.key import create_key, load_key
from xlflag.scheme.templates import write_scheme_workbook

BRANCHES = 5


PROGRESS: list[tuple[int, int, str]] = []  # what writing the county's forms reported


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    root = tmp_path_factory.mktemp("county")
    scheme_path = write_county_scheme(root / "scheme", BRANCHES)
    create_key(scheme_path)
    key = load_key(scheme_path)
    scheme = api.load_scheme(scheme_path)
    fast = write_forms(scheme, key, root / "fast", progress=lambda *call: PROGRESS.append(call))  # by template, on the pool
    plain = write_forms(scheme, key, root / "plain", direct=True)
    returns = root / "returns"
    cells = sum(fill_fast(scheme, form, path, returns / f"{n:04d}.xlsx") for n, (form, path) in enumerate(fast.forms))
    return scheme_path, scheme, key, fast, plain, returns, cells


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_county_is_shaped_like_s4():
    sheets = county_sheets(BRANCHES)
    sizes = [sum(row[0] == f"第{b:03d}党支部" for row in sheets["党员名册"][1:]) for b in range(1, BRANCHES + 1)]
    assert all(3 <= s <= 40 for s in sizes) and sheets == county_sheets(BRANCHES)  # fixed seed: same county
    assert ("点评领导", "县委书记、县长、组织部长") in sheets["授旗规则"]


def test_forms_from_templates_are_the_forms_xlsxwriter_writes(county):
    scheme_path, scheme, key, fast, plain, *_ = county
    assert [f.form_id for f, _ in fast.forms] == [f.form_id for f, _ in plain.forms]
    # per branch: a self form per member, a peer form per member, 2 leaders, 5 staff representatives;
    # the flag: a self form and 10 masses' questionnaires per branch, 3 county leaders, 1 superior
    members = len(scheme.members)
    assert len(fast.forms) == 2 * members + BRANCHES * (2 + 5) + BRANCHES * (1 + 10) + 3 + 1
    shapes = {shape_of(scheme, f) for f, _ in fast.forms}
    assert len(shapes) < len(fast.forms) / 4  # most forms really were copied from a template

    for (_, a), (_, b) in zip(fast.forms, plain.forms):
        assert parts(a) == parts(b), a  # every part of every file, byte for byte once unzipped


def test_the_flags_forms_are_copied_from_templates_too(county, tmp_path):
    """The info row's height follows each form's own text (a longer rater name wraps it onto a
    second line): patched per form, so the masses' questionnaires share one template."""
    scheme_path, scheme, key, fast, plain, *_ = county
    jobs = [(f, tmp_path / f"{n}.xlsx") for n, (f, _) in enumerate(fast.forms) if f.identity.target == "支部"]
    by_shape: dict = {}
    for form, _ in jobs:
        by_shape.setdefault(shape_of(scheme, form), []).append(form)
    # 5 branches: 50 masses' questionnaires, 5 branch self-ratings, 3 county leaders, 1 superior;
    # each shape's first two forms are written directly (the check), the rest from its template
    assert sorted(map(len, by_shape.values())) == [1, 3, 5, 50]
    assert write_by_template(scheme, key, jobs, write_form, workers=1) == (50 - 2) + (5 - 2) + (3 - 2)
    for (form, path), (_, plain_path) in zip(jobs, [(f, p) for f, p in plain.forms if f.identity.target == "支部"]):
        assert parts(path) == parts(plain_path)


def test_a_form_whose_strings_a_template_cannot_carry_is_written_directly(county):
    """Only strings XlsxWriter writes as they are go into a template: a ratee named like a heading
    of the form (小计) or like another ratee would be one shared string there, a name with a space
    at an end is marked to be kept, and _x0041_ is escaped; such a form is written directly."""
    scheme_path, scheme, key, fast, *_ = county
    form = next(f for f, _ in fast.forms  # a peer form listing people as rows, 小计 heading its columns
                if f.identity.group == "DH" and form_layout_of(scheme, f.identity).by_rows)
    template = build_template(scheme, key, form, write_form)
    values = _values(scheme, key, form)
    # whole shared strings: each ratee's 编号 and 名称, the identity and its signature
    assert template.takes(values) and len(template.whole) == 2 * len(form.identity.ratees) + 2
    name = template.whole[1]  # the first ratee's 名称
    assert "小计".encode() in template.literals  # the subtotals' heading
    for odd in ("小计", values[template.whole[3]].decode(), "张伟 ", "_x0041_"):
        assert not template.takes(values | {name: odd.encode()}), odd


def test_writing_forms_reports_progress_up_to_the_last_form(county):
    total = len(county[3].forms)
    done = [call[0] for call in PROGRESS]
    assert PROGRESS[0][:2] == (0, total) and PROGRESS[-1][:2] == (total, total)
    assert done == sorted(done) and len(done) > 2  # after each shape, not only at the end


def test_a_filled_template_form_opens_in_libreoffice_and_comes_back_accepted(county, tmp_path):
    if not find_soffice():
        pytest.skip("LibreOffice is not installed")
    scheme_path, scheme, key, fast, plain, returns, _ = county
    first = sorted(returns.iterdir())[0]  # 0000.xlsx: the first form written
    resaved = convert_many([first], "xlsx", tmp_path / "resaved")[0]
    wb = openpyxl.load_workbook(resaved)
    lay = form_layout_of(scheme, fast.forms[0][0].identity)
    assert wb["测评表"].cell(*lay.score_cell(0, lay.items[0].code)).value is not None  # fill_fast's score survived
    (tmp_path / "in").mkdir()
    shutil.copyfile(resaved, tmp_path / "in" / "r.xlsx")
    intake = api.status(scheme_path, tmp_path / "in", workers=1).intake
    assert [e.status for e in intake.ledger] == ["已采用"]


def intake_of(county, **how):
    scheme_path, scheme, key, *_, returns, _ = county
    from xlflag.ingest.returns import ingest

    return ingest(scheme, key, returns, blank_policy=scheme.settings.blank_policy, **how)


def test_the_pool_judges_every_return_as_this_process_does(county):
    serial = intake_of(county, workers=1)
    pooled = intake_of(county, workers=2)
    cells = county[-1]
    assert len(serial.accepted) == len(county[3].forms)  # every form returned and accepted
    assert sum(len(r.scores) for f in serial.accepted for r in f.rows) == cells
    assert pooled.accepted == serial.accepted
    assert pooled.ledger == serial.ledger
    assert pooled.report.problems == serial.report.problems


def test_forms_judged_on_the_pool_hold_the_planned_identities_not_copies(county):
    """Each accepted form comes back from a worker with a copy of its identity; the run keeps
    the planned object instead (a county's copies would take ~300 MB)."""
    from xlflag.core.formplan import plan_forms

    _, scheme, key, *_ = county
    plan = plan_forms(scheme, key)
    pooled = intake_of(county, workers=2, planned=plan)
    planned = {f.form_id: f.identity for f in plan}
    assert len(pooled.accepted) == len(planned)
    assert all(form.identity is planned[form.identity.form_id] for form in pooled.accepted)


def test_a_dask_cluster_judges_every_return_as_this_process_does(county):
    distributed = pytest.importorskip("distributed")  # in the dev install, so CI runs this
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = intake_of(county, dask=cluster.scheduler_address)
    serial = intake_of(county, workers=1)
    assert on_dask.accepted == serial.accepted
    assert on_dask.ledger == serial.ledger


def workbook_cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
            for ws in wb.worksheets}


def test_results_are_the_same_cell_for_cell(county, tmp_path, monkeypatch):
    """Fast paths (forms by template, the fast reader, the pool) against plain ones (forms by
    XlsxWriter, calamine and the XML scan, this process)."""
    scheme_path, scheme, key, fast, plain, returns, _ = county
    plain_returns = tmp_path / "plain_returns"
    for n, (form, path) in enumerate(plain.forms):  # the same scores typed into the directly written forms
        fill_fast(scheme, form, path, plain_returns / f"{n:04d}.xlsx")
    fast_out, plain_out = tmp_path / "fast" / "结果.xlsx", tmp_path / "plain" / "结果.xlsx"
    for folder in (fast_out.parent, plain_out.parent):
        folder.mkdir()
        for name in ("方案.xlsx", "xlflag.key"):
            shutil.copyfile(scheme_path.parent / name, folder / name)
    fast_run = api.consolidate(fast_out.parent / "方案.xlsx", returns, fast_out, workers=2)
    monkeypatch.setattr(readers, "FAST_XLSX", False)
    plain_run = api.consolidate(plain_out.parent / "方案.xlsx", plain_returns, plain_out, workers=1)
    assert [m.total for m in fast_run.members] == [m.total for m in plain_run.members]
    assert workbook_cells(fast_out) == workbook_cells(plain_out)


def test_the_county_workbooks_written_straight_to_xml_are_the_ones_xlsxwriter_writes(county, tmp_path, monkeypatch):
    """数据 and 评分明细 rendered as XML in bulk (edge.bulk), formulas prepared by one search
    (edge.xlsxsheet), against every cell through XlsxWriter: the same cells, formulas, cached
    values and column widths in the results workbook and in the working papers. The plain run
    is the period's second run, without RETURNS: the whole period is read again from the store,
    on the pool like the first."""
    scheme_path, _, _, _, _, returns, _ = county
    for kept in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(scheme_path.parent / kept, tmp_path / kept)
    books, runs = {}, {}
    for name, fast, given in (("fast", True, returns), ("plain", False, None)):
        monkeypatch.setattr(bulk, "BULK_XML", fast)
        monkeypatch.setattr(xlsxsheet, "FAST_FORMULAS", fast)
        runs[name] = api.consolidate(tmp_path / "方案.xlsx", given, tmp_path / "结果.xlsx", workers=2)
        books[name] = [_cells_and_widths(path) for path in (runs[name].output, runs[name].papers)]
    assert (runs["fast"].added, runs["plain"].added) == (len(runs["fast"].intake.accepted), 0)
    assert len(runs["plain"].intake.accepted) == len(runs["fast"].intake.accepted) > 300
    assert books["fast"] == books["plain"]
    results, papers = books["fast"]
    assert any(isinstance(v, str) and v.startswith("=SUM(") for v in results["数据"][0].values())
    assert len(papers["评分明细"][0]) > 10_000  # the county's rows are really there


def test_the_county_workbooks_are_fitted_by_shape_as_by_every_cell(county, tmp_path, monkeypatch):
    """sheetkit measures each shape of text once (a SHA-256 is 64 narrow characters, a name two
    or three CJK ones) and each column's one-line texts once: the results workbook and the
    working papers come out byte for byte as when every cell is measured as written."""
    scheme_path, _, _, _, _, returns, _ = county
    for kept in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(scheme_path.parent / kept, tmp_path / kept)
    books = {}
    for shaped, given in ((True, returns), (False, None)):
        monkeypatch.setattr(sheetkit, "SHAPED_FIT", shaped)
        run = api.consolidate(tmp_path / "方案.xlsx", given, tmp_path / "结果.xlsx", workers=2)
        books[shaped] = [parts(path) for path in (run.output, run.papers)]
    assert books[True] == books[False]
    ledger = books[True][1]["xl/worksheets/sheet1.xml"]  # 文件清单: a row per file, heights fitted
    assert ledger.count(b"<row ") > 300 and b'customHeight="1"' in ledger


def test_the_working_papers_written_on_the_other_core_are_the_ones_written_here(county, tmp_path, monkeypatch):
    """From api.PAPERS_ASIDE ratings on, consolidate writes 工作底稿 in another process while it
    writes the results workbook (edge.aside): the same bytes as written here, one after the other."""
    scheme_path, _, _, _, _, returns, _ = county
    for kept in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(scheme_path.parent / kept, tmp_path / kept)
    books = {}
    for aside_from, given in ((0, returns), (10**9, None)):
        monkeypatch.setattr(api, "PAPERS_ASIDE", aside_from)
        run = api.consolidate(tmp_path / "方案.xlsx", given, tmp_path / "结果.xlsx", workers=2)
        books[aside_from] = [parts(path) for path in (run.output, run.papers)]
    assert books[0] == books[10**9] and len(books[0][1]) > 10


def _cells_and_widths(path: Path) -> dict:
    """sheet → ({cell: value or formula, cell=: (cached value, look)}, {column: width}). The look is
    compared by what it is (font, border, fill, number format, alignment): the two writers number
    the same formats in a different order."""
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in formulas.worksheets:
        cached = values[ws.title]
        cells = {c.coordinate: (c.value, cached[c.coordinate].value, repr((c.font, c.border, c.fill, c.number_format, c.alignment)))
                 for row in ws.iter_rows() for c in row
                 if c.value is not None or c.has_style}
        out[ws.title] = ({k: v[0] for k, v in cells.items()} | {f"{k}=": v[1:] for k, v in cells.items()},
                         {k: d.width for k, d in ws.column_dimensions.items()})
    return out


def test_the_plan_is_the_one_the_forms_were_written_for(county):
    scheme_path, scheme, key, fast, *_ = county
    assert [f for f, _ in fast.forms] == plan_forms(scheme, load_key(scheme_path))


# -- the fast reader (ingest/xlsx_fast.py) against the plain one -------------------------------

def grids(data: bytes):
    """(the fast reader's grid or None, read_safely's grid the plain way: precheck, calamine, scan)."""
    return read_fast(data), readers.read_safely(data, suffix=".xlsx", fast=False)


def test_the_fast_reader_reads_every_county_return_as_the_plain_reader_does(county):
    *_, returns, _ = county
    files = sorted(returns.iterdir())
    for path in files:
        fast, plain = grids(path.read_bytes())
        assert fast is not None, path  # forms as xlflag writes them never need the plain way
        assert fast == plain, path  # every sheet, state, value (floats as calamine gives them), formula, date


ODD = ("5分", "５", None, "4.0", 4.5, "优秀", " 3 ")  # typed into the first ratee's first items


def _typed_oddly(scheme, form, source: Path, target: Path) -> None:
    lay = form_layout_of(scheme, form.identity)
    wb = openpyxl.load_workbook(source)
    ws = wb[L.FORM_SHEET]
    for value, item in zip(ODD, lay.items):
        ws.cell(*lay.score_cell(0, item.code)).value = value
    wb.save(target)


def test_returns_typed_oddly_and_resaved_read_the_same_both_ways(county, tmp_path, monkeypatch):
    """Saved by openpyxl and then by LibreOffice (another writer's XML each): the fast reader
    reads each exactly as the plain reader does, or hands it over; ingest judges them the same."""
    scheme_path, scheme, key, fast, plain, returns, _ = county
    picked = [(form, returns / f"{n:04d}.xlsx") for n, (form, _) in enumerate(fast.forms)][::40]
    odd = tmp_path / "odd"
    odd.mkdir()
    for n, (form, path) in enumerate(picked):
        _typed_oddly(scheme, form, path, odd / f"{n:02d}.xlsx")
    folders = [odd]
    if find_soffice():
        resaved = tmp_path / "resaved"
        resaved.mkdir()
        for made in convert_many(sorted(odd.iterdir()), "xlsx", tmp_path / "lo"):
            shutil.move(made, resaved / made.name)
        folders.append(resaved)
    for folder in folders:
        for path in sorted(folder.iterdir()):
            fast_grid, plain_grid = grids(path.read_bytes())
            assert fast_grid is None or fast_grid == plain_grid, path
        judged = intake_of(county[:5] + (folder, 0), workers=1)
        monkeypatch.setattr(readers, "FAST_XLSX", False)
        plainly = intake_of(county[:5] + (folder, 0), workers=1)
        monkeypatch.setattr(readers, "FAST_XLSX", True)
        assert judged.accepted == plainly.accepted and judged.ledger == plainly.ledger
        assert judged.report.problems == plainly.report.problems
        # the odd values were really read: "5分", "５", "4.0" and " 3 " noted, 4.5 and 优秀 refused, a blank
        codes = [p.code.name for p in judged.report.problems if p.cell.startswith(("D", "E", "F"))]
        assert {"SCORE_NORMALISED", "SCORE_BLANK"} <= set(codes) and len(judged.ledger) == len(picked)


def test_forms_listing_two_members_of_one_name_come_from_templates_of_their_own(tmp_path):
    """Two members of one name are one shared string in XlsxWriter's file, both cells pointing to
    it. Forms listing both are shapes of their own (which ratees share a name is part of the
    shape) and a kind of their own, checked before trusted; every form is still the bytes
    ``write_form`` gives, and the other branch's forms of the same size keep their template."""
    sheets = county_sheets(BRANCHES)
    roster = sheets["党员名册"]
    twin, other = "第004党支部", "第005党支部"  # 30 members each (the fixed seed): forms of one shape
    at = [n for n, row in enumerate(roster) if row[0] == twin]
    roster[at[1]] = (twin, roster[at[1]][1], roster[at[0]][2], "")  # its second member named as its first
    scheme_path = write_scheme_workbook(sheets, tmp_path / "scheme" / "方案.xlsx")
    create_key(scheme_path)
    scheme, key = api.load_scheme(scheme_path), load_key(scheme_path)
    forms = [f for f in plan_forms(scheme, key) if f.folder in (twin, other)]
    forms.sort(key=lambda f: f.folder != twin)  # the twins' branch first: it used to spoil the shape
    worker = _Worker()
    by_template = [worker.write(scheme, key, f, tmp_path / "t" / f"{n}.xlsx", write_form) for n, f in enumerate(forms)]
    for n, form in enumerate(forms):
        write_form(scheme, key, form, tmp_path / "d" / f"{n}.xlsx")
        assert parts(tmp_path / "t" / f"{n}.xlsx") == parts(tmp_path / "d" / f"{n}.xlsx"), form.form_id
    pair = {roster[at[0]][1], roster[at[1]][1]}
    both = [f for f in forms if pair <= set(f.identity.ratees)]
    assert len(both) == 28 + 5 + 2  # the peer forms of the other 28, the representatives', the leaders'
    assert all(twins(ratee_labels(scheme, f.identity)) == ((1, 0),) for f in both)  # the twins are its first two members

    def copied(folder: str, group: str) -> str:  # one rater group's forms of a branch: 1 = from a template
        return "".join(str(int(t)) for f, t in zip(forms, by_template) if f.folder == folder and f.identity.group == group)

    # peer forms (29 ratees): the twins' own two list one of them each: the plain shape's first
    # form and its check; the other 28 list both: that shape's first form and its check, then 26
    # copied; all 30 of the other branch's come from the plain shape's template
    assert copied(twin, "DH") == "0000" + "1" * 26
    assert copied(other, "DH") == "1" * 30
    # the 5 representatives' forms (30 ratees): each branch's is a shape of its own (the twins'
    # lists both), of a kind of its own: first form, check, 3 copied
    assert copied(twin, "DQ") == copied(other, "DQ") == "00111"
    assert any(kind[-1] for kind in worker.checked)  # a kind listing twins, checked against write_form


def test_the_pool_makes_each_forms_issue_record_line(county, tmp_path):
    """With ``records``, each worker also makes the issue-record line of every form it writes
    (the county's 25,000 lines cost the parent nothing after the pool); ``record_lines`` takes a
    line only for the very identity it was made for, and makes the rest itself."""
    scheme_path, scheme, key, fast, *_ = county
    jobs = [(f, tmp_path / "w" / f"{n}.xlsx") for n, (f, _) in enumerate(fast.forms)]
    records: dict = {}
    write_by_template(scheme, key, jobs, write_form, workers=2, records=records)
    assert len(records) == len(jobs) == 354
    assert all(records[id(f.identity)] == (f.identity, f.identity.record_json()) for f, _ in jobs)
    identities = [f.identity for f, _ in jobs]
    copies = [replace(i) for i in identities[:3]]  # equal, but not the objects the lines were made for
    made = {id(c): (c, "not this one's line") for c in copies} | {id(identities[3]): (identities[3], "made")}
    assert record_lines(identities[:4], records) == [i.record_json() for i in identities[:4]]
    assert record_lines(copies + identities[3:4], made) == ["not this one's line"] * 3 + ["made"]
    assert record_lines(copies, records) == [c.record_json() for c in copies]


def test_a_program_read_from_standard_input_consolidates_the_county_without_blaming_a_rater(county, tmp_path):
    """``python - < script.py`` can start no worker (edge.pool.workers_can_start): the returns
    are judged here and the isolated reader reads in this process, so every return is accepted
    as in any other run — none refused as crashing its reader — and no traceback is printed."""
    scheme_path, scheme, key, fast, plain, returns, cells = county
    for name in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(scheme_path.parent / name, tmp_path / name)
    script = (
        "from pathlib import Path\n"
        "from xlflag import api\n"
        "from xlflag.ingest import readers\n"
        "readers.FAST_XLSX = False  # every return the sure way: calamine, isolated in a worker elsewhere\n"
        f"run = api.consolidate(Path('方案.xlsx'), Path({str(returns)!r}), Path('结果.xlsx'))\n"
        "print(len(run.intake.accepted), sum(len(r.scores) for f in run.intake.accepted for r in f.rows))\n"
    )
    run = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    tracebacks = run.stderr.count("Traceback")  # (counted: pytest would diff the whole text)
    assert (run.returncode, tracebacks) == (0, 0), run.stderr[-3000:]
    assert run.stdout.split() == [str(len(fast.forms)), str(cells)]
