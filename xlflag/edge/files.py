"""Atomic output: a reader never sees half a workbook, a crash never leaves one behind.

A write the machine refuses (disk full, read-only, no permission) is the office's to fix, never
a rater's: it becomes a ``WriteFault`` that names the path and says what to do.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
import threading
from collections import deque
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from ..core.problems import CannotRun

_WHY = {
    errno.ENOSPC: "磁盘空间已满，请清理磁盘或换一个有空间的位置",
    errno.EDQUOT: "超出磁盘配额，请清理文件或请管理员增加配额",
    errno.EROFS: "所在磁盘或文件夹是只读的，请换一个可写的位置（或取消只读）",
    errno.EACCES: "没有写入权限，请检查文件夹权限，或关闭正在打开该文件的Excel/WPS",
    errno.EPERM: "没有写入权限，请检查文件夹权限，或关闭正在打开该文件的Excel/WPS",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹，请换一个位置",
    errno.EEXIST: "路径中有一段是文件而不是文件夹，请换一个位置",
    errno.EISDIR: "这是一个文件夹，请给出文件名",
    errno.ENAMETOOLONG: "路径过长，请换一个较短的位置",
    errno.ENOENT: "找不到这个文件或文件夹，请检查路径",
}


def os_error_text(error: OSError) -> str:
    """What went wrong with a file, in words a secretary can act on."""
    where = f"{error.filename}：" if error.filename else ""
    return where + _WHY.get(error.errno, f"系统错误（错误号{error.errno}）")


class WriteFault(CannotRun):
    """xlflag could not write ``path``; nothing was judged on the strength of it."""

    def __init__(self, path: Path, error: OSError):
        why = _WHY.get(error.errno, f"系统错误（错误号{error.errno}）")
        super().__init__(f"无法写入{path}：{why}。本次运行已停止，没有改动结果，也没有把任何回收件记为拒收；处理后请重新运行。")
        self.path, self.error = Path(path), error

    def __reduce__(self):  # raised in a pool worker, it reaches the parent as itself
        return type(self), (self.path, self.error)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: Path):
    """Yield a temporary path beside ``target``; rename it into place only on success.

    The file gets the mode an ordinary new file would (0666 less the umask: 0644 by default),
    not mkstemp's 0600. Any ``OSError`` on the way is a ``WriteFault``.
    """
    target = Path(target)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".~" + target.stem, suffix=target.suffix, dir=target.parent)
        os.close(fd)
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        raise WriteFault(target, exc) from exc
    except Exception as exc:  # XlsxWriter's close wraps the OSError (a full disk) in FileCreateError
        from xlsxwriter.exceptions import FileCreateError

        if isinstance(exc, FileCreateError) and exc.args and isinstance(exc.args[0], OSError):
            raise WriteFault(target, exc.args[0]) from exc
        raise
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


class BackgroundWrites:
    """Files written whole and atomically (``atomic_path``) on a few threads while the caller
    goes on: the disk's waits overlap each other and the caller's work. At most ``in_flight``
    files' bytes are held at once. ``wait`` returns once all are written, or raises the first
    ``WriteFault``; a file already there is not written again (copies named by content)."""

    def __init__(self, threads: int = 4, in_flight: int = 256):
        self._threads, self._room = threads, threading.BoundedSemaphore(in_flight)
        self._pool, self._futures, self._queued = None, [], set()

    def put(self, target: Path, data: bytes) -> None:
        if target in self._queued:
            return
        self._queued.add(target)
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="xlflag-store")
        self._room.acquire()
        self._futures.append(self._pool.submit(self._write, target, data))

    def _write(self, target: Path, data: bytes) -> None:
        try:
            if not target.is_file():
                atomic_write(target, data)
        finally:
            self._room.release()

    def wait(self) -> None:
        futures, self._futures = self._futures, []
        try:
            for future in futures:
                future.result()
        finally:
            for future in futures:
                future.cancel()


def atomic_write(target: Path, data: bytes) -> None:
    """``atomic_path`` for bytes already made (a form from its template): one file created with
    the ordinary mode (0666 less the umask, applied by the system), written, renamed into place;
    a fault is a ``WriteFault`` and leaves no temporary file behind."""
    folder, name = os.path.split(target)  # strings, not Path objects: a county writes 25,000
    stem, suffix = os.path.splitext(name)
    tmp = os.path.join(folder, f".~{stem}.{os.getpid()}{suffix}")
    create = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        try:  # the folder is there nearly always (a county's 25,000 forms, its store's copies)
            fd = os.open(tmp, create, 0o666)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            fd = os.open(tmp, create, 0o666)
        except FileExistsError:  # left by a run that died here: never written through, removed
            os.unlink(tmp)
            fd = os.open(tmp, create, 0o666)
        try:
            try:  # the descriptor as it is: a file object costs more than the write (25,000 forms)
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    if not written:  # no room, said without an error
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), tmp)
                    view = view[written:]
            finally:
                os.close(fd)
            os.replace(tmp, target)
        except BaseException:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise WriteFault(target, exc) from exc


def write_private(target: Path, text: str) -> None:
    """Create ``target`` readable by its owner only (0600), never replacing an existing file."""
    target = Path(target)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteFault(target, exc) from exc


def ensure_writable(folder: Path) -> None:
    """Fail now, before anything is read or stored, if nothing can be written in ``folder``."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".~xlflag", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise WriteFault(folder, exc) from exc


READ_AHEAD = 256  # files: a quarter of a second of judging on two cores, ~4 MB of a county's returns
READ_AHEAD_BYTES = 4 * 2**20  # of each file at most: a video dropped among the returns is not read in whole
_WILLNEED = getattr(os, "POSIX_FADV_WILLNEED", None)
T = TypeVar("T")


def read_ahead(items: Iterable[T], path_of: Callable[[T], Path | str], ahead: int = READ_AHEAD) -> Iterator[T]:
    """``items`` as they come, the disk asked for the file of the item ``ahead`` places on as
    each is taken (``will_read``): a period's returns arrived over weeks and are read cold, one
    small file after another, each read waiting on the disk while a core has nothing to do;
    asked ahead, the kernel reads them meanwhile (the county's returns, read cold on the pool:
    29 → 26 s, the same as read warm)."""
    window: deque = deque()
    it = iter(items)
    for item in islice(it, ahead):
        will_read(path_of(item))
        window.append(item)
    for item in it:
        will_read(path_of(item))
        window.append(item)
        yield window.popleft()
    yield from window


def will_read(path: Path | str) -> None:
    """Ask the kernel to start reading a regular file into its cache and go on at once
    (posix_fadvise WILLNEED); nothing is read here. Nothing at all where there is no such call
    (Windows), for anything but a regular file (a link is not followed, a device or a pipe is
    not opened), or on any error: the real read says what is wrong. Only its first
    ``READ_AHEAD_BYTES`` are asked for."""
    if _WILLNEED is None:
        return
    try:
        found = os.lstat(path)
        if not stat.S_ISREG(found.st_mode) or not found.st_size:
            return
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (OSError, ValueError):
        return
    try:
        os.posix_fadvise(fd, 0, min(found.st_size, READ_AHEAD_BYTES), _WILLNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# Names Windows reserves for devices, with or without an extension (CON, con.txt, LPT1 …).
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}
_FORBIDDEN = set('<>:"/\\|?*')
# what safe_filename would change: a character it replaces, or a space or dot at either end
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]|^[\s.]|[\s.]\Z')
MAX_NAME_BYTES = 120  # one path component; 255 is the usual limit, and xlflag adds suffixes


def safe_filename(text: str) -> str:
    """One path component made from a name: Chinese names stay, nothing else can escape.

    Characters Windows forbids (and / \\) become _, as do leading dots (so `.` and `..` never
    name a folder) and trailing dots and spaces (Windows drops them); device names (CON, NUL,
    COM1 …) get a _ added; a name over ``MAX_NAME_BYTES`` in UTF-8 is cut and ends in a short
    hash of the whole, so two long names stay apart. Never empty.
    """
    if (type(text) is str and text and not _UNSAFE.search(text) and len(text.encode()) <= MAX_NAME_BYTES
            and text.partition(".")[0].strip().upper() not in _RESERVED):
        return text  # nearly every roster name: nothing below would change it
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


def within_all(root: Path, relatives) -> list[tuple[Path, str]]:
    """(``within(root, r)``, what it resolves to, as text) for many paths, each folder checked and
    resolved once: a county's 25,000 forms lie in a few thousand folders. A file that is a link is
    resolved itself (each existing folder is listed once for its links, not each file looked at)."""
    root = Path(root)
    top, folders, found = root.resolve(), {}, []
    for relative in relatives:
        head, _, name = relative.rpartition("/")
        if name in ("", ".", "..") or "\\" in relative or ":" in relative:  # the general path
            target = within(root, relative)
            found.append((target, str(target.resolve())))
            continue
        folder = folders.get(head)
        if folder is None:
            folder = folders[head] = _folder_within(root, top, head, relative)
        parent, resolved_parent, links = folder
        target = parent / name
        if name in links:
            resolved = target.resolve()
            if not resolved.is_relative_to(top):
                raise ValueError(f"路径“{relative}”超出了输出文件夹{root}")
            found.append((target, str(resolved)))
        else:
            found.append((target, os.path.join(resolved_parent, name)))
    return found


def _folder_within(root: Path, top: Path, head: str, relative: str) -> tuple[Path, str, frozenset[str]]:
    """(root/head, what it resolves to as text, the names of links in it) for a folder of ``within_all``;
    ``relative`` (a path in it) names the trouble."""
    if head and (".." in Path(head).parts or Path(head).is_absolute()) or relative.startswith("/"):
        raise ValueError(f"路径“{relative}”超出了输出文件夹{root}")
    parent = root / head if head else root
    resolved = parent.resolve()
    if not resolved.is_relative_to(top):
        raise ValueError(f"路径“{relative}”超出了输出文件夹{root}")
    try:
        with os.scandir(parent) as entries:
            links = frozenset(e.name for e in entries if e.is_symlink())
    except (FileNotFoundError, NotADirectoryError):
        links = frozenset()
    return parent, str(resolved), links


STORE_FOLDER = "xlflag-存档"  # beside the scheme: one folder per period, the record of the period


def period_folder(scheme_path: Path, period: str) -> Path:
    """<scheme folder>/xlflag-存档/<period>: the period's originals, ledger and issue record."""
    return Path(scheme_path).parent / STORE_FOLDER / safe_filename(period)


# XlsxWriter stamps "now" into docProps; a fixed date makes the same inputs give the same bytes.
FIXED_CREATED = datetime(2000, 1, 1)


def new_workbook(path: Path, *, fit: bool = True, in_memory: bool = False, zip_level: int | None = None, **properties):
    """An XlsxWriter workbook that never turns a string into a formula or a link, with a fixed
    creation date. Text from raters or the roster that starts with = + - @ stays text.

    ``fit``: on close, every sheet's columns and rows are fitted to what its cells hold
    (``sheetkit.fit_sheet``); forms pass False, their layout sets every width and height.
    ``in_memory``: the parts are assembled in memory, not in a temporary file each (forms: small,
    and a quarter faster so; XlsxWriter then dates the zip's members 1980-01-01, not 01-31).
    ``zip_level``: the zlib level of a fitted workbook's parts (default zlib's own, 6): the parts
    are the same whatever the level, only the file's size and the time to deflate it change."""
    import xlsxwriter

    from .sheetkit import FittedWorkbook

    kind = FittedWorkbook if fit else xlsxwriter.Workbook
    wb = kind(str(path), {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": in_memory})
    if zip_level is not None:
        wb.zip_level = zip_level
    wb.set_properties({"author": "xlflag", "created": FIXED_CREATED} | properties)
    return wb
