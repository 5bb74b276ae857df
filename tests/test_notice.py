"""The 公示 (core.notice, publish.notice): the 公示期 date rule, what the notice shows, the draft
mark while forms are out, `consolidate --final`, and the page as LibreOffice prints it."""
from __future__ import annotations

import shutil
import subprocess

import openpyxl
import pytest
from preset_kit import needs_soffice, preset_sheets, run_preset, set_value
from test_adjustments import H1_ROWS, HEAD, H1_SCORES, flag, scheme_with, scored
from test_cli import invoke
from test_preset_s1 import BRANCHES, FLAG_PLAN, MEMBER_PLAN, ONE, ROSTER, SATISFIED, s1_sheets

from xlflag.core.adjustments import apply_adjustments
from xlflag.core.awards import Awards, QuotaPick
from xlflag.core.notice import DRAFT, build_notice
from xlflag.edge.libreoffice import convert
from xlflag.scheme.read import parse_scheme

ORG = "丽江市古城区统计局党支部"


def settings_problems(**values) -> list[tuple[str, str, str]]:
    sheets = preset_sheets("s1", BRANCHES, ROSTER)
    for key, value in values.items():
        set_value(sheets, "设置", key, value)
    rows = [r[0] for r in sheets["设置"]]
    _, report = parse_scheme(sheets)
    return [(p.code.name, p.cell, f"row of {rows[int(p.cell[1:]) - 1]}") for p in report.problems]


# -- the 公示期: the end at least 公示天数 (default 3) days after the start ---------------------------

def test_end_three_days_after_the_start_is_enough():
    assert settings_problems(公示开始="2026-12-01", 公示结束="2026-12-04") == []  # 4 − 1 = 3 days


def test_end_two_days_after_the_start_is_too_short():
    problems = settings_problems(公示开始="2026-12-01", 公示结束="2026-12-03")  # 3 − 1 = 2 < 3
    assert [(code, where) for code, _, where in problems] == [("SCHEME_NOTICE_TOO_SHORT", "row of 公示结束")]


def test_five_day_scheme_and_dates_typed_in_chinese():
    # 12月1日 to 12月5日 is 4 days after the start: short of 5; to 12月6日 it is enough
    short = settings_problems(公示天数=5, 公示开始="2026年12月1日", 公示结束="2026年12月5日")
    assert [c for c, *_ in short] == ["SCHEME_NOTICE_TOO_SHORT"]
    assert settings_problems(公示天数=5, 公示开始="2026年12月1日", 公示结束="2026/12/6") == []


def test_bad_settings_are_located():
    problems = settings_problems(公示开始="下周一", 公示天数="三", 公示内容="全部")
    assert sorted((c, w) for c, _, w in problems) == [
        ("SCHEME_VALUE_INVALID", "row of 公示内容"), ("SCHEME_VALUE_INVALID", "row of 公示天数"),
        ("SCHEME_VALUE_INVALID", "row of 公示开始"),
    ]


# -- what the notice shows ---------------------------------------------------------------------------

def notice_for(rows=H1_ROWS, preset="s1", **values):
    scheme = scheme_with(preset, "2026H1", rows)
    if values:
        sheets = preset_sheets(preset, BRANCHES, ROSTER)
        set_value(sheets, "设置", "期次", "2026H1")
        for key, value in values.items():
            set_value(sheets, "设置", key, value)
        sheets["调整"] = [HEAD, *rows]
        scheme, report = parse_scheme(sheets)
        assert report.valid, report.codes()
    return scheme


def test_levels_only_by_default_and_final_after_adjustments():
    scheme = notice_for()
    adjusted = apply_adjustments(scheme, scored(scheme, H1_SCORES), Awards(flag(ONE), [], []))
    notice = build_notice(scheme, adjusted)
    assert notice.headers == ("序号", "支部", "姓名", "星级")  # no scores: the default
    # C2 4★ + 增星 = 五星级, D1 4★ − 2 = 二星级, D2 降级 to 一星级 (test_adjustments)
    assert [r[2:] for r in notice.rows] == [("和一", "五星级"), ("和二", "五星级"), ("和三", "二星级"),
                                            ("木一", "二星级"), ("木二", "一星级"), ("木三", "一星级")]
    assert notice.awards == ["流动红旗：本期空缺。"]  # 综合股支部's flag was withdrawn (撤旗)
    assert notice.title == f"{ORG}2026年上半年授旗评星结果公示" and not notice.draft
    assert notice.period == "公示期：    年  月  日至    年  月  日（不少于3天）。"
    assert notice.appeal.startswith(f"公示期间，如有异议，请以书面或当面方式向{ORG}反映。")
    assert notice.signed == "    年  月  日"


def test_scores_dates_appeal_and_sign_off_from_the_scheme():
    scheme = notice_for([], 公示内容="星级和得分", 公示开始="2026-07-10", 公示结束="2026-07-15",
                        申诉方式="向局机关党委书面反映，电话0888-5123456")
    results = scored(scheme, H1_SCORES)
    notice = build_notice(scheme, apply_adjustments(scheme, results, Awards(flag(ONE), [], [])), outstanding=2)
    assert notice.headers == ("序号", "支部", "姓名", "星级", "综合得分")
    assert notice.rows[0] == (1, "综合股支部", "和一", "五星级", "0.00")
    assert notice.period == "公示期：2026年7月10日至2026年7月15日（不少于3天）。"
    assert notice.appeal == "公示期间，如有异议，请向局机关党委书面反映，电话0888-5123456。反映情况应实事求是，署真实姓名。"
    assert (notice.organisation, notice.signed) == (ORG, "2026年7月10日")
    assert notice.draft and notice.awards == ["流动红旗：综合股支部。"]


def test_quota_star_line_names_the_winners():
    scheme = scheme_with("s4", "2026Q4", [])
    members = scored(scheme, H1_SCORES)
    picks = [QuotaPick(members[3], (), 1, True, ""), QuotaPick(members[0], (), 2, False, "")]
    notice = build_notice(scheme, apply_adjustments(scheme, members, Awards(flag(None), [], picks)))
    assert notice.awards == ["流动红旗：本期空缺。", "党员之星（1名）：木一（业务股支部）。"]


# -- end to end: the 公示 workbook, the draft mark and --final ----------------------------------------

@pytest.fixture(scope="module")
def run(tmp_path_factory):
    sheets = s1_sheets("2026H1", [HEAD, *H1_ROWS], 公示开始="2026-07-10", 公示结束="2026-07-13")
    return run_preset(tmp_path_factory.mktemp("notice"), sheets, MEMBER_PLAN | FLAG_PLAN, SATISFIED)


def cells(path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    try:
        return [str(c.value) for row in wb["公示"].iter_rows() for c in row if c.value is not None]
    finally:
        wb.close()


def test_notice_is_written_beside_the_results_complete_and_not_a_draft(run):
    notice = run.result.notice
    assert notice == run.results.with_name("公示.xlsx") and not run.result.draft
    text = cells(notice)
    assert text[0] == f"{ORG}2026年上半年授旗评星结果公示" and DRAFT not in text
    assert "公示期：2026年7月10日至2026年7月13日（不少于3天）。" in text and text[-2:] == [ORG, "2026年7月10日"]


def test_page_setup_follows_gb_t_9704(run):
    ws = openpyxl.load_workbook(run.result.notice)["公示"]
    m = ws.page_margins
    assert [round(x * 25.4) for x in (m.top, m.bottom, m.left, m.right)] == [37, 35, 28, 26]
    assert (ws.page_setup.paperSize, ws.page_setup.orientation) == (9, "portrait")
    title = ws["A1"].font
    assert (title.name, title.sz, title.charset) == ("方正小标宋简体", 22, 134)
    assert (ws["A2"].font.name, ws["A2"].font.sz) == ("仿宋", 16)


def returns_without_one(run, tmp_path):
    """The returns folder minus the first 互评 form: (folder, that form's code)."""
    n, (missing, path) = next((n, fp) for n, fp in enumerate(run.written.forms) if fp[0].identity.group == "DH")
    folder = tmp_path / "returns"
    shutil.copytree(run.root / "returns", folder)
    (folder / f"{n:03d}_{path.name}").unlink()  # as run_preset named the return
    return folder, missing.identity.code


def test_draft_while_a_form_is_out_and_final_refuses(run, tmp_path):
    folder, code = returns_without_one(run, tmp_path)
    scheme = tmp_path / "方案" / run.scheme_path.name  # a period of its own: run's store holds every form
    scheme.parent.mkdir()
    for name in (run.scheme_path.name, "xlflag.key"):
        shutil.copyfile(run.scheme_path.parent / name, scheme.parent / name)
    out = tmp_path / "out" / "汇总结果.xlsx"
    draft = invoke("consolidate", scheme, folder, "-o", out)
    assert draft.exit_code == 1, draft.output  # done, with a form still out
    assert cells(out.with_name("公示.xlsx"))[0] == DRAFT and DRAFT in draft.output
    out.unlink()
    refused = invoke("consolidate", scheme, folder, "-o", out, "--final")
    assert refused.exit_code == 2
    assert "还有1份测评表未收回，不能定稿" in refused.output and code in refused.output
    assert not out.exists()
    waived = invoke("consolidate", scheme, folder, "-o", out, "--final", "--waive", code)
    assert waived.exit_code == 0, waived.output
    assert DRAFT not in cells(out.with_name("公示.xlsx"))


@needs_soffice
def test_libreoffice_prints_one_a4_page_with_the_notice(run, tmp_path):
    pdf = convert(run.result.notice, "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info and "595.3" in info and "841.89" in info  # A4 portrait, points
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "授旗评星结果公示" in flat and "公示期：2026年7月10日至2026年7月13日" in flat
    assert "流动红旗：本期空缺" in flat and "—1—" in flat


def test_params_are_locked_and_say_where_to_change_them(run):
    """Item 4, one truth: 参数 is protected, so no derived column can disagree with the scheme."""
    from xlflag.results.workbook import PARAMS_LOCKED

    ws = openpyxl.load_workbook(run.results)["参数"]
    assert ws.protection.sheet and ws["F1"].value == PARAMS_LOCKED
    assert "请在方案中修改后重新汇总" in PARAMS_LOCKED
