"""Build the preset scheme workbooks in templates_xlsx/ from ``presets``.

Run ``python -m xlflag.scheme.templates`` after changing a preset; a test checks the committed
workbooks still say what the presets say. Each template carries a small example roster so
``xlflag check`` passes at once and the clerk sees the format to overwrite.
"""
from __future__ import annotations

import secrets
import shutil
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.textfit import fit_width, row_height, text_pt, width_pt
from ..edge.files import atomic_path
from ..edge.resources import PACKAGE_DIR
from .presets import ADJUSTMENTS, CRITERIA, FLAG_SET, preset, preset_names
from .read import BRANCHES, ROSTER

GUIDE = "说明"
EXAMPLE_BRANCHES = [
    ("支部名称", "领导点评人"),
    ("第一党支部", "王书记、李主任"),
    ("第二党支部", "赵书记"),
]
EXAMPLE_NAMES = {
    "第一党支部": ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"),
    "第二党支部": ("赵敏", "黄强", "周杰", "吴霞", "徐明", "孙丽", "马超"),
}
# What each sheet asks, in the clerk's words; 说明 lists only the sheets a scheme really has.
GUIDE_TEXT = {
    "设置": "组织名称、期次（如2026Q4、2026H2）、周期；五星需突出表现填“是”时，达到最高星级但未标记突出表现者降一星。"
           "公示内容填“星级”（默认，只公示星级）或“星级和得分”；公示开始、公示结束填日期，结束须在开始之后至少“公示天数”天（默认3天）；"
           "申诉方式写明向谁、以何种方式提出异议（留空则为向组织名称书面或当面反映）；免收表单填确实无法收回、经批准不再等待的表单编号，用顿号分隔。"
           "计票规则（不填即不用）：星级名额如“5星:5%；4星:1/3”（按参评人数向下取整，名额外的降一星，并列规则如“领导点评平均分高者优先”）；"
           "废票规则填“全满分”（对全部被评人各项打满分）和/或“超名额”（达最高星级分数线的人数超过名额），废票计入回收但不计分；"
           "去掉最高最低分填“是”（同一评价主体不少于5人评分时去掉一个最高分和一个最低分）或起去人数（不小于3的整数）。",
    "测评项目": "每行一个测评项目：指标体系、类别、项目编号、项目内容、满分（正整数）。可加一列“简称”（2至4字），"
             "印在多人测评表的窄列表头上；不填则取项目内容的前四个字。",
    "评价主体": "对象“党员”为评星，“支部”为授旗；权重为百分数，同一对象合计须为100；评价人：本人、本支部其他党员、领导、代表（填人数）"
             "，授旗另有支部、上级。",
    "星级标准": "每行一个星级：下限含、上限不含，须无缝覆盖0至100。",
    "模范星": "每行一颗星：星名、指标体系、类别（该星对应的测评类别）、门槛（该类别加权得分达到满分的比例，如0.9）。",
    "授旗规则": "授旗用的指标体系、名额、最低分、满意率下限（如0.85，留空不设）、满意答案（计入满意率的答案，顿号分隔）、"
             "并列规则（“某类别小计高者优先；满意率高者优先”）、旗名（如XX先锋旗，结果工作簿的排名表以此命名）。",
    "党员之星": "名额（全范围评选的人数）、范围、并列规则（“某评价主体平均分高者优先”，分号分隔）。",
    "支部": "每个支部一行；领导点评人用顿号分隔。",
    "党员名册": "每名党员一行：所在支部须在支部表中，编号不得重复；突出表现填“是”或留空。",
    ADJUSTMENTS: "测评汇总后的增星、摘星、降级、撤旗、更正（含申诉后的更正），每条一行：对象填党员编号或支部名称；"
                 "新值：增星/摘星填星数（留空为1）或星名，降级填降后的星级，更正填正确的星级、星名或“授旗/不授旗”，撤旗留空；"
                 "理由和批准人必填；同一对象的同一结果只能有一条。未执行的调整列入结果的“问题清单”和“调整记录”。",
}


def guide_rows(sheet_names) -> list[tuple[str, str]]:
    """The 说明 sheet: one line per sheet the scheme has, in its order, then what to run."""
    rows = [("工作表", "怎么填")]
    rows += [(name, GUIDE_TEXT[name]) for name in sheet_names if name in GUIDE_TEXT]
    return rows + [("", "改完后运行：xlflag check 方案.xlsx")]


def example_roster(sheets: dict) -> list[tuple]:
    """One branch per member criteria set (S3: an agency branch and an enterprise branch);
    with several sets, the last member of the first branch is non-party staff (S3)."""
    member_sets = [s for s in dict.fromkeys(row[0] for row in sheets[CRITERIA][1:]) if s != FLAG_SET]
    with_set = len(member_sets) > 1
    header = ("支部", "编号", "姓名", "突出表现") + (("指标体系", "人员类别") if with_set else ())
    rows, n = [header], 0
    for b, (branch, names) in enumerate(EXAMPLE_NAMES.items()):
        for k, name in enumerate(names):
            n += 1
            row = (branch, f"M{n:03d}", name, "是" if k == 1 else "")
            staff_type = "机关非党在编" if with_set and b == 0 and k == len(names) - 1 else "党员"
            rows.append(row + ((member_sets[b % len(member_sets)], staff_type) if with_set else ()))
    return rows


def template_sheets(name: str) -> dict[str, list[tuple]]:
    sheets = {GUIDE: []} | preset(name)
    sheets[BRANCHES] = EXAMPLE_BRANCHES
    sheets[ROSTER] = example_roster(sheets)
    sheets[ADJUSTMENTS] = sheets.pop(ADJUSTMENTS)  # last: filled after scoring
    sheets[GUIDE] = guide_rows(sheets)
    return sheets


def write_scheme_workbook(sheets: dict[str, list[tuple]], target: Path) -> Path:
    """A scheme workbook a clerk can edit: bold headers, widths, 是/否 dropdowns."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        _style(ws)
    with atomic_path(Path(target)) as tmp:
        wb.save(tmp)
    return Path(target)


def _style(ws) -> None:
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center")
    widths = {}
    for col in ws.columns:
        widths[col[0].column] = fit_width([c.value for c in col], 11, least=8, most=70)
        ws.column_dimensions[col[0].column_letter].width = widths[col[0].column]
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):  # long texts (说明, 项目内容) wrap in rows tall enough for them
        # LibreOffice and WPS wrap CJK text about a tenth sooner than Excel: measure narrower
        cells = [(c.value, width_pt(widths[c.column]) * 0.88) for c in row if c.value is not None]
        if any(text_pt(str(v)) > w for v, w in cells):
            for c in row:
                c.alignment = wrap
            ws.row_dimensions[row[0].row].height = row_height([(str(v), w) for v, w in cells])
    ws.freeze_panes = "A2"
    if ws.title == ROSTER:
        yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        yes_no.add(f"D2:D{max(ws.max_row, 2) + 200}")
        ws.add_data_validation(yes_no)


def main(out: Path | None = None) -> None:
    """Rebuild templates_xlsx/<preset>.xlsx and the samples' schemes (samples/<preset>/方案.xlsx)."""
    root = PACKAGE_DIR.parent
    out = Path(out) if out else root / "templates_xlsx"
    for name in preset_names():
        print(write_scheme_workbook(template_sheets(name), out / f"{name}.xlsx"))
        sample = root / "samples" / name
        sample.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / f"{name}.xlsx", sample / "方案.xlsx")
        if not (sample / "xlflag.key").exists():  # the sample's key is fixed: reruns are identical
            (sample / "xlflag.key").write_text(secrets.token_hex(32) + "\n", encoding="ascii")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
