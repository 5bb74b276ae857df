"""A people-as-rows form too long for one page: pages of people, each with every item's wording
under them, and read back cell for cell (ingest takes the rows from the same layout).

The s2 example's branches have six members: a leader's form rates six, five fit on the first
page under the title rows, the sixth (杨磊, M006) is on page two under the header rows again.
"""
from __future__ import annotations


import pytest

from xlflag import api
from xlflag.core.formplan import form_layout_of
from xlflag.demo import fill_form
from xlflag.edge.libreoffice import convert, find_soffice
from xlflag.ingest.returns import ACCEPTED

pymupdf = pytest.importorskip("pymupdf")
needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")


@pytest.fixture(scope="module")
def leader_form(tmp_path_factory):
    root = tmp_path_factory.mktemp("paged")
    scheme_path = api.init_scheme("s2", root / "s")
    written = api.make_forms(scheme_path, root / "out")
    scheme = api.load_scheme(scheme_path)
    form, path = next((f, p) for f, p in written.forms if f.group_name == "领导点评" and f.rater_name == "王书记")
    return root, scheme_path, scheme, form, path


def test_the_sixth_person_is_on_page_two_with_the_wording_again(leader_form):
    _, _, scheme, form, _ = leader_form
    lay = form_layout_of(scheme, form.identity)
    assert [list(b) for b in lay.ratee_blocks()] == [[0, 1, 2, 3, 4], [5]]
    # rows 6–10, the spacer 11, the legend 12–26 and a page break; then 杨磊 on row 27
    assert lay.ratee_rows == (6, 7, 8, 9, 10, 27) and lay.page_breaks == (26,)
    assert lay.ratee_cells(5) == ((27, 2), (27, 3)) and lay.ratee_cells(6) == ((28, 2), (28, 3))


@needs_soffice
def test_each_printed_page_shows_the_wording_of_every_item_it_scores(leader_form):
    root, _, scheme, form, path = leader_form
    doc = pymupdf.open(convert(path, "pdf", root / "pdf"))
    assert len(doc) == 2
    for page, ids in zip(doc, (["M001", "M005"], ["M006"])):
        text = page.get_text().replace("\n", "")
        assert all(i in text for i in ids)
        assert all(f"{item.code} {item.text[:8]}" in text for item in scheme.items_of(scheme.members[0].criteria_set))


@needs_soffice
def test_a_return_of_two_pages_is_read_cell_for_cell(leader_form):
    root, scheme_path, scheme, form, path = leader_form
    last = form.identity.ratees[-1]

    def value_for(identity, ratee, item):  # one point off every item for the person on page two
        return item.maximum - 1 if ratee == last else item.maximum

    returns = root / "returns"
    filled = fill_form(scheme, path, value_for, root / "filled" / "王书记.xlsx")
    convert(filled, "xlsx", returns)  # saved again by LibreOffice, as a rater's office suite does
    done = api.consolidate(scheme_path, returns, root / "汇总结果.xlsx")
    assert [e.status for e in done.intake.ledger] == [ACCEPTED]
    (accepted,) = done.intake.accepted
    totals = {row.ratee: sum(score for _, score in row.scores) for row in accepted.rows}
    # 20 items of 5: 100 for each of the first five; 20 × 4 = 80 for M006 on page two
    assert totals == {"M001": 100, "M002": 100, "M003": 100, "M004": 100, "M005": 100, "M006": 80}
