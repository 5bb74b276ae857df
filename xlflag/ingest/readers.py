"""Read a returned workbook into a plain grid: the only place that knows spreadsheet formats.

Ingest works on ``WorkbookGrid`` alone, so a new format means a new reader here, nothing else.

Which reader runs is decided by the file's *content*, not its name (raters rename files):

- a zip holding ``[Content_Types].xml`` (.xlsx/.xlsm, whatever it is called) → openpyxl, in
  this process: it shows formulas as formulas and survives huge dimensions;
- a zip holding an OpenDocument spreadsheet (.ods) → python-calamine, in a worker process;
- an OLE2 file (.xls, WPS .et) → python-calamine as .xls, in a worker process, unless it is a
  password-protected OOXML package (an ``EncryptedPackage`` stream).

Only the suffixes in ``SUPPORTED_SUFFIXES`` are accepted at all.

``read_safely`` is what ingest calls: ``safety.precheck`` first, so no parser sees a zip bomb, an
entity bomb or a sheet reaching XFD1048576; then an .xlsx is read by calamine in the worker, with
its formula and error cells found in the sheet XML (``xlsx_scan``) — the same grid openpyxl
gives, about 15 times faster — and by openpyxl when anything about it is unusual.

Calamine runs in a worker because a hostile file can abort the whole process from Rust (an
allocation of ~512 GiB, exit 134) where no ``except`` reaches; in the worker a crash or a hang
becomes a ``ReadFailure`` and the pool is rebuilt for the next file. The worker is started by
multiprocessing's "forkserver" where there is one and "spawn" elsewhere (Windows has no
forkserver; ``START_METHOD``), and it is sent the file's bytes, not its path, so it needs no
file-system trick of its own. Both start methods re-import the main module: a script that calls
``read_workbook`` must keep its top level under ``if __name__ == "__main__":`` (console scripts,
``python -m`` and pytest already do). One worker serves all threads, one file at a time.

Every reader works on bytes in memory: ingest reads a returned file once and hands the same
bytes to the hash, the evidence store and these readers (``Source``: a path is read here first).

What calamine cannot tell us, for .xls/.ods/.et:
- formulas: ``SheetGrid.formulas`` stays empty and a formula cell's cached result is in
  ``values`` (a rater's "=A1" there cannot be reported as a formula);
- error values (#DIV/0!, #N/A): calamine returns them as "", so they read as blank cells;
- numbers come back as they are stored (.ods: always float, ``5.0``); a later step normalises.
"""
from __future__ import annotations

import atexit
import io
import math
import multiprocessing
import os
import signal
import stat
import tempfile
import threading
import warnings
import zipfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..core.problems import Code
from ..edge.pool import workers_can_start
from .safety import Limits, ole_is_encrypted, precheck

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et")
MAX_FILE_BYTES = 64 * 1024 * 1024  # a returned form is tens of KB; anything this big is not one
MAX_UNZIPPED_BYTES = 64 * 1024 * 1024  # sum of declared member sizes: rejects zip bombs cheaply
MAX_ZIP_MEMBERS = 10_000
WORKER_MEMORY_BYTES = 2 * 1024 * 1024 * 1024  # address-space cap: big allocations fail fast

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_ET_FAILURE = ".et（请在WPS中另存为.xlsx）"
_CRASHED = "读取进程崩溃"

# forkserver, not fork: the caller may have threads, and a fork copies their locks. Windows has
# neither fork nor forkserver; spawn works everywhere (tests run ingest under it).
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"

Source = Path | bytes  # a file to read, or a file's bytes already read
FAST_XLSX = True  # read_safely tries xlsx_fast first; the tests turn it off to compare


@dataclass(frozen=True)
class SheetGrid:
    """One sheet's cells, keyed by 1-based (row, column)."""

    name: str
    state: str = "visible"  # visible | hidden | veryHidden
    values: dict[tuple[int, int], object] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    def value(self, row: int, col: int):
        return self.values.get((row, col))


@dataclass(frozen=True)
class WorkbookGrid:
    sheets: tuple[SheetGrid, ...]
    modified: datetime | None = None  # when the rater's program last saved it

    def sheet(self, name: str) -> SheetGrid | None:
        return next((s for s in self.sheets if s.name == name), None)


@dataclass(frozen=True)
class ReadFailure:
    code: Code
    found: str = ""


def read_workbook(source: Source, *, suffix: str = "", timeout: float = 30.0) -> WorkbookGrid | ReadFailure:
    """Read any supported workbook, a path or its bytes (``suffix`` then names the format the
    file claims); never raises on a bad file.

    ``timeout`` bounds the calamine worker (.xls/.ods/.et) in seconds.
    """
    suffix, name = _claimed(source, suffix)
    if suffix not in SUPPORTED_SUFFIXES:
        return ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, suffix or name)
    try:
        data = source if isinstance(source, bytes) else _file_bytes(Path(source))
        result = data if isinstance(data, ReadFailure) else _read_by_content(data, timeout)
    except Exception as exc:  # a reader bug must still not stop the run on one rater's file
        return ReadFailure(Code.RETURN_UNREADABLE, type(exc).__name__)
    if suffix == ".et" and isinstance(result, ReadFailure) and result.code is Code.RETURN_UNREADABLE:
        # WPS's own format is only sometimes BIFF8-compatible; when it is not, the fix is WPS's.
        return ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, _ET_FAILURE)
    return result


def read_safely(source: Source, limits: Limits = Limits(), *, suffix: str = "", timeout: float = 30.0,
                fast: bool | None = None) -> WorkbookGrid | ReadFailure:
    """``read_workbook`` behind ``safety.precheck``: what ingest calls on every returned file.

    The pre-check looks at the container only (size, zip directory, XML prologs, cell
    references) with every read bounded, so a zip bomb, an entity bomb, a sheet reaching
    XFD1048576 or a file of hundreds of MB is refused before any parser sees it. Given bytes,
    the pre-check and the reader see exactly those bytes.

    Given bytes of a plain .xlsx, ``xlsx_fast`` reads them first, in one pass, into the same
    grid (``fast=False``, or ``FAST_XLSX`` off: never; the tests compare the two); whatever it is
    unsure of comes here.
    """
    suffix, name = _claimed(source, suffix)
    if suffix not in SUPPORTED_SUFFIXES:
        return ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, suffix or name)
    if (FAST_XLSX if fast is None else fast) and isinstance(source, bytes):
        from .xlsx_fast import read_fast

        grid = read_fast(source, limits)
        if grid is not None:
            return grid
    verdict = precheck(source, limits)
    if not verdict.ok:
        if suffix == ".et" and verdict.code is Code.RETURN_UNREADABLE:
            return ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, _ET_FAILURE)
        return ReadFailure(verdict.code, verdict.found)
    data = source if isinstance(source, bytes) else _file_bytes(Path(source))
    if isinstance(data, ReadFailure):
        return data
    if verdict.kind == "zip-ooxml":
        return _read_xlsx_fast(data, suffix, timeout)
    return read_workbook(data, suffix=suffix, timeout=timeout)


def _claimed(source: Source, suffix: str) -> tuple[str, str]:
    """(the suffix the file's name claims, lower case; a name for the failure)."""
    if isinstance(source, bytes):
        return suffix.lower(), suffix
    path = Path(source)
    return (suffix or path.suffix).lower(), path.name


def _file_bytes(path: Path) -> bytes | ReadFailure:
    """A file's bytes, unless it is no regular file or too large to be a form."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block open() forever
            return ReadFailure(Code.RETURN_UNREADABLE, "不是普通文件")
        if info.st_size > MAX_FILE_BYTES:
            return ReadFailure(Code.RETURN_TOO_LARGE, f"{info.st_size // 2**20} MB")
        return path.read_bytes()
    except OSError as exc:
        return ReadFailure(Code.RETURN_UNREADABLE, type(exc).__name__)


def _read_xlsx_fast(data: bytes, suffix: str, timeout: float) -> WorkbookGrid | ReadFailure:
    """A pre-checked .xlsx: values from calamine (in the worker), formulas and error cells from
    the sheet XML (``xlsx_scan``): ~1 ms a form where openpyxl takes ~18. Anything odd on the
    way, and openpyxl reads the file instead, as ``read_workbook`` would."""
    from . import xlsx_scan

    values = _read_calamine(data, ".xlsx", timeout=timeout)
    if isinstance(values, ReadFailure):
        return read_workbook(data, suffix=suffix, timeout=timeout)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            extras = xlsx_scan.scan(zf)
            modified = zip_date(zf, "docProps/core.xml", "{http://purl.org/dc/terms/}modified")
        if [sheet.name for sheet in values.sheets] != list(extras):  # the two disagree: neither is sure
            return read_workbook(data, suffix=suffix, timeout=timeout)
        sheets = tuple(_with_extras(sheet, extras[sheet.name]) for sheet in values.sheets)
    except Exception:  # a package calamine took but the scan did not understand: the slow, sure way
        return read_workbook(data, suffix=suffix, timeout=timeout)
    return WorkbookGrid(sheets, modified)


def _with_extras(sheet: SheetGrid, extras) -> SheetGrid:
    """As openpyxl shows it: a formula cell has its formula and no value; an error its text."""
    values = {at: v for at, v in sheet.values.items() if at not in extras.formulas} | extras.errors
    return SheetGrid(sheet.name, sheet.state, values, extras.formulas)


def _read_by_content(data: bytes, timeout: float) -> WorkbookGrid | ReadFailure:
    if len(data) > MAX_FILE_BYTES:
        return ReadFailure(Code.RETURN_TOO_LARGE, f"{len(data) // 2**20} MB")
    if data.startswith(_OLE_MAGIC):
        if _is_encrypted_ooxml(data) or ole_is_encrypted(data):
            return ReadFailure(Code.RETURN_ENCRYPTED)
        return _read_calamine(data, ".xls", timeout=timeout)
    if data.startswith(_ZIP_MAGIC):
        return _read_zip(data, timeout)
    return ReadFailure(Code.RETURN_UNREADABLE, "不是Excel文件")


def _is_encrypted_ooxml(data: bytes) -> bool:
    """A password-protected .xlsx is an OLE2 file with EncryptionInfo and EncryptedPackage streams.

    Stream names sit in the OLE directory as UTF-16LE; searching the bytes avoids an OLE parser.
    """
    return (data.find("EncryptedPackage".encode("utf-16-le")) != -1
            and data.find("EncryptionInfo".encode("utf-16-le")) != -1)


def _read_zip(data: bytes, timeout: float) -> WorkbookGrid | ReadFailure:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            unzipped = sum(info.file_size for info in infos)
            if unzipped > MAX_UNZIPPED_BYTES or len(infos) > MAX_ZIP_MEMBERS:
                return ReadFailure(Code.RETURN_TOO_LARGE, f"解压后{unzipped // 2**20} MB，{len(infos)}个部件")
            names = {info.filename for info in infos}
            if "xl/workbook.bin" in names:
                return ReadFailure(Code.RETURN_UNSUPPORTED_FORMAT, ".xlsb")
            if "[Content_Types].xml" in names:
                kind = "ooxml"
                modified = zip_date(zf, "docProps/core.xml", "{http://purl.org/dc/terms/}modified")
            elif "mimetype" in names and zf.read("mimetype").strip() == _ODS_MIMETYPE:
                if _ods_is_encrypted(zf):
                    return ReadFailure(Code.RETURN_ENCRYPTED)
                kind = "ods"
                modified = zip_date(zf, "meta.xml", "{http://purl.org/dc/elements/1.1/}date")
            else:
                return ReadFailure(Code.RETURN_UNREADABLE, "压缩包中没有工作簿")
    except Exception as exc:  # a broken zip is the file's fault, not ours
        return ReadFailure(Code.RETURN_UNREADABLE, type(exc).__name__)
    if kind == "ooxml":
        result = _read_openpyxl(data)
    else:
        result = _read_calamine(data, ".ods", timeout=timeout)
    if isinstance(result, WorkbookGrid):
        # Our own reading of the date, not openpyxl's properties.modified: openpyxl fills in
        # "now" when the file has none, which would make a dateless file look newest.
        return WorkbookGrid(result.sheets, modified)
    return result


def _ods_is_encrypted(zf: zipfile.ZipFile) -> bool:
    try:
        manifest = zf.read("META-INF/manifest.xml")
    except KeyError:
        return False
    return b"encryption-data" in manifest


def zip_date(zf: zipfile.ZipFile, part: str, tag: str) -> datetime | None:
    """The date in ``tag`` of the XML ``part`` (docProps/core.xml's dcterms:modified, meta.xml's
    dc:date), as naive UTC when it carries a zone (as openpyxl gives it), else as written."""
    try:
        body = zf.read(part)
    except Exception:  # no such part or a bad one: the date is a nicety, not a reason to fail
        return None
    return xml_date(body, tag)


def xml_date(body: bytes, tag: str, parse=None) -> datetime | None:
    """The date in ``tag`` of an XML part's ``body``, as ``zip_date`` gives it. ``parse``: an
    ElementTree ``fromstring``, defusedxml's unless the caller knows ``body`` holds no ``<!``
    (no DTD, so no entity for defusedxml to refuse: xml.etree then parses it alike)."""
    if parse is None:
        from defusedxml.ElementTree import fromstring as parse
    try:
        text = parse(body).findtext(f".//{tag}")
    except Exception:  # a bad part: the date is a nicety, not a reason to fail
        return None
    return _parse_iso(text) if text else None


def _parse_iso(text: str) -> datetime | None:
    text = text.strip().replace("Z", "+00:00")
    if "." in text:  # LibreOffice writes nanoseconds; datetime takes at most microseconds
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:min(digits, 6)].ljust(6, '0')}{rest[digits:]}"
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    return stamp


def _read_openpyxl(data: bytes) -> WorkbookGrid | ReadFailure:
    # openpyxl, not calamine, for .xlsx: it shows formulas as formulas (a rater typing
    # "=A1" is a problem to report, not a value to trust) and survives huge dimensions.
    # openpyxl parses through defusedxml whenever it is installed (openpyxl.xml.DEFUSEDXML),
    # so entity bombs are refused; defusedxml is a dependency for that reason.
    import openpyxl

    try:
        # A file object, not a path: openpyxl refuses names not ending .xlsx/.xlsm, and this
        # may be an .xlsx a rater renamed to .xls.
        with io.BytesIO(data) as fh, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "extension is not supported" etc.: noise for ingest
            wb = openpyxl.load_workbook(fh, data_only=False)
    except Exception as exc:  # any parser error is the file's fault, not ours
        return ReadFailure(Code.RETURN_UNREADABLE, type(exc).__name__)
    sheets = []
    for ws in wb.worksheets:
        values, formulas = {}, {}
        # Only the cells the file holds: ws.iter_rows() walks the whole used rectangle, which a
        # single cell at XFD1048576 makes 17 billion cells long.
        for (row, col), cell in sorted(ws._cells.items()):
            v = cell.value
            if v is None:
                continue
            if cell.data_type == "f":
                formulas[(row, col)] = str(getattr(v, "text", v))  # ArrayFormula keeps it in .text
            else:
                values[(row, col)] = v
        sheets.append(SheetGrid(ws.title, ws.sheet_state, values, formulas))
    return WorkbookGrid(tuple(sheets), wb.properties.modified)


# -- calamine, always in a worker process ------------------------------------------------------

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_in_process = False


def read_in_process(on: bool) -> None:
    """In a worker of ingest's own pool (``pool``) calamine runs right there: that process is
    already the isolation, and a crash there is caught by the pool. A hang is ended by the
    kernel: each read arms ``alarm`` with SIGALRM left at its default, which ends the process
    whatever calamine is doing; the pool then judges that worker's files again here, through
    the isolated reader, whose timeout names the file. Where there is no ``alarm`` (Windows),
    calamine keeps to the isolated reader in the workers too."""
    global _in_process
    _in_process = on and hasattr(signal, "alarm")


def _read_calamine(source: Source, fmt: str, *, timeout: float = 30.0) -> WorkbookGrid | ReadFailure:
    """Read ``source`` with calamine in the worker; ``fmt`` (".xls", ".ods", ".xlsx") is what the
    caller found it to be (calamine tells the format from the bytes itself).

    A crashed worker gives ``ReadFailure(RETURN_UNREADABLE, "读取进程崩溃")``, a worker still busy
    after ``timeout`` seconds is killed; either way the next call gets a fresh pool.
    """
    data = source if isinstance(source, bytes) else _file_bytes(Path(source))
    if isinstance(data, ReadFailure):
        return data
    outcome = _in_worker(timeout, _calamine_worker, data, fmt)
    return outcome if isinstance(outcome, ReadFailure) else WorkbookGrid(outcome)


def _in_worker(timeout: float, fn, *args):
    """``fn(*args)`` in the worker process, or the ReadFailure saying why it gave nothing."""
    main = threading.current_thread() is threading.main_thread()
    if _in_process and main:
        # already in a worker of ingest's pool: that process is the isolation (read_in_process)
        return _alarmed(timeout, fn, *args)
    if not workers_can_start():
        # a program read from standard input: no worker would start, and every file read this
        # way would be refused as crashing its reader; read here (on the main thread a hang
        # is ended by the kernel, as in a pool worker; elsewhere nothing can end it)
        return _alarmed(timeout, fn, *args) if main and hasattr(signal, "alarm") else fn(*args)
    with _pool_lock:
        try:
            future = _submit(fn, *args)
        except Exception as exc:  # could not even start a worker
            _discard_pool(kill=True)
            return ReadFailure(Code.RETURN_UNREADABLE, type(exc).__name__)
        try:
            outcome = future.result(timeout=timeout)
        except FutureTimeout:
            _discard_pool(kill=True)
            return ReadFailure(Code.RETURN_UNREADABLE, f"读取超时（{timeout:g}秒）")
        except BrokenProcessPool:
            _discard_pool(kill=False)
            return ReadFailure(Code.RETURN_UNREADABLE, _CRASHED)
        except Exception as exc:  # e.g. a result that would not unpickle
            return ReadFailure(Code.RETURN_UNREADABLE, type(exc).__name__)
    return outcome


def _alarmed(timeout: float, fn, *args):
    """``fn(*args)`` here, the process ended by SIGALRM (left at its default) if it takes longer
    than ``timeout`` seconds."""
    previous = signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(max(1, math.ceil(timeout)))
    try:
        return fn(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _submit(fn, *args):
    """Submit to the pool, rebuilding it once if it broke while idle (e.g. the OOM killer)."""
    global _pool
    for attempt in (1, 2):
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context(START_METHOD),
                initializer=_init_worker,
            )
        try:
            return _pool.submit(fn, *args)
        except BrokenProcessPool:
            if attempt == 2:
                raise
            _discard_pool(kill=True)


def _discard_pool(*, kill: bool) -> None:
    global _pool
    pool, _pool = _pool, None
    if pool is None:
        return
    if kill:  # Python 3.11 has no public way to stop a running worker (3.14: kill_workers)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def close_pool() -> None:
    """Stop the calamine worker, if any (tests, atexit); the next read starts a new one."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


atexit.register(close_pool)


def _init_worker() -> None:
    # A dying calamine prints a Rust backtrace (RUST_BACKTRACE may be set); the user gets a
    # ReadFailure instead, so the worker's stderr goes nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    # Without a cap, an allocation of a few GiB may succeed lazily and then swap the machine;
    # with it, calamine's allocation fails at once, the worker aborts, and we report it.
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = WORKER_MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # not on this platform: the worker still isolates
        pass


def _calamine_worker(data: bytes, fmt: str) -> tuple[SheetGrid, ...] | ReadFailure:
    """Runs in the worker process. From a file object calamine tells the format from the bytes
    (a zip's parts, OLE's magic), whatever the rater named the file; ``fmt`` is for the reader."""
    from python_calamine import (
        CalamineWorkbook,
        PasswordError,
        SheetTypeEnum,
        SheetVisibleEnum,
    )

    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as wb:
            return tuple(
                _calamine_sheet(wb, meta, _state(meta.visible, SheetVisibleEnum))
                for meta in wb.sheets_metadata
                if meta.typ == SheetTypeEnum.WorkSheet  # like openpyxl's wb.worksheets
            )
    except PasswordError:
        return ReadFailure(Code.RETURN_ENCRYPTED)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException(BaseException)
        if fmt == ".xls" and _xls_needs_password(data):
            return ReadFailure(Code.RETURN_ENCRYPTED)
        return ReadFailure(Code.RETURN_UNREADABLE, type(exc).__name__)


def _xls_needs_password(data: bytes) -> bool:
    """From a file object calamine reports a password-protected .xls as merely unreadable; from a
    path it says PasswordError. So a failed .xls is tried once more from a private copy."""
    from python_calamine import CalamineWorkbook, PasswordError

    with tempfile.TemporaryDirectory(prefix="xlflag-") as tmp:
        copy = Path(tmp) / "book.xls"
        copy.write_bytes(data)
        try:
            CalamineWorkbook.from_path(str(copy)).close()
        except PasswordError:
            return True
        except BaseException:  # noqa: BLE001 - any other failure: not a password
            return False
    return False


def _state(visible, enum) -> str:
    # calamine's enum members are not hashable, so no dict; .ods has no veryHidden
    if visible == enum.Visible:
        return "visible"
    return "veryHidden" if visible == enum.VeryHidden else "hidden"


def _calamine_sheet(wb, meta, state: str) -> SheetGrid:
    sheet = wb.get_sheet_by_name(meta.name)
    values = {}
    if sheet.start is not None:
        top, left = sheet.start  # 0-based; to_python() starts at the first non-empty cell
        for r, row in enumerate(sheet.to_python()):
            for c, v in enumerate(row):
                if v != "":  # calamine's empty cell (and, sadly, its error values)
                    values[(top + r + 1, left + c + 1)] = v
    return SheetGrid(meta.name, state, values, {})
