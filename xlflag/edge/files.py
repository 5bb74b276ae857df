"""Atomic output: a reader never sees half a workbook, a crash never leaves one behind."""
from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside ``target``; rename it into place only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~" + target.stem, suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def safe_filename(text: str) -> str:
    """Chinese names stay; characters Windows forbids in file names do not."""
    return "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in text).strip() or "_"


# XlsxWriter stamps "now" into docProps; a fixed date makes the same inputs give the same bytes.
FIXED_CREATED = datetime(2000, 1, 1)


def new_workbook(path: Path, **properties):
    """An XlsxWriter workbook that never turns a string into a formula or a link, with a fixed
    creation date. Text from raters or the roster that starts with = + - @ stays text."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"author": "xlflag", "created": FIXED_CREATED} | properties)
    return wb
