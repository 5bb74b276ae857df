"""What arrived under RETURNS: every file, and every spreadsheet attachment inside saved mail.

A secretary's returns folder holds attachments saved by hand, whole saved messages (.eml),
mailbox exports (mbox) and sometimes a mail client's maildir folder. Each becomes one or more
``Arrival``s: a name for the ledger, the bytes on disk (a temporary file for an attachment),
their hash, where they came from, and their copy in the evidence store when there is one.
Nothing here judges a file; ``returns`` does. Nothing here raises on a user's file either.
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..core.problems import Code, Problem
from ..edge.files import sha256_file
from .mail import Attachment, is_mail_source, iter_attachments
from .safety import Limits
from .store import EvidenceStore

MAX_MAIL_BYTES = 256 * 2**20  # a saved mailbox bigger than this is refused unread
_MESSAGE_NUMBER = re.compile(r"#\d+$")  # mail.py names the n-th message of an mbox "box#n"


@dataclass(frozen=True)
class Arrival:
    """One file to account for: a file under RETURNS or one attachment of a saved message."""

    name: str  # what the ledger and the problem list call it (a path under RETURNS)
    path: Path | None  # where its bytes are now; None when there are none to read
    sha256: str = ""  # "" when it was refused unread (too large, or no bytes)
    mail: str = ""  # the message it was attached to, e.g. 邮件/收件箱.mbox#3
    sender: str = ""
    date: str = ""  # the message's Date: as ISO 8601 when it could be parsed
    stored: str = ""  # its copy in the evidence store, relative to the period folder
    mail_stored: str = ""  # the copy of the mail file it came in
    refusal: Problem | None = None  # why it cannot even be read (a damaged message …)


def discover(root: Path, exclude: tuple[Path, ...] = ()) -> list[Path]:
    """Every file and maildir under ``root``, sorted; a maildir is one source, not its files.

    ``root`` may itself be one file (a saved mailbox, say) or a maildir.

    Folders in ``exclude`` (the evidence store, outputs) are skipped with everything inside.
    """
    if not Path(root).is_dir() or is_mail_source(Path(root)):
        return [Path(root)]
    skip = {Path(p).resolve() for p in exclude}
    found: list[Path] = []

    def walk(folder: Path) -> None:
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.resolve() in skip:
                continue
            if entry.is_dir() and not entry.is_symlink():
                if is_mail_source(entry):
                    found.append(entry)
                else:
                    walk(entry)
            elif entry.is_file():
                found.append(entry)

    walk(Path(root))
    return found


def arrivals(source: Path, root: Path, limits: Limits, store: EvidenceStore | None) -> Iterator[Arrival]:
    """The arrivals one source gives: itself, or each spreadsheet attachment of saved mail.

    An attachment's bytes live in a temporary file only until the next arrival is asked for,
    so read each one before advancing.
    """
    name = _relative(source, root)
    if not (source.is_dir() or is_mail_source(source)):
        yield _file_arrival(source, name, limits, store)
        return
    if source.is_file() and source.stat().st_size > MAX_MAIL_BYTES:
        found = f"邮件文件{source.stat().st_size // 2**20} MB，上限{MAX_MAIL_BYTES // 2**20} MB"
        yield Arrival(name, None, refusal=Problem(Code.RETURN_TOO_LARGE, name, found=found))
        return
    yield from _mail_arrivals(source, root, name, limits, store)


def _file_arrival(path: Path, name: str, limits: Limits, store: EvidenceStore | None, **origin) -> Arrival:
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:  # left to precheck, which refuses it unread
            return Arrival(name, path, **origin)
        digest = sha256_file(path)
        stored = store.keep(path, digest, path.suffix) if store else ""
    except OSError as exc:
        return Arrival(name, None, refusal=Problem(Code.RETURN_UNREADABLE, name, found=type(exc).__name__), **origin)
    return Arrival(name, path, digest, stored=stored, **origin)


def _mail_arrivals(source: Path, root: Path, name: str, limits: Limits, store: EvidenceStore | None) -> Iterator[Arrival]:
    kept: dict[Path, str] = {}  # mail file → its stored copy (an mbox holds many messages)

    def keep_mail(message_source: str) -> str:
        file = _message_file(message_source)
        if store is None or not file.is_file():
            return ""
        if file not in kept:
            kept[file] = store.keep(file, sha256_file(file), _mail_suffix(file))
        return kept[file]

    count = 0
    with tempfile.TemporaryDirectory(prefix="xlflag-mail-") as tmp:
        for count, found in enumerate(iter_attachments(source, max_bytes=limits.max_file_bytes), start=1):
            message = _relative_source(found.source, root)
            origin = {"mail": message, "mail_stored": keep_mail(found.source)}
            if isinstance(found, Attachment):
                path = Path(tmp) / f"{count}{Path(found.filename).suffix.lower()}"
                path.write_bytes(found.data)
                origin |= {"sender": found.sender, "date": found.date}
                yield _file_arrival(path, f"{message}/{found.filename}", limits, store, **origin)
                path.unlink()
            else:
                yield Arrival(message, None, refusal=Problem(found.code, message, found=found.found), **origin)
    if count == 0:
        stored = keep_mail(str(source)) if source.is_file() else ""
        yield Arrival(name, None, mail_stored=stored, refusal=Problem(Code.MAIL_NO_SPREADSHEET, name))


def _mail_suffix(file: Path) -> str:
    """.mbox for a mailbox, .eml for one message (a maildir file's own name ends in ":2,S")."""
    suffix = file.suffix.lower()
    if suffix in (".eml", ".mbox"):
        return suffix
    return ".mbox" if is_mail_source(file) else ".eml"


def _message_file(source: str) -> Path:
    """The file holding a message mail.py names: the .eml or maildir file, or the mbox."""
    path = Path(source)
    return path if path.exists() else Path(_MESSAGE_NUMBER.sub("", source))


def _relative_source(source: str, root: Path) -> str:
    number = _MESSAGE_NUMBER.search(source)
    if number and not Path(source).exists():
        return _relative(Path(source[: number.start()]), root) + number.group()
    return _relative(Path(source), root)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
