"""readers: every format a rater may send comes back as the same grid, and no file can hurt us.

The form is built here with openpyxl and converted by LibreOffice to .xls and .ods (those tests
skip when soffice is missing). Hostile files are written byte for byte in the tests.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import returns_kit as kit

from xlflag.core.problems import Code
from xlflag.edge.pool import map_files
from xlflag.ingest import readers, returns
from xlflag.ingest.readers import (
    ReadFailure,
    WorkbookGrid,
    _in_worker,
    _read_calamine,
    close_pool,
    read_workbook,
)

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

# The visible sheet as typed by a rater: numbers, a "5分" and a full-width "５", a formula.
FORM_ROWS = [
    ["姓名", "项目1", "项目2", "合计"],
    ["张三", 5, 4.5, "=B2+C2"],
    ["李四", "5分", "５", None],
    [None, 0, 3, None],
]
FORM_VALUES = {
    (1, 1): "姓名", (1, 2): "项目1", (1, 3): "项目2", (1, 4): "合计",
    (2, 1): "张三", (2, 2): 5, (2, 3): 4.5,
    (3, 1): "李四", (3, 2): "5分", (3, 3): "５",
    (4, 2): 0, (4, 3): 3,
}
FORMULA_CELL = (2, 4)
FORMULA_RESULT = 9.5  # B2 + C2 = 5 + 4.5, as LibreOffice caches it in .xls/.ods
META_VALUES = {(1, 1): "form-0042", (2, 1): "sig:3f9a"}
SHEET_NAMES = ["评分", "_xlflag"]
CRASHED = ReadFailure(Code.RETURN_UNREADABLE, "读取进程崩溃")


def write_form(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "评分"
    for row in FORM_ROWS:
        ws.append(row)
    meta = wb.create_sheet("_xlflag")
    meta.sheet_state = "veryHidden"
    for (row, col), value in META_VALUES.items():
        meta.cell(row, col, value)
    wb.save(path)
    return path


def write_dimension_bomb(path: Path) -> Path:
    """8 cells' worth of XML claiming A1:XFD1048576, with cells at both corners: calamine tries
    to allocate the whole rectangle (512 GiB) and aborts; openpyxl reads two cells."""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1"><v>2</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        "</sheetData></worksheet>"
    )
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return path


def soffice_convert(src: Path, fmt: str, outdir: Path, profile: Path) -> Path:
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", fmt, "--outdir", str(outdir), str(src)],
        check=True, capture_output=True, timeout=180,
    )
    out = outdir / f"{src.stem}.{fmt}"
    assert out.exists(), f"LibreOffice did not write {out.name}"
    return out


def normalised(values: dict) -> dict:
    """5.0 → 5, as the later normaliser will do; everything else untouched."""
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in values.items()}


@pytest.fixture(scope="module", autouse=True)
def stop_worker_afterwards():
    yield
    close_pool()


@pytest.fixture(scope="module")
def xlsx(tmp_path_factory) -> Path:
    return write_form(tmp_path_factory.mktemp("form") / "form.xlsx")


@pytest.fixture(scope="module")
def converted(tmp_path_factory, xlsx) -> dict[str, Path]:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    outdir = tmp_path_factory.mktemp("converted")
    profile = tmp_path_factory.mktemp("lo-profile")
    return {fmt: soffice_convert(xlsx, fmt, outdir, profile) for fmt in ("xls", "ods")}


# -- the same form in every format -------------------------------------------------------------

def test_xlsx_gives_values_formulas_and_the_very_hidden_sheet(xlsx):
    grid = read_workbook(xlsx)

    assert isinstance(grid, WorkbookGrid)
    assert [s.name for s in grid.sheets] == SHEET_NAMES
    form, meta = grid.sheets
    assert form.state == "visible" and meta.state == "veryHidden"
    assert form.values == FORM_VALUES  # the formula cell is in formulas, not values
    assert form.formulas == {FORMULA_CELL: "=B2+C2"}
    assert meta.values == META_VALUES
    assert grid.modified is not None  # openpyxl stamped docProps/core.xml when saving


@needs_soffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_converted_form_reads_like_the_xlsx(converted, fmt):
    grid = read_workbook(converted[fmt])

    assert isinstance(grid, WorkbookGrid)
    assert [s.name for s in grid.sheets] == SHEET_NAMES
    form, meta = grid.sheets
    assert form.state == "visible"
    # LibreOffice 7.4 writes the veryHidden sheet as merely "hidden" in both .xls and .ods.
    assert meta.state in ("hidden", "veryHidden")
    # calamine gives no formula text, only the cached result, where the xlsx has the formula
    assert form.formulas == {}
    assert normalised(form.values) == {**FORM_VALUES, FORMULA_CELL: FORMULA_RESULT}
    assert meta.values == META_VALUES


@needs_soffice
def test_ods_numbers_arrive_as_floats_and_normalise(converted):
    form = read_workbook(converted["ods"]).sheets[0]

    assert form.value(2, 2) == 5.0 and isinstance(form.value(2, 2), float)


@needs_soffice
def test_modified_comes_from_core_xml_or_meta_xml_and_is_absent_for_xls(xlsx, converted):
    saved = read_workbook(xlsx).modified

    # LibreOffice carries the xlsx's save time over into meta.xml's dc:date
    assert read_workbook(converted["ods"]).modified == saved
    assert read_workbook(converted["xls"]).modified is None


@needs_soffice
def test_et_that_is_really_an_xls_is_read(converted, tmp_path):
    et = tmp_path / "form.et"
    shutil.copyfile(converted["xls"], et)

    assert read_workbook(et) == read_workbook(converted["xls"])


@needs_soffice
def test_renamed_files_are_read_by_their_content(xlsx, converted, tmp_path):
    xlsx_named_xls = tmp_path / "a.xls"
    shutil.copyfile(xlsx, xlsx_named_xls)
    xls_named_xlsx = tmp_path / "b.xlsx"
    shutil.copyfile(converted["xls"], xls_named_xlsx)

    assert read_workbook(xlsx_named_xls).sheets[0].formulas == {FORMULA_CELL: "=B2+C2"}  # openpyxl
    assert read_workbook(xls_named_xlsx).sheets[0].value(*FORMULA_CELL) == FORMULA_RESULT  # calamine


# -- files that are not what they claim ---------------------------------------------------------

def test_garbage_et_is_an_unsupported_format(tmp_path):
    et = tmp_path / "form.et"
    et.write_bytes(b"WPS-ish garbage " * 64)

    assert read_workbook(et) == ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, ".et（请在WPS中另存为.xlsx）")


@pytest.mark.parametrize("content", [b"", b"hello", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, b"PK\x03\x04 not a zip"])
def test_garbage_xls_is_a_read_failure_not_an_exception(tmp_path, content):
    xls = tmp_path / "form.xls"
    xls.write_bytes(content)

    result = read_workbook(xls)

    assert isinstance(result, ReadFailure) and result.code is Code.RETURN_UNREADABLE


def test_unknown_suffix_is_unsupported(tmp_path):
    csv = tmp_path / "form.csv"
    csv.write_text("a,b\n")

    assert read_workbook(csv) == ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, ".csv")


def test_zip_bomb_is_refused_before_parsing(xlsx, tmp_path):
    big = tmp_path / "big.xlsx"
    shutil.copyfile(xlsx, big)
    with zipfile.ZipFile(big, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/padding.bin", bytes(65 * 2**20))  # deflates to ~65 KB

    result = read_workbook(big)

    assert isinstance(result, ReadFailure) and result.code is Code.RETURN_TOO_LARGE


# -- hostile files: a crash or a hang in calamine must not take us down --------------------------

def test_dimension_bomb_is_read_by_openpyxl_under_any_name(tmp_path):
    for name in ("bomb.xlsx", "bomb.xls", "bomb.et"):
        bomb = write_dimension_bomb(tmp_path / name)
        with kit.deadline(20):
            grid = read_workbook(bomb)
        assert grid.sheets[0].values == {(1, 1): 2, (1048576, 16384): 1}, name
        assert grid.modified is None  # no docProps/core.xml: no date (openpyxl would say "now")


def test_calamine_crash_in_the_worker_is_a_read_failure_and_the_next_read_works(xlsx, tmp_path):
    bomb = write_dimension_bomb(tmp_path / "bomb.xlsx")

    assert _read_calamine(bomb, ".xlsx") == CRASHED  # the worker died with exit 134; we did not

    after = _read_calamine(xlsx, ".xlsx")  # a fresh worker
    assert isinstance(after, WorkbookGrid)
    assert after.sheets[1].values == META_VALUES


def test_timeout_kills_the_worker_and_the_next_read_works(xlsx, tmp_path):
    # The worker is sent bytes, so no file can make it hang on open(); a sleep is a hang on demand.
    started = time.monotonic()
    result = _in_worker(0.5, time.sleep, 60)

    assert result == ReadFailure(Code.RETURN_UNREADABLE, "读取超时（0.5秒）")
    assert time.monotonic() - started < 10
    assert isinstance(_read_calamine(xlsx, ".xlsx"), WorkbookGrid)  # a fresh worker


def hang_on_seven(shared, item):
    """A file whose read hangs, for a pool worker (module-level: workers import it by name)."""
    return readers._in_worker(1.0, time.sleep, 60) if item == 7 else item


def test_a_read_that_hangs_in_a_pool_worker_ends_and_only_that_file_is_refused():
    # In ingest's pool calamine reads inside the worker; a hang there must not hang the run:
    # the kernel ends the worker, its files are judged again here through the isolated reader,
    # whose timeout refuses the one that hangs, and every other file comes back as it was.
    started = time.monotonic()

    results = list(map_files(hang_on_seven, None, range(80), workers=2, init=returns._in_worker))

    assert results[7] == ReadFailure(Code.RETURN_UNREADABLE, "读取超时（1秒）")
    assert results[:7] + results[8:] == [n for n in range(80) if n != 7]
    assert time.monotonic() - started < 30


def test_fifo_is_refused_without_blocking_us(tmp_path):
    stuck = tmp_path / "stuck.xls"
    os.mkfifo(stuck)

    with kit.deadline(10):
        result = read_workbook(stuck)

    assert isinstance(result, ReadFailure) and result.code is Code.RETURN_UNREADABLE


def test_close_pool_then_read_again(xlsx):
    close_pool()
    close_pool()  # twice is fine

    assert isinstance(_read_calamine(xlsx, ".xlsx"), WorkbookGrid)


# -- password-protected files -------------------------------------------------------------------

# Runs under a Python that has LibreOffice's uno module (Debian: /usr/bin/python3 with
# python3-uno). Saves SRC with a password as .xlsx (OOXML "Standard" encryption: an OLE file
# with an EncryptedPackage stream), .xls (BIFF8 FILEPASS) and .ods (encrypted zip members).
ENCRYPT_SCRIPT = r'''
import os, subprocess, sys, time
import uno
from com.sun.star.beans import NamedValue, PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name = name; p.Value = value; return p

def named(name, value):
    v = NamedValue(); v.Name = name; v.Value = value; return v

src, outdir, profile = sys.argv[1:4]
pipe = "xlflag_encrypt_%d" % os.getpid()
desktop = None
office = subprocess.Popen(["soffice", "-env:UserInstallation=" + profile, "--headless", "--invisible",
                           "--norestore", "--accept=pipe,name=%s;urp;" % pipe],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
            break
        except Exception:
            time.sleep(0.1)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
    ooxml_key = prop("EncryptionData", uno.Any("[]com.sun.star.beans.NamedValue",
                     (named("OOXPassword", "secret"), named("CryptoType", "Standard"))))
    targets = {"xlsx": ("Calc MS Excel 2007 XML", ooxml_key), "xls": ("MS Excel 97", prop("Password", "secret")),
               "ods": ("calc8", prop("Password", "secret"))}
    for ext, (filter_name, key) in targets.items():
        url = uno.systemPathToFileUrl(os.path.join(outdir, "locked." + ext))
        uno.invoke(doc, "storeToURL", (url, uno.Any("[]com.sun.star.beans.PropertyValue",
                                                    (prop("FilterName", filter_name), key))))
    doc.close(True)
finally:
    try:
        desktop.terminate()
    except Exception:
        pass  # never connected, or the bridge dropped as office exited
    try:
        office.wait(timeout=30)
    except subprocess.TimeoutExpired:
        office.kill()
        office.wait()
'''


def python_with_uno() -> str | None:
    for candidate in ("/usr/bin/python3", "/usr/lib/libreoffice/program/python"):
        if Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True)
            if probe.returncode == 0:
                return candidate
    return None


@pytest.fixture(scope="module")
def locked(tmp_path_factory, xlsx) -> dict[str, Path]:
    uno_python = python_with_uno()
    if SOFFICE is None or uno_python is None:
        pytest.skip("needs LibreOffice and a Python with its uno module")
    outdir = tmp_path_factory.mktemp("locked")
    script = outdir / "encrypt.py"
    script.write_text(ENCRYPT_SCRIPT)
    profile = tmp_path_factory.mktemp("lo-profile-uno")
    subprocess.run([uno_python, str(script), str(xlsx), str(outdir), profile.as_uri()],
                   check=True, capture_output=True, timeout=180)
    return {ext: outdir / f"locked.{ext}" for ext in ("xlsx", "xls", "ods")}


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_password_protected_file_is_reported_as_encrypted(locked, ext):
    assert read_workbook(locked[ext]) == ReadFailure(Code.RETURN_ENCRYPTED)


@pytest.mark.parametrize("name", ["locked.et", "LOCKED.XLS", "locked.xlsx"])
def test_password_protected_xls_under_another_name_is_still_encrypted(locked, tmp_path, name):
    # calamine only says "password" when it parses as .xls, which it picks by the name's suffix
    renamed = tmp_path / name
    shutil.copyfile(locked["xls"], renamed)

    assert read_workbook(renamed) == ReadFailure(Code.RETURN_ENCRYPTED)
