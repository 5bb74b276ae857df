"""The 简报 (bulletin) as a .docx: heading, a summary built from the numbers (with the change since
the previous period once the archive holds one), the star distribution per branch, the named
stars, the flag ranking, the change per branch, and the same two charts as images (``charts``).

Page: GB/T 9704-2012 — A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; title 22 pt
(2号) 方正小标宋简体, headings 16 pt 黑体, body 16 pt (3号) 仿宋, tables 12 pt (小四) so nine
columns fit 156 mm; page numbers "— 1 —" in 14 pt (4号) 宋体. Word takes a Chinese face only from
the run's w:eastAsia font attribute, so every run sets it (``_font``). Where 方正小标宋简体 is not
installed Word and WPS substitute 宋体. Nothing in it names a rater.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..core.adjustments import Adjusted
from ..core.awards import BranchResult
from ..core.change import CHANGE_HEADERS, PeriodChange
from ..core.model import Scheme
from ..core.notice import level_text
from ..edge.files import FIXED_CREATED, atomic_path
from .charts import Chart, cjk_font, ranking_chart, stars_chart
from .notice import BODY_FONT, PAGE_FONT, TITLE_FONT

HEADING_FONT = "黑体"
NO_FONT_NOTE = "（本机未找到含全部汉字的中文字体，图表从略；安装 fonts-noto-cjk 或黑体后重新生成。）"


@dataclass(frozen=True)
class BulletinData:
    scheme: Scheme
    adjusted: Adjusted
    branches: list[BranchResult]  # the flag ranking as scored
    expected: int  # forms planned
    accepted: int  # forms counted
    change: PeriodChange | None = None  # since the previous period in the archive, if any


@dataclass(frozen=True)
class Bulletin:
    path: Path
    charts: list[Chart]
    font: str | None  # the CJK face the charts were drawn with


# -- the numbers -------------------------------------------------------------------------------------

def levels_of(scheme: Scheme) -> list[int | None]:
    """Star levels high to low, then 暂缺 (no score)."""
    return sorted({b.stars for b in scheme.bands}, reverse=True) + [None]


def distribution(data: BulletinData) -> dict[str, dict[int | None, int]]:
    """branch → final star level → members."""
    table = {b.name: {level: 0 for level in levels_of(data.scheme)} for b in data.scheme.branches}
    for o in data.adjusted.members:
        table[o.result.member.branch][o.stars] = table[o.result.member.branch].get(o.stars, 0) + 1
    return table


def ranking(data: BulletinData) -> list[BranchResult]:
    return sorted(data.branches, key=lambda b: (b.position is None, b.position or 0))


def summary(data: BulletinData) -> str:
    s = data.scheme.settings
    share = f"{data.accepted / data.expected:.1%}" if data.expected else "—"
    parts = [f"{s.organisation}{s.period_label}授旗评星工作已经完成。本期应收测评表{data.expected}份，"
             f"收回并计分{data.accepted}份，回收率{share}。"]
    members = data.adjusted.members
    if data.scheme.bands:
        counts = {level: sum(o.stars == level for o in members) for level in levels_of(data.scheme)}
        shown = "、".join(f"{level_text(level)}{n}名" for level, n in counts.items() if n and level is not None)
        parts.append(f"参加评星党员{len(members)}名，评定{shown or '无'}" + (f"，{counts[None]}名评分不全暂缺" if counts[None] else "") + "。")
    named = named_stars(data)
    if named:
        parts.append("获评" + "、".join(f"{star}{len(who)}名" for star, who in named.items()) + "。")
    if data.scheme.flag:
        flag = data.scheme.flag.flag_name
        winners = data.adjusted.flag_winners()
        ranked = [f"{b.branch}（{b.total}分）" for b in ranking(data) if b.total is not None]
        parts.append(f"{flag}由{'、'.join(winners)}获得。" if winners else f"本期{flag}空缺。")
        if ranked:
            parts.append("综合得分排名前两位：" + "、".join(ranked[:2]) + "。")
    if data.change:
        parts.append(data.change.sentence)
    return "".join(parts)


def named_stars(data: BulletinData) -> dict[str, list[tuple[str, str]]]:
    """star name → (name, branch) of each member holding it after the 调整, in roster order."""
    named: dict[str, list[tuple[str, str]]] = {}
    for o in data.adjusted.members:
        for star in o.named:
            named.setdefault(star, []).append((o.result.member.name, o.result.member.branch))
    return named


def make_charts(data: BulletinData) -> tuple[list[Chart], str | None]:
    scheme = data.scheme
    branches = [b.name for b in scheme.branches]
    s = scheme.settings
    texts = "".join(branches) + "".join(level_text(level) for level in levels_of(scheme)) + "人数综合得分星级分布排名"
    texts += s.organisation + s.period_label + (scheme.flag.flag_name if scheme.flag else "")
    font = cjk_font(texts)
    if font is None:
        return [], None
    charts = []
    if scheme.bands:
        table = distribution(data)
        counts = {level_text(level): [table[b][level] for b in branches] for level in levels_of(scheme)}
        charts.append(stars_chart(font, f"{s.period_label}各支部星级分布", branches, counts))
    ranked = [b for b in ranking(data) if b.total is not None]
    if scheme.flag and ranked:
        title = f"{s.period_label}“{scheme.flag.flag_name}”综合得分排名"
        charts.append(ranking_chart(font, title, [b.branch for b in ranked], [float(b.total) for b in ranked],
                                    set(data.adjusted.flag_winners())))
    return charts, font.family


# -- the document --------------------------------------------------------------------------------------

def _font(run, face: str, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name, run.font.size, run.font.bold = face, Pt(size), bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), face)


def _paragraph(doc, text: str, face=BODY_FONT, size=16, bold=False, align=None, indent=True):
    from docx.shared import Pt

    p = doc.add_paragraph()
    _font(p.add_run(text), face, size, bold)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(29)  # 22 lines to the 225 mm text block
    return p


TEXT_WIDTH_MM = 156  # A4 210 mm less the 28 mm and 26 mm margins


def _table(doc, headers: list[str], rows: list[list[str]]) -> None:
    """A 小四 table across the text width, shared between the columns in proportion to their
    longest text (12 pt ≈ 4.3 mm a character), so a branch name stays on one line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    need = [min(max(len(str(v)) for v in column) * 4.3 + 4, 100) for column in zip(headers, *rows)]  # long lists wrap
    scale = TEXT_WIDTH_MM / sum(need)  # the text width, shared in proportion to what each needs
    for c, column in enumerate(table.columns):  # the grid (LibreOffice reads it) and each cell (Word)
        column.width = Mm(need[c] * scale)
    for r, values in enumerate([headers, *rows]):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.width = Mm(need[c] * scale)
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(p.add_run(str(value)), HEADING_FONT if r == 0 else BODY_FONT, 12)


def _page_number(section) -> None:
    """Footer "— PAGE —", centred, 4号 宋体."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), PAGE_FONT, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number = p.add_run("1")
    _font(number, PAGE_FONT, 14)
    field.append(number._element)
    p._p.append(field)
    _font(p.add_run(" —"), PAGE_FONT, 14)


def write_bulletin(data: BulletinData, target: Path) -> Bulletin:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    scheme, s = data.scheme, data.scheme.settings
    doc = Document()
    doc.core_properties.created = doc.core_properties.modified = FIXED_CREATED
    doc.core_properties.title = title = f"{s.organisation}{s.period_label}授旗评星工作简报"
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number(section)
    _paragraph(doc, title, TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, summary(data))
    charts, font = make_charts(data)
    by_title = {c.title: c for c in charts}
    numbers = iter("一二三四五六")

    def heading(text: str) -> None:
        _paragraph(doc, f"{next(numbers)}、{text}", HEADING_FONT, 16, indent=False)

    if scheme.bands:
        heading("各支部星级分布")
        levels = levels_of(scheme)
        table = distribution(data)
        rows = [[b, *(table[b][level] for level in levels), sum(table[b].values())] for b in table]
        _table(doc, ["支部", *(level_text(level) for level in levels), "合计"], rows)
        _chart(doc, by_title.get(f"{s.period_label}各支部星级分布"))
    named = named_stars(data)
    if named:
        heading("获评名单")
        _table(doc, ["称号", "人数", "姓名（支部）"],
               [[star, len(who), "、".join(f"{name}（{branch}）" for name, branch in who)] for star, who in named.items()])
    if scheme.flag:
        heading(f"“{scheme.flag.flag_name}”评比排名")
        winners = set(data.adjusted.flag_winners())
        rows = [[b.position or "—", b.branch, "—" if b.total is None else f"{b.total:.2f}", "授旗" if b.branch in winners else ""]
                for b in ranking(data)]
        _table(doc, ["排序", "支部", "综合得分", "结果"], rows)
        _chart(doc, by_title.get(f"{s.period_label}“{scheme.flag.flag_name}”综合得分排名"))
    if data.change:
        heading(f"与{data.change.previous}相比")
        _table(doc, list(CHANGE_HEADERS), [list(row) for row in data.change.rows])
    if font is None:
        _paragraph(doc, NO_FONT_NOTE, size=14)
    _paragraph(doc, s.organisation, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    with atomic_path(Path(target)) as tmp:
        doc.save(str(tmp))
    return Bulletin(Path(target), charts, font)


def _chart(doc, chart: Chart | None) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    if chart is None:
        return
    from docx.shared import Pt

    doc.add_picture(io.BytesIO(chart.png), width=Mm(150))
    p = doc.paragraphs[-1]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.space_before = Pt(8)  # clear of the table above
