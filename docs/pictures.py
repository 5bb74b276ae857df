"""Render the pictures under docs/img from the s2 example, as LibreOffice prints the workbooks.

Run from the source tree: ``python docs/pictures.py`` (LibreOffice and PyMuPDF needed). Each
picture is one printed page: the demo's forms (each rates at most six, so lists its items as
rows), a peer form of a branch of 28 from the synthetic county (people as rows), the results
and the scheme's 说明 sheet. The 简报 picture (bulletin.png) is made by its own module.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this tree's xlflag, not an installed one

import pymupdf  # noqa: E402

from xlflag import api  # noqa: E402
from xlflag.county import write_county_scheme  # noqa: E402
from xlflag.demo import run_demo  # noqa: E402
from xlflag.scheme.key import create_key  # noqa: E402
from xlflag.edge.libreoffice import convert_many  # noqa: E402

DPI = 80
CROWD = "county"  # the peer form of a branch of 28 (the county's second), people as rows
# picture → (file under the demo folder, or CROWD; printed page from 1)
PAGES = {
    "form-self.png": ("测评表/第一党支部/自评/张伟.xlsx", 1),
    "form-peer.png": ("测评表/第一党支部/互评/张伟.xlsx", 1),
    "form-paged.png": (CROWD, 2),
    "results-summary.png": ("汇总结果.xlsx", 1),
    "results-params.png": ("汇总结果.xlsx", 2),
    "scheme-guide.png": ("方案.xlsx", 1),
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        demo = run_demo(work / "demo", "s2").folder
        county = write_county_scheme(work / "county", 2)
        create_key(county)
        peers = [p for f, p in api.make_forms(county, work / "county" / "测评表").forms
                 if f.identity.branch == "第002党支部" and f.group_name == "互评"]
        sources = {rel: peers[0] if rel == CROWD else demo / rel for rel, _ in PAGES.values()}
        staged = work / "staged"
        staged.mkdir()
        copies = [Path(shutil.copyfile(path, staged / f"{n}.xlsx")) for n, path in enumerate(sources.values())]
        pdfs = dict(zip(sources, convert_many(copies, "pdf", work / "pdf")))
        for picture, (rel, page) in PAGES.items():
            pymupdf.open(pdfs[rel])[page - 1].get_pixmap(dpi=DPI).save(HERE / "img" / picture)
            print(picture)


if __name__ == "__main__":
    main()
