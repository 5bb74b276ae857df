"""The CLI is a thin layer: each command calls one library function, prints what it returned
and exits with a code from the report (0 clean, 1 problems found, 2 could not run)."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlflag import api
from xlflag.cli import app
from xlflag.scheme.templates import template_sheets, write_scheme_workbook

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def command_names() -> list[str]:
    return [c.name or c.callback.__name__ for c in app.registered_commands]


def test_init_then_check_passes(tmp_path):
    made = invoke("init", tmp_path / "s", "--preset", "s2")
    assert made.exit_code == 0, made.output
    scheme = tmp_path / "s" / "方案.xlsx"
    assert scheme.is_file() and (tmp_path / "s" / "xlflag.key").is_file()
    checked = invoke("check", scheme)
    assert checked.exit_code == 0, checked.output
    assert "方案检查通过" in checked.output


def test_check_on_a_broken_scheme_exits_1_and_prints_what_the_library_found(tmp_path):
    sheets = {name: list(rows) for name, rows in template_sheets("s2").items()}
    sheets["评价主体"][4] = ("党员", "DQ", "职工参评", 20, "代表", 5)  # 20+30+20+20 = 90
    scheme = write_scheme_workbook(sheets, tmp_path / "方案.xlsx")
    result = invoke("check", scheme)
    assert result.exit_code == 1
    assert "方案检查通过" not in result.output
    problems = api.check_scheme(scheme).problems
    assert [p.code.name for p in problems] == ["SCHEME_WEIGHTS_NOT_100"]
    lines = [line for line in result.output.splitlines() if line.startswith("[")]
    assert lines == [f"[{p.code.name}] {p.severity.value} 方案.xlsx/{p.sheet}/{p.cell}：{p.message}" for p in problems]


def test_check_on_a_missing_file_exits_2(tmp_path):
    assert invoke("check", tmp_path / "没有.xlsx").exit_code == 2


def test_a_missing_scheme_is_said_before_any_output_guard(tmp_path):
    """-o inside RETURNS would be refused too, but the missing scheme is what to fix first."""
    result = invoke("consolidate", tmp_path / "没有.xlsx", tmp_path, "-o", tmp_path / "结果.xlsx")
    assert result.exit_code == 2
    assert "找不到方案文件" in result.output and "回收文件夹" not in result.output


def test_init_with_an_unknown_preset_exits_2(tmp_path):
    result = invoke("init", tmp_path / "s", "--preset", "s9")
    assert result.exit_code == 2
    assert not (tmp_path / "s" / "方案.xlsx").exists()


def test_init_never_overwrites_a_scheme(tmp_path):
    assert invoke("init", tmp_path / "s").exit_code == 0
    assert invoke("init", tmp_path / "s").exit_code == 2


def test_forms_prints_the_count_the_library_wrote(tmp_path):
    assert invoke("init", tmp_path / "s", "--preset", "s2").exit_code == 0
    result = invoke("forms", tmp_path / "s" / "方案.xlsx", tmp_path / "out")
    assert result.exit_code == 0, result.output
    # 6 + 7 self, 6 + 7 peers, 2 + 1 leaders, 5 + 5 staff = 39
    assert "已生成测评表39份" in result.output
    assert len(list((tmp_path / "out").rglob("*.xlsx"))) == 39 + 1  # + 发放清单.xlsx


def test_demo_prints_the_library_counts(tmp_path):
    out = tmp_path / "demo"
    result = invoke("demo", out)
    assert result.exit_code == 0, result.output  # done: the problems it shows (a blank cell, a stray notice) are planted
    assert "问题" in result.output
    assert (out / "汇总结果.xlsx").is_file()
    # the same inputs through the library, into another results file: the period adds nothing
    again = api.consolidate(out / "方案.xlsx", out / "回收", tmp_path / "again.xlsx")
    assert (again.total, again.added) == (41, 0)
    counts: dict[str, int] = {}
    for entry in again.intake.ledger:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    rated = sum(m.total is not None for m in again.members)
    expected = [
        f"本期共{len(again.intake.ledger)}份，本次新增41份：" + "，".join(f"{k}{v}" for k, v in sorted(counts.items())),
        f"应收{sum(s.expected for s in again.status)}份，未收{sum(len(s.missing) for s in again.status)}份；"
        f"问题{len(again.intake.report.problems)}条。",
        f"已计算综合得分{rated}/{len(again.members)}人。结果：{out / '汇总结果.xlsx'}",
    ]
    assert result.output.splitlines()[-3:] == expected
    # and the numbers are the demo's: 39 forms returned, one mailed twice, one notice
    assert len(again.intake.accepted) == 39
    assert sum(s.expected for s in again.status) == 39


def test_top_level_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    assert set(command_names()) == {"init", "check", "forms", "consolidate", "status", "void", "sendback", "demo", "bulletin"}
    for name in command_names():
        assert name in result.output


@pytest.mark.parametrize("name", command_names())
def test_every_command_is_documented(name):
    command = next(c for c in app.registered_commands if (c.name or c.callback.__name__) == name)
    doc = (command.help or command.callback.__doc__ or "").strip()
    assert doc
    result = invoke(name, "--help")
    assert result.exit_code == 0
    # the Chinese half of the first line: short enough that no terminal width wraps it
    assert doc.splitlines()[0].split(" / ")[0] in result.output


def test_the_api_and_cli_load_without_the_archive_database_library():
    """SQLAlchemy takes ~0.35 s to import: forms, consolidate and their pool workers use no
    archive, so it loads only when an archive command needs it."""
    import subprocess
    import sys

    code = ("import sys, xlflag.api, xlflag.cli; assert 'sqlalchemy' not in sys.modules; "
            "xlflag.api.archive_records(db=sys.argv[1]); assert 'sqlalchemy' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code, "sqlite://"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
