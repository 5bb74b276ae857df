"""Forms as LibreOffice prints them, measured from the PDF (PyMuPDF): the smallest text on every
kind of form at its printed size, no two words drawn over each other, nothing off the page.

The forms of the s2 and s3 examples cover both layouts: a self form (items as rows, portrait),
a 支部自评 flag form, a peer form and a leader form (people as rows, landscape, legend below).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from xlflag import api
from xlflag.core.textfit import MIN_PRINTED_PT
from xlflag.edge.libreoffice import convert, find_soffice

pymupdf = pytest.importorskip("pymupdf")
pytestmark = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice not installed")

FORMS = {
    "s2": ["第一党支部/自评/张伟.xlsx", "第一党支部/互评/张伟.xlsx", "第一党支部/领导点评/王书记.xlsx"],
    "s3": ["第一党支部/支部自评/第一党支部（自评）.xlsx"],
}


def spans(pdf: Path):
    """(page, size, bbox, text) of every drawn piece of text."""
    for n, page in enumerate(pymupdf.open(pdf)):
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    if span["text"].strip():
                        yield n, page.rect, span["size"], pymupdf.Rect(span["bbox"]), span["text"]


@pytest.fixture(scope="module", params=[(p, f) for p, fs in FORMS.items() for f in fs], ids=lambda x: x[1])
def rendered(request, tmp_path_factory):
    preset, rel = request.param
    root = tmp_path_factory.mktemp(preset)
    out = root / "out"
    api.make_forms(api.init_scheme(preset, root / "s"), out)
    return list(spans(convert(out / rel, "pdf", root / "pdf")))


def test_smallest_text_prints_at_9_pt_or_more(rendered):
    smallest = min(size for _, _, size, _, _ in rendered)
    assert smallest >= MIN_PRINTED_PT, smallest


def test_no_text_leaves_the_page(rendered):
    for _, page, _, box, text in rendered:
        assert page.contains(box), text


def test_no_two_words_are_drawn_over_each_other(rendered):
    for i, (page_a, _, _, a, text_a) in enumerate(rendered):
        for page_b, _, _, b, text_b in rendered[i + 1:]:
            if page_a == page_b:
                overlap = a & b
                # touching line boxes share a sliver; drawn over each other means a real area
                assert overlap.is_empty or overlap.get_area() < 0.2 * min(a.get_area(), b.get_area()), (text_a, text_b)
