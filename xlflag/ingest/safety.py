"""A cheap pre-check of an incoming file, run before any spreadsheet library parses it.

Some readers cannot defend themselves: python-calamine aborts the whole process (no exception
to catch) on an xlsx whose sheet reaches XFD1048576, and a zip bomb or an XML entity bomb costs
any reader memory and time. ``precheck`` looks only at the container — file size, magic bytes,
the zip directory, the prolog of every XML part, the cell references of every sheet, the
repeats of an ODS table — with each read bounded, and says whether the file may go on to a reader.

It never raises: whatever goes wrong inside is the file's fault and becomes a ``Verdict``.
"""
from __future__ import annotations

import codecs
import functools
import html
import io
import itertools
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from ..core.problems import Code


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 2**20
    max_unzipped_bytes: int = 100 * 2**20
    max_ratio: float = 200.0  # uncompressed / compressed per member, zip-bomb guard
    max_rows: int = 5_000
    max_cols: int = 500
    max_members: int = 2_000
    max_depth: int = 3  # containers inside containers: a zip in a mail is 2


@dataclass(frozen=True)
class Verdict:
    ok: bool
    kind: str  # "zip-ooxml" | "zip-ods" | "ole" (xls/et/encrypted ooxml) | "unknown"
    code: Code | None = None
    found: str = ""  # short detail for the problem record, e.g. "解压后1.2GB"


def precheck(source: Path | bytes, limits: Limits = Limits()) -> Verdict:
    """Say whether ``source`` (a file, or a file's bytes) is safe to hand to a spreadsheet
    reader. Never raises."""
    scan = _Scan(limits)
    try:
        scan.run(source if isinstance(source, bytes) else Path(source))
    except _Reject as reject:
        return Verdict(False, scan.kind, reject.code, reject.found)
    except Exception as exc:  # a parser-level surprise is the file's fault: refuse it
        return Verdict(False, scan.kind, Code.RETURN_UNREADABLE, type(exc).__name__)
    return Verdict(True, scan.kind)


class _Reject(Exception):
    def __init__(self, code: Code, found: str):
        super().__init__(code, found)
        self.code, self.found = code, found


# -- how much is read at a time ------------------------------------------------------------
_FIRST_READ = 2 * 1024  # a part's first read: holds the prolog of every part Excel/WPS/LO write
_CHUNK = 64 * 1024  # later reads while streaming a sheet, decompressed bytes
_PROLOG_MAX = 64 * 1024  # real prologs are < 200 bytes; more is padding to push a DOCTYPE away
_TAG_MAX = 64 * 1024  # one start tag; Excel's longest are a few hundred bytes
_RATIO_FLOOR = 2**20  # the ratio guard ignores members that inflate to less than this
_CD_BYTES_PER_MEMBER = 300  # zip directory bytes allowed per member (46 + name + extras)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # first member / empty archive
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"  # also matches -template
_SHEET_ROOTS = {"worksheet", "dialogsheet", "macrosheet"}  # root elements that hold cells
_NOT_WORKBOOK = {  # OOXML packages without xl/workbook.xml that we can name for the rater
    "xl/workbook.bin": "xlsb",
    "word/document.xml": "Word文档(.docx)",
    "ppt/presentation.xml": "PowerPoint(.pptx)",
}
_OTHER_FORMATS = (
    (b"%PDF", "PDF"),
    (b"{\\rtf", "RTF文档"),
    (b"Rar!", "RAR压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z压缩包"),
    (b"\x1f\x8b", "gz压缩包"),
    (b"\x89PNG", "图片"),
    (b"\xff\xd8\xff", "图片"),
)


class _Scan:
    """One pre-check: remembers the kind found so far and the bytes inflated so far."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.kind = "unknown"
        self.inflated = 0

    def run(self, source: Path | bytes) -> None:
        # before opening: a huge file is refused unread
        size = len(source) if isinstance(source, bytes) else os.stat(source).st_size
        if size > self.limits.max_file_bytes:
            found = f"文件{_human(size)}，上限{_human(self.limits.max_file_bytes)}"
            raise _Reject(Code.RETURN_TOO_LARGE, found)
        if size == 0:
            raise _Reject(Code.RETURN_UNREADABLE, "空文件")
        with (io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")) as f:
            head = f.read(512)
            if head.startswith(_ZIP_MAGIC):
                self._zip(f, size)
            elif head.startswith(_OLE_MAGIC):
                self.kind = "ole"
                _check_ole(f, size)
            else:
                raise _Reject(Code.RETURN_UNREADABLE, _not_a_spreadsheet(head))

    # -- zip packages (xlsx, ods) ------------------------------------------------------------
    def _zip(self, f: BinaryIO, size: int) -> None:
        lim = self.limits
        entries, directory_bytes = _zip_directory_size(f, size)
        # zipfile builds a ZipInfo per entry on open (a 20 MB zip of empty members: 1.6 s,
        # 130 MB), so the count is checked from the end record before zipfile sees the file.
        if entries > lim.max_members:
            raise _Reject(Code.RETURN_TOO_LARGE, f"zip内{entries}个部件，上限{lim.max_members}")
        if directory_bytes > lim.max_members * _CD_BYTES_PER_MEMBER:
            raise _Reject(Code.RETURN_TOO_LARGE, f"zip目录{_human(directory_bytes)}")
        f.seek(0)
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            names = {info.filename for info in infos}
            self.kind = _zip_kind(names)
            _check_directory(infos, lim)
            if self.kind == "zip-ods":
                _check_mimetype(zf)
            elif "xl/workbook.xml" not in names:
                for part, label in _NOT_WORKBOOK.items():
                    if part in names:
                        raise _Reject(Code.RETURN_UNSUPPORTED_FORMAT, label)
            for info in infos:
                if not info.is_dir():
                    self._part(zf, info)

    def _part(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Every member that is XML: refuse a DOCTYPE; stream sheets and ODS tables through."""
        with zf.open(info) as member:
            chunks = self._inflate(member)
            root, text = _prolog(chunks)
            if root is None:
                return
            rest = itertools.chain([text], chunks)
            # Parts are told by their root element, not their path or the package kind: rels
            # may point a sheet anywhere, and a reader may take a package for what it is not.
            if root in _SHEET_ROOTS:
                _check_sheet(rest, self.limits)
            elif root == "sst":
                _check_shared_strings(rest, self.limits)
            elif root == "document-content":  # ODS content.xml
                _check_ods_content(rest, self.limits)
            elif root == "manifest":  # ODF META-INF/manifest.xml
                _check_manifest(rest)

    def _inflate(self, member: BinaryIO) -> Iterator[str]:
        """A member's text, decoded as an XML parser would guess, never more than the cap."""
        raw = member.read(_FIRST_READ)
        decoder = codecs.getincrementaldecoder(_xml_encoding(raw))(errors="replace")
        while raw:
            self.inflated += len(raw)
            if self.inflated > self.limits.max_unzipped_bytes:  # zipfile also stops at declared sizes
                raise _Reject(Code.RETURN_TOO_LARGE, f"解压后超过{_human(self.limits.max_unzipped_bytes)}")
            yield decoder.decode(raw)
            raw = member.read(_CHUNK)
        yield decoder.decode(b"", final=True)


def open_checked_zip(data: bytes, limits: Limits = Limits()) -> zipfile.ZipFile | None:
    """``data`` opened as a zip when its directory passes the pre-check's limits (member count,
    sizes, ratios, names, methods), else None: for a reader that checks the parts itself."""
    try:
        f = io.BytesIO(data)
        entries, directory_bytes = _zip_directory_size(f, len(data))
        if entries > limits.max_members or directory_bytes > limits.max_members * _CD_BYTES_PER_MEMBER:
            return None
        f.seek(0)
        zf = zipfile.ZipFile(f)
        _check_directory(zf.infolist(), limits)
    except Exception:  # _Reject or a broken zip: the pre-check will say which
        return None
    return zf


def dimension_ok(ref: str, limits: Limits = Limits()) -> bool:
    """A sheet's ``<dimension ref>`` within the limits, as the pre-check judges it."""
    try:
        _check_dimension(ref, limits)
    except _Reject:
        return False
    return True


def _zip_directory_size(f: BinaryIO, size: int) -> tuple[int, int]:
    """(entries, central directory bytes) from the end record, read the way zipfile reads it."""
    tail_len = min(size, 22 + 0xFFFF + 20 + 56)  # end record, longest comment, zip64 records
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = len(tail) - 22
    if at < 0 or tail[at : at + 4] != b"PK\x05\x06":
        at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        raise _Reject(Code.RETURN_UNREADABLE, "zip不完整（文件被截断或损坏）")
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    locator = at - 20
    if locator >= 56 and tail[locator : locator + 4] == b"PK\x06\x07":
        record = tail[locator - 56 : locator]
        if record[:4] == b"PK\x06\x06":  # zip64: zipfile then uses these counts instead
            entries, directory_bytes = struct.unpack_from("<QQ", record, 32)
    return entries, directory_bytes


def _zip_kind(names: set[str]) -> str:
    if "mimetype" in names:
        return "zip-ods"
    if "[Content_Types].xml" in names:
        return "zip-ooxml"
    raise _Reject(Code.RETURN_UNREADABLE, "zip内没有[Content_Types].xml或mimetype，不是电子表格")


def _check_directory(infos: list[zipfile.ZipInfo], lim: Limits) -> None:
    """Member count, declared sizes and ratios: all from the directory, nothing inflated."""
    if len(infos) > lim.max_members:
        raise _Reject(Code.RETURN_TOO_LARGE, f"zip内{len(infos)}个部件，上限{lim.max_members}")
    total = sum(info.file_size for info in infos)
    if total > lim.max_unzipped_bytes:
        raise _Reject(Code.RETURN_TOO_LARGE, f"解压后{_human(total)}，上限{_human(lim.max_unzipped_bytes)}")
    seen = set()
    for info in infos:
        key = info.filename.casefold()  # OPC part names are case-insensitive
        if key in seen:  # two members of one name: a reader may see the one we did not check
            raise _Reject(Code.RETURN_UNREADABLE, f"zip内部件重名：{info.filename[:60]}")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise _Reject(Code.RETURN_ENCRYPTED, "zip加密")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # Excel, WPS and LibreOffice only deflate; zipfile inflates bzip2/lzma unbounded
            raise _Reject(Code.RETURN_UNREADABLE, f"zip压缩方式{info.compress_type}")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= _RATIO_FLOOR and ratio > lim.max_ratio:
            raise _Reject(Code.RETURN_TOO_LARGE, f"压缩比{ratio:.0f}:1（{info.filename[:60]}）")


def _check_mimetype(zf: zipfile.ZipFile) -> None:
    with zf.open("mimetype") as member:
        mimetype = member.read(100).decode("ascii", "replace").strip()
    if not mimetype.startswith(_ODS_MIMETYPE):
        raise _Reject(Code.RETURN_UNSUPPORTED_FORMAT, mimetype[:60] or "mimetype为空")


# -- XML, streamed -----------------------------------------------------------------------------
_ENCODINGS = (  # XML 1.0 appendix F: the encoding a parser infers from the first bytes
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_MORE = object()  # the prolog is not finished in the text read so far
_NAME = re.compile(r"""[^\s/>!?<"'=]+""")
# A start tag's attributes. '<' is illegal in values, so a match never runs past the next tag,
# and possessive quantifiers never backtrack: matching stays linear on hostile text.
_ATTRS = r"""((?:[^<>"']++|"[^<"]*+"|'[^<']*+')*+)"""
_ANY_TAG = re.compile("<" + _ATTRS + ">")


def _xml_encoding(first: bytes) -> str:
    # Any other encoding a parser accepts keeps ASCII bytes as they are, so utf-8 finds markup.
    return next((enc for bom, enc in _ENCODINGS if first.startswith(bom)), "utf-8")


def _prolog(chunks: Iterator[str]) -> tuple[str | None, str]:
    """(root element's local name or None when not XML, text read so far).

    Entities can only be declared in a DOCTYPE, and a DOCTYPE can only stand before the root
    element, so reading up to the root is enough to refuse every entity bomb or external entity.
    """
    text = ""
    for piece in chunks:
        text += piece
        root = _root_element(text)
        if root is not _MORE:
            return root, text
        if len(text) > _PROLOG_MAX:
            raise _Reject(Code.RETURN_TOO_LARGE, "XML开头过长")
    return None, text


def _root_element(text: str) -> str | None | object:
    body = text.lstrip("\ufeff \t\r\n")
    if not body:
        return _MORE
    if body[0] != "<":
        return None  # binary or plain text: no parser takes it as XML
    pos = 0
    while True:
        lt = body.find("<", pos)
        if lt < 0 or lt + 1 == len(body):
            return _MORE
        if body.startswith("<?", lt):
            end = body.find("?>", lt + 2)
            if end < 0:
                return _MORE
            pos = end + 2
        elif body.startswith("<!--", lt):
            end = body.find("-->", lt + 4)
            if end < 0:
                return _MORE
            pos = end + 3
        elif body.startswith("<!", lt):
            if "<!--".startswith(body[lt : lt + 4]):
                return _MORE  # may yet be a comment
            raise _Reject(Code.RETURN_TOO_LARGE, "XML实体")  # <!DOCTYPE (or junk) before the root
        else:
            name = _NAME.match(body, lt + 1)
            if name is None:
                return None
            if name.end() == len(body):
                return _MORE
            return name.group().rpartition(":")[2]


def _tags(chunks: Iterable[str], pattern: re.Pattern) -> Iterator[tuple]:
    """``pattern.findall`` over streamed text, holding back a tag that a chunk cut in two.

    Only the last '<' of a chunk can open an unfinished tag ('<' cannot occur inside one), and
    a tag ``pattern`` matches is also an ``_ANY_TAG`` match, so nothing is seen twice.
    """
    carry = ""
    for piece in chunks:
        text = carry + piece
        yield from pattern.findall(text)
        lt = text.rfind("<")
        carry = ""
        if lt >= 0 and not _ANY_TAG.match(text, lt):
            carry = text[lt:]
            if len(carry) > _TAG_MAX:
                raise _Reject(Code.RETURN_TOO_LARGE, "XML标签过长")


def _attr(attrs: str, pattern: re.Pattern) -> str | None:
    match = pattern.search(attrs)
    if match is None:
        return None
    value = match.group(1) if match.group(1) is not None else match.group(2)
    return html.unescape(value) if "&" in value else value  # a parser decodes &#88; to X


def _attr_pattern(name: str) -> re.Pattern:
    return re.compile(r"""(?:^|\s)%s\s*=\s*(?:"([^"]*)"|'([^']*)')""" % name)


# -- xlsx sheets -------------------------------------------------------------------------------
# Excel, WPS, LibreOffice and openpyxl write r="B7" first: captured here, it needs no more work.
_SHEET_TAG = re.compile(
    r"""<(?:[\w.-]+:)?(row|c|dimension)(?=[\s/>])(?:\s+r="([A-Z]{0,3})(\d{1,7})")?""" + _ATTRS + ">"
)
_R = _attr_pattern("r")
_REF = _attr_pattern("ref")
_CELL = re.compile(r"\s*\$?([A-Za-z]*)\$?(\d*)\s*", re.ASCII)
_HUGE = 10**9  # stands for any absurd index: refused all the same


def _check_sheet(chunks: Iterable[str], lim: Limits) -> None:
    """The dimension and every cell's position, as openpyxl and calamine work them out.

    A cell's place is its ``r``; a cell without ``r`` is one right of the previous cell, on the
    row of its ``<row>`` (``r``, or one below the previous row). Rows without cells do not count:
    readers size their grid from cells, and Excel writes formatted empty rows far down.
    """
    row = col = 0
    for name, letters, digits, attrs in _tags(chunks, _SHEET_TAG):
        if name == "dimension":
            _check_dimension(_attr(attrs, _REF) or "", lim)
            continue
        if not digits:  # r absent, not first or written oddly: the slow, general reading
            letters, digits = _split_ref(_attr(attrs, _R) or "")
        if name == "row":
            row, col = (_number(digits) if digits else row + 1), 0
            continue
        if letters and digits:
            col, cell_row = _column(letters), _number(digits)
        else:
            col, cell_row = col + 1, row
        if col > lim.max_cols or cell_row > lim.max_rows:
            raise _Reject(Code.RETURN_TOO_LARGE, f"单元格{_cell_name(col, cell_row)}")


_SST_TAG = re.compile(r"<(?:[\w.-]+:)?sst(?=[\s/>])" + _ATTRS + ">")
_UNIQUE_COUNT = _attr_pattern("uniqueCount")


def _check_shared_strings(chunks: Iterable[str], lim: Limits) -> None:
    """python-calamine reserves room for ``uniqueCount`` strings up front: 4000000000 aborts
    the process (measured, 0.9.1). A count above one full sheet of cells is refused."""
    for attrs in _tags(chunks, _SST_TAG):
        value = (_attr(attrs, _UNIQUE_COUNT) or "").strip()
        count = _number(value) if value.isascii() and value.isdigit() else 0
        if count > lim.max_rows * lim.max_cols:
            raise _Reject(Code.RETURN_TOO_LARGE, f"共享字符串{count}个")
        return


def _check_dimension(ref: str, lim: Limits) -> None:
    corners = [_split_ref(part) for part in ref.split(":")[:2]]
    cols = max((_column(letters) for letters, _ in corners), default=0)
    rows = max((_number(digits) for _, digits in corners), default=0)
    if cols > lim.max_cols or rows > lim.max_rows:
        raise _Reject(Code.RETURN_TOO_LARGE, f"工作表范围{ref[:40]}")


def _split_ref(text: str) -> tuple[str, str]:
    """("XFD", "1048576") from "XFD1048576", "$B$2", "5" or "C"; empty parts when unreadable."""
    match = _CELL.fullmatch(text)
    return match.groups() if match else ("", "")


@functools.lru_cache(maxsize=1024)
def _column(letters: str) -> int:
    if len(letters) > 8:
        return _HUGE
    col = 0
    for letter in letters.upper():
        col = col * 26 + ord(letter) - 64
    return col


def _number(digits: str) -> int:
    if not digits:
        return 0
    return int(digits) if len(digits) <= 10 else _HUGE


def _cell_name(col: int, row: int) -> str:
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


# -- ods content -------------------------------------------------------------------------------
_ODS_TAG = re.compile(
    r"<(/?)(?:[\w.-]+:)?(table|table-row|table-cell|covered-table-cell)(?=[\s/>])" + _ATTRS + ">"
)
_ROWS_REPEATED = _attr_pattern(r"(?:[\w.-]+:)?number-rows-repeated")
_COLS_REPEATED = _attr_pattern(r"(?:[\w.-]+:)?number-columns-repeated")
_HAS_VALUE = re.compile(r"(?:^|\s)(?:[\w.-]+:)?(?:value-type|formula)\s*=")
_ENCRYPTION_DATA = re.compile(r"<(?:[\w.-]+:)?encryption-data(?=[\s/>])")


def _check_ods_content(chunks: Iterable[str], lim: Limits) -> None:
    """Refuse a cell with content whose repeats reach beyond ``max_rows`` × ``max_cols``.

    ODS compresses runs with ``number-rows-repeated`` / ``number-columns-repeated``, and
    LibreOffice itself writes huge runs of EMPTY cells: every sheet ends with a row repeated
    about a million times holding ``<table:table-cell table:number-columns-repeated="1024"/>``.
    Readers skip empty runs, so they are only counted to place what follows. A repeated cell
    that has content (a value type, a formula, or children such as ``<text:p>``) is expanded
    into a real grid; so is an empty gap before a cell with content. So the check is the
    extent of content, the same limits as an xlsx, not a bound on the repeat numbers.
    """
    row = col = rows_repeated = 0
    outer = []  # positions in enclosing tables, should a table sit inside a cell
    for closing, name, attrs in _tags(chunks, _ODS_TAG):
        self_closing = attrs.endswith("/")
        if name == "table":
            if closing:
                row, col, rows_repeated = outer.pop() if outer else (0, 0, 0)
            elif not self_closing:
                outer.append((row, col, rows_repeated))
                row = col = rows_repeated = 0
        elif name == "table-row":
            if closing:
                row += rows_repeated
            else:
                rows_repeated, col = _repeat(attrs, _ROWS_REPEATED), 0
                if self_closing:
                    row += rows_repeated
        elif not closing:
            cols_repeated = _repeat(attrs, _COLS_REPEATED)
            if not self_closing or _HAS_VALUE.search(attrs):
                last_col, last_row = col + cols_repeated, row + rows_repeated
                if last_col > lim.max_cols or last_row > lim.max_rows:
                    raise _Reject(Code.RETURN_TOO_LARGE, f"内容延伸到{_cell_name(last_col, last_row)}")
            col += cols_repeated


def _repeat(attrs: str, pattern: re.Pattern) -> int:
    if "repeated" not in attrs:  # most cells: skip the regex
        return 1
    value = (_attr(attrs, pattern) or "1").strip()
    if not (value.isascii() and value.isdigit()):
        return 1
    return max(1, int(value)) if len(value) <= 10 else _HUGE


def _check_manifest(chunks: Iterable[str]) -> None:
    for _ in _tags(chunks, _ENCRYPTION_DATA):  # an ODS saved with a password
        raise _Reject(Code.RETURN_ENCRYPTED, "ODS加密")


# -- OLE compound files (xls, et, password-protected xlsx) -----------------------------------
_END = 0xFFFFFFFA  # sector ids from here up mark end of chain, free, FAT or DIFAT sectors
_OTHER_OLE = {"WordDocument": "Word文档(.doc)", "PowerPoint Document": "PowerPoint(.ppt)"}


def _check_ole(f: BinaryIO, size: int) -> None:
    cfb = _Cfb(f, size)
    streams = {name: (start, length) for name, start, length in cfb.entries()}
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise _Reject(Code.RETURN_ENCRYPTED, "加密的Excel文件")  # an xlsx inside, encrypted
    book = streams.get("Workbook") or streams.get("Book")
    if book is None:
        for stream, label in _OTHER_OLE.items():
            if stream in streams:
                raise _Reject(Code.RETURN_UNSUPPORTED_FORMAT, label)
    elif _has_filepass(cfb, *book):
        raise _Reject(Code.RETURN_ENCRYPTED, "加密的xls文件")


def ole_is_encrypted(data: bytes) -> bool:
    """An OLE file (.xls, or an .xlsx) that asks for a password to open. Never raises."""
    try:
        _check_ole(io.BytesIO(data), len(data))
    except _Reject as reject:
        return reject.code is Code.RETURN_ENCRYPTED
    except Exception:  # a damaged directory: the reader will say so
        return False
    return False


def _has_filepass(cfb: _Cfb, start: int, length: int) -> bool:
    """FilePass follows BOF and an optional WriteProtect at the start of the workbook stream
    ([MS-XLS] 2.1.7.20.1). A stream under the mini-stream cutoff is left to the reader: Excel
    never writes one that small."""
    if length < cfb.mini_cutoff:
        return False
    data = cfb.sector_data(start)
    pos = 0
    for _ in range(3):
        if pos + 4 > len(data):
            break
        record, record_len = struct.unpack_from("<HH", data, pos)
        if record == 0x002F:
            return True
        pos += 4 + record_len
    return False


class _Cfb:
    """Just enough of [MS-CFB] to list an OLE file's entries; every walk bounded by its size."""

    def __init__(self, f: BinaryIO, size: int):
        self.f = f
        header = self._read(0, 512)
        (shift,) = struct.unpack_from("<H", header, 0x1E)
        if shift not in (9, 12):
            raise _Reject(Code.RETURN_UNREADABLE, "OLE文件头损坏")
        self.sector = 1 << shift
        self.sectors = size // self.sector  # no chain can be longer
        self.first_dir, _, self.mini_cutoff = struct.unpack_from("<III", header, 0x30)
        first_difat, difat_count = struct.unpack_from("<II", header, 0x44)
        self.fat_sectors = list(struct.unpack_from("<109I", header, 0x4C))
        per_sector = self.sector // 4
        sector = first_difat
        for _ in range(min(difat_count, self.sectors)):
            if sector >= _END:
                break
            ids = struct.unpack(f"<{per_sector}I", self.sector_data(sector))
            self.fat_sectors.extend(ids[:-1])
            sector = ids[-1]
        self._fat: dict[int, bytes] = {}

    def _read(self, offset: int, n: int) -> bytes:
        self.f.seek(offset)
        data = self.f.read(n)
        if len(data) != n:
            raise _Reject(Code.RETURN_UNREADABLE, "OLE文件不完整")
        return data

    def sector_data(self, sector: int) -> bytes:
        return self._read((sector + 1) * self.sector, self.sector)

    def _next(self, sector: int) -> int:
        index, slot = divmod(sector, self.sector // 4)
        location = self.fat_sectors[index]  # IndexError on a bad id: caught as unreadable
        if location >= _END:
            raise _Reject(Code.RETURN_UNREADABLE, "OLE分配表损坏")
        if location not in self._fat:
            self._fat[location] = self.sector_data(location)
        return struct.unpack_from("<I", self._fat[location], slot * 4)[0]

    def _chain(self, sector: int) -> Iterator[int]:
        for _ in range(self.sectors):
            if sector >= _END:
                return
            yield sector
            sector = self._next(sector)
        raise _Reject(Code.RETURN_UNREADABLE, "OLE分配表有环")

    def entries(self) -> Iterator[tuple[str, int, int]]:
        """(name, first sector, size) of each storage and stream in the directory."""
        for sector in self._chain(self.first_dir):
            data = self.sector_data(sector)
            for at in range(0, self.sector, 128):
                name_len, kind = struct.unpack_from("<HB", data, at + 64)
                if kind not in (1, 2, 5) or not 2 <= name_len <= 64:
                    continue
                name = data[at : at + name_len - 2].decode("utf-16-le", "replace")
                start, length = struct.unpack_from("<II", data, at + 116)
                yield name, start, length


# -- wording -------------------------------------------------------------------------------------
def _not_a_spreadsheet(head: bytes) -> str:
    for magic, label in _OTHER_FORMATS:
        if head.startswith(magic):
            return f"不是电子表格（{label}）"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "不是电子表格（网页或XML）"
    return "不是电子表格"


def _human(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:.1f}GB"
    if n >= 2**20:
        return f"{n / 2**20:.1f}MB"
    if n >= 2**10:
        return f"{n / 2**10:.1f}KB"
    return f"{n:.0f}B"
