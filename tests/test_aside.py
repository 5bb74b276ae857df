"""edge.aside: one job on the other core (consolidate's working papers) while the caller goes on."""
from __future__ import annotations

import os

import pytest

from xlflag.edge.aside import aside
from xlflag.edge.files import WriteFault, atomic_write


def test_the_job_runs_in_another_process_or_here_when_asked():
    with aside(os.getpid) as done:
        assert done() != os.getpid()
    with aside(os.getpid, here=True) as done:
        assert done() == os.getpid()


def test_a_write_fault_on_the_other_core_reaches_the_caller_as_itself(tmp_path):
    target = tmp_path / "工作底稿.xlsx"
    target.mkdir()  # a folder where the file should go: the rename into place fails (EISDIR)
    with pytest.raises(WriteFault) as raised, aside(atomic_write, target, b"PK") as done:
        done()
    assert raised.value.path == target and "这是一个文件夹" in str(raised.value)
    assert [p.name for p in tmp_path.iterdir()] == ["工作底稿.xlsx"]  # no temporary file left


def test_when_the_caller_fails_first_the_job_ends_before_the_error_goes_on(tmp_path):
    data = bytes(range(256)) * 40_000  # 10 MB: still being written when the block fails
    with pytest.raises(ValueError), aside(atomic_write, tmp_path / "底稿.bin", data):
        raise ValueError("the results could not be written")
    assert [p.name for p in tmp_path.iterdir()] == ["底稿.bin"]  # whole, and nothing half-written
    assert (tmp_path / "底稿.bin").read_bytes() == data
