"""A people-as-rows form too long for one page: pages of people, each with every item's wording
under them, and read back cell for cell (ingest takes the rows from the same layout).

A branch of fifteen (the s2 example's items, members M001 … M015): its leader's form rates
fifteen, people as rows on A4 landscape at 93 %. Five fit on the first page under the title rows
and the legend, eight on the second (no title rows above them), the last two on the third, each
page under the header rows again. The other branch has five: its leader's form lists the items
as rows (five score columns, portrait); both come back through a LibreOffice re-save.
"""
from __future__ import annotations

import pytest
from preset_kit import sized_s2

from xlflag import api
from xlflag.core.formplan import form_layout_of
from xlflag.demo import fill_form
from xlflag.edge.libreoffice import convert, convert_many, find_soffice
from xlflag.ingest.returns import ACCEPTED

pymupdf = pytest.importorskip("pymupdf")
needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")


@pytest.fixture(scope="module")
def leader_form(tmp_path_factory):
    root = tmp_path_factory.mktemp("paged")
    scheme_path = sized_s2(root / "s", {"第一党支部": 15, "第二党支部": 5})
    written = api.make_forms(scheme_path, root / "out")
    scheme = api.load_scheme(scheme_path)
    form, path = next((f, p) for f, p in written.forms if f.group_name == "领导点评" and f.rater_name == "王书记")
    small = next((f, p) for f, p in written.forms if f.group_name == "领导点评" and f.rater_name == "书记2")
    return root, scheme_path, scheme, form, path, small


def test_the_sixth_person_is_on_page_two_with_the_wording_again(leader_form):
    _, _, scheme, form, _, _ = leader_form
    lay = form_layout_of(scheme, form.identity)
    assert [list(b) for b in lay.ratee_blocks()] == [[0, 1, 2, 3, 4], list(range(5, 13)), [13, 14]]
    # rows 6–10, the spacer 11, the legend 12–26 and a page break; the next eight on rows 27–34,
    # the spacer 35, the legend 36–50 and a break; the last two on rows 51 and 52
    assert lay.ratee_rows == (6, 7, 8, 9, 10, *range(27, 35), 51, 52) and lay.page_breaks == (26, 50)
    assert lay.ratee_cells(5) == ((27, 2), (27, 3)) and lay.ratee_cells(15) == ((53, 2), (53, 3))


@needs_soffice
def test_each_printed_page_shows_the_wording_of_every_item_it_scores(leader_form):
    root, _, scheme, _, path, _ = leader_form
    doc = pymupdf.open(convert(path, "pdf", root / "pdf"))
    assert len(doc) == 3
    for page, ids in zip(doc, (["M001", "M005"], ["M006", "M013"], ["M014", "M015"])):
        text = page.get_text().replace("\n", "")
        assert all(i in text for i in ids)
        assert all(f"{item.code} {item.text[:8]}" in text for item in scheme.items_of(scheme.members[0].criteria_set))


@needs_soffice
def test_returns_of_either_layout_are_read_cell_for_cell_after_a_libreoffice_save(leader_form):
    root, scheme_path, scheme, form, path, (small, small_path) = leader_form
    assert form_layout_of(scheme, small.identity).orientation == "items_as_rows"
    last = (form.identity.ratees[-1], small.identity.ratees[-1])

    def value_for(identity, ratee, item):  # one point off every item for each form's last person
        return item.maximum - 1 if ratee in last else item.maximum

    returns = root / "returns"
    filled = [fill_form(scheme, p, value_for, root / "filled" / f"{f.rater_name}.xlsx")
              for f, p in ((form, path), (small, small_path))]
    convert_many(filled, "xlsx", returns)  # saved again by LibreOffice, as a rater's office suite does
    done = api.consolidate(scheme_path, returns, root / "汇总结果.xlsx")
    assert [e.status for e in done.intake.ledger] == [ACCEPTED, ACCEPTED]
    totals = {f.identity.rater: {row.ratee: sum(score for _, score in row.scores) for row in f.rows}
              for f in done.intake.accepted}
    # 20 items of 5: 100 for each but the last; 20 × 4 = 80 for the last (M015 on page three of
    # 王书记's form, M020 in the fifth score column of 书记2's)
    assert totals["王书记"] == {f"M{n:03d}": 100 for n in range(1, 15)} | {"M015": 80}
    assert totals["书记2"] == {f"M{n:03d}": 100 for n in range(16, 20)} | {"M020": 80}
