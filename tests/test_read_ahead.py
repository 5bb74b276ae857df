"""edge.files.read_ahead / will_read: the disk asked for each return early, so that a period's
returns, read cold one small file after another, do not leave a core waiting on the disk."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import pytest

from xlflag.edge import files
from xlflag.edge.files import read_ahead, will_read


def test_items_come_in_order_each_file_asked_for_ahead_places_before_it_is_taken(tmp_path):
    asked: list[int] = []

    def path_of(item: int):
        asked.append(item)
        return tmp_path / f"{item}.xlsx"

    taken = []
    for item in read_ahead(range(10), path_of, ahead=3):
        taken.append((item, list(asked)))
    assert [item for item, _ in taken] == list(range(10))
    assert asked == list(range(10))  # each once
    assert [len(seen) for _, seen in taken] == [min(k + 4, 10) for k in range(10)]
    assert list(read_ahead([], path_of)) == []


def _pages_cached(path) -> int:
    run = subprocess.run(["fincore", "--raw", "--noheadings", "--output", "PAGES", str(path)],
                         capture_output=True, text=True, check=True)
    return int(run.stdout.split()[0])


def _written_uncached(path, data: bytes) -> None:
    """``data`` written to ``path`` and on disk, none of its pages in the cache (clean pages: dropped)."""
    path.write_bytes(data)
    with open(path, "rb") as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def _cached_soon(path) -> int:
    """The pages of ``path`` in the cache once the kernel has read any (5 s at most)."""
    deadline = time.monotonic() + 5
    while (pages := _pages_cached(path)) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    return pages


needs_page_cache = pytest.mark.skipif(not hasattr(os, "posix_fadvise") or not shutil.which("fincore"),
                                      reason="needs posix_fadvise and util-linux's fincore to see the page cache")


@needs_page_cache
def test_a_file_asked_for_is_in_the_page_cache_soon_after_and_unchanged(tmp_path):
    path = tmp_path / "r0001.xlsx"
    data = os.urandom(256 * 1024)
    _written_uncached(path, data)
    assert _pages_cached(path) == 0
    before = path.stat()
    will_read(path)
    assert _cached_soon(path) > 0
    after = path.stat()
    assert path.read_bytes() == data and (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)


@needs_page_cache
def test_of_a_big_file_only_the_first_megabytes_are_asked_for(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "READ_AHEAD_BYTES", 64 * 1024)
    path = tmp_path / "录像.mp4"
    _written_uncached(path, os.urandom(4 * 2**20))
    will_read(path)
    _cached_soon(path)
    time.sleep(0.3)  # (a read of the whole file would go on meanwhile)
    assert 0 < _pages_cached(path) * os.sysconf("SC_PAGE_SIZE") <= 256 * 1024  # the asked 64 KB and the kernel's own read-ahead, not 4 MB


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_a_link_a_folder_or_nothing_is_not_opened_and_never_waited_on(tmp_path):
    pipe = tmp_path / "管道.xlsx"
    os.mkfifo(pipe)
    (tmp_path / "链接.xlsx").symlink_to(pipe)
    (tmp_path / "文件夹").mkdir()
    done = threading.Event()

    def ask():
        for name in ("管道.xlsx", "链接.xlsx", "文件夹", "没有这个文件.xlsx"):
            will_read(tmp_path / name)
        will_read("")
        done.set()

    threading.Thread(target=ask, daemon=True).start()
    assert done.wait(5)  # an open of the pipe for reading would wait for a writer forever
