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


# Names Windows reserves for devices, with or without an extension (CON, con.txt, LPT1 …).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}
_FORBIDDEN = set('<>:"/\\|?*')
MAX_NAME_BYTES = 120  # one path component; 255 is the usual limit, and xlflag adds suffixes


def safe_filename(text: str) -> str:
    """One path component made from a name: Chinese names stay, nothing else can escape.

    Characters Windows forbids (and / \\) become _, as do leading dots (so `.` and `..` never
    name a folder) and trailing dots and spaces (Windows drops them); device names (CON, NUL,
    COM1 …) get a _ added; a name over ``MAX_NAME_BYTES`` in UTF-8 is cut and ends in a short
    hash of the whole, so two long names stay apart. Never empty.
    """
    name = "".join("_" if c in _FORBIDDEN or ord(c) < 32 or ord(c) == 127 else c for c in str(text)).strip()
    stripped = name.lstrip(".")
    name = "_" * (len(name) - len(stripped)) + stripped
    stripped = name.rstrip(". ")
    name = stripped + "_" * (len(name) != len(stripped))
    stem, dot, rest = name.partition(".")
    if stem.strip().upper() in _RESERVED:  # CON.xlsx is CON too
        name = f"{stem}_{dot}{rest}"
    if len(name.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(str(text).encode()).hexdigest()[:8]
        cut = name.encode()[: MAX_NAME_BYTES - 9].decode(errors="ignore").rstrip(". ")
        name = f"{cut}~{digest}"
    return name or "_"


def within(root: Path, relative: str) -> Path:
    """``root / relative``, refusing any path that would land outside ``root``."""
    root = Path(root)
    target = root / relative
    if ".." in Path(relative).parts or Path(relative).is_absolute() or not target.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"路径“{relative}”超出了输出文件夹{root}")
    return target


STORE_FOLDER = "xlflag-存档"  # beside the scheme: one folder per period, the record of the period


def period_folder(scheme_path: Path, period: str) -> Path:
    """<scheme folder>/xlflag-存档/<period>: the period's originals, ledger and issue record."""
    return Path(scheme_path).parent / STORE_FOLDER / safe_filename(period)


# XlsxWriter stamps "now" into docProps; a fixed date makes the same inputs give the same bytes.
FIXED_CREATED = datetime(2000, 1, 1)


def new_workbook(path: Path, **properties):
    """An XlsxWriter workbook that never turns a string into a formula or a link, with a fixed
    creation date. Text from raters or the roster that starts with = + - @ stays text."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"author": "xlflag", "created": FIXED_CREATED} | properties)
    return wb
