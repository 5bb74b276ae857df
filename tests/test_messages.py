"""Every message is one a secretary can act on: no traceback, no English exception name, the
same exit codes for every command (0 done, 1 done with problems in the data, 2 could not run),
inputs and the key never destroyed."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
import returns_kit as kit
from typer.testing import CliRunner

from xlflag import api
from xlflag.cli import app
from xlflag.scheme.templates import template_sheets, write_scheme_workbook

runner = CliRunner()
A1_SELF = ("甲支部", "DZ", "A1")
ENGLISH_ERROR = re.compile(r"Traceback|Error\b|Exception|errno", re.I)


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_could_not_run(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert not ENGLISH_ERROR.search(result.output), result.output
    for word in words:
        assert word in result.output, result.output


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    root = tmp_path_factory.mktemp("messages")
    return kit.new_forms(root)


@pytest.fixture
def scheme(forms, tmp_path):
    return kit.scheme_copy(forms, tmp_path / "方案")


# -- -o never destroys an input --------------------------------------------------------------------

@pytest.mark.parametrize("target", ["scheme", "key", "return", "ledger", "folder"])
def test_an_output_onto_an_input_is_refused(forms, scheme, tmp_path, target):
    returns = tmp_path / "回收"
    kit.fill(forms, forms.get(*A1_SELF)[1], returns / "甲一.xlsx")
    api.consolidate(scheme, returns, tmp_path / "结果.xlsx")
    path = {"scheme": scheme, "key": scheme.parent / "xlflag.key", "return": returns / "甲一.xlsx",
            "ledger": scheme.parent / "xlflag-存档" / "2026Q4" / "台账.csv", "folder": tmp_path / "回收"}[target]
    before = {p: p.read_bytes() for p in [scheme, scheme.parent / "xlflag.key", returns / "甲一.xlsx"]}
    for command in ("consolidate", "status"):
        assert_could_not_run(invoke(command, scheme, returns, "-o", path), "输出位置")
    assert {p: p.read_bytes() for p in before} == before


# -- the key -----------------------------------------------------------------------------------------

def test_init_makes_a_private_key_and_forms_never_make_one(tmp_path):
    assert invoke("init", tmp_path / "s").exit_code == 0
    key = tmp_path / "s" / "xlflag.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.unlink()
    result = invoke("forms", tmp_path / "s" / "方案.xlsx", tmp_path / "out")
    assert_could_not_run(result, "找不到签名密钥", "xlflag init")
    assert not key.exists()
    again = invoke("init", tmp_path / "s")  # the scheme stays; only the key is made
    assert again.exit_code == 0 and "方案已存在，未改动" in again.output and key.is_file()


def test_a_garbage_key(scheme, tmp_path):
    (scheme.parent / "xlflag.key").write_text("这不是密钥", encoding="utf-8")
    assert_could_not_run(invoke("forms", scheme, tmp_path / "out"), "签名密钥", "已损坏")
    (tmp_path / "回收").mkdir()
    assert_could_not_run(invoke("consolidate", scheme, tmp_path / "回收", "-o", tmp_path / "r.xlsx"), "已损坏")


def test_outputs_respect_the_umask(forms, scheme, tmp_path):
    kit.fill(forms, forms.get(*A1_SELF)[1], tmp_path / "回收" / "甲一.xlsx")
    old = os.umask(0o022)
    try:
        result = api.consolidate(scheme, tmp_path / "回收", tmp_path / "结果.xlsx")
        os.umask(0o027)
        reminders = api.status(scheme, None, tmp_path / "催收.xlsx").output
    finally:
        os.umask(old)
    assert stat.S_IMODE(result.output.stat().st_mode) == 0o644
    assert stat.S_IMODE(result.ledger.stat().st_mode) == 0o644
    assert stat.S_IMODE(reminders.stat().st_mode) == 0o640


def test_every_signature_failing_says_the_key_does_not_match(forms, scheme, tmp_path):
    kit.fill(forms, forms.get(*A1_SELF)[1], tmp_path / "回收" / "甲一.xlsx")
    kit.fill(forms, forms.get("甲支部", "DZ", "A2")[1], tmp_path / "回收" / "甲二.xlsx")
    (scheme.parent / "xlflag.key").write_text("ab" * 32 + "\n", encoding="ascii")  # another office's key
    result = api.consolidate(scheme, tmp_path / "回收", tmp_path / "结果.xlsx")
    first = result.intake.report.problems[0]
    assert first.code.name == "RETURN_KEY_MISMATCH" and first.found == "2"
    assert "密钥不一致" in first.message


# -- user mistakes: exit 2, a Chinese reason, no traceback -------------------------------------------

def test_a_text_file_as_the_scheme(tmp_path):
    scheme = tmp_path / "方案.xlsx"
    scheme.write_text("不是工作簿", encoding="utf-8")
    for args in (("check", scheme), ("forms", scheme, tmp_path / "out"), ("consolidate", scheme, tmp_path)):
        assert_could_not_run(invoke(*args), "不是可以打开的Excel工作簿")


def test_missing_paths_and_folders_where_files_belong(scheme, tmp_path):
    assert_could_not_run(invoke("check", tmp_path / "没有.xlsx"), "找不到方案文件")
    assert_could_not_run(invoke("check", tmp_path), "是一个文件夹")
    assert_could_not_run(invoke("consolidate", scheme, tmp_path / "没有", "-o", tmp_path / "r.xlsx"), "找不到回收文件夹")
    (tmp_path / "文件").write_text("x", encoding="utf-8")
    assert_could_not_run(invoke("forms", scheme, tmp_path / "文件"), "是一个文件")
    assert_could_not_run(invoke("init", tmp_path / "文件"), "是一个文件")
    assert invoke("init", tmp_path / "新").exit_code == 0
    assert_could_not_run(invoke("init", tmp_path / "新"), "已存在，未覆盖")


def test_exit_codes_are_the_same_for_every_command(forms, scheme, tmp_path):
    returns = tmp_path / "回收"
    kit.fill(forms, forms.get(*A1_SELF)[1], returns / "甲一.xlsx")
    # done, with forms still missing: 1 from both commands that read returns
    assert invoke("consolidate", scheme, returns, "-o", tmp_path / "r.xlsx").exit_code == 1
    assert invoke("status", scheme, returns, "-o", tmp_path / "c.xlsx").exit_code == 1
    # every form back and clean: 0
    for form, path in forms.written:
        kit.fill(forms, path, returns / "全部" / f"{form.identity.code}.xlsx")
    assert invoke("consolidate", scheme, returns, "-o", tmp_path / "r.xlsx").exit_code == 0
    assert invoke("status", scheme, "-o", tmp_path / "c.xlsx").exit_code == 0
    assert invoke("void", scheme, forms.get(*A1_SELF)[0].identity.code, "--reason", "测试").exit_code == 0
    assert invoke("consolidate", scheme, "-o", tmp_path / "r.xlsx").exit_code == 1  # A1's self form now missing


def test_readme_documents_the_exit_codes():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Exit codes"):]
    for code in ("`0`", "`1`", "`2`"):
        assert code in section[:1500]


# -- check -------------------------------------------------------------------------------------------

def test_check_success_prints_the_counts(tmp_path):
    assert invoke("init", tmp_path / "s").exit_code == 0
    result = invoke("check", tmp_path / "s" / "方案.xlsx")
    # the S2 preset: 2 branches of 6 and 7 members; 39 forms (6+7 self, 6+7 peer, 2+1 leader, 5+5 staff)
    assert result.exit_code == 0
    assert "方案检查通过：支部2个，党员13人，应发测评表39份。" in result.output


def s2_with_weights(tmp_path, weights) -> Path:
    sheets = {name: list(rows) for name, rows in template_sheets("s2").items()}
    groups = sheets["评价主体"]
    rows = [r for r in groups[1:] if r[0] == "党员"]
    sheets["评价主体"] = [groups[0]] + [r[:3] + (w,) + r[4:] for r, w in zip(rows, weights)] + [
        r for r in groups[1:] if r[0] != "党员"]
    return write_scheme_workbook(sheets, tmp_path / "方案.xlsx")


def test_weights_typed_as_percent_are_understood(tmp_path):
    # a cell typed 20% is stored 0.2; a text "30%" is read as 30: 20 + 30 + 20 + 30 = 100
    from xlflag.scheme.read import read_scheme

    scheme, report = read_scheme(s2_with_weights(tmp_path, [0.2, 0.3, 0.2, 0.3]))
    assert report.valid, report.codes()
    assert [g.weight for g in scheme.member_groups] == [20, 30, 20, 30]
    scheme, report = read_scheme(s2_with_weights(tmp_path, ["20%", "30%", "20％", 30]))
    assert report.valid and [g.weight for g in scheme.member_groups] == [20, 30, 20, 30]


def test_a_weight_error_names_the_target_and_its_rows(tmp_path):
    from xlflag.scheme.read import read_scheme

    _, report = read_scheme(s2_with_weights(tmp_path, [20, 30, 20, 20]))
    [problem] = report.problems
    assert (problem.code.name, problem.cell) == ("SCHEME_WEIGHTS_NOT_100", "D2:D5")
    assert problem.message == "对象“党员”（第2、3、4、5行）的各评价主体权重合计为90%，应为100%"


def test_every_code_is_its_own():
    """Two codes with the same (severity, template) would silently become one Enum member,
    reported under the other's name."""
    from xlflag.core.problems import Code

    assert len(Code.__members__) == len(Code)
