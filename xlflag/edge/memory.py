"""The cyclic garbage collector held off while a county's results are computed and written.

After ingest the process holds millions of objects (a county: 6 million scores in 310,000
ratings); each full collection walks all of them, and building the results allocates enough to
start one again and again — about a fifth of the scoring's time on the county. What is built
there is either kept (the results) or freed by reference counting as soon as it is written
(rows, cells): it makes few reference cycles, and those are collected when the block ends.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside the block (reference counting frees as always); as it was after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
