"""Open archives raters send instead of a workbook: .zip, .7z, .rar, and Outlook's .msg and winmail.dat.

A rater zips a form (or a whole branch's forms) before mailing it; a branch secretary forwards
them in one 回收.zip; Outlook on Windows sends a .msg or wraps attachments in winmail.dat. Each
is opened like a mail message: every spreadsheet (or nested archive or message) inside comes out
as a ``Member`` with its own name, and arrivals turns each into an arrival (``回收.zip/张三.xlsx``).

Everything is read from bytes in memory under bomb limits (``safety.Limits``): the number of
entries, the declared total, each member's size (read bounded, never trusting the declared
size) and ratio. Nesting depth is the caller's (arrivals counts it). Nothing here raises on a
user's file: what cannot be opened is a ``MemberProblem``.

Zip names: a zip made on Chinese Windows stores names in GBK without the UTF-8 flag; zipfile
then decodes them as CP437 ("╒┼╚².xlsx"). Those names are re-encoded and read as UTF-8 (some
tools omit the flag) or GB18030; Info-ZIP's Unicode Path field wins when present.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Iterator

from ..core.problems import Code
from .safety import Limits

ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar")
OUTLOOK_SUFFIXES = (".msg",)
TNEF_NAMES = ("winmail.dat",)
TNEF_TYPE = "application/ms-tnef"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"
_RAR_MAGIC = b"Rar!\x1a\x07"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_TNEF_MAGIC = struct.pack("<I", 0x223E9F78)
_RATIO_FLOOR = 2**20  # as safety: small members may compress well
_UNICODE_PATH = 0x7075  # Info-ZIP Unicode Path extra field
_FORWARD = "请直接转发附件（不要用Outlook的“作为附件转发”或压缩）"


@dataclass(frozen=True)
class Member:
    name: str  # its name inside the container, decoded, "/" between folders
    data: bytes


@dataclass(frozen=True)
class MemberProblem:
    name: str  # the member's name, or "" for the container as a whole
    code: Code
    found: str = ""


def container_kind(name: str, data: bytes) -> str | None:
    """"zip", "7z", "rar", "msg" or "tnef" when these bytes are a container to open, else None.

    A zip that is a workbook (.xlsx, .ods) is not a container: it holds [Content_Types].xml or
    an OpenDocument mimetype first thing.
    """
    lower = name.lower()
    if data.startswith(_ZIP_MAGIC):
        return None if _is_workbook_zip(data) else "zip"
    if data.startswith(_7Z_MAGIC):
        return "7z"
    if data.startswith(_RAR_MAGIC):
        return "rar"
    if data.startswith(_TNEF_MAGIC):
        return "tnef"
    if data.startswith(_OLE_MAGIC) and lower.endswith(OUTLOOK_SUFFIXES):
        return "msg"
    return None


_FIRST_NAMES = (b"[Content_Types].xml", b"mimetype")  # what a workbook's writer puts first


def _is_workbook_zip(data: bytes) -> bool:
    """Whether the zip holds [Content_Types].xml or mimetype: read from the first local header
    when it names one of them (every workbook writer puts it first), else from the directory."""
    name_len = int.from_bytes(data[26:28], "little")
    if data[30:30 + name_len] in _FIRST_NAMES:
        return True
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except Exception:  # a damaged zip: the workbook reader says what is wrong with it
        return True
    return "[Content_Types].xml" in names or "mimetype" in names


def members(kind: str, data: bytes, limits: Limits, wanted) -> Iterator[Member | MemberProblem]:
    """The members of a container whose name ``wanted(name)`` accepts, in stored order."""
    open_members = {"zip": _zip_members, "7z": _7z_members, "rar": _rar_members,
                    "msg": _msg_members, "tnef": _tnef_members}[kind]
    try:
        yield from open_members(data, limits, wanted)
    except _Refused as refused:
        yield MemberProblem("", refused.code, refused.found)
    except Exception as exc:  # any library error is the file's fault, not ours
        yield MemberProblem("", Code.RETURN_UNREADABLE, f"压缩包或邮件无法打开（{type(exc).__name__}）")


class _Refused(Exception):
    def __init__(self, code: Code, found: str):
        super().__init__(code, found)
        self.code, self.found = code, found


def _check_totals(count: int, total: int, limits: Limits) -> None:
    if count > limits.max_members:
        raise _Refused(Code.RETURN_TOO_LARGE, f"压缩包内{count}个文件，上限{limits.max_members}")
    if total > limits.max_unzipped_bytes:
        raise _Refused(Code.RETURN_TOO_LARGE, f"解压后{total // 2**20} MB，上限{limits.max_unzipped_bytes // 2**20} MB")


def _size_problem(name: str, size: int, packed: int, limits: Limits) -> MemberProblem | None:
    if size > limits.max_file_bytes:
        return MemberProblem(name, Code.RETURN_TOO_LARGE, f"解压后{size // 2**20} MB，上限{limits.max_file_bytes // 2**20} MB")
    ratio = size / max(packed, 1)
    if size >= _RATIO_FLOOR and ratio > limits.max_ratio:
        return MemberProblem(name, Code.RETURN_TOO_LARGE, f"压缩比{ratio:.0f}:1")
    return None


def _clean(name: str) -> str:
    """A member's name with no drive, no leading slash and no "..": it names, never places."""
    parts = [p for p in PurePosixPath(name.replace("\\", "/")).parts if p not in ("/", "..", ".")]
    return "/".join(parts)


def _junk(name: str) -> bool:
    """macOS resource forks and folders: not the rater's files."""
    return name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._")


# -- zip --------------------------------------------------------------------------------------

def _zip_members(data: bytes, limits: Limits, wanted) -> Iterator[Member | MemberProblem]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = [info for info in zf.infolist() if not info.is_dir()]
        _check_totals(len(infos), sum(info.file_size for info in infos), limits)
        for info in infos:
            name = _clean(zip_name(info))
            if _junk(name) or not wanted(name):
                continue
            problem = _size_problem(name, info.file_size, info.compress_size, limits)
            if info.flag_bits & 0x1:
                problem = MemberProblem(name, Code.RETURN_ENCRYPTED, "压缩包设置了密码")
            if problem is not None:
                yield problem
                continue
            with zf.open(info) as member:
                body = member.read(limits.max_file_bytes + 1)  # the declared size may lie
            yield _bounded(name, body, limits)


def _bounded(name: str, body: bytes, limits: Limits) -> Member | MemberProblem:
    if len(body) > limits.max_file_bytes:
        return MemberProblem(name, Code.RETURN_TOO_LARGE, f"解压后超过{limits.max_file_bytes // 2**20} MB")
    return Member(name, body)


def zip_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: the UTF-8 flag, Info-ZIP's Unicode Path, UTF-8, then GB18030."""
    if info.flag_bits & 0x800:
        return info.filename
    unicode_path = _unicode_path(info)
    if unicode_path:
        return unicode_path
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unicode_path(info: zipfile.ZipInfo) -> str:
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4 : at + 4 + size]
        at += 4 + size
        if tag == _UNICODE_PATH and len(body) > 5 and body[0] == 1:
            try:
                raw = info.filename.encode("cp437")
            except UnicodeEncodeError:
                raw = info.filename.encode("utf-8")
            if struct.unpack_from("<I", body, 1)[0] == zlib.crc32(raw):  # stale when renamed
                return body[5:].decode("utf-8", "replace")
    return ""


# -- 7z, rar ------------------------------------------------------------------------------------

def _7z_members(data: bytes, limits: Limits, wanted) -> Iterator[Member | MemberProblem]:
    import py7zr
    from py7zr.io import BytesIOFactory

    with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
        if archive.needs_password():
            raise _Refused(Code.RETURN_ENCRYPTED, "压缩包设置了密码")
        infos = [info for info in archive.list() if not info.is_directory]
        _check_totals(len(infos), sum(info.uncompressed or 0 for info in infos), limits)
        packed = max(len(data), 1)  # 7z compresses members together (solid): the ratio is the archive's
        total = sum(info.uncompressed or 0 for info in infos)
        if total >= _RATIO_FLOOR and total / packed > limits.max_ratio:
            raise _Refused(Code.RETURN_TOO_LARGE, f"压缩比{total / packed:.0f}:1")
        chosen = []
        for info in infos:
            name = _clean(info.filename)
            if _junk(name) or not wanted(name):
                continue
            problem = _size_problem(name, info.uncompressed or 0, 0, limits)
            if problem is not None and problem.found.startswith("解压后"):
                yield problem
            else:
                chosen.append(info.filename)
        if not chosen:
            return
        factory = BytesIOFactory(limits.max_file_bytes + 1)  # each member's writes are capped
        archive.extract(targets=chosen, factory=factory)
        for filename in chosen:
            product = factory.products.get(filename)
            if product is None:
                yield MemberProblem(_clean(filename), Code.RETURN_UNREADABLE, "压缩包内文件无法解压")
                continue
            product.seek(0)
            yield _bounded(_clean(filename), product.read(), limits)


def _rar_members(data: bytes, limits: Limits, wanted) -> Iterator[Member | MemberProblem]:
    import rarfile

    try:
        archive = rarfile.RarFile(io.BytesIO(data))
    except rarfile.NeedFirstVolume:
        raise _Refused(Code.RETURN_UNREADABLE, "分卷压缩包，请把各卷一并解压后发送表格")
    with archive:
        if archive.needs_password():
            raise _Refused(Code.RETURN_ENCRYPTED, "压缩包设置了密码")
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if not archive.infolist():  # rarfile takes a damaged file for an empty archive
            raise _Refused(Code.RETURN_UNREADABLE, "RAR压缩包已损坏，请解压后直接发送表格")
        _check_totals(len(infos), sum(info.file_size for info in infos), limits)
        for info in infos:
            name = _clean(info.filename)
            if _junk(name) or not wanted(name):
                continue
            problem = _size_problem(name, info.file_size, info.compress_size, limits)
            if problem is not None:
                yield problem
                continue
            try:
                with archive.open(info) as member:
                    body = member.read(limits.max_file_bytes + 1)
            except rarfile.RarCannotExec:
                raise _Refused(Code.RETURN_UNSUPPORTED_FORMAT, "RAR压缩包（本机没有解压RAR的工具），请解压后直接发送表格或改用zip")
            yield _bounded(name, body, limits)


# -- Outlook ------------------------------------------------------------------------------------

def _msg_members(data: bytes, limits: Limits, wanted) -> Iterator[Member | MemberProblem]:
    """Outlook's .msg (a saved message, or one sent "as attachment") via extract-msg."""
    import extract_msg

    try:
        message = extract_msg.openMsg(data, delayAttachments=False)
    except Exception as exc:
        raise _Refused(Code.MAIL_UNREADABLE, f"Outlook邮件无法读取（{type(exc).__name__}），{_FORWARD}")
    with message:
        for attachment in message.attachments:
            name = _clean(str(getattr(attachment, "longFilename", "") or getattr(attachment, "shortFilename", "") or ""))
            body = getattr(attachment, "data", None)
            if not name or not wanted(name):
                continue
            if not isinstance(body, bytes):  # an embedded message or a link, not a file
                yield MemberProblem(name, Code.MAIL_UNREADABLE, f"附件“{name}”不是文件，{_FORWARD}")
                continue
            yield _bounded(name, body, limits)


def _tnef_members(data: bytes, limits: Limits, wanted) -> Iterator[Member | MemberProblem]:
    """winmail.dat: Outlook's rich-text wrapper around the real attachments (tnefparse)."""
    from tnefparse import TNEF

    try:
        tnef = TNEF(data)
    except Exception as exc:
        raise _Refused(Code.MAIL_UNREADABLE, f"winmail.dat无法读取（{type(exc).__name__}），{_FORWARD}")
    for attachment in tnef.attachments:
        name = _clean(_tnef_name(attachment))
        if name and wanted(name):
            yield _bounded(name, bytes(attachment.data or b""), limits)


def _tnef_name(attachment) -> str:
    """The attachment's long name, else its title; titles are in the sender's code page (GBK)."""
    try:
        long_name = attachment.long_filename()
    except Exception:  # tnefparse decodes as UTF-8 and fails on GBK
        long_name = None
    if long_name:
        return long_name
    raw = getattr(attachment, "_name", b"") or b""
    if isinstance(raw, str):
        return raw.strip("\x00")
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec).strip("\x00")
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1").strip("\x00")
