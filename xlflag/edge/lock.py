"""One run at a time on a scheme: a lock file beside it, held for the run.

The lock is the operating system's (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows) on an
open file, so a run that crashes or is killed releases it; the file keeps the holder's process id
and start time so the second run can say who holds it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from ..core.problems import CannotRun
from .files import WriteFault

LOCK_SUFFIX = ".xlflag-lock"


class Busy(CannotRun):
    """Another run holds the scheme's lock."""


def lock_path(scheme_path: Path) -> Path:
    scheme_path = Path(scheme_path)
    return scheme_path.with_name(scheme_path.name + LOCK_SUFFIX)


def _try_lock(handle) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _holder(handle) -> str:
    try:
        handle.seek(0)
        return handle.read().strip() or "未知进程"
    except OSError:  # Windows: the locked byte cannot be read by others
        return "未知进程"


def _unlock(handle) -> None:
    if os.name == "nt":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def scheme_lock(scheme_path: Path):
    """Hold the scheme's lock for the block; ``Busy`` at once if another run holds it."""
    path = lock_path(scheme_path)
    try:
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise WriteFault(path, exc) from exc
    try:
        if not _try_lock(handle):
            holder = _holder(handle)
            raise Busy(f"另一个xlflag正在处理方案{Path(scheme_path).name}（{holder}）。"
                       f"请等它结束后再运行；若确认没有在运行，可删除{path}。")
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"进程{os.getpid()}，开始于{datetime.now():%Y-%m-%d %H:%M:%S}")
            handle.flush()
        except OSError:
            pass  # the lock itself is what counts; the note is a courtesy
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        handle.close()
