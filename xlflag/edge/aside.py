"""One job run on the other core while this process goes on: consolidate writes the working
papers there while it writes the results workbook here (both are pure Python: threads would
share one core).

``aside(fn, *args)`` starts ``fn(*args)`` in a process of the pool's own kind (``edge.pool``:
forkserver or spawn, so it behaves the same on Windows; the arguments travel pickled) and
yields ``done``, which waits for it and returns its result or raises its error (a
``WriteFault`` arrives as itself). If the block fails first, the job is still waited for
before the block's error goes on, so no half-written temporary file is left behind; its own
error is then not reported. A process that dies (killed, out of memory) is run again here.
With ``here=True`` the job runs in this process when ``done`` is called: small jobs, one
worker asked for, or a program whose workers cannot start (``pool.workers_can_start``).

The arguments travel through a temporary file, not the pool's queue: the pool would keep them
(and their pickle) in this process until the job ends, and a county's working papers are a
hundred MB of them. Handed over this way, this process holds them no longer than the caller
does.
"""
from __future__ import annotations

import os
import pickle
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from typing import Callable, Iterator

from .memory import paused_gc
from .pool import _context, workers_can_start


@contextmanager
def aside(fn: Callable, *args, here: bool = False) -> Iterator[Callable[[], object]]:
    """``fn`` must be a module-level function (the other process finds it by name)."""
    if here or not workers_can_start():
        yield partial(fn, *args)  # bound now: no closure over ``args``, which is deleted below
        return
    fd, spool = tempfile.mkstemp(prefix="xlflag-aside-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump((fn, args), f, pickle.HIGHEST_PROTOCOL)
        del args  # from here on only the caller holds them
        pool = ProcessPoolExecutor(1, mp_context=_context())
        try:
            future = pool.submit(_run_spooled, spool)

            def done():
                try:
                    return future.result()
                except BrokenProcessPool:
                    return _run_spooled(spool)

            yield done
        finally:
            pool.shutdown(wait=True)
    finally:
        os.unlink(spool)


def _run_spooled(spool: str):
    """In the other process: one long job building and writing millions of objects (``memory``)."""
    with paused_gc():
        with open(spool, "rb") as f:
            fn, args = pickle.load(f)
        return fn(*args)
