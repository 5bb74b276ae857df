"""The cyclic garbage collector held off for the whole of a command that reads or writes a
county's forms (``api``: make_forms, consolidate, status, make_bulletin).

From the scheme read on, the process holds millions of objects (a county: 25,000 planned
identities, then 6 million scores in 310,000 ratings); each full collection walks all of them,
and reading the returns and building the results allocate enough to start one again and again
— about a fifth of the scoring's time on the county. What is made there is either kept (the
outcomes, the results) or freed by reference counting as soon as it is used (rows, cells): it
makes few reference cycles, and those are collected once the block has ended.
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
