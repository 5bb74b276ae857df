"""Find returned workbooks inside saved e-mail: .eml files, mbox files and maildir folders.

Office staff sometimes save the raters' mails into the returns folder instead of the
attachments. This module turns each mail source into the spreadsheet attachments it carries,
so ingest can treat them like files. Like every reader of users' data it never raises on a
bad message: a message it cannot read, or an attachment it will not take, becomes a
``MailProblem`` and the walk goes on.

Messages are parsed with the lenient ``compat32`` policy and the headers decoded here, because
Chinese mail clients get them wrong in ways the strict parser does not forgive: Foxmail writes
RFC 2047 words inside quoted ``name=""`` parameters, labels GBK text as GB2312, and some
clients send raw 8-bit UTF-8 or GBK headers.
"""
from __future__ import annotations

import base64
import binascii
import email
import email.errors
import email.policy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import NamedTuple

from ..core.problems import Code

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")
# Attachments taken besides spreadsheets: containers arrivals opens in turn (archives.py).
CONTAINER_SUFFIXES = (".zip", ".7z", ".rar", ".msg", ".eml")
TAKEN_SUFFIXES = SPREADSHEET_SUFFIXES + CONTAINER_SUFFIXES
_TNEF_NAMES = ("winmail.dat",)

# Content types that are a spreadsheet even when the part has no file name, and the suffix
# its generated name gets (so the reader picks the right format).
_SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/x-7z-compressed": ".7z",
    "application/vnd.rar": ".rar",
    "application/x-rar-compressed": ".rar",
    "application/vnd.ms-outlook": ".msg",
}

# Charsets mail clients declare for text that is really in a superset of them.
_CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
}

# Signs that a base64 attachment was cut short (a truncated save or export); a file decoded
# from it would be damaged, so it is reported rather than passed on.
_TRUNCATION_DEFECTS = (email.errors.InvalidBase64PaddingDefect, email.errors.InvalidBase64LengthDefect)

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


@dataclass(frozen=True)
class Attachment:
    filename: str  # decoded, without any folder part
    data: bytes
    sender: str  # decoded From:, e.g. "张三 <zhangsan@example.cn>"
    date: str  # Date: as ISO 8601 if parseable, else as written; "" if absent
    subject: str
    source: str  # "returns/inbox.mbox#3", "returns/a.eml", "returns/Maildir/cur/xxx"


@dataclass(frozen=True)
class MailProblem:
    """A message that could not be read, or an attachment that was not taken."""

    source: str
    found: str
    code: Code = Code.MAIL_UNREADABLE


class _Envelope(NamedTuple):
    """The headers an attachment is credited to."""

    sender: str = ""
    date: str = ""
    subject: str = ""

    def inside(self, message: Message) -> _Envelope:
        """A forwarded message's own headers, falling back to the outer ones it lacks."""
        own = _Envelope(
            sender=_sender(message),
            date=_date(message),
            subject=_header_text(message, "Subject"),
        )
        return _Envelope(*(mine or outer for mine, outer in zip(own, self)))


# -- mail sources ---------------------------------------------------------------------------


def is_mail_source(path: Path) -> bool:
    """An .eml file, an mbox file (.mbox, or any file starting with "From "), or a maildir.

    Only regular files are opened to look (a FIFO would block).
    """
    if path.is_dir():
        return _is_maildir(path)
    suffix = path.suffix.lower()
    if suffix in (".eml", ".mbox"):
        return True
    return path.is_file() and _starts_like_mbox(path)


def taken(name: str) -> bool:
    """An attachment or archive member ingest looks at: a spreadsheet or a container of them."""
    lower = PurePosixPath(name).name.lower()
    return lower.endswith(TAKEN_SUFFIXES) or lower in _TNEF_NAMES


def iter_attachments(path: Path, max_bytes: int = 20 * 2**20) -> Iterator[Attachment | MailProblem]:
    """Every spreadsheet attachment in the mail source at ``path``, in a fixed order.

    Order: mbox messages as they are in the file; maildir messages sorted by key name (the
    maildir itself first, then its ``.Sub`` folders by name); within a message, parts in order.
    Raises ValueError only when ``path`` is not a mail source at all (see ``is_mail_source``).
    """
    if path.is_dir():
        if not _is_maildir(path):
            raise ValueError(f"not a maildir: {path}")
        messages = _maildir_messages(path)
    elif path.suffix.lower() == ".eml":
        messages = _eml_message(path)
    elif path.suffix.lower() == ".mbox" or _starts_like_mbox(path):
        messages = _mbox_messages(path)
    else:
        raise ValueError(f"not a mail source: {path}")
    for source, raw in messages:
        if isinstance(raw, MailProblem):
            yield raw
        else:
            yield from message_attachments(raw, source, max_bytes)


def _is_maildir(path: Path) -> bool:
    """cur/, new/ and tmp/, and nothing in cur/ or new/ but files that start like a message.

    Folders merely named cur/ and new/ (a secretary's "new" returns) are walked as folders.
    """
    try:
        if not all((path / sub).is_dir() and not (path / sub).is_symlink() for sub in ("cur", "new", "tmp")):
            return False
        files = [f for sub in ("cur", "new") for f in (path / sub).iterdir() if not f.name.startswith(".")]
        return all(f.is_file() and not f.is_symlink() and _starts_like_message(f) for f in files)
    except OSError:
        return False


_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")  # a header's name and colon


def _starts_like_message(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return bool(_HEADER_LINE.match(handle.read(200)))
    except OSError:
        return False


def _starts_like_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def _eml_message(path: Path) -> Iterator[tuple[str, bytes | MailProblem]]:
    source = str(path)
    try:
        raw: bytes | MailProblem = path.read_bytes()
    except OSError as exc:
        raw = MailProblem(source, f"无法读取邮件文件（{type(exc).__name__}）")
    yield source, raw


def _mbox_messages(path: Path) -> Iterator[tuple[str, bytes | MailProblem]]:
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(split_mbox(handle), start=1):
                yield f"{path}#{number}", raw
    except OSError as exc:
        yield str(path), MailProblem(str(path), f"无法读取邮箱文件（{type(exc).__name__}）")


# "From sender Tue Dec  1 12:00:00 2026" (Thunderbird writes "From - Tue Dec 01 …"): a time and a year
_FROM_LINE = re.compile(rb"From \S*\s.*\d{1,2}:\d{2}.*\d{4}")


def split_mbox(lines: Iterable[bytes]) -> Iterator[bytes]:
    """The messages of an mbox, one at a time, from its lines (a binary file is its lines).

    A "From " line starts a message only at the start or after a blank line, when it carries a
    date, and when a header follows it: a body line a client forgot to escape as ">From " (or a
    "From " sentence) stays in its message instead of cutting it in two. Only one message is
    held at a time, so a mailbox of hundreds of MB is read in little memory.
    """
    message: list[bytes] = []
    started, blank, pending = False, True, None
    for line in lines:
        if pending is not None:
            if _HEADER_LINE.match(line):  # the "From " line was a separator
                if started:
                    yield b"".join(message)
                message, started = [], True
            else:
                message.append(pending)
            pending = None
        if blank and line.startswith(b"From ") and _FROM_LINE.match(line):
            pending, blank = line, False
            continue
        if not started and line.strip():  # a mailbox that does not start with "From "
            started = True
        message.append(line)
        blank = line in (b"\n", b"\r\n")
    if pending is not None:
        message.append(pending)
    if started:
        yield b"".join(message)


def _maildir_messages(root: Path) -> Iterator[tuple[str, bytes | MailProblem]]:
    folders = [root] + sorted(
        (sub for sub in root.iterdir() if sub.name.startswith(".") and _is_maildir(sub)),
        key=lambda sub: sub.name,
    )
    for folder in folders:
        # Read the files directly rather than through mailbox.Maildir so that the source
        # names the real file (with its ":2,S" flags), which is what staff can find on disk.
        files = [
            file
            for subdir in ("new", "cur")
            if (folder / subdir).is_dir()
            for file in (folder / subdir).iterdir()
            if file.is_file() and not file.name.startswith(".")
        ]
        for file in sorted(files, key=lambda file: (_maildir_key(file.name), file.parent.name)):
            yield from _eml_message(file)


def _maildir_key(filename: str) -> str:
    # The unique name before the flags; Windows maildirs use "!" or ";" for the colon.
    return re.split(r"[:!;]", filename, maxsplit=1)[0]


# -- one message ----------------------------------------------------------------------------


def message_attachments(raw: bytes, source: str, max_bytes: int) -> list[Attachment | MailProblem]:
    """The attachments ingest takes from one message's bytes (see ``taken``), in part order."""
    walk = _Walk(source, max_bytes)
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        if not message.keys():
            return [MailProblem(source, "不是邮件（没有邮件头）")]
        walk.collect(message, _Envelope().inside(message))
    except Exception as exc:  # any parser or decoder error is the message's fault, not ours
        walk.found.append(MailProblem(source, f"邮件无法解析（{type(exc).__name__}）"))
    return walk.found


@dataclass
class _Walk:
    """What one message has given so far."""

    source: str
    max_bytes: int
    found: list[Attachment | MailProblem] = field(default_factory=list)
    unnamed: int = 0  # spreadsheet parts without a name, numbered for 附件N

    def collect(self, part: Message, envelope: _Envelope) -> None:
        """Walk nested multiparts and forwarded messages, keeping what each leaf gives."""
        if part.is_multipart():
            forwarded = part.get_content_type() == "message/rfc822"
            for child in part.get_payload():
                self.collect(child, envelope.inside(child) if forwarded else envelope)
            return
        filename = self._spreadsheet_name(part)
        if filename is None:
            return
        data = part.get_payload(decode=True) or b""
        if any(isinstance(defect, _TRUNCATION_DEFECTS) for defect in part.defects):
            damaged = f"附件“{filename}”编码不完整，邮件可能被截断"
            self.found.append(MailProblem(self.source, damaged, Code.MAIL_ATTACHMENT_DAMAGED))
        elif len(data) > self.max_bytes:
            size = f"附件“{filename}”{_size(len(data))}，上限{_size(self.max_bytes)}"
            self.found.append(MailProblem(self.source, size, Code.RETURN_TOO_LARGE))
        else:
            self.found.append(Attachment(filename, data, *envelope, source=self.source))

    def _spreadsheet_name(self, part: Message) -> str | None:
        """The part's file name if it is a spreadsheet attachment, else None."""
        filename = _filename(part)
        if filename:
            return filename if taken(filename) else None
        if part.get_content_type() == "application/ms-tnef":
            return _TNEF_NAMES[0]
        suffix = _SPREADSHEET_TYPES.get(part.get_content_type())
        if suffix is None:
            return None
        self.unnamed += 1
        return f"附件{self.unnamed}{suffix}"


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{count} 字节"


# -- header decoding ------------------------------------------------------------------------


def _raw_header(part: Message, name: str) -> str | None:
    """The header as it stands in the file: unfolded, 8-bit text recovered, not yet decoded."""
    for key, value in part.raw_items():
        if key.lower() == name.lower():
            return _recover_8bit(_FOLD.sub("", str(value))).strip()
    return None


def _header_text(part: Message, name: str) -> str:
    raw = _raw_header(part, name)
    return "" if raw is None else _decode_words(raw)


def _sender(message: Message) -> str:
    raw = _raw_header(message, "From")
    if not raw:
        return ""
    # Split name from address before decoding, so a decoded name holding "," or "<" cannot
    # confuse the address parser.
    name, address = parseaddr(raw)
    if not address:
        return _decode_words(raw)
    name = _decode_words(name)
    return f"{name} <{address}>" if name else address


def _date(message: Message) -> str:
    raw = _header_text(message, "Date")
    if not raw:
        return ""
    try:
        return parsedate_to_datetime(raw).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return raw


def _filename(part: Message) -> str:
    value = _param(part, "Content-Disposition", "filename") or _param(part, "Content-Type", "name")
    if not value:
        return ""
    # Some clients send the sender's whole path; keep the name only (it may name a file on disk).
    name = PureWindowsPath(PurePosixPath(value).name).name
    return name.strip()


def _param(part: Message, header: str, param: str) -> str:
    raw = _raw_header(part, header)
    if raw is None:
        return ""
    # The header is re-set on a scratch message so its parameter parser (quotes, RFC 2231
    # continuations) sees the recovered text rather than undecodable 8-bit bytes.
    scratch = Message()
    scratch[header] = raw
    value = scratch.get_param(param, None, header)
    if value is None:
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, the bytes as latin-1 text)
        charset, _language, text = value
        return _decode_bytes(text.encode("latin-1", "replace"), charset)
    return _decode_words(value)


def _decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words anywhere in ``text``, even inside quotes.

    Adjacent words in one charset are joined before decoding, because clients split long
    names between words in the middle of a two-byte character.
    """
    pieces: list[str] = []
    run, run_charset = b"", ""
    after_word = False
    end = 0

    def flush() -> None:
        nonlocal run
        if run:
            pieces.append(_decode_bytes(run, run_charset))
            run = b""

    for match in _ENCODED_WORD.finditer(text):
        gap, end = text[end : match.start()], match.end()
        data = _word_bytes(match[2], match[3])
        if data is None:  # looks like a word but does not decode: keep it as written
            flush()
            pieces.append(gap + match[0])
            after_word = False
            continue
        charset = match[1].split("*")[0].lower()  # drop an RFC 2231 language tag
        joins = after_word and gap.strip() == ""  # whitespace between words is not text
        if not (joins and charset == run_charset):
            flush()
        if not joins:
            pieces.append(gap)
        run += data
        run_charset = charset
        after_word = True
    flush()
    pieces.append(text[end:])
    return "".join(pieces)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "bB":
            return base64.b64decode(text + "=" * (-len(text) % 4))
        return binascii.a2b_qp(text.encode("ascii"), header=True)
    except (binascii.Error, ValueError):
        return None


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Text in the declared charset if it fits, else UTF-8, else GB18030 (a superset of GBK)."""
    declared = (charset or "").strip().lower()
    for codec in (_CHARSET_SUPERSETS.get(declared, declared), "utf-8", "gb18030"):
        if not codec:
            continue
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def _recover_8bit(text: str) -> str:
    """Undo the parser's surrogate escapes for raw 8-bit header bytes (UTF-8 or GBK)."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    return _decode_bytes(text.encode("utf-8", "surrogateescape"), None)
