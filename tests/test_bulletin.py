"""The 简报 (.docx): read back — paragraphs, tables, images, East Asian fonts, page — and the
charts' Chinese labels checked for real glyphs in the font that drew them."""
from __future__ import annotations

import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from test_cli import invoke
from test_notice import run  # noqa: F401  (the S1 2026H1 run with the H1 adjustments)

from xlflag.archive.store import ARCHIVE_FILE
from xlflag.publish.charts import cjk_font, font_has

ORG = "丽江市古城区统计局党支部"


@pytest.fixture(scope="module")
def bulletin(run, tmp_path_factory):  # noqa: F811
    target = tmp_path_factory.mktemp("bulletin") / "简报.docx"
    made = invoke("bulletin", run.scheme_path, run.root / "returns", "-o", target)
    assert made.exit_code == 0, made.output
    assert "图表2幅" in made.output
    assert not (run.scheme_path.parent / ARCHIVE_FILE).exists()  # no archive: none is created to compare with
    return target


def test_heading_and_summary_from_the_numbers(bulletin):
    paragraphs = [p.text for p in Document(bulletin).paragraphs if p.text]
    assert paragraphs[0] == f"{ORG}2026年上半年授旗评星工作简报"
    # 26 forms (test_preset_s1), all in. Final levels after the H1 adjustments (test_adjustments):
    # C1 5★, C2 4★+1 = 5★, C3 2★, D1 4★−2 = 2★, D2 降级 1★, D3 1★. The flag was withdrawn (撤旗);
    # the ranking by score stays: 综合股支部 89.60, 业务股支部 85.00.
    assert paragraphs[1] == (
        f"{ORG}2026年上半年授旗评星工作已经完成。本期应收测评表26份，收回并计分26份，回收率100.0%。"
        "参加评星党员6名，评定五星级2名、二星级2名、一星级2名。本期流动红旗空缺。"
        "综合得分排名前两位：综合股支部（89.60分）、业务股支部（85.00分）。")
    assert paragraphs[2:4] == ["一、各支部星级分布", "二、“流动红旗”评比排名"] and paragraphs[-1] == ORG


def test_star_distribution_and_flag_ranking_tables(bulletin):
    stars, ranking = ([[c.text for c in row.cells] for row in t.rows] for t in Document(bulletin).tables)
    assert stars == [
        ["支部", "五星级", "四星级", "三星级", "二星级", "一星级", "暂缺", "合计"],
        ["综合股支部", "2", "0", "0", "1", "0", "0", "3"],
        ["业务股支部", "0", "0", "0", "1", "2", "0", "3"],
    ]
    assert ranking == [["排序", "支部", "综合得分", "结果"], ["1", "综合股支部", "89.60", ""], ["2", "业务股支部", "85.00", ""]]


def test_two_chart_images_and_the_page(bulletin):
    media = [n for n in zipfile.ZipFile(bulletin).namelist() if n.startswith("word/media/")]
    assert len(media) == 2 and all(n.endswith(".png") for n in media)
    doc = Document(bulletin)
    section = doc.sections[0]
    mm = [round(x.mm) for x in (section.page_width, section.page_height, section.top_margin, section.bottom_margin,
                                section.left_margin, section.right_margin)]
    assert mm == [210, 297, 37, 35, 28, 26]
    title = doc.paragraphs[0].runs[0]
    assert title._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体" and title.font.size.pt == 22
    body = doc.paragraphs[1].runs[0]
    assert body._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋" and body.font.size.pt == 16
    assert "PAGE" in section.footer._element.xml


def test_chart_labels_have_real_glyphs():
    labels = "2026年上半年各支部星级分布综合股支部业务股支部五星级人数“流动红旗”综合得分排名"
    font = cjk_font(labels)
    assert font is not None, "no CJK font installed: apt-get install fonts-noto-cjk"
    assert font_has(font.path, labels)
    # the check can fail: matplotlib's own DejaVu Sans has no Chinese, so it would draw boxes
    from matplotlib import font_manager

    dejavu = font_manager.findfont("DejaVu Sans")
    assert font_has(dejavu, "2026") and not font_has(dejavu, "星")


def test_a_rendered_label_is_not_tofu():
    """Draw 星 and 级 with the chosen face, and a character it lacks (drawn as the .notdef box):
    the three bitmaps differ, so the labels are real glyphs, not boxes."""
    from matplotlib.ft2font import FT2Font

    path = cjk_font("星级").path

    def bitmap(char: str) -> bytes:
        face = FT2Font(path)
        face.set_size(48, 72)
        face.set_text(char, 0)
        face.draw_glyphs_to_bitmap()
        return face.get_image().tobytes()

    with pytest.warns(UserWarning, match="missing from font"):  # matplotlib says the box is a box
        box = bitmap("\ue000")  # a private-use code point no CJK face has
    star, level = bitmap("星"), bitmap("级")
    assert any(star) and star != box and level != box and star != level


def test_the_same_charts_natively_in_the_results_workbook(run):  # noqa: F811
    """XlsxWriter charts on 图表, over a table of the final levels per branch."""
    import openpyxl

    names = sorted(n for n in zipfile.ZipFile(run.results).namelist() if n.startswith("xl/charts/chart"))
    assert names == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    chart_xml = zipfile.ZipFile(run.results).read(names[0]).decode()
    assert "<c:barChart>" in chart_xml and 'val="stacked"' in chart_xml and "各支部星级分布" in chart_xml
    ws = openpyxl.load_workbook(run.results)["图表"]
    assert [c.value for c in ws[2]][:3] == ["综合股支部", 2, 0] and [c.value for c in ws[3]][5] == 2  # 业务股 一星级


def test_an_archive_that_cannot_be_read_stops_the_bulletin_in_chinese(run, tmp_path):  # noqa: F811
    """A damaged archive file given with --db: exit 2, what is wrong, no traceback, no 简报."""
    damaged = tmp_path / "档案.sqlite"
    damaged.write_bytes(b"not a database, only text" * 100)
    target = tmp_path / "简报.docx"
    made = invoke("bulletin", run.scheme_path, run.root / "returns", "-o", target, "--db", damaged)
    assert made.exit_code == 2, made.output
    assert "无法访问档案数据库" in made.output and "Traceback" not in made.output
    assert not target.exists()
