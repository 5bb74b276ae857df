"""A large saved mailbox is read streaming: memory does not grow with the mailbox.

bench/mbox_bench.py builds a real mbox (1 MB PDFs, and genuine returns every tenth message) and
runs ingest on it in a fresh process. Here it runs at 1 MB and at 25 MB: holding the mailbox
(or a copy of it) would add at least 25 MB to the peak; streaming adds the one message being
read (~3 MB). The 200 MB figure is the bench's (README: peak RSS under 300 MB).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "mbox_bench.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("mbox_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_25_mb_mailbox_costs_no_more_memory_than_a_1_mb_one(tmp_path):
    bench = load_bench()
    office = bench.build_office(tmp_path, returns_wanted=2)
    small_accepted, _, small_peak, _ = bench.measure(1, office)
    accepted, lines, peak, _ = bench.measure(25, office)

    # 1 MB: one message, one form; 25 MB: ~18 messages, forms in messages 0 and 10
    assert (small_accepted, accepted, lines) == (1, 2, 2)
    assert peak - small_peak < 15, (small_peak, peak)
    # No absolute bound here: alone this child peaks at ~85 MB, but inside the parallel suite it
    # was measured at 331 MB for 1 MB and 25 MB alike (cause not found yet); the 300 MB target
    # for a 200 MB mailbox is checked by bench/mbox_bench.py.
