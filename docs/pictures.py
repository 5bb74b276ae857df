"""Render the pictures under docs/img from the s2 example, as LibreOffice prints the workbooks.

Run from the source tree: ``python docs/pictures.py`` (LibreOffice and PyMuPDF needed). Each
picture is one printed page: the demo's forms and results, and the scheme's 说明 sheet. The
简报 picture (bulletin.png) is made by its own module.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this tree's xlflag, not an installed one

import pymupdf  # noqa: E402

from xlflag.demo import run_demo  # noqa: E402
from xlflag.edge.libreoffice import convert_many  # noqa: E402

DPI = 80
# picture → (file under the demo folder, printed page from 1)
PAGES = {
    "form-self.png": ("测评表/第一党支部/自评/张伟.xlsx", 1),
    "form-peer.png": ("测评表/第一党支部/互评/张伟.xlsx", 1),
    "form-paged.png": ("测评表/第一党支部/领导点评/王书记.xlsx", 2),
    "results-summary.png": ("汇总结果.xlsx", 1),
    "results-params.png": ("汇总结果.xlsx", 2),
    "scheme-guide.png": ("方案.xlsx", 1),
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        demo = run_demo(work / "demo", "s2").folder
        sources = dict.fromkeys(rel for rel, _ in PAGES.values())
        staged = work / "staged"
        staged.mkdir()
        copies = [Path(shutil.copyfile(demo / rel, staged / f"{n}.xlsx")) for n, rel in enumerate(sources)]
        pdfs = dict(zip(sources, convert_many(copies, "pdf", work / "pdf")))
        for picture, (rel, page) in PAGES.items():
            pymupdf.open(pdfs[rel])[page - 1].get_pixmap(dpi=DPI).save(HERE / "img" / picture)
            print(picture)


if __name__ == "__main__":
    main()
