"""The form layout on paper: which orientation a form gets, and the size its text prints at.

The printed size is the font size times the scale "fit to one page wide" applies; the render
test (test_render.py) measures the same thing from LibreOffice's PDF.
"""
from __future__ import annotations

import openpyxl
import pytest
from preset_kit import sized_s2, sized_sheets

from xlflag import api
from xlflag.core import layout as L
from xlflag.core import textfit as T
from xlflag.core.formplan import form_layout_of, plan_forms, ratee_labels
from xlflag.core.model import Item
from xlflag.scheme.key import create_key, load_key


def test_excel_column_widths_in_points():
    # Excel's default column, 8.43 characters, is 64 px = 48 pt; width 10 is 75 px
    assert T.width_px(8.43) == 64 and T.width_pt(8.43) == 48.0
    assert T.width_px(10) == 75


def test_fit_scale_is_the_whole_percent_fit_to_width_gives():
    # landscape A4 842 pt less 0.4 in + 0.4 in of margins (57.6 pt) = 784.4 pt printable;
    # 800 pt of columns are laid out 6.5 % wider: 852 pt → 784.4 / 852 = 0.9206 → 92 %
    assert T.fit_scale(800, True, (0.4, 0.4)) == 0.92
    # portrait 595 − 57.6 = 537.4 pt: 500 pt × 1.065 = 532.5 fits, no shrinking
    assert T.fit_scale(500, False, (0.4, 0.4)) == 1.0


def test_wrapped_lines_and_row_height():
    # 10 CJK characters of 10 pt in a cell 60 pt wide (less 5.75 pt padding): 5 a line → 2 lines
    assert T.line_count("一二三四五六七八九十", 60, 10) == 2
    # 2 lines × 10 pt × 1.3 + 3 pt padding = 29 pt
    assert T.row_height([("一二三四五六七八九十", 60)], 10) == 29
    # 50 pt wide: 44.25 pt of room, 4 characters a line; "。" may not start a line, so 四 goes
    # down with it: 一二三 / 四。五六 / 七 — three lines, where a plain count gives two
    assert T.line_count("一二三四。五六七", 50, 10) == 3


def test_a_sheet_fitted_to_its_cells():
    cells = [
        # a header in a column of 7: its line 领导点评 (4 × 11 pt = 44 pt) needs 44 + 5.75 pt of
        # padding = 66.3 px → (66.3 − 5) / 7 = 8.76 → 8.8 characters; its two lines print at
        # 2 × 11 pt × 1.46 + 3 = 35.1 → 36 pt, more than the 32 set
        (2, 5, 2, 5, "领导点评\n人数", 11, True),
        # a wrapped note in a column of 20 (145 px = 108.75 pt): LibreOffice wraps it across
        # 108.75 × 1.035 = 112.6 pt, 10 characters a line; 30 characters → 3 lines × 16.06 pt
        # + 3 pt = 51.2 → 52 pt; it does not widen column 7
        (4, 7, 4, 7, "一" * 30, 11, True),
        # 100.00 takes 6 × 6.6 = 39.6 pt: Excel's default 8.43 (48 pt) holds it
        (4, 6, 4, 6, "100.00", 11, False),
        # a 16 pt title of 10 characters (160 pt) merged over columns 0–1 (2 × 48 pt): the last
        # column takes the 64 pt missing: 48 + 64 = 112 pt → (112 + 5.75) / 0.75 = 157 px →
        # 21.71 → 21.8 characters; one 16 pt line prints at 16 × 1.46 + 3 = 26.4 → 27 pt
        (0, 0, 0, 1, "一二三四五六七八九十", 16, False),
    ]
    widths, heights = T.fit_cells(cells, {5: 7, 7: 20}, {2: 32})
    assert widths == {5: 8.8, 1: 21.8}
    assert heights == {4: 52, 0: 27, 2: 36}


def test_printed_lines_are_libreoffice_s():
    # measured from LibreOffice's PDF: 16 CJK characters of 11 pt (176 pt) on one line of a column
    # of 33 (177 pt): 177 × 1.035 = 183.2 pt of room; the forms' count (Excel's padding,
    # 171.25 pt of room) breaks after 15
    assert (T.printed_lines("一" * 16, 177, 11), T.line_count("一" * 16, 177, 11)) == (1, 2)
    # 30 pt of Latin and digits less than the room never adds a line
    assert T.printed_lines("RETURN_ROWS_CHANGED", 177, 11) == 1


def _item(code: str, text: str, short: str = "") -> Item:
    return Item("党员", "类", code, text, 5, short)


def test_short_label_is_the_schemes_or_the_wordings_first_four_characters():
    assert L.short_label(_item("1.1", "积极参加党支部组织的各项学习活动")) == "积极参加"
    assert L.short_label(_item("1.2", "“八荣八耻”，树立")) == "八荣八耻"  # punctuation skipped
    assert L.short_label(_item("1.3", "很长的内容", short="学习")) == "学习"


@pytest.fixture(scope="module", params=["s1", "s2", "s3", "s4", "s5"])
def preset_forms(request, tmp_path_factory):
    path = api.init_scheme(request.param, tmp_path_factory.mktemp(request.param))
    scheme = api.load_scheme(path)
    create_key(path)  # as init does
    return scheme, plan_forms(scheme, load_key(path))


def test_every_preset_form_prints_at_9_pt_or_more(preset_forms):
    scheme, forms = preset_forms
    for form in forms:
        lay = form_layout_of(scheme, form.identity)
        assert lay.printed_pt >= T.MIN_PRINTED_PT, (form.form_id, lay.printed_pt)


def test_items_as_rows_while_they_print_at_9_pt_else_people_as_rows_with_a_legend(preset_forms):
    scheme, forms = preset_forms
    for form in forms:
        lay = form_layout_of(scheme, form.identity)
        labels, answers = ratee_labels(scheme, form.identity), scheme.flag.answers if scheme.flag else ()
        # what items as rows would print at, portrait and landscape
        portrait, landscape = (L.printed_size(L.items_columns(lay.items, labels, answers, wide), wide)
                               for wide in (False, True))
        if lay.orientation == L.ITEMS_AS_ROWS:
            assert not lay.legend and lay.printed_pt >= T.MIN_PRINTED_PT
            assert not lay.landscape or portrait < T.MIN_PRINTED_PT  # portrait where it fits
        else:
            assert landscape < T.MIN_PRINTED_PT
            # every item's full wording is in a legend under the people of each printed page
            # (one page, or pages of people each closed by a legend and a page break)
            blocks = lay.ratee_blocks()
            assert len(lay.page_breaks) == len(blocks) - 1
            for k, block in enumerate(blocks):
                last = lay.ratee_row(block[-1])
                end = lay.page_breaks[k] if k < len(lay.page_breaks) else lay.last_row
                wording = " ".join(line.text for line in lay.legend if last + 1 < line.row <= end)
                assert all(f"{i.code} {i.text}" in wording for i in lay.items)


TWENTY = tuple(Item("党员", f"带头学习提高{c}", f"{c}.{i}", "积极参加党支部组织的各项学习活动", 5, "")
               for c in range(1, 6) for i in range(1, 5))


@pytest.mark.parametrize("people, orientation, landscape, printed", [
    # columns 类别 8 (61 px = 45.75 pt), 编号 and 满分 4.6 (37 px = 27.75 pt), a score column of 8
    # (45.75 pt) per person, and the wording takes what portrait A4 (537.4 pt, laid out 6.5 %
    # wider: 504.6 pt) leaves, at least 20 (145 px = 108.75 pt):
    # 7 people: 101.25 + 320.25 + 108.75 = 530.25 pt × 1.065 = 564.7 → 537.4 / 564.7 → 95 % → 9.5 pt
    (7, L.ITEMS_AS_ROWS, False, 9.5),
    # 8: 575.9 × 1.065 → 87 % → 8.7 pt portrait; landscape (784.4 pt) leaves the wording 49.3:
    # 467.25 + 262.5 = 729.75 × 1.065 = 777.2 ≤ 784.4 → 100 %
    (8, L.ITEMS_AS_ROWS, True, 10.0),
    # 13 in landscape: 101.25 + 594.75 + 108.75 = 804.75 × 1.065 = 857.1 → 91 % → 9.1 pt
    (13, L.ITEMS_AS_ROWS, True, 9.1),
    # 14: 850.5 × 1.065 = 905.8 → 86 % → 8.6 pt even in landscape: people as rows
    (14, L.PEOPLE_AS_ROWS, True, 9.3),
    (30, L.PEOPLE_AS_ROWS, True, 9.3),
])
def test_the_layout_is_chosen_by_the_size_it_prints_at(people, orientation, landscape, printed):
    lay = L.form_layout(TWENTY, [(f"M{n:03d}", "欧阳明") for n in range(people)])
    assert (lay.orientation, lay.landscape, lay.printed_pt) == (orientation, landscape, printed)


def test_a_short_name_from_the_scheme_heads_the_column(tmp_path):
    sheets = sized_sheets({"第一党支部": 15})  # peer forms rate 14: people as rows
    head, *rows = sheets["测评项目"]
    sheets["测评项目"] = [head + ("简称",)] + [r + (("学习",) if r[2] == "1.1" else ("",)) for r in rows]
    written = api.make_forms(sized_s2(tmp_path, {}, sheets), tmp_path / "out")
    ws = openpyxl.load_workbook(tmp_path / "out" / "第一党支部" / "互评" / "赵伟.xlsx")["测评表"]
    heads = [c.value for c in ws[5] if c.value]
    assert "1.1\n学习\n5分" in heads  # given
    assert "1.2\n注重联系\n5分" in heads  # derived
    assert len(written.forms) == 15 + 15 + 1 + 5


KEPT = (L._items_landscape, L._items_widths, L._items_layout, L._people_layout, L._person_height)


def _afresh(items, labels, with_answer=False, answers=()):
    """Both layouts of a form worked out with nothing kept from earlier forms."""
    for kept in KEPT:
        kept.cache_clear()
    chosen = L.form_layout(items, labels, with_answer, answers)
    return chosen, L.other_layout(items, labels, with_answer, answers, chosen)


def test_a_layout_kept_from_forms_of_the_same_shape_is_the_one_worked_out_afresh():
    # Forms of one shape share what the items and the number of people decide; what the names
    # and codes decide (their columns' widths, a name wrapped to two lines, the pages that
    # taller rows need) is measured per form. Each form below differs from the one before in
    # one of those only, so a layout kept for the wrong key would be handed to the next form.
    names = ["欧阳明", "李四", "王五"]

    def people(n, name=None, code="M"):
        return [(f"{code}{k:03d}", name or names[k % 3]) for k in range(n)]

    forms = [
        (TWENTY, people(1), False, ()),
        (TWENTY, people(1, "诸葛孔明司马仲达"), False, ()),  # wider than a score column of 8
        (TWENTY, people(7), False, ()),
        (TWENTY, people(7, code="PARTY-MEMBER-"), False, ()),  # codes widen every score column
        (TWENTY, people(8), False, ()),
        (TWENTY, people(2), True, ("满意", "基本满意", "不满意")),
        (TWENTY, people(14), False, ()),
        (TWENTY, people(14, "欧阳明明明"), False, ()),  # a wider 名称 column
        (TWENTY, people(14, "诸葛孔明司马仲达欧阳明"), False, ()),  # wraps: taller rows
        (TWENTY, people(13) + [("M999", "诸葛孔明司马仲达欧阳明")], False, ()),  # one taller row
        (TWENTY, people(14, code="MEMBER-0000"), False, ()),  # a wider 编号 column
        (TWENTY, people(40), False, ()),  # pages of people
        (TWENTY, people(39) + [("M999", "诸葛孔明司马仲达欧阳明")], False, ()),
        (TWENTY[:6], people(14), False, ()),
        (TWENTY[:6], people(30), True, ("满意", "不满意")),
    ]
    fresh = [_afresh(*form) for form in forms]
    for _ in range(2):  # in order, then in reverse, everything kept from the forms before
        for form, want in zip(forms, fresh):
            chosen = L.form_layout(*form)
            assert (chosen, L.other_layout(*form, chosen)) == want
        forms, fresh = forms[::-1], fresh[::-1]
    # the forms really differ where the names decide, or the test proves nothing
    assert len({repr(lay) for lay, _ in fresh}) == len(forms)


@pytest.mark.parametrize("people, orientation", [(3, L.ITEMS_AS_ROWS), (40, L.PEOPLE_AS_ROWS)])
def test_a_ratees_score_cells_are_its_score_cell_for_every_item(people, orientation):
    lay = L.form_layout(TWENTY, [(f"M{n:03d}", "欧阳明") for n in range(people)])
    for n in range(people):
        assert lay.ratee_score_cells(n) == [lay.score_cell(n, i.code) for i in TWENTY]
    assert lay.orientation == orientation and (people == 3 or lay.ratee_rows)  # 40 people: paged
