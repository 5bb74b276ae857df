"""precheck on normal and hostile files, each built here in tmp_path (no fixtures on disk, no mocks).

Every test asserts the verdict's ok and code, and that precheck came back quickly: the whole
point of the pre-check is to be cheap on files that would hang or kill a reader.
"""
from __future__ import annotations

import os
import struct
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from xlflag.core.problems import Code
from xlflag.ingest.safety import Limits, Verdict, precheck

FAST = 5.0  # seconds; precheck should take milliseconds, the slack is for noisy CI machines


def checked(path: Path, limits: Limits = Limits()) -> Verdict:
    start = time.perf_counter()
    verdict = precheck(path, limits)
    assert time.perf_counter() - start < FAST
    return verdict


# -- builders ----------------------------------------------------------------------------------
def make_xlsx(path: Path, rows=((1, 2, 3), (4, 5, 6))) -> Path:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def rezip(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    """Copy a zip, swapping the named members' bytes."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
    return dst


def patch_sheet(tmp_path: Path, edit) -> Path:
    """An openpyxl-made xlsx whose sheet1.xml went through ``edit`` (str -> str)."""
    src = make_xlsx(tmp_path / "src.xlsx")
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    new = edit(sheet)
    assert new != sheet, "the edit must change the sheet"
    data = new[1:].encode("utf-16") if new.startswith("\ufeff") else new.encode()  # BOM, then UTF-16
    return rezip(src, tmp_path / "patched.xlsx", {"xl/worksheets/sheet1.xml": data})


ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)
VALUE = '<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
# What LibreOffice writes after the last used row and column: huge runs of EMPTY cells.
LO_TRAILER = (
    '<table:table-row table:number-rows-repeated="1048573">'
    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
)


def make_ods(path: Path, rows_xml: str, manifest_extra: str = "") -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}>'
        '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
        '<table:table-column table:number-columns-repeated="1024"/>'
        f"{rows_xml}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE.decode()}"/>'
        f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{manifest_extra}'
        "</manifest:file-entry></manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODS_MIMETYPE)  # first and stored, as ODF requires
        z.writestr("content.xml", content)
        z.writestr("META-INF/manifest.xml", manifest)
    return path


def ods_rows(*rows: list[int], repeat: int = 1) -> str:
    cells = ["".join(VALUE.format(v=v) for v in row) for row in rows]
    return "".join(f'<table:table-row table:number-rows-repeated="{repeat}">{c}</table:table-row>' for c in cells)


def make_cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file ([MS-CFB] version 3, 512-byte sectors).

    Sector 0 holds the FAT, sector 1 the directory (root + up to 3 streams), then each stream
    padded to whole sectors. Streams are made at least 4096 bytes so they live in ordinary
    sectors, not the mini stream, which keeps this builder short.
    """
    assert len(streams) <= 3
    free, end, fat_sect = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    fat = [fat_sect, end]
    data, entries = b"", []
    for name, body in streams.items():
        body = body.ljust(4096, b"\0")
        body += b"\0" * (-len(body) % 512)
        first, count = len(fat), len(body) // 512
        fat += [first + i + 1 for i in range(count - 1)] + [end]
        entries.append((name, 2, first, len(body)))
        data += body
    assert len(fat) <= 128
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, right: int, child: int) -> bytes:
        encoded = (name + "\0").encode("utf-16-le")
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)  # 1: black in the red-black tree
            + struct.pack("<III", free, right, child)
            + b"\0" * 36
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, end, 0, free, 1 if entries else free)
    for i, (name, kind, start, size) in enumerate(entries, start=1):
        directory += entry(name, kind, start, size, i + 1 if i < len(entries) else free, free)
    directory = directory.ljust(512, b"\0")

    header = bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *[free] * 108)
    assert len(header) == 512
    return header + struct.pack("<128I", *fat) + directory + data


def biff(record: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", record, len(body)) + body


BOF = biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))


# -- normal files pass -------------------------------------------------------------------------
def test_openpyxl_xlsx_is_ok(tmp_path):
    v = checked(make_xlsx(tmp_path / "a.xlsx"))
    assert (v.ok, v.kind, v.code) == (True, "zip-ooxml", None)


def test_form_sized_xlsx_is_ok(tmp_path):
    rows = [[r * c for c in range(22)] for r in range(25)]
    v = checked(make_xlsx(tmp_path / "form.xlsx", rows))
    assert (v.ok, v.code) == (True, None)


def test_ods_with_libreoffice_style_empty_trailer_is_ok(tmp_path):
    # the trailer repeats an empty cell 1024 × 1048573 times: empty, so never counted
    rows = ods_rows([1, 2, 3], [4, 5, 6]) + LO_TRAILER
    v = checked(make_ods(tmp_path / "a.ods", rows))
    assert (v.ok, v.kind, v.code) == (True, "zip-ods", None)


def test_ods_with_small_content_repeat_is_ok(tmp_path):
    # LibreOffice writes a row of 22 zeros as one cell repeated 22 times
    row = (
        '<table:table-row><table:table-cell table:number-columns-repeated="22" office:value-type="float"'
        ' office:value="0"><text:p>0</text:p></table:table-cell></table:table-row>'
    )
    v = checked(make_ods(tmp_path / "a.ods", row + LO_TRAILER))
    assert (v.ok, v.code) == (True, None)


def test_plain_xls_container_is_ok(tmp_path):
    path = tmp_path / "a.xls"
    path.write_bytes(make_cfb({"Workbook": BOF + biff(0x00E1, b"\0\0") + biff(0x000A)}))
    v = checked(path)
    assert (v.ok, v.kind, v.code) == (True, "ole", None)


# -- files that are not spreadsheets or are damaged --------------------------------------------
def test_truncated_xlsx_is_unreadable(tmp_path):
    data = make_xlsx(tmp_path / "a.xlsx").read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    v = checked(path)
    assert (v.ok, v.code) == (False, Code.RETURN_UNREADABLE)


def test_random_bytes_are_unreadable(tmp_path):
    path = tmp_path / "noise.xlsx"
    path.write_bytes(os.urandom(4096))
    v = checked(path)
    assert (v.ok, v.kind, v.code) == (False, "unknown", Code.RETURN_UNREADABLE)


def test_text_renamed_xlsx_is_unreadable(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("张三,90\n李四,85\n", encoding="utf-8")
    v = checked(path)
    assert (v.ok, v.kind, v.code) == (False, "unknown", Code.RETURN_UNREADABLE)


def test_empty_and_missing_files_are_unreadable(tmp_path):
    (tmp_path / "empty.xlsx").write_bytes(b"")
    for path in (tmp_path / "empty.xlsx", tmp_path / "missing.xlsx"):
        v = checked(path)
        assert (v.ok, v.code) == (False, Code.RETURN_UNREADABLE)


def test_zip_without_package_markers_is_unreadable(tmp_path):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.txt", "hello")
    v = checked(path)
    assert (v.ok, v.code) == (False, Code.RETURN_UNREADABLE)


def test_docx_renamed_xlsx_is_unsupported(tmp_path):
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    v = checked(path)
    assert (v.ok, v.code) == (False, Code.RETURN_UNSUPPORTED_FORMAT)


def test_odt_is_unsupported(tmp_path):
    path = tmp_path / "letter.ods"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    v = checked(path)
    assert (v.ok, v.code) == (False, Code.RETURN_UNSUPPORTED_FORMAT)


# -- size and zip-bomb guards ------------------------------------------------------------------
def test_oversized_file_is_refused_unread(tmp_path):
    path = make_xlsx(tmp_path / "a.xlsx")
    v = checked(path, Limits(max_file_bytes=path.stat().st_size - 1))
    assert (v.ok, v.kind, v.code) == (False, "unknown", Code.RETURN_TOO_LARGE)


def test_zip_bomb_is_too_large(tmp_path):
    # 200 MB of zeros deflate to about 200 KB; streamed so the test never holds them in memory
    path = tmp_path / "bomb.xlsx"
    zeros = bytes(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(200):
                member.write(zeros)
    assert path.stat().st_size < 1 * 2**20
    v = checked(path)
    assert (v.ok, v.kind, v.code) == (False, "zip-ooxml", Code.RETURN_TOO_LARGE)


def test_high_ratio_member_is_too_large_even_under_the_size_cap(tmp_path):
    path = tmp_path / "ratio.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/media/blank.bin", bytes(5 * 2**20))  # ratio about 1000:1
    v = checked(path)
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_declared_size_over_cap_is_too_large(tmp_path):
    path = make_xlsx(tmp_path / "a.xlsx")
    v = checked(path, Limits(max_unzipped_bytes=1000))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_too_many_members_is_too_large(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        for i in range(30):
            z.writestr(f"xl/media/{i}.bin", b"")
    v = checked(path, Limits(max_members=20))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_duplicate_member_names_are_unreadable(tmp_path):
    path = make_xlsx(tmp_path / "a.xlsx")
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")  # shadows the checked one
    v = checked(path)
    assert (v.ok, v.code) == (False, Code.RETURN_UNREADABLE)


# -- sheets that reach too far (python-calamine aborts the process on these) --------------------
def huge_dimension(sheet: str) -> str:
    start = sheet.index("<dimension")
    end = sheet.index("/>", start) + 2
    sheet = sheet[:start] + '<dimension ref="A1:XFD1048576"/>' + sheet[end:]
    return sheet.replace("</sheetData>", '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')


def test_dimension_and_cell_at_xfd1048576_are_too_large(tmp_path):
    v = checked(patch_sheet(tmp_path, huge_dimension))
    assert (v.ok, v.kind, v.code) == (False, "zip-ooxml", Code.RETURN_TOO_LARGE)


def test_cell_far_away_under_an_honest_looking_dimension_is_too_large(tmp_path):
    def far_cell(sheet):
        return sheet.replace("</sheetData>", '<row r="9"><c r="XFD1048576"><v>1</v></c></row></sheetData>')

    v = checked(patch_sheet(tmp_path, far_cell))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_cell_reference_hidden_in_character_references_is_too_large(tmp_path):
    def escaped(sheet):
        return sheet.replace("</sheetData>", '<row><c r="&#88;FD1"><v>1</v></c></row></sheetData>')

    v = checked(patch_sheet(tmp_path, escaped))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_cells_without_references_are_counted(tmp_path):
    # 600 cells with no r: readers place them in columns 1..600, past max_cols=500
    def wide_row(sheet):
        return sheet.replace("</sheetData>", "<row>" + "<c><v>1</v></c>" * 600 + "</row></sheetData>")

    v = checked(patch_sheet(tmp_path, wide_row))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_far_cell_after_many_chunks_is_found(tmp_path):
    # a 200 KB text cell and 5,000 ordinary rows stream through in several chunks before row 5001
    def long_sheet(sheet):
        rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(10, 5000))
        filler = '<c r="B1" t="inlineStr"><is><t>' + "x" * 200_000 + "</t></is></c>"
        return sheet.replace(
            "</sheetData>", f'<row r="9">{filler}</row>{rows}<row r="5001"><c r="A5001"/></row></sheetData>'
        )

    v = checked(patch_sheet(tmp_path, long_sheet))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


# The sheet is streamed in chunks (today: a first read of 2 KB, then 64 KB): slide the far
# cell's tag across those two boundaries so that some chunk splits it at every character.
@pytest.mark.parametrize("tag_start", [*range(2040, 2052), *range(2048 + 65536 - 8, 2048 + 65536 + 4)])
def test_far_cell_is_found_wherever_a_chunk_splits_it(tmp_path, tag_start):
    def slide(sheet):
        at = sheet.index("</sheetData>")
        head = sheet[:at] + '<row r="8"><c r="A8" t="inlineStr"><is><t>'
        tail = '</t></is></c></row><row r="9">'
        pad = tag_start - len(head) - len(tail)
        assert pad > 0
        return head + "x" * pad + tail + '<c r="XFD9"><v>1</v></c></row>' + sheet[at:]

    v = checked(patch_sheet(tmp_path, slide))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_empty_formatted_rows_far_down_are_ok(tmp_path):
    # Excel writes a styled, empty row far down as a <row> with no cells: readers ignore it
    def styled_row(sheet):
        return sheet.replace("</sheetData>", '<row r="60000" ht="30" customHeight="1"/></sheetData>')

    v = checked(patch_sheet(tmp_path, styled_row))
    assert (v.ok, v.code) == (True, None)


def test_absurd_shared_string_count_is_too_large(tmp_path):
    # python-calamine reserves uniqueCount slots before reading one string: 4e9 aborts it
    src = tmp_path / "strings.xlsx"
    wb = xlsxwriter.Workbook(str(src))
    wb.add_worksheet().write_row(0, 0, ["张三", "李四"])
    wb.close()
    with zipfile.ZipFile(src) as z:
        sst = z.read("xl/sharedStrings.xml").decode()
    assert checked(src).ok
    bad = sst.replace('uniqueCount="2"', 'uniqueCount="4000000000"')
    assert bad != sst
    v = checked(rezip(src, tmp_path / "bad.xlsx", {"xl/sharedStrings.xml": bad.encode()}))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


# -- XML entity bombs --------------------------------------------------------------------------
BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)


def bombed(xml: str, padding: str = "", encoding: str = "UTF-8") -> str:
    """``xml`` behind a billion-laughs DOCTYPE (and ``padding``), with one entity used."""
    if xml.startswith("<?xml"):
        xml = xml[xml.index("?>") + 2 :]
    prolog = f'<?xml version="1.0" encoding="{encoding}"?>'
    return prolog + padding + BILLION_LAUGHS + xml.replace("<v>1</v>", "<v>&lol9;</v>")


def test_entity_bomb_in_sheet_is_refused(tmp_path):
    v = checked(patch_sheet(tmp_path, bombed))
    assert (v.ok, v.code, v.found) == (False, Code.RETURN_TOO_LARGE, "XML实体")


def test_entity_bomb_behind_a_long_comment_is_refused(tmp_path):
    v = checked(patch_sheet(tmp_path, lambda sheet: bombed(sheet, "<!--" + "x" * 20_000 + "-->")))
    assert (v.ok, v.code, v.found) == (False, Code.RETURN_TOO_LARGE, "XML实体")


def test_entity_bomb_in_utf16_sheet_is_refused(tmp_path):
    # "\ufeff" makes patch_sheet write the part as UTF-16, which hides it from a bytes search
    v = checked(patch_sheet(tmp_path, lambda sheet: "\ufeff" + bombed(sheet, encoding="UTF-16")))
    assert (v.ok, v.code, v.found) == (False, Code.RETURN_TOO_LARGE, "XML实体")


def test_entity_bomb_in_any_part_is_refused(tmp_path):
    src = make_xlsx(tmp_path / "a.xlsx")
    with zipfile.ZipFile(src) as z:
        styles = z.read("xl/styles.xml").decode()
    v = checked(rezip(src, tmp_path / "b.xlsx", {"xl/styles.xml": bombed(styles).encode()}))
    assert (v.ok, v.code, v.found) == (False, Code.RETURN_TOO_LARGE, "XML实体")


def test_entity_bomb_in_ods_content_is_refused(tmp_path):
    path = make_ods(tmp_path / "a.ods", ods_rows([1]))
    with zipfile.ZipFile(path) as z:
        content = z.read("content.xml").decode()
    v = checked(rezip(path, tmp_path / "b.ods", {"content.xml": bombed(content).encode()}))
    assert (v.ok, v.code, v.found) == (False, Code.RETURN_TOO_LARGE, "XML实体")


# -- ods repeats -------------------------------------------------------------------------------
def test_ods_value_repeated_across_a_million_columns_is_too_large(tmp_path):
    row = (
        '<table:table-row><table:table-cell table:number-columns-repeated="1000000" '
        'office:value-type="float" office:value="1"/></table:table-row>'
    )
    v = checked(make_ods(tmp_path / "a.ods", row + LO_TRAILER))
    assert (v.ok, v.kind, v.code) == (False, "zip-ods", Code.RETURN_TOO_LARGE)


def test_ods_row_with_content_repeated_two_million_times_is_too_large(tmp_path):
    v = checked(make_ods(tmp_path / "a.ods", ods_rows([1, 2], repeat=2_000_000)))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_ods_content_after_a_million_empty_rows_is_too_large(tmp_path):
    rows = '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
    v = checked(make_ods(tmp_path / "a.ods", rows + ods_rows([7])))
    assert (v.ok, v.code) == (False, Code.RETURN_TOO_LARGE)


def test_ods_second_sheet_starts_again_at_row_one(tmp_path):
    # each sheet ends with LibreOffice's million empty rows: the next sheet must not inherit them
    second = '</table:table><table:table table:name="Sheet2">' + ods_rows([1, 2])
    v = checked(make_ods(tmp_path / "a.ods", ods_rows([1]) + LO_TRAILER + second + LO_TRAILER))
    assert (v.ok, v.code) == (True, None)


# -- encryption --------------------------------------------------------------------------------
def test_encrypted_ooxml_is_encrypted(tmp_path):
    # what Excel writes for an xlsx with an open password; msoffcrypto-tool is not installed,
    # so the OLE container is built by hand (the two stream names are what is detected)
    path = tmp_path / "secret.xlsx"
    path.write_bytes(make_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": os.urandom(600)}))
    v = checked(path)
    assert (v.ok, v.kind, v.code) == (False, "ole", Code.RETURN_ENCRYPTED)


def test_xls_with_filepass_is_encrypted(tmp_path):
    path = tmp_path / "secret.xls"
    path.write_bytes(make_cfb({"Workbook": BOF + biff(0x002F, b"\x01\x00" + bytes(52)) + biff(0x000A)}))
    v = checked(path)
    assert (v.ok, v.kind, v.code) == (False, "ole", Code.RETURN_ENCRYPTED)


def test_ods_with_password_is_encrypted(tmp_path):
    extra = '<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"/>'
    v = checked(make_ods(tmp_path / "a.ods", ods_rows([1]), manifest_extra=extra))
    assert (v.ok, v.code) == (False, Code.RETURN_ENCRYPTED)


def test_truncated_ole_is_unreadable(tmp_path):
    path = tmp_path / "half.xls"
    path.write_bytes(make_cfb({"Workbook": BOF})[:700])
    v = checked(path)
    assert (v.ok, v.kind, v.code) == (False, "ole", Code.RETURN_UNREADABLE)
