"""Find the bundled folders (templates_xlsx/, samples/) in a source tree or an installed wheel."""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the xlflag package


def resource_dir(name: str) -> Path:
    """The wheel ships them inside the package; an editable install reads the repo's own."""
    for candidate in (PACKAGE_DIR / "_data" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"找不到内置目录 {name}")
