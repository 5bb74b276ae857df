"""The fast reader: a plain .xlsx straight from its zip's XML, or None to say "read it the sure way".

A county returns ~25,000 forms; the sure way (``safety.precheck`` over every part, calamine for
the values, ``xlsx_scan`` for formulas and errors) costs several milliseconds a file, mostly in
walking the same sheet XML three times. Forms as xlflag writes them, and as most programs save
them, hold a very small dialect of SpreadsheetML: every cell ``<c r="B7" s="3" t="s">`` with its
attributes in that order, values in ``<v>``, text in shared strings or ``<is><t>``, numbers in
the General format. This module reads exactly that dialect, in one pass, into the grid the sure
way gives — same values (numbers as floats, as calamine gives them), same formulas, same error
texts, same sheet states, same date — and returns None at the first thing outside it, so the
caller reads the file through ``read_safely``'s usual path, which decides (and refuses) as
before. It therefore never refuses anything itself: a file is either read here exactly as the
sure way would read it, or handed over.

What sends a file the sure way: anything the pre-check would look at twice (a declaration or
comment ``<!`` in any part, a directory the pre-check's limits refuse, a cell beyond
``Limits.max_rows`` × ``max_cols``), a cell written any other way (another attribute order, a
namespace prefix, a cell without ``r``), an entity other than XML's five and character
references, an ``_xHHHH_`` escape, a carriage return in text, phonetic runs, a style with any
number format but General or a plain number/percent/text one (a date format turns a number into
a date), a sheet that is not a worksheet. ``tests/test_xlsx_fast.py`` holds both readers to the
same grid, on xlflag's own forms and on forms re-saved by LibreOffice with odd values typed.
"""
from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from functools import lru_cache
from operator import itemgetter
from xml.etree.ElementTree import fromstring

from ..core.formulas import col_letter
from .readers import SheetGrid, WorkbookGrid, xml_date
from .safety import Limits, dimension_ok, open_checked_zip
from .xlsx_scan import SHARED

_ROOT_RELS = "xl/_rels/workbook.xml.rels"
_REF = rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"'
_CELL_OPENS = (b"<c ", b"<c/", b"<c>", b"<c\t", b"<c\n", b"<c\r", b"<c\x0b", b"<c\x0c")  # <c[\s/>]
_F = re.compile(rb"<f(?:\s[^>]*)?(?:/>|>([^<]*)</f>)")
_T = re.compile(rb"<t(?:\s[^>]*)?(?:/>|>([^<]*)</t>)")
_SI = re.compile(rb"<si>(.*?)</si>|<si/>", re.S)
_SHEET = re.compile(rb"<sheet\s([^>]*?)/?>")
_REL = re.compile(rb"<Relationship\s([^>]*?)/?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_XF = re.compile(rb"<xf\s([^>]*?)/?>")
_CELL_XFS = re.compile(rb"<cellXfs[^>]*>(.*?)</cellXfs>", re.S)
_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});)")
_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")  # OOXML's escape of a character XML cannot hold
_WORKSHEET = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
# General, 0, 0.00, #,##0, #,##0.00, 0%, 0.00%, 0.00E+00, @: a number stays a number
_PLAIN_FORMATS = frozenset({0, 1, 2, 3, 4, 9, 10, 11, 49})
_PLAIN_CODES = frozenset({b"General", b"0", b"0.00", b"#,##0", b"#,##0.00", b"0%", b"0.00%", b"@"})
_NUM_FMT = re.compile(rb'<numFmt numFmtId="([0-9]+)" formatCode="([^"]*)"/>')
_STATES = {b"": "visible", b"visible": "visible", b"hidden": "hidden", b"veryHidden": "veryHidden"}


class _Unsure(Exception):
    """Outside the dialect: the file goes the sure way."""


def read_fast(data: bytes, limits: Limits = Limits()) -> WorkbookGrid | None:
    """The grid ``read_safely`` gives for ``data``, when it is plain SpreadsheetML; else None."""
    if len(data) > limits.max_file_bytes or not data.startswith(b"PK\x03\x04"):
        return None
    try:
        zf = open_checked_zip(data, limits)
        if zf is None:
            return None
        with zf:
            return _read(zf, data, limits)
    except (_Unsure, zipfile.BadZipFile, KeyError, ValueError, IndexError, OverflowError, UnicodeDecodeError):
        return None


def _read(zf: zipfile.ZipFile, data: bytes, limits: Limits) -> WorkbookGrid:
    names = {info.filename for info in zf.infolist()}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names or "mimetype" in names:
        raise _Unsure
    parts, cells = {}, []
    for info in zf.infolist():  # every part, as the pre-check reads every part
        if info.is_dir():
            continue
        body = _member(data, info)
        if body.startswith(_OTHER_ENCODINGS):
            raise _Unsure  # UTF-16/32 XML: the pre-check decodes it; so must the reader
        head = body[:_PROLOG].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"<"):  # XML (anything else no reader takes as XML)
            if b"<!" in body:  # a DOCTYPE, a comment or CDATA: the pre-check's business
                raise _Unsure
            if _HOLDS_CELLS.search(head):
                cells.append(info.filename)
        parts[info.filename] = body
    strings = _shared_strings(parts.get("xl/sharedStrings.xml"), limits)
    plain_styles = _plain_styles(parts.get("xl/styles.xml"))
    listed = _sheets(parts)
    if sorted(cells) != sorted(part for _, _, part in listed):
        raise _Unsure  # a sheet part no sheet names (the pre-check checks it all the same)
    sheets = tuple(_sheet(name, state, parts[part], strings, plain_styles, limits) for name, state, part in listed)
    return WorkbookGrid(sheets, _modified(parts.get("docProps/core.xml")))


@lru_cache(maxsize=256)  # parts come from ``_member``, which hands out one object per content
def _modified(core: bytes | None):
    """docProps/core.xml's date, as ``readers.zip_date`` reads it. Every XML part with ``<!``
    went the sure way above, so defusedxml has nothing to guard in the part; parsed by xml.etree
    (half the time) unless the ``<!`` sits where the part's start did not look like XML."""
    if core is None:
        return None
    return xml_date(core, "{http://purl.org/dc/terms/}modified", None if b"<!" in core else fromstring)


_PROLOG = 2048
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # zipfile's local file header
_STORED, _DEFLATED = 0, 8


def _member(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes straight from the zip in memory (``zf.read`` costs ~50 µs a member in
    Python file objects; a form has a dozen). Only what zipfile itself would accept: a local
    header naming the same file, stored or deflated, unencrypted, the CRC right; else unsure."""
    start = info.header_offset
    header = _LOCAL.unpack_from(data, start)
    if header[0] != b"PK\x03\x04" or info.flag_bits & 0x1 or info.compress_type not in (_STORED, _DEFLATED):
        raise _Unsure
    name_len, extra_len = header[10], header[11]
    begin = start + _LOCAL.size
    if data[begin:begin + name_len] != info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437"):
        raise _Unsure
    raw = data[begin + name_len + extra_len:begin + name_len + extra_len + info.compress_size]
    if len(raw) != info.compress_size:
        raise _Unsure
    kept = (raw, info.compress_type, info.file_size, info.CRC) if len(raw) <= _KEPT_RAW else None
    body = _KEPT.get(kept) if kept else None
    if body is not None:
        return body
    body = raw if info.compress_type == _STORED else zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
    if len(body) != info.file_size or zlib.crc32(body) != info.CRC:
        raise _Unsure
    if kept and info.file_size <= _KEPT_BODY:
        if len(_KEPT) >= _KEPT_PARTS:
            _KEPT.clear()  # parts single forms had, mostly; the shared ones come back at once
        _KEPT[kept] = body
    return body


# Most parts of a county's forms are the same bytes (theme, styles, rels, the workbook): each is
# inflated once and then handed out as the same object, so what is worked out from it
# (``_plain_styles``, ``_sheets``) is found again by the object's cached hash.
_KEPT: dict[tuple, bytes] = {}
_KEPT_RAW, _KEPT_BODY, _KEPT_PARTS = 4096, 32768, 512


_OTHER_ENCODINGS = (b"\x00", b"\xfe\xff", b"\xff\xfe", b"<\x00")
_HOLDS_CELLS = re.compile(rb"<(?:[\w.-]+:)?(?:worksheet|dialogsheet|macrosheet)[\s/>]")
_UNIQUE_COUNT = re.compile(rb'<sst\s[^>]*?uniqueCount="([0-9]+)"')
_DIMENSION = re.compile(rb'<dimension ref="([^"]*)"')


def _attrs(text: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(text))


def _sheets(parts: dict[str, bytes]) -> tuple[tuple[str, str, str], ...]:
    """(name, state, zip member) of every sheet, in the workbook's order; all must be worksheets."""
    return _sheets_of(parts[_ROOT_RELS], parts["xl/workbook.xml"])


@lru_cache(maxsize=64)
def _sheets_of(root_rels: bytes, workbook: bytes) -> tuple[tuple[str, str, str], ...]:
    _check(root_rels)
    _check(workbook)
    rels = {}
    for rel in _REL.findall(root_rels):
        found = _attrs(rel)
        rels[found[b"Id"]] = found
    sheets = []
    for sheet in _SHEET.findall(workbook):
        found = _attrs(sheet)
        rel = rels[found[b"r:id"]]
        if rel.get(b"Type") != _WORKSHEET or rel.get(b"TargetMode"):
            raise _Unsure  # a chart sheet, a macro sheet, an external target: the sure way decides
        target = _text(rel[b"Target"])
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        sheets.append((_text(found[b"name"]), _STATES[found.get(b"state", b"")], part))
    if not sheets:
        raise _Unsure
    return tuple(sheets)


def _check(body: bytes) -> None:
    """Character data a parser would read differently from a plain decode: unsure, for the part."""
    if b"\r" in body or _ENTITY.search(body) or (b"_x" in body and _ESCAPE.search(body)):
        raise _Unsure


def _text(raw: bytes) -> str:
    """XML character data of a part ``_check`` passed, as a parser gives it."""
    text = raw.decode("utf-8")
    return _REFERENCE.sub(_referenced, text) if "&" in text else text


_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|(amp|lt|gt|quot|apos));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _referenced(match: re.Match) -> str:
    hexadecimal, decimal, name = match.groups()
    if name:
        return _NAMED[name]
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
        return chr(code)
    raise _Unsure  # not a character XML allows: a parser refuses the part


_SIMPLE_SI = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>|<si><t/></si>')


def _shared_strings(body: bytes | None, limits: Limits) -> list[str]:
    if body is None:
        return []
    if b"<rPh" in body or b"<phoneticPr" in body:
        raise _Unsure
    _check(body)
    count = _UNIQUE_COUNT.search(body[:_PROLOG])
    if count and int(count.group(1)) > limits.max_rows * limits.max_cols:
        raise _Unsure  # the pre-check refuses it (calamine would reserve room for them all)
    entries = body.count(b"<si>") + body.count(b"<si/>")
    simple = _SIMPLE_SI.findall(body)
    if len(simple) == entries:  # one plain run each: what XlsxWriter and most programs write
        return [_text(t) for t in simple]
    strings = []
    for match in _SI.finditer(body):
        inner = match.group(1) or b""
        strings.append("".join(_text(t) for t in _T.findall(inner)))
    if len(strings) != entries:
        raise _Unsure
    return strings


@lru_cache(maxsize=64)
def _plain_styles(body: bytes | None) -> frozenset[bytes]:
    """The cells' ``s`` attributes (indexes into cellXfs, b"" for none) whose number format keeps
    a number a number: the others may make it a date."""
    if body is None:
        return frozenset({b"", b"0"})
    xfs = _CELL_XFS.search(body)
    if xfs is None:
        return frozenset({b"", b"0"})
    custom = {int(n): code for n, code in _NUM_FMT.findall(body)}
    if body.count(b"<numFmt ") != len(custom):
        raise _Unsure
    formats = (_PLAIN_FORMATS - set(custom)) | {n for n, code in custom.items() if code in _PLAIN_CODES}
    plain = set()
    for n, xf in enumerate(_XF.findall(xfs.group(1))):
        if int(_attrs(xf).get(b"numFmtId", b"0")) in formats:
            plain.add(str(n).encode())
    if b"0" in plain:
        plain.add(b"")
    return frozenset(plain)


def _sheet(name: str, state: str, xml: bytes, strings: list[str], plain: frozenset[bytes], limits: Limits) -> SheetGrid:
    if b"<worksheet " not in xml[:_PROLOG]:  # a namespace prefix: another writer's dialect
        raise _Unsure
    _check(xml)
    for ref in _DIMENSION.findall(xml):
        if not dimension_ok(_text(ref), limits):
            raise _Unsure
    values: dict[tuple[int, int], object] = {}
    formulas: dict[tuple[int, int], str] = {}
    start, end = xml.find(b"<sheetData>"), xml.rfind(b"</sheetData>")
    if start < 0 or end < start:
        if b"<sheetData/>" in xml and b"<sheetData>" not in xml:
            return SheetGrid(name, state, values, formulas)
        raise _Unsure
    data = xml[start:end]
    found = _cells(limits).findall(data)
    runs = list(filter(None, map(_RUN, found)))
    cells = len(found) + b"".join(runs).count(b"<c")  # a run's first cell is where it matched
    if cells != data.count(b"<c") and cells != sum(map(data.count, _CELL_OPENS)):
        raise _Unsure  # a cell written some other way
    # the cells one at a time (an empty one and the run of empty ones after it: one match)
    widest = max(map(_column, set(map(_LETTERS, found))), default=0)
    lowest = max(set(map(_DIGITS, found)), key=_as_row, default=b"")
    if widest > limits.max_cols or (lowest and int(lowest) > limits.max_rows):
        raise _Unsure  # the sure way refuses it; let it say so
    numbers, columns = _NUMBERS, _COLUMNS
    for letters, digits, style, _, kind, raw, body in found:
        if raw:  # <v>raw</v> and nothing else: the common case
            inline = True
        elif not body:
            continue  # an empty cell
        else:
            inline = body[:3] == b"<v>" and body[-4:] == b"</v>"
            raw = body[3:-4] if inline else b""
        at = (int(digits), columns.get(letters) or _column(letters))
        if inline:
            if kind == b"s":
                value = strings[int(raw)]
                if value != "":
                    values[at] = value
                continue
            if kind == b"" or kind == b"n":
                if style not in plain:
                    raise _Unsure  # a date or custom format: calamine may make it a date
                value = numbers.get(raw)
                values[at] = value if value is not None else _number(raw)
                continue
            body = body or b"<v>" + raw + b"</v>"
        if b"<f" in body:
            formulas[at] = _FORMULAS.get(body) or _formula(body)
            continue
        value = _value(kind, body, strings)
        if value != "" or kind == b"e":  # an error cell keeps its text, as xlsx_scan gives it
            values[at] = value
    return SheetGrid(name, state, values, formulas)


@lru_cache(maxsize=8)
def _cells(limits: Limits) -> re.Pattern:
    """Every cell of ``sheetData`` in one pass, in order, as (letters, digits, style, the run of
    empty cells after it, type, the value of a lone ``<v>``, else the body). An empty cell takes
    the empty ones right after it within ``limits`` (``<c r="B7" s="3"/>``, as the title and
    legend rows of a form are) as its run. A cell written any other way matches nowhere, so it
    shows in the count of ``<c``; an empty one beyond the limits ends a run and is matched on its
    own, so ``_sheet`` sees its letters and digits."""
    cols = _not_above(col_letter(min(limits.max_cols, _MAX_COL)).encode() if limits.max_cols > 0 else b"", 65, 65, 90)
    rows = _not_above(str(min(limits.max_rows, _MAX_ROW)).encode() if limits.max_rows > 0 else b"", 49, 48, 57)
    empty = cols + rows + rb'"(?: s="[0-9]{1,5}")?/>'
    return re.compile(_REF + rb'(?: s="([0-9]{1,5})")?(?:/>((?:<c r="' + empty + rb')*)'
                      + rb'|(?: t="([a-zA-Z]{1,9})")?(?:/>|><v>([^<]+)</v></c>|>(.*?)</c>))', re.S)


_MAX_COL, _MAX_ROW = 26 + 26**2 + 26**3, 9_999_999  # the most _REF's letters and digits can say
_RUN = itemgetter(3)


def _not_above(bound: bytes, first: int, low: int, high: int) -> bytes:
    """A pattern for the strings up to ``bound`` (b"SF", b"5000") of characters ``low``..``high``
    (``first``.. for the first one: no leading zero): shorter ones, and those of its length that
    sort at or before it, which for columns and rows is the same as being at most it."""
    if not bound:
        return b"(?!)"
    alternatives, length = [], len(bound)
    if length > 1:
        alternatives.append(b"[%c-%c]" % (first, high) + (b"[%c-%c]{0,%d}" % (low, high, length - 2)))
    for n in range(length):
        least = first if n == 0 else low
        if bound[n] > least:
            below = b"[%c-%c]" % (least, bound[n] - 1)
            alternatives.append(bound[:n] + below + (b"[%c-%c]{%d}" % (low, high, length - n - 1)))
    alternatives.append(bound)
    return b"(?:" + b"|".join(alternatives) + b")"


_LETTERS, _DIGITS = itemgetter(0), itemgetter(1)


def _as_row(digits: bytes) -> tuple[int, bytes]:
    """Orders row numbers as written (no leading zeros: ``_REF``) without converting each."""
    return len(digits), digits
_NUMBERS: dict[bytes, float] = {}


def _number(raw: bytes) -> float:
    number = float(raw)
    if number != number or number in (float("inf"), float("-inf")):
        raise _Unsure
    if len(_NUMBERS) < 10_000:
        _NUMBERS[raw] = number
    return number


# a cell's body → its formula: a form's subtotal cells (IF(COUNT(D9:G9)=0,&quot;&quot;,…), a
# few dozen a form) are the same bytes in every form of their layout, and unescaping each costs
# more than the rest of the cell
_FORMULAS: dict[bytes, str] = {}


def _formula(body: bytes) -> str:
    found = _F.search(body)
    if found is None:
        raise _Unsure
    text = found.group(1)
    formula = "=" + _text(text) if text else SHARED
    if len(_FORMULAS) < 20_000:
        _FORMULAS[body] = formula
    return formula


def _value(kind: bytes, body: bytes, strings: list[str]):
    """A cell the inline case in ``_sheet`` did not take."""
    if kind == b"inlineStr":
        if not body.startswith(b"<is>"):
            raise _Unsure
        return "".join(_text(t) for t in _T.findall(body))
    if not (body.startswith(b"<v>") and body.endswith(b"</v>")) or b"<" in body[3:-4]:
        raise _Unsure
    raw = body[3:-4]
    if kind == b"b":
        if raw not in (b"0", b"1"):
            raise _Unsure
        return raw == b"1"
    if kind == b"e" or kind == b"str":  # an error's text (as xlsx_scan gives it); a formula's text result
        return _text(raw)
    raise _Unsure


_COLUMNS: dict[bytes, int] = {}


def _column(letters: bytes) -> int:
    col = _COLUMNS.get(letters)
    if col is None:
        col = 0
        for letter in letters:
            col = col * 26 + letter - 64
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = col
    return col
