"""Drive LibreOffice headless: convert workbooks and recalculate their formulas.

xlflag caches the value it computed beside every formula it writes; this module lets tests
prove those cached values agree with what a spreadsheet program calculates.
"""
from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import openpyxl

_FALLBACK_PATHS = ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice")

# LibreOffice trusts cached values on load unless told otherwise; 0 means "always recalculate".
_RECALC_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """LibreOffice is missing, hung, or did not write the file it was asked for."""


def find_soffice() -> str | None:
    """Path of the soffice executable, or None when LibreOffice is not installed."""
    for name in ("soffice", "libreoffice"):
        if found := shutil.which(name):
            return found
    return next((p for p in _FALLBACK_PATHS if os.access(p, os.X_OK)), None)


def convert(
    src: Path, fmt: str, out_dir: Path, *, recalc: bool = False, timeout: float = 120
) -> Path:
    """Convert ``src`` to ``fmt`` ("xlsx", "ods", 'xls:"MS Excel 97"' …) in ``out_dir``.

    Returns ``out_dir / (src.stem + "." + extension)``. ``src`` is never touched: LibreOffice
    works on a private copy, so no lock file appears beside it and it cannot be overwritten.
    Pass ``recalc=True`` when exporting to .xls/.ods: without it LibreOffice 7.4 writes a cached
    text formula result as 0 in .xls and a cached TRUE as 1 in .ods.
    """
    return convert_many([src], fmt, out_dir, recalc=recalc, timeout=timeout)[0]


def convert_many(
    srcs: list[Path], fmt: str, out_dir: Path, *, recalc: bool = False, timeout: float = 120
) -> list[Path]:
    """``convert`` for several files with one LibreOffice start (each start costs about 1 s).

    Outputs are named by each source's stem, so the stems must differ.
    """
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeError("LibreOffice (soffice) is not installed")
    srcs, out_dir = [Path(src) for src in srcs], Path(out_dir)
    # Quotes in 'xls:"MS Excel 97"' are shell quoting; passed literally they break the filter.
    fmt = fmt.replace('"', "")
    extension = fmt.split(":", 1)[0]
    targets = [out_dir / f"{src.stem}.{extension}" for src in srcs]
    if len(set(targets)) != len(targets):
        raise LibreOfficeError("two sources share a name: their conversions would collide")
    for src, target in zip(srcs, targets):
        if not src.is_file():
            raise LibreOfficeError(f"no such file: {src}")
        if target.resolve() == src.resolve():
            raise LibreOfficeError(f"converting {src} would overwrite it")

    work = Path(tempfile.mkdtemp(prefix="xlflag-lo-"))
    try:
        profile, staged, made = work / "profile", work / "in", work / "out"
        staged.mkdir()
        if recalc:
            (profile / "user").mkdir(parents=True)
            (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_XCU, "utf-8")
        # Plain ASCII names spare LibreOffice any trouble with odd characters in users' names.
        copies = [shutil.copyfile(src, staged / f"input{n}{src.suffix}") for n, src in enumerate(srcs)]
        args = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            fmt,
            "--outdir",
            str(made),
            *map(str, copies),
        ]
        stdout, stderr = _run(args, timeout)
        out_dir.mkdir(parents=True, exist_ok=True)
        results = []
        for n, (src, target) in enumerate(zip(srcs, targets)):
            produced = made / f"input{n}.{extension}"
            if not produced.is_file():
                raise LibreOfficeError(
                    f"LibreOffice wrote no {target.suffix} for {src}\n"
                    f"stdout: {stdout.strip()}\nstderr: {stderr.strip()}"
                )
            results.append(Path(shutil.move(produced, target)))
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(args: list[str], timeout: float) -> tuple[str, str]:
    """Run soffice; on timeout kill its whole process group (soffice forks soffice.bin)."""
    proc = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        raise LibreOfficeError(
            f"LibreOffice took longer than {timeout} s\nstderr: {stderr.strip()}"
        ) from None


def recalculated_values(src: Path) -> dict[str, dict[str, object]]:
    """{sheet: {"A1": value}} of every non-empty cell after LibreOffice recalculates ``src``."""
    with tempfile.TemporaryDirectory(prefix="xlflag-recalc-") as out_dir:
        result = convert(Path(src), "xlsx", Path(out_dir), recalc=True)
        book = openpyxl.load_workbook(result, data_only=True)
        try:
            return {
                ws.title: {
                    cell.coordinate: cell.value
                    for row in ws.iter_rows()
                    for cell in row
                    if cell.value not in (None, "")
                }
                for ws in book.worksheets
            }
        finally:
            book.close()


def cached_formula_values(path: Path) -> dict[str, dict[str, tuple[str, object]]]:
    """{sheet: {"A1": (formula_text, cached_value)}} for every formula cell of an .xlsx."""
    formulas = openpyxl.load_workbook(path)
    cached = openpyxl.load_workbook(path, data_only=True)
    try:
        found: dict[str, dict[str, tuple[str, object]]] = {}
        for ws in formulas.worksheets:
            values = cached[ws.title]
            found[ws.title] = {
                cell.coordinate: (_formula_text(cell.value), values[cell.coordinate].value)
                for row in ws.iter_rows()
                for cell in row
                if cell.data_type == "f"
            }
        return found
    finally:
        formulas.close()
        cached.close()


def _formula_text(value: object) -> str:
    # Array and data-table formulas come back as objects that carry their text in .text.
    return str(getattr(value, "text", value))


def formula_mismatches(path: Path, tol: float = 1e-9) -> list[tuple[str, str, object, object]]:
    """(sheet, cell, cached, recalculated) for each formula cell LibreOffice disagrees with."""
    recalculated = recalculated_values(path)
    return [
        (sheet, coord, cached, recalculated.get(sheet, {}).get(coord))
        for sheet, cells in cached_formula_values(path).items()
        for coord, (_, cached) in cells.items()
        if not _same(cached, recalculated.get(sheet, {}).get(coord), tol)
    ]


def _same(cached: object, recalculated: object, tol: float) -> bool:
    # An empty-string result is stored as an empty cell by some writers, so "" equals None.
    cached, recalculated = (None if v == "" else v for v in (cached, recalculated))
    if _is_number(cached) and _is_number(recalculated):
        return math.isclose(cached, recalculated, rel_tol=tol, abs_tol=tol)
    return type(cached) is type(recalculated) and cached == recalculated


def _is_number(value: object) -> bool:
    # bool is an int subclass, but TRUE must not pass for 1.
    return isinstance(value, (int, float)) and not isinstance(value, bool)
