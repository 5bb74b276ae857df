"""A synthetic county shaped like S4 (富民县): the scale benchmark's and the scale test's input.

387 branches of 3–40 members (mean ≈ 23, ≈ 9,000 members), 2 leaders and 5 staff
representatives per branch, 3 county leaders rating the flag; the s4 preset's scheme with this
roster. Everything comes from one seed, so a size always gives the same county.

``fill_fast`` types scores the way a rater's program stores them — a number in each score cell of
the sheet XML — by patching the form's zip directly: the file stays a valid .xlsx that Excel and
LibreOffice open, at a fraction of an openpyxl load and save.
"""
from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

from .core import layout as L
from .core.formplan import PlannedForm, form_layout_of
from .core.model import Scheme
from .edge.files import atomic_path
from .scheme.templates import template_sheets, write_scheme_workbook

COUNTY_BRANCHES = 387
SEED = 387
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鑫波斌宇浩凯健俊帆帅旭宁龙林欣佳琳瑶雪慧倩婷颖晨辉鹏飞"


def county_sheets(branches: int = COUNTY_BRANCHES, seed: int = SEED) -> dict[str, list[tuple]]:
    """The s4 preset's scheme sheets with a county roster of ``branches`` branches."""
    rng = random.Random(seed)
    sheets = {name: list(rows) for name, rows in template_sheets("s4").items()}
    branch_rows, roster = [("支部名称", "领导点评人")], [("支部", "编号", "姓名", "突出表现")]
    number = 0
    for b in range(1, branches + 1):
        name = f"第{b:03d}党支部"
        branch_rows.append((name, f"{rng.choice(_SURNAMES)}书记{b}、{rng.choice(_SURNAMES)}委员{b}"))
        for _ in range(round(rng.triangular(3, 40, 27))):
            number += 1
            person = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
            roster.append((name, f"M{number:05d}", person, "是" if rng.random() < 0.05 else ""))
    sheets["支部"], sheets["党员名册"] = branch_rows, roster
    rules = [row for row in sheets["授旗规则"] if row[0] != "点评领导"]
    sheets["授旗规则"] = rules + [("点评领导", "县委书记、县长、组织部长")]
    return sheets


def write_county_scheme(folder: Path, branches: int = COUNTY_BRANCHES, seed: int = SEED) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_scheme_workbook(county_sheets(branches, seed), folder / "方案.xlsx")


_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?)/>')


def fill_fast(scheme: Scheme, form: PlannedForm, source: Path, target: Path, seed: int = SEED) -> int:
    """A rater's return of ``source`` at ``target``: every score typed (and 满意度 chosen).

    Scores are repeatable: mostly full marks, each ratee with their own strictness. Returns the
    number of score cells typed.
    """
    values = _answers(scheme, form, seed)
    raw = Path(source).read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        part = _form_part(zin)
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == part:
                body = _CELL.sub(lambda m: _typed(m, values), body)
            # a fresh entry: the same parts give the same file, whoever zipped the form
            zout.writestr(zipfile.ZipInfo(info.filename, info.date_time), body, compress_type=zipfile.ZIP_DEFLATED)
    with atomic_path(Path(target)) as tmp:
        tmp.write_bytes(out.getvalue())
    return sum(isinstance(v, int) for v in values.values())


def _answers(scheme: Scheme, form: PlannedForm, seed: int) -> dict[bytes, object]:
    ident = form.identity
    lay = form_layout_of(scheme, ident)
    rng = random.Random(f"{seed}|{ident.form_id}")
    values: dict[bytes, object] = {}
    for n, ratee in enumerate(ident.ratees):
        strictness = 1 + random.Random(f"{seed}|{ratee}").randrange(5)  # 1: always full marks
        for item in scheme.items_of(ident.criteria_set):
            cell = L.cell_name(*lay.score_cell(n, item.code)).encode()
            values[cell] = max(0, item.maximum - rng.randrange(strictness))
        if lay.answer_cell(n):
            values[L.cell_name(*lay.answer_cell(n)).encode()] = rng.choice(("满意", "满意", "基本满意", "不满意"))
    return values


def _typed(match: re.Match, values: dict[bytes, object]) -> bytes:
    ref, attrs = match.group(1), match.group(2)
    value = values.get(ref)
    if value is None:
        return match.group()
    if isinstance(value, int):
        return b'<c r="%s"%s><v>%d</v></c>' % (ref, attrs, value)
    return b'<c r="%s"%s t="inlineStr"><is><t>%s</t></is></c>' % (ref, attrs, value.encode())


def _form_part(zf: zipfile.ZipFile) -> str:
    from .ingest.xlsx_scan import sheet_parts

    return sheet_parts(zf)[L.FORM_SHEET]
