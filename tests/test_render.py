"""Every kind of workbook xlflag writes, as LibreOffice prints it, measured from the PDF (PyMuPDF):
no text off the page, no two words drawn over each other, no text across a cell's drawn border
(text cut by its cell, or running out of it), and on forms the smallest text at 9 pt or more.

Forms: every form of the examples rates at most seven, so lists its items as rows: s2's self,
peer (five) and leader (six) forms and s3's 支部自评 flag form print portrait, s3's leader form of
seven landscape. A scheme with a branch of five and one of 31 gives a leader form of five (items
as rows, portrait) and a peer form of thirty (people as rows, landscape, pages of people). The
office's workbooks come from the s4 demo (every sheet of 汇总结果 but 模范星, which s3's demo
adds, with rows in 调整 so 评定结果 and 调整记录 are there too), its 工作底稿, 发放清单, 公示 and
方案, and a 催收名单 written with long texts.
"""
from __future__ import annotations

import bisect
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from preset_kit import sized_s2

from xlflag import api
from xlflag.core.textfit import MIN_PRINTED_PT
from xlflag.demo import run_demo
from xlflag.forms.reissue_list import REISSUE_FILE
from xlflag.edge.libreoffice import convert_many, find_soffice
from xlflag.ingest.tracking import Reminder
from xlflag.results.papers import PAPERS_FILE
from xlflag.results.reminders import write_reminders

pymupdf = pytest.importorskip("pymupdf")
pytestmark = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")

SMALL_LEADER = "小支部/领导点评/王书记.xlsx"  # rates 赵伟 赵芳 赵娜 赵洋 赵静 (M001–M005)
BIG_PEER = "大支部/互评/赵磊.xlsx"  # 赵磊 (M006) rates the other thirty of 大支部
FORMS = {
    "s2": ["第一党支部/自评/张伟.xlsx", "第一党支部/互评/张伟.xlsx", "第一党支部/领导点评/王书记.xlsx"],
    "s3": ["第一党支部/支部自评/第一党支部（自评）.xlsx", "第二党支部/领导点评/赵书记.xlsx"],
    "sized": [SMALL_LEADER, BIG_PEER],
}
SIZES = {"小支部": 5, "大支部": 31}
OFFICE = ["汇总结果", "汇总结果-s3", "工作底稿", "发放清单", "公示", "方案", "催收名单", "档案", "年度汇总", "补发清单"]


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points


@dataclass(frozen=True)
class Span:
    page: int
    size: float
    box: Box
    text: str
    chars: tuple[Box, ...]  # one box per character


@dataclass(frozen=True)
class Borders:
    """A page's drawn cell borders: horizontal ones (y, x0, x1) sorted by y, vertical ones
    (x, y0, y1) sorted by x."""
    across: list[tuple[float, float, float]]
    down: list[tuple[float, float, float]]


@dataclass(frozen=True)
class Rendered:
    pages: list[Box]
    spans: list[Span]
    borders: list[Borders]  # per page


def render(pdf: Path) -> Rendered:
    doc = pymupdf.open(pdf)
    pages, spans, borders = [], [], []
    for n, page in enumerate(doc):
        pages.append(tuple(page.rect))
        for block in page.get_text("rawdict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    text = "".join(c["c"] for c in span["chars"])
                    if text.strip():
                        chars = tuple(tuple(c["bbox"]) for c in span["chars"] if c["c"].strip())
                        spans.append(Span(n, span["size"], tuple(span["bbox"]), text, chars))
        borders.append(_borders(page))
    return Rendered(pages, spans, borders)


def _borders(page) -> Borders:
    """Stroked lines, and rectangles thin enough to be drawn lines."""
    across, down = [], []
    for path in page.get_drawings():
        for item in path["items"]:
            if item[0] == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
            elif item[0] == "re" and min(item[1].width, item[1].height) < 1.5:
                r = item[1]
                x0, y0, x1, y1 = ((r.x0, (r.y0 + r.y1) / 2, r.x1, (r.y0 + r.y1) / 2) if r.width > r.height
                                  else ((r.x0 + r.x1) / 2, r.y0, (r.x0 + r.x1) / 2, r.y1))
            else:
                continue
            if abs(y1 - y0) < 0.5:
                across.append((y0, min(x0, x1), max(x0, x1)))
            elif abs(x1 - x0) < 0.5:
                down.append((x0, min(y0, y1), max(y0, y1)))
    return Borders(sorted(across), sorted(down))


def _between(lines, low: float, high: float):
    """The lines (sorted by their first value) strictly between low and high."""
    return lines[bisect.bisect_right(lines, (low, math.inf, math.inf)):bisect.bisect_left(lines, (high, -math.inf, -math.inf))]


def cut_by_border(span: Span, borders: Borders) -> bool:
    """Whether a drawn border runs through one of the span's characters, not along its edge
    (a glyph's box is larger than its ink: a quarter of it at each edge does not count)."""
    for x0, y0, x1, y1 in span.chars:
        mx, my = 0.25 * (x1 - x0), 0.25 * (y1 - y0)
        if any(min(x1, b) - max(x0, a) > mx for _, a, b in _between(borders.across, y0 + my, y1 - my)):
            return True
        if any(min(y1, b) - max(y0, a) > my for _, a, b in _between(borders.down, x0 + mx, x1 - mx)):
            return True
    return False


def overlapping(spans: list[Span]):
    """Pairs of spans on one page drawn over each other: sharing more than a fifth of the
    smaller one's area (touching line boxes share a sliver). A sweep over x."""
    ordered = sorted(spans, key=lambda s: (s.page, s.box[0]))
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.page != a.page or b.box[0] >= a.box[2]:
                break
            w = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
            h = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
            if w > 0 and h > 0 and w * h > 0.2 * min(_area(a.box), _area(b.box)):
                yield a.text, b.text


def _area(box: Box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


# -- the workbooks ---------------------------------------------------------------------------

ADJUSTMENTS = [
    ("M002", "增星", None, "在重大活动保障工作中表现突出，经支部推荐、党总支审定予以增星", "局党总支", "2026-12-20", None),
    ("M007", "摘星", 1, "未兑现年初作出的公开承诺", "局党总支", "2026-12-20", None),
    ("X99", "增星", None, "表现突出", "局党总支", "2026-12-21", None),  # nobody: listed as not applied
]
LONG_REMINDERS = [
    Reminder("第一党支部", "领导点评", "王书记", "S4-4Q7C-LD-01",
             "第一党支部/领导点评/王书记.xlsx", "未交回"),
    Reminder("第二党支部（含离退休党员及流动党员联系点）", "群众参评", "群众代表3", "S4-4Q7C-QZ-07",
             "第二党支部/群众参评/群众代表3.xlsx",
             "交回的文件未采用：第3行“张伟”第1.2项填写了“五分”，应为0至5的整数；请核对后按原文件重新交回"),
    # 50 characters: two lines of 25 as LibreOffice prints them (Excel's padding would take three)
    Reminder("第三党支部", "互评", "李娜", "S4-4Q7C-HP-03", "第三党支部/互评/李娜.xlsx",
             "交回的文件中有两名被评人的分数全部空白请按原文件把每一项都填上分数后重新交回给支部书记或者办公室的同"),
]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Rendered]:
    """Every workbook below, converted in one LibreOffice run, by name."""
    root = tmp_path_factory.mktemp("render")
    sources = {}
    for preset, rels in FORMS.items():
        out = root / preset / "out"
        scheme = sized_s2(root / preset / "s", SIZES) if preset == "sized" else api.init_scheme(preset, root / preset / "s")
        api.make_forms(scheme, out)
        for rel in rels:
            sources[rel] = out / rel
    s3 = api.consolidate(api.init_scheme("s3", root / "s3-results"), None, root / "s3-results" / "汇总结果.xlsx")
    run = run_demo(root / "s4", "s4")
    wb = openpyxl.load_workbook(run.scheme)
    for row in ADJUSTMENTS:
        wb["调整"].append(row)
    wb.save(run.scheme)
    done = api.archive_commit(run.scheme, run.returns, run.folder / "汇总结果.xlsx").consolidation  # into the archive
    assert done.papers.name == PAPERS_FILE
    scheme = shutil.copyfile(run.scheme, root / "方案.xlsx")  # as consolidated: the roster is edited below
    sources |= {"汇总结果": done.output, "汇总结果-s3": s3.output, "工作底稿": done.papers,
                "发放清单": run.forms / "发放清单.xlsx", "公示": done.notice, "方案": scheme,
                "催收名单": write_reminders(LONG_REMINDERS, root / "催收名单.xlsx"),
                "档案": _written(api.archive_export(root / "档案.xlsx", scheme=run.scheme), root / "档案.xlsx"),
                "年度汇总": _written(api.archive_year(2026, root / "年度汇总.xlsx", scheme=run.scheme), root / "年度汇总.xlsx"),
                "补发清单": _reissued(run.scheme, root / "补发")}
    staged = root / "staged"
    staged.mkdir()
    names = list(sources)
    copies = [Path(shutil.copyfile(sources[name], staged / f"{n}.xlsx")) for n, name in enumerate(names)]
    return {name: render(pdf) for name, pdf in zip(names, convert_many(copies, "pdf", root / "pdf"))}


def _written(done, path: Path) -> Path:
    assert done and path.is_file()  # the period just committed, exported / summed up
    return path


def _reissued(scheme: Path, out: Path) -> Path:
    """补发清单 after a member joins 第一党支部 with a long name: the forms to send again, and why."""
    wb = openpyxl.load_workbook(scheme)
    wb["党员名册"].append(("第一党支部", "M099", "欧阳晓明", None))
    wb.save(scheme)
    assert api.make_forms(scheme, out, reissue=True).forms
    return out / REISSUE_FILE


KINDS = [rel for rels in FORMS.values() for rel in rels] + OFFICE


@pytest.fixture(params=KINDS)
def rendered(request, pdfs) -> Rendered:
    return pdfs[request.param]


# -- the measures ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", [rel for rels in FORMS.values() for rel in rels])
def test_forms_print_their_smallest_text_at_9_pt_or_more(pdfs, name):
    # the office's sheets print one page wide at whatever size that takes; forms never below 9 pt
    smallest = min(s.size for s in pdfs[name].spans)
    assert smallest >= MIN_PRINTED_PT, smallest


def _portrait(page: Box) -> bool:
    return page[2] - page[0] < page[3] - page[1]


def _spans_of(rendered: Rendered, texts) -> list[Span]:
    return [s for s in rendered.spans if s.text.strip() in texts and s.page == 0]


def test_a_leader_form_of_a_five_person_branch_lists_items_as_rows_on_portrait_at_9_pt(pdfs):
    small = pdfs[SMALL_LEADER]
    assert small.pages and all(_portrait(page) for page in small.pages)
    assert min(s.size for s in small.spans) >= MIN_PRINTED_PT
    # the five names head five score columns: side by side on one line, left to right
    names = _spans_of(small, ("赵伟", "赵芳", "赵娜", "赵洋", "赵静"))
    assert [s.text for s in sorted(names, key=lambda s: s.box[0])] == ["赵伟", "赵芳", "赵娜", "赵洋", "赵静"]
    assert max(s.box[1] for s in names) - min(s.box[1] for s in names) < 1
    assert any(s.text.startswith("积极参加党支部") for s in small.spans)  # the wording beside its scores


def test_a_peer_form_of_thirty_lists_people_as_rows_on_landscape_at_9_pt(pdfs):
    big = pdfs[BIG_PEER]
    assert len(big.pages) > 1 and not any(_portrait(page) for page in big.pages)
    assert min(s.size for s in big.spans) >= MIN_PRINTED_PT
    # the first page's people are one under another in the 被评人 column
    names = sorted(_spans_of(big, ("赵敏", "赵强", "赵杰")), key=lambda s: s.box[1])  # M007–M009
    assert [s.text for s in names] == ["赵敏", "赵强", "赵杰"]
    assert max(s.box[0] for s in names) - min(s.box[0] for s in names) < 1


def test_a_wrapped_row_gets_the_lines_it_prints_on_and_no_more(pdfs):
    # 催收名单's third row wraps (its 说明 on two lines): the drawn row holds the most lines a cell
    # of it prints on, with less than half a line to spare (the count with Excel's padding gave
    # three lines of 1.3 × 11 pt: 46 pt, 14 pt to spare; two lines of 16.06 pt now take 36 pt)
    rendered, note = pdfs["催收名单"], LONG_REMINDERS[2].note
    first = next(s for s in rendered.spans if s.page == 0 and s.text.startswith(note[:8]))
    borders = rendered.borders[0]
    across = sorted({round(y, 1) for y, x0, x1 in borders.across if x0 <= first.box[0] <= x1})
    top = max(y for y in across if y <= first.box[1] + 1)
    bottom = min(y for y in across if y >= first.box[3] - 1)
    columns = sorted({round(x, 1) for x, y0, y1 in borders.down if y0 <= first.box[1] <= y1})
    lines: dict[int, dict] = {}  # column → the lines its text is drawn on (top of each)
    for span in rendered.spans:
        if span.page == 0 and top < span.box[1] and span.box[3] < bottom + 1:
            lines.setdefault(bisect.bisect(columns, span.box[0]), {}).setdefault(round(span.box[1]), span.box[1])
    tallest = sorted(max(lines.values(), key=len).values())
    pitch = (tallest[-1] - tallest[0]) / (len(tallest) - 1)
    assert len(tallest) >= 2 and len(tallest) * pitch <= bottom - top + 1 < (len(tallest) + 0.5) * pitch


def test_office_workbooks_print_every_sheet(pdfs):
    # the sheets of s4's results: 汇总 公示 流动红旗 党员之星 评定结果 调整记录 参数 数据 授旗数据
    # 图表 回收情况, each at least one page
    wb = openpyxl.load_workbook(Path(__file__).parent.parent / "samples" / "s4" / "方案.xlsx", read_only=True)
    assert len(pdfs["汇总结果"].pages) >= 11
    assert len(pdfs["方案"].pages) >= len(wb.sheetnames)


def test_no_text_leaves_the_page(rendered):
    outside = [s.text for s in rendered.spans if not _inside(s.box, rendered.pages[s.page])]
    assert outside == []


def _inside(box: Box, page: Box) -> bool:
    return page[0] <= box[0] and page[1] <= box[1] and box[2] <= page[2] and box[3] <= page[3]


def test_no_two_words_are_drawn_over_each_other(rendered):
    assert list(overlapping(rendered.spans)) == []


def test_no_text_runs_across_a_cell_border(rendered):
    cut = [(s.page + 1, s.text) for s in rendered.spans if cut_by_border(s, rendered.borders[s.page])]
    assert cut == []
