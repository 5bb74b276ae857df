"""A pure map over files, on a process pool or a Dask cluster: how ingest and forms use both cores.

Judging a returned file needs nothing but its bytes and what every file is judged against (the
scheme, the key, the planned forms): ``fn(shared, item) → result``, no state between files; so
does writing a shape's forms. ``map_files`` runs such a function:

- in this process, for a handful of files or ``workers=1`` (the plain path);
- on a local process pool by default (``workers`` processes, "spawn" or "forkserver" so it
  works the same on Windows), ``shared`` sent once to each worker;
- on a Dask distributed cluster when given its address (``dask="tcp://…"``): items travel whole
  (an arrival carries its bytes), so workers need not see the returns folder.

Results come back in the order of ``items`` whatever order workers finish in, so the outcome is
the same on every path, file for file. ``items`` is consumed lazily and the chunks in flight are
bounded, so memory does not grow with the number of files. ``init`` runs in each worker first (ingest lets calamine read in-process
there: the worker is the isolation); if a worker dies anyway, its chunk is run again here, item
by item (ingest: through the isolated reader).
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from collections import deque
from itertools import islice
from typing import Callable, Iterable, Iterator

CHUNK = 32  # items per task: big enough to hide the round trip, small enough to balance
MIN_FOR_POOL = 64  # fewer items than this are run here: starting workers costs more


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def map_files(fn, shared, items: Iterable, *, count: int | None = None, workers: int | None = None,
              dask: str | None = None, init: Callable[[], None] | None = None, chunk: int = CHUNK,
              min_for_pool: int = MIN_FOR_POOL, ahead: int | None = None) -> Iterator:
    """``fn(shared, item)`` for every item, in order.

    ``count`` (how many items there will be, if known) decides whether a pool is worth starting.
    ``ahead``: chunks in flight at most (default two a worker); more keeps a worker busy while
    the oldest chunk, whose result comes first, takes long (forms: a few dozen tasks of very
    unequal cost).
    ``fn`` and ``init`` must be module-level functions (they are sent to the workers by name).
    """
    if dask:
        return _on_dask(fn, shared, items, dask, init, chunk)
    if not pooled(count, workers, min_for_pool):
        return (fn(shared, item) for item in items)
    workers = default_workers() if workers is None else workers
    return _on_pool(fn, shared, items, workers, init, chunk, ahead or workers * 2)


def pooled(count: int | None, workers: int | None = None, min_for_pool: int = MIN_FOR_POOL) -> bool:
    """Whether ``map_files`` maps ``count`` items (None: not known) on the local pool: more than
    one worker, at least ``min_for_pool`` items, and workers that can start at all
    (``workers_can_start``). Callers that warm the pool ahead ask it too."""
    workers = default_workers() if workers is None else workers
    return workers > 1 and (count is None or count >= min_for_pool) and workers_can_start()


def workers_can_start() -> bool:
    """False when a new worker would fail before it runs anything: it starts by running the main
    module again from its file (``multiprocessing.spawn.prepare``), and a program read from
    standard input (``python - < script.py``) names a file that does not exist ("<stdin>"),
    so every worker would die with a traceback and its work be run here one item at a time.
    Such a program runs everything in this process from the start. A main module run by name
    (``python -m``), one with no file (``python -c``, an interactive session) or a real file
    starts workers as usual."""
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None):
        return True
    path = getattr(main, "__file__", None)
    if path is None:
        return True
    from multiprocessing import process

    if not os.path.isabs(path) and process.ORIGINAL_DIR is not None:
        path = os.path.join(process.ORIGINAL_DIR, path)
    return os.path.isfile(path)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _ordered(chunks: Iterator[list], submit, rerun, in_flight: int, lost: tuple[type[BaseException], ...]) -> Iterator:
    """Submit chunks keeping at most ``in_flight`` of them running; yield their results in order.

    A chunk whose worker was lost (``lost``) is run again by ``rerun``.
    """
    running: deque = deque()

    def collect():
        chunk, future = running.popleft()
        try:
            return future.result()
        except lost:
            return rerun(chunk)

    for chunk in chunks:
        running.append((chunk, submit(chunk)))
        if len(running) >= in_flight:
            yield from collect()
    while running:
        yield from collect()


# -- a local process pool ----------------------------------------------------------------------

_shared = None
_fn = None
_warmed = False


def _init_pool(fn, shared: bytes, init) -> None:
    global _fn, _shared
    if init is not None:
        init()
    _fn, _shared = fn, pickle.loads(shared)
    gc.freeze()  # what every item is mapped against, kept to the end: full collections skip it


def _run_chunk(chunk: list) -> list:
    return [_fn(_shared, item) for item in chunk]


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def warm(*modules: str) -> None:
    """Start the fork server now, importing ``modules`` there while the caller goes on, so that
    pool workers started later fork from it with them loaded instead of each importing them (a
    second or more on a busy machine). Only the first call in a process counts (the server is
    the process's own); with "spawn" (Windows) it does nothing."""
    global _warmed
    ctx = _context()
    if _warmed or ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    _warmed = True
    ctx.set_forkserver_preload(["__main__", *modules, *_loaded_here()])
    forkserver.ensure_running()


def _loaded_here() -> list[str]:
    """The xlflag modules this process has loaded, for the fork server to import too. A worker
    starts by running the main module again (as ``__mp_main__``; Python 3.11's "__main__"
    preload never takes effect: it looks for a key its preparation data does not have), and
    that run imports what the main module imports — for ``xlflag`` itself the whole package,
    typer and rich: a second or more in every worker, unless the server has them loaded."""
    return sorted(m for m in list(sys.modules) if (m == "xlflag" or m.startswith("xlflag.")) and not m.endswith("__main__"))


def _on_pool(fn, shared, items: Iterable, workers: int, init, size: int, ahead: int) -> Iterator:
    # pickled once here, not once a worker (ingest's context is ~13 MB at the county: 0.7 s each)
    blob = pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL)

    def new_pool():
        return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_init_pool, initargs=(fn, blob, init))

    state = {"pool": new_pool()}

    def submit(chunk):
        try:
            return state["pool"].submit(_run_chunk, chunk)
        except BrokenProcessPool:  # a worker died: a fresh pool for the chunks still to come
            state["pool"].shutdown(wait=False, cancel_futures=True)
            state["pool"] = new_pool()
            return state["pool"].submit(_run_chunk, chunk)

    def rerun(chunk):  # the chunk a dead worker held: here, item by item (ingest: isolated reader)
        return [fn(shared, item) for item in chunk]

    try:
        yield from _ordered(_chunks(items, size), submit, rerun, ahead, (BrokenProcessPool,))
    finally:
        state["pool"].shutdown(wait=True, cancel_futures=True)


# -- a Dask distributed cluster ----------------------------------------------------------------

def _run_remote_chunk(fn, shared, init, chunk: list) -> list:
    if init is not None:
        init()
    return [fn(shared, item) for item in chunk]


def _on_dask(fn, shared, items: Iterable, address: str, init, size: int) -> Iterator:
    from distributed import Client

    with Client(address) as client:
        shared_future = client.scatter(shared, broadcast=True)
        workers = max(1, len(client.scheduler_info().get("workers", {})))

        def submit(chunk):
            return client.submit(_run_remote_chunk, fn, shared_future, init, chunk, pure=False)

        def rerun(chunk):  # a lost worker (distributed's KilledWorker …): here, isolated reader
            return [fn(shared, item) for item in chunk]

        yield from _ordered(_chunks(items, size), submit, rerun, workers * 2, (Exception,))
