"""What arrived under RETURNS: every entry, every attachment in saved mail, every file in an archive.

A secretary's returns folder holds attachments saved by hand, whole saved messages (.eml, Outlook
.msg), mailbox exports (mbox), sometimes a mail client's maildir folder, archives (.zip, .7z,
.rar) and whatever else lands there: links, a FIFO, a folder nobody may read, names in GBK
(what unzip leaves for a zip made on Chinese Windows). Each entry becomes one or more
``Arrival``s, and none of them stops the run: an entry that cannot be read is an arrival with a
``refusal``.

Read once: a file's bytes are read into memory once, and those same bytes are hashed, stored and
parsed (a mailbox is streamed once into its stored copy and split from there), so a file
rewritten while the run reads it cannot be stored under another version's hash.

Links are followed only inside RETURNS: a link leading outside (to the signing key, say) is
refused unread and never copied; a dangling link or a loop is refused. Nothing here judges a
form; ``returns`` does.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterator

from ..core.problems import Code, Problem
from . import archives
from .mail import Attachment, MailProblem, is_mail_source, message_attachments, split_mbox, taken
from .safety import Limits
from .store import EvidenceStore

MAX_MAIL_BYTES = 256 * 2**20  # a saved mailbox bigger than this is refused unread
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Arrival:
    """One file to account for: an entry under RETURNS, an attachment, or a file in an archive."""

    name: str  # what the ledger and the problem list call it (a path under RETURNS)
    data: bytes | None  # its bytes, read once; None when there are none to read
    sha256: str = ""  # "" when it was refused unread (too large, or no bytes)
    mail: str = ""  # the message or archive it came in, e.g. 邮件/收件箱.mbox#3, 回收.zip
    sender: str = ""
    date: str = ""  # the message's Date: as ISO 8601 when it could be parsed
    stored: str = ""  # its copy in the evidence store, relative to the period folder
    mail_stored: str = ""  # the copy of the mail or archive it came in
    refusal: Problem | None = None  # why it cannot even be read (a damaged message …)
    notes: tuple[Problem, ...] = ()  # warnings about the entry itself (a recovered name)

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name


@dataclass(frozen=True)
class Entry:
    """One thing found under RETURNS: a file, a mail source, or what stopped us reading it."""

    path: Path  # where it is on disk (through any link: links are resolved when opened)
    name: str  # its path under RETURNS, names decoded, "/" between folders
    refusal: Problem | None = None
    notes: tuple[Problem, ...] = ()
    maildir: bool = False


# -- the edge: the only places that touch the disk under RETURNS -------------------------------

def list_folder(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as scan:
        return sorted(scan, key=lambda entry: entry.name)


@contextmanager
def open_entry(path: Path) -> Iterator[BinaryIO]:
    """A regular file, opened for reading without blocking on a FIFO swapped in since we looked."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotAFile("不是普通文件")
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


class _NotAFile(OSError):
    pass


# -- discovery ----------------------------------------------------------------------------------

def discover(root: Path, exclude: tuple[Path, ...] = ()) -> list[Entry]:
    """Every entry under ``root``, sorted: files, mail sources (a maildir is one), refusals.

    ``root`` may itself be one file (a saved mailbox, say) or a maildir. Folders in ``exclude``
    (the evidence store, outputs) are skipped with everything inside.
    """
    root = Path(root)
    if not root.is_dir() or is_mail_source(root):
        return [Entry(root, root.name, maildir=root.is_dir())]
    return _Walk(root.resolve(), {Path(p).resolve() for p in exclude}).run(root)


@dataclass
class _Walk:
    inside: Path  # RETURNS, resolved: links may lead anywhere under it and nowhere else
    skip: set[Path]
    found: list[Entry] = field(default_factory=list)

    def run(self, root: Path) -> list[Entry]:
        # RETURNS itself inside a skipped folder: everything under it is skipped
        self.everything_skipped = any(p in self.skip for p in (self.inside, *self.inside.parents))
        self.skipped = {str(p) for p in self.skip}
        self.folder(root, "", (self.inside,))
        return self.found

    def folder(self, folder: Path, name: str, chain: tuple[Path, ...]) -> None:
        try:
            entries = list_folder(folder)
        except OSError as exc:
            self.refuse(folder, name, Problem(Code.RETURN_FOLDER_UNREADABLE, name, found=_why(exc, folder)))
            return
        real_folder = str(chain[-1])
        for entry in entries:
            shown, note = recover_name(entry.name)
            shown = f"{name}/{shown}" if name else shown
            if not self.plain(entry, shown, real_folder, note):
                self.entry(Path(entry.path), shown, chain, note)

    def plain(self, entry: os.DirEntry, name: str, real_folder: str, note: Problem | None) -> bool:
        """A plain file (no link: its real path is its folder's real path and its name), taken
        from what the listing already says (a county's 25,000 returns would otherwise cost a
        resolve and a stat each); False for anything else, which ``entry`` looks at closely."""
        try:
            if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                return False
        except OSError:
            return False
        if not (self.everything_skipped or os.path.join(real_folder, entry.name) in self.skipped):
            self.found.append(Entry(Path(entry.path), name, notes=(replace(note, file=name),) if note else ()))
        return True

    def entry(self, path: Path, name: str, chain: tuple[Path, ...], note: Problem | None) -> None:
        notes = (replace(note, file=name),) if note else ()
        try:
            real = path.resolve(strict=True)
            info = path.stat()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
            found = "链接形成循环" if isinstance(exc, RuntimeError) or getattr(exc, "errno", 0) == 40 else _why(exc, path)
            code = Code.RETURN_LINK_BROKEN if _is_link(path) else Code.RETURN_UNREADABLE
            self.refuse(path, name, Problem(code, name, found=found), notes)
            return
        if real in self.skip or any(parent in self.skip for parent in real.parents):
            return
        if _is_link(path) and not _within(real, self.inside):
            self.refuse(path, name, Problem(Code.RETURN_LINK_OUTSIDE, name, found="→ 回收文件夹之外"), notes)
            return
        if stat.S_ISDIR(info.st_mode):
            if real in chain:
                self.refuse(path, name, Problem(Code.RETURN_LINK_BROKEN, name, found="链接指向它所在的文件夹，形成循环"), notes)
            elif is_mail_source(path):
                self.found.append(Entry(path, name, notes=notes, maildir=True))
            else:
                self.folder(path, name, (*chain, real))
        elif stat.S_ISREG(info.st_mode):
            self.found.append(Entry(path, name, notes=notes))
        else:
            self.refuse(path, name, Problem(Code.RETURN_NOT_A_FILE, name, found=_kind(info.st_mode)), notes)

    def refuse(self, path: Path, name: str, problem: Problem, notes=()) -> None:
        self.found.append(Entry(path, name, problem, tuple(notes)))


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:  # a path too long to look at is no link we could follow anyway
        return False


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "命名管道"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "特殊文件"


def _why(exc: BaseException, path: Path) -> str:
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    if getattr(exc, "errno", 0) == 36 or len(os.fsencode(path)) >= 4096:  # ENAMETOOLONG
        return f"路径过长（{len(str(path))}个字符）"
    return type(exc).__name__


def recover_name(name: str) -> tuple[str, Problem | None]:
    """A file name as the ledger shows it, and a note when it had to be recovered.

    Python hands undecodable bytes of a name over as surrogate escapes; a UTF-8 ledger cannot
    hold them. They are the name's GBK (GB18030) bytes nearly always: what unzip leaves behind.
    """
    if not any("\udc80" <= char <= "\udcff" for char in name):
        return name, None
    raw = os.fsencode(name)
    try:
        recovered, codec = raw.decode("gb18030"), "GBK"
    except UnicodeDecodeError:
        recovered, codec = raw.decode("utf-8", "replace"), "UTF-8（无法识别的字节以�代替）"
    return recovered, Problem(Code.RETURN_NAME_RECOVERED, found=recovered, expected=codec)


# -- arrivals -------------------------------------------------------------------------------------

def arrivals(entry: Entry, limits: Limits, store: EvidenceStore | None) -> Iterator[Arrival]:
    """The arrivals one entry gives: itself, or each spreadsheet in the mail or archive it is."""
    if entry.refusal is not None:
        yield Arrival(entry.name, None, refusal=entry.refusal, notes=entry.notes)
        return
    if entry.maildir:
        yield from _maildir(entry, limits, store)
        return
    with ExitStack() as stack:
        spooled: list[Path] = []

        def mbox_copy() -> Path:  # a folder only for a mailbox: a returned form needs none
            spooled.append(Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xlflag-mail-"))) / "mbox")
            return spooled[-1]

        try:
            read = _read_entry(entry, limits, mbox_copy)
        except OSError as exc:
            yield _unreadable(entry, exc)
            return
        if isinstance(read, Problem):
            yield Arrival(entry.name, None, refusal=read, notes=entry.notes)
        elif isinstance(read, str):
            yield from _mbox(entry, read, spooled[0], limits, store)
        else:
            yield from _expand(entry.name, read, {"notes": entry.notes}, limits, store, depth=0)


def _read_entry(entry: Entry, limits: Limits, mbox_copy: Callable[[], Path]) -> bytes | str | Problem:
    """One read of the entry: its bytes; or, for a mailbox, the hash of the copy streamed to
    ``mbox_copy()``; or why it was refused unread (too large)."""
    with open_entry(entry.path) as handle:
        size = os.fstat(handle.fileno()).st_size
        head = handle.read(5)
        suffix = entry.path.suffix.lower()
        if suffix == ".mbox" or (suffix != ".eml" and head == b"From "):
            if size > MAX_MAIL_BYTES:
                found = f"邮件文件{size // 2**20} MB，上限{MAX_MAIL_BYTES // 2**20} MB"
                return Problem(Code.RETURN_TOO_LARGE, entry.name, found=found)
            return _spool(head, handle, mbox_copy(), MAX_MAIL_BYTES)
        if size > limits.max_file_bytes:  # refused unread
            found = f"文件{size // 2**20} MB，上限{limits.max_file_bytes // 2**20} MB"
            return Problem(Code.RETURN_TOO_LARGE, entry.name, found=found)
        # as long as it was when looked at, and a byte more (a read of the limit itself would
        # first set aside 20 MB for a 15 KB form); on to the limit only if there is more
        data = head + handle.read(max(0, size + 1 - len(head)))
        if len(data) > size:
            data += handle.read(limits.max_file_bytes + 1 - len(data))
    if len(data) > limits.max_file_bytes:  # it grew since we looked
        return Problem(Code.RETURN_TOO_LARGE, entry.name, found=f"文件超过{limits.max_file_bytes // 2**20} MB")
    return data


def _unreadable(entry: Entry, exc: OSError) -> Arrival:
    found = exc.args[0] if isinstance(exc, _NotAFile) else _why(exc, entry.path)
    code = Code.RETURN_NOT_A_FILE if isinstance(exc, _NotAFile) else Code.RETURN_UNREADABLE
    return Arrival(entry.name, None, refusal=Problem(code, entry.name, found=found), notes=entry.notes)


def _expand(name: str, data: bytes, origin: dict, limits: Limits, store: EvidenceStore | None, depth: int,
            budget: list[int] | None = None) -> Iterator[Arrival]:
    """A file's bytes: one arrival, or, for a mail or an archive, one for each file inside it.

    ``budget`` holds the bytes still to be unpacked from this entry, all levels together: small
    archives nested in an archive may each be under every limit and still add up to a bomb.
    """
    budget = [limits.max_unzipped_bytes] if budget is None else budget
    suffix = PurePosixPath(name).suffix.lower()
    kind = "eml" if suffix == ".eml" else archives.container_kind(name, data)
    sha256 = hashlib.sha256(data).hexdigest()
    stored = store.keep_bytes(data, sha256, suffix if kind is None else _container_suffix(suffix, kind)) if store else ""
    if kind is None:
        yield Arrival(name, data, sha256, stored=stored, **origin)
        return
    if depth >= limits.max_depth:
        problem = Problem(Code.RETURN_TOO_LARGE, name, found=f"压缩包或邮件嵌套超过{limits.max_depth}层")
        yield Arrival(name, None, sha256, stored=stored, refusal=problem, **origin)
        return
    inner = {**origin, "notes": (), "mail": name, "mail_stored": stored}
    count = 0
    if kind == "eml":
        found_parts = message_attachments(data, name, limits.max_file_bytes)
    else:
        found_parts = archives.members(kind, data, limits, taken)
    for count, part in enumerate(found_parts, start=1):
        if budget[0] < 0:  # spent further down: the refusal there says so
            break
        if isinstance(part, Attachment):
            envelope = {"sender": part.sender, "date": part.date}
            yield from _expand(f"{name}/{part.filename}", part.data, {**inner, **envelope}, limits, store, depth + 1, budget)
        elif isinstance(part, archives.Member):
            budget[0] -= len(part.data)
            if budget[0] < 0:
                found = f"压缩包解压总量超过{limits.max_unzipped_bytes // 2**20} MB，其余文件未解压"
                problem = Problem(Code.RETURN_TOO_LARGE, f"{name}/{part.name}", found=found)
                yield Arrival(f"{name}/{part.name}", None, refusal=problem, **inner)
                break
            yield from _expand(f"{name}/{part.name}", part.data, inner, limits, store, depth + 1, budget)
        else:
            yield _part_problem(name, part, inner)
    if count == 0:
        code = Code.MAIL_NO_SPREADSHEET if kind == "eml" else Code.ARCHIVE_NO_SPREADSHEET
        yield Arrival(name, None, sha256, stored=stored, refusal=Problem(code, name), **origin)


def _part_problem(container: str, part: MailProblem | archives.MemberProblem, inner: dict) -> Arrival:
    if isinstance(part, MailProblem):
        return Arrival(container, None, refusal=Problem(part.code, container, found=part.found), **inner)
    named = f"{container}/{part.name}" if part.name else container
    return Arrival(named, None, refusal=Problem(part.code, named, found=part.found), **inner)


def _container_suffix(suffix: str, kind: str) -> str:
    return {"eml": ".eml", "msg": ".msg", "tnef": ".dat", "zip": ".zip", "7z": ".7z", "rar": ".rar"}.get(kind, suffix)


# -- mailboxes ------------------------------------------------------------------------------------

def _mbox(entry: Entry, sha256: str, copy: Path, limits: Limits, store: EvidenceStore | None) -> Iterator[Arrival]:
    """A mailbox, streamed once into a private copy (hashed on the way), stored, split from there."""
    stored = store.keep(copy, sha256, ".mbox") if store else ""
    count = 0
    with open(copy, "rb") as handle:
        for number, raw in enumerate(split_mbox(handle), start=1):
            for arrival in _message(f"{entry.name}#{number}", raw, entry.name, stored, limits, store):
                count += 1
                yield arrival
    if count == 0:  # no message carried a spreadsheet: the mailbox still has its line
        yield Arrival(entry.name, None, sha256, mail_stored=stored, refusal=Problem(Code.MAIL_NO_SPREADSHEET, entry.name), notes=entry.notes)


def _spool(head: bytes, src: BinaryIO, target: Path, limit: int) -> str:
    """Copy the rest of ``src`` after ``head`` to ``target`` in one read; the hash of exactly that."""
    digest, total = hashlib.sha256(head), len(head)
    with open(target, "wb") as dst:
        dst.write(head)
        while chunk := src.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise OSError(f"超过{limit // 2**20} MB")
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def _message(message: str, raw: bytes, mail_file: str, mail_stored: str, limits: Limits, store) -> Iterator[Arrival]:
    """One message of a mailbox or maildir: each attachment, or one line saying why none."""
    origin = {"mail": message, "mail_stored": mail_stored}
    parts = message_attachments(raw, message, limits.max_file_bytes)
    for part in parts:
        if isinstance(part, Attachment):
            envelope = {"sender": part.sender, "date": part.date}
            yield from _expand(f"{message}/{part.filename}", part.data, {**origin, **envelope}, limits, store, depth=1)
        else:
            yield _part_problem(message, part, origin)


def _maildir(entry: Entry, limits: Limits, store: EvidenceStore | None) -> Iterator[Arrival]:
    count = 0
    try:
        files = _maildir_files(entry)
    except OSError as exc:
        problem = Problem(Code.RETURN_FOLDER_UNREADABLE, entry.name, found=_why(exc, entry.path))
        yield Arrival(entry.name, None, refusal=problem, notes=entry.notes)
        return
    for file, name in files:
        try:
            with open_entry(file) as handle:
                raw = handle.read(limits.max_file_bytes + 1)
        except OSError as exc:
            count += 1
            yield _unreadable(Entry(file, name), exc)
            continue
        sha256 = hashlib.sha256(raw).hexdigest()
        stored = store.keep_bytes(raw, sha256, ".eml") if store else ""
        for arrival in _message(name, raw, name, stored, limits, store):
            count += 1
            yield arrival
    if count == 0:
        yield Arrival(entry.name, None, refusal=Problem(Code.MAIL_NO_SPREADSHEET, entry.name), notes=entry.notes)


_MAILDIR_KEY = re.compile(r"[:!;]")  # Windows maildirs use "!" or ";" for the colon


def _maildir_files(entry: Entry) -> list[tuple[Path, str]]:
    """Messages in new/ and cur/ of the maildir and its .Sub folders, sorted by unique name."""
    found = []
    folders = [(entry.path, entry.name)] + sorted(
        (sub, f"{entry.name}/{recover_name(sub.name)[0]}") for sub in entry.path.iterdir()
        if sub.name.startswith(".") and sub.is_dir() and is_mail_source(sub)
    )
    for folder, name in folders:
        files = [(f, f"{name}/{sub}/{recover_name(f.name)[0]}") for sub in ("new", "cur") for f in (folder / sub).iterdir()
                 if f.is_file() and not f.name.startswith(".")]
        found += sorted(files, key=lambda pair: (name, _MAILDIR_KEY.split(pair[0].name, maxsplit=1)[0], pair[0].parent.name))
    return found

