"""Names that cannot be file names (a branch called `..`, members called CON or NUL, a slash in a
name) never let `xlflag forms` write outside OUT or over the scheme, and `check` names their cells.

The roster is the s2 template's (rows as in test_scheme_check) with names swapped in place.
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from xlflag import api
from xlflag.core.problems import Code
from xlflag.edge.files import MAX_NAME_BYTES, safe_filename, within, within_all
from xlflag.core.model import Branch
from xlflag.forms.write import write_forms
from xlflag.scheme.read import SchemeError
from xlflag.scheme.templates import template_sheets, write_scheme_workbook


@pytest.mark.parametrize("name, safe", [
    ("..", "__"), (".", "_"), ("/", "_"), ("\\", "_"), ("../../etc", "___.._etc"), ("CON", "CON_"), ("nul", "nul_"),
    ("PRN", "PRN_"), ("AUX", "AUX_"), ("COM1", "COM1_"), ("LPT1", "LPT1_"), ("con.txt", "con_.txt"),
    ("张三. ", "张三_"), ("  ", "_"), ("", "_"), (".隐藏", "_隐藏"), ("第一/第二支部", "第一_第二支部"),
    ("王五", "王五"), ("a:b*c?", "a_b_c_"),
])
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe


def test_over_long_names_are_cut_and_stay_apart():
    a, b = "党" * 100 + "甲", "党" * 100 + "乙"
    assert len(safe_filename(a).encode()) <= MAX_NAME_BYTES
    assert safe_filename(a) != safe_filename(b)


def test_within_refuses_a_path_outside_root(tmp_path):
    assert within(tmp_path, "甲/乙.xlsx") == tmp_path / "甲" / "乙.xlsx"
    for bad in ("../方案.xlsx", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValueError):
            within(tmp_path, bad)


def hostile(folder: Path) -> Path:
    """第一党支部 renamed `..`; members M001 CON, M002 NUL, M003 a/b; leader 王书记 → AUX."""
    sheets = {name: list(rows) for name, rows in template_sheets("s2").items()}
    sheets["支部"] = [row if n != 1 else ("..", "AUX、李主任") for n, row in enumerate(sheets["支部"])]
    renamed = {"M001": "CON", "M002": "NUL", "M003": "甲/乙"}
    sheets["党员名册"] = [
        ((".." if row[0] == "第一党支部" else row[0]), row[1], renamed.get(row[1], row[2]), *row[3:]) if n else row
        for n, row in enumerate(sheets["党员名册"])
    ]
    return write_scheme_workbook(sheets, folder / api.SCHEME_FILE)


def test_within_all_is_within_for_many_paths_and_resolves_what_they_name(tmp_path):
    out = tmp_path / "out"
    (out / "甲").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (out / "乙").symlink_to(tmp_path / "elsewhere")  # a folder that is a link out of OUT
    (out / "甲" / "链.xlsx").symlink_to(tmp_path / "方案.xlsx")  # a file that is one
    relatives = ["甲/一.xlsx", "甲/二.xlsx", "丙/三.xlsx"]
    assert within_all(out, relatives) == [(within(out, r), str((out / r).resolve())) for r in relatives]
    for bad in ("乙/一.xlsx", "甲/链.xlsx", "../x.xlsx", "/abs.xlsx"):
        with pytest.raises(ValueError):
            within_all(out, ["甲/一.xlsx", bad])


def test_check_reports_each_unsafe_name_with_its_cell(tmp_path):
    report = api.check_scheme(hostile(tmp_path))
    found = {(p.code, p.sheet, p.cell, p.found) for p in report.problems}
    assert (Code.SCHEME_NAME_NOT_A_NAME, "支部", "A2", "..") in found
    assert (Code.SCHEME_NAME_UNSAFE_FILE, "支部", "B2", "AUX") in found  # the leader's name
    assert (Code.SCHEME_NAME_UNSAFE_FILE, "党员名册", "C2", "CON") in found
    assert (Code.SCHEME_NAME_UNSAFE_FILE, "党员名册", "C3", "NUL") in found
    assert (Code.SCHEME_NAME_UNSAFE_FILE, "党员名册", "C4", "甲/乙") in found
    assert not report.valid  # `..` is no branch name: check fails and forms are not written


def renamed(scheme):
    """The s2 scheme with the hostile names put straight into the model, past `check`."""
    first = scheme.branches[0].name
    branches = (Branch("..", ("AUX", "李主任")), *scheme.branches[1:])
    names = {"M001": "CON", "M002": "NUL", "M003": "甲/乙"}
    members = tuple(
        replace(m, branch=".." if m.branch == first else m.branch, name=names.get(m.member_id, m.name))
        for m in scheme.members
    )
    return replace(scheme, branches=branches, members=members)


def test_forms_of_unsafe_names_stay_inside_out_and_never_touch_the_scheme(tmp_path):
    folder = tmp_path / "方案夹"
    folder.mkdir()
    path = write_scheme_workbook(template_sheets("s2"), folder / api.SCHEME_FILE)
    scheme = renamed(api.load_scheme(path))
    before = path.read_bytes()
    written = write_forms(scheme, b"k" * 32, folder, protected=(path,))  # OUT is the scheme's own folder
    assert path.read_bytes() == before
    for _, file in written.forms:
        assert file.resolve().is_relative_to(folder.resolve())
        assert len(file.relative_to(folder).parts) == 3
    names = {str(f.relative_to(folder)) for _, f in written.forms}
    assert {"__/自评/CON_.xlsx", "__/自评/NUL_.xlsx", "__/自评/甲_乙.xlsx", "__/领导点评/AUX_.xlsx"} <= names
    assert len(names) == len(written.forms) == 39
    assert sorted(os.listdir(tmp_path)) == ["方案夹"]  # nothing written beside OUT
    assert written.dispatch == folder / "发放清单.xlsx"


def test_forms_refuse_to_overwrite_a_protected_file(tmp_path):
    path = write_scheme_workbook(template_sheets("s2"), tmp_path / api.SCHEME_FILE)
    scheme = api.load_scheme(path)
    with pytest.raises(SchemeError):
        write_forms(scheme, b"k" * 32, tmp_path, protected=(tmp_path / "发放清单.xlsx",))
    assert not (tmp_path / "第一党支部").exists()  # refused before writing anything
