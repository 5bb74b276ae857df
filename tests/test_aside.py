"""edge.aside: one job on the other core (consolidate's working papers) while the caller goes on."""
from __future__ import annotations

import os
import subprocess
import sys

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


def test_a_program_read_from_standard_input_maps_and_sets_aside_here_without_a_traceback(tmp_path):
    """A new worker starts by running the main module again from its file; ``python -`` names a
    file that does not exist, so every worker would die with a traceback. Nothing is started."""
    script = (
        "import operator, os\n"
        "from xlflag.edge.aside import aside\n"
        "from xlflag.edge.pool import map_files, workers_can_start\n"
        "print(workers_can_start(), sum(map_files(operator.add, 1, range(200), count=200, workers=2)))\n"
        "with aside(os.getpid) as done:\n"
        "    print(done() == os.getpid())\n"
    )
    run = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (run.returncode, run.stderr.count("Traceback")) == (0, 0), run.stderr[-3000:]
    assert run.stdout.split() == ["False", str(sum(range(1, 201))), "True"]
    from_file = tmp_path / "script.py"  # the same program from a file starts workers as usual
    body = script.replace("print(done() == os.getpid())", "print(done() != os.getpid())").splitlines()
    from_file.write_text("if __name__ == '__main__':\n" + "".join(f"    {line}\n" for line in body))
    run = subprocess.run([sys.executable, str(from_file)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert (run.returncode, run.stderr.count("Traceback")) == (0, 0), run.stderr[-3000:]
    assert run.stdout.split() == ["True", str(sum(range(1, 201))), "True"]
