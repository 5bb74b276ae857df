"""Faults are the office's: a store or an output that cannot be written stops the run before
any result is written, leaves the previous results and 台账 untouched, and refuses no return.

Real faults where the machine allows (a small tmpfs, full or read-only: needs root and mount),
and an injected OSError at the real write call everywhere.
"""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import returns_kit as kit
from typer.testing import CliRunner

from xlflag import api
from xlflag.cli import app
from xlflag.edge.files import WriteFault
from xlflag.edge.lock import scheme_lock

runner = CliRunner()
A_SELF = kit.A_SELF
WORKTREE = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    return kit.new_forms(root)


def copy_scheme(forms, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(forms.scheme_path.parent / name, folder / name)
    return folder / "方案.xlsx"


def first_run(forms, scheme: Path, tmp_path: Path):
    """One accepted return on record, and a second waiting in RETURNS."""
    kit.fill(forms, forms.get(*A_SELF[0])[1], tmp_path / "回收" / "甲一.xlsx")
    result = api.consolidate(scheme, tmp_path / "回收", tmp_path / "结果.xlsx")
    kit.fill(forms, forms.get(*A_SELF[1])[1], tmp_path / "回收" / "甲二.xlsx")
    return result, result.ledger.read_bytes(), result.output.read_bytes()


def assert_untouched(result, ledger: bytes, results: bytes) -> None:
    assert result.ledger.read_bytes() == ledger
    assert result.output.read_bytes() == results
    assert "拒收".encode() not in ledger


def test_a_write_fault_in_a_pool_worker_reaches_the_parent_as_itself(tmp_path):
    import pickle

    fault = WriteFault(tmp_path / "x.xlsx", OSError(errno.ENOSPC, "No space left on device"))
    again = pickle.loads(pickle.dumps(fault))
    assert type(again) is WriteFault and again.path == fault.path and str(again) == str(fault)
    assert again.error.errno == errno.ENOSPC


def test_a_full_disk_under_xlsxwriter_is_a_write_fault_too(tmp_path):
    """XlsxWriter's close reports a full disk as its FileCreateError around the OSError."""
    from xlsxwriter.exceptions import FileCreateError

    from xlflag.edge.files import atomic_path

    with pytest.raises(WriteFault) as raised, atomic_path(tmp_path / "表.xlsx"):
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))
    assert raised.value.error.errno == errno.ENOSPC and "磁盘空间已满" in str(raised.value)
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_a_full_disk_at_the_store_copy_stops_the_run(forms, tmp_path, monkeypatch):
    scheme = copy_scheme(forms, tmp_path / "方案")
    before, ledger, results = first_run(forms, scheme, tmp_path)

    create = os.open

    def disk_full(path, flags, *args, **kwargs):  # creating a copy in 原件/ is what fails; all else works
        if "原件" in Path(path).parent.name and flags & os.O_CREAT:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return create(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", disk_full)
    with pytest.raises(WriteFault) as raised:
        api.consolidate(scheme, tmp_path / "回收", tmp_path / "结果.xlsx")
    assert "磁盘空间已满" in str(raised.value)
    assert_untouched(before, ledger, results)
    printed = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "回收"), "-o", str(tmp_path / "结果.xlsx")])
    assert printed.exit_code == 2 and "磁盘空间已满" in printed.output and "Traceback" not in printed.output
    assert_untouched(before, ledger, results)


def test_no_permission_at_the_results_write_stops_the_run(forms, tmp_path, monkeypatch):
    import xlsxwriter

    scheme = copy_scheme(forms, tmp_path / "方案")
    before, ledger, results = first_run(forms, scheme, tmp_path)

    def denied(self):
        raise PermissionError(errno.EACCES, "Permission denied", self.filename)

    monkeypatch.setattr(xlsxwriter.Workbook, "close", denied)
    printed = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "回收"), "-o", str(tmp_path / "结果.xlsx")])
    assert printed.exit_code == 2 and "没有写入权限" in printed.output and "Traceback" not in printed.output
    assert before.output.read_bytes() == results
    # the log records what truly happened (the new return arrived and counts); nothing refused
    assert "拒收" not in before.ledger.read_text(encoding="utf-8-sig")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~")] == []


def test_a_fault_writing_the_working_papers_on_the_other_core_stops_the_run(forms, tmp_path, monkeypatch):
    """工作底稿 written in another process (as from 10,000 ratings) while the results are written
    here: its fault reaches the user as any other, nothing is refused, no temporary file is left."""
    monkeypatch.setattr(api, "PAPERS_ASIDE", 0)
    scheme = copy_scheme(forms, tmp_path / "方案")
    before, ledger, results = first_run(forms, scheme, tmp_path)
    before.papers.unlink()
    before.papers.mkdir()  # a folder where the papers go: the rename into place fails
    printed = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "回收"), "-o", str(tmp_path / "结果.xlsx")])
    assert printed.exit_code == 2 and "这是一个文件夹" in printed.output and "Traceback" not in printed.output
    assert "没有把任何回收件记为拒收" in printed.output
    assert "拒收" not in before.ledger.read_text(encoding="utf-8-sig")
    assert [p for p in tmp_path.rglob(".~*")] == []


# -- real faults on a small tmpfs -----------------------------------------------------------------

@pytest.fixture
def disk(tmp_path):
    """A 2 MB tmpfs at tmp_path/盘, unmounted afterwards; skipped where nothing can be mounted."""
    point = tmp_path / "盘"
    point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def fill_up(folder: Path) -> None:
    with open(folder / "填满.bin", "wb") as f:
        try:
            while True:
                f.write(bytes(64 * 1024))
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_a_really_full_disk_under_the_store(forms, tmp_path, disk):
    scheme = copy_scheme(forms, disk / "方案")
    before, ledger, results = first_run(forms, scheme, tmp_path)
    fill_up(disk)
    printed = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "回收"), "-o", str(tmp_path / "结果.xlsx")])
    assert printed.exit_code == 2, printed.output
    assert "磁盘空间已满" in printed.output and "没有把任何回收件记为拒收" in printed.output
    assert_untouched(before, ledger, results)


def test_forms_onto_a_full_disk_stop_with_no_dispatch_list_and_no_half_files(tmp_path, disk):
    """A county of 5 branches (354 forms, written on the pool) into 2 MB: the disk fills midway.
    The fault reaches the user as a WriteFault; no 发放清单 lists forms that were never written,
    no temporary file is left, and the issue record is not written."""
    from xlflag.county import write_county_scheme
    from xlflag.scheme.issued import issue_record_path
    from xlflag.scheme.key import create_key

    scheme = write_county_scheme(tmp_path / "方案", 5)
    create_key(scheme)
    with pytest.raises(WriteFault) as raised:
        api.make_forms(scheme, disk / "测评表")
    assert raised.value.error.errno == errno.ENOSPC
    written = [p for p in (disk / "测评表").rglob("*") if p.is_file()]
    assert written and not any(p.name.startswith(".~") for p in written)  # some forms, no halves
    for path in written:
        with zipfile.ZipFile(path) as zf:
            assert zf.testzip() is None, path  # each one whole
    assert not (disk / "测评表" / "发放清单.xlsx").exists()
    assert not issue_record_path(scheme, api.load_scheme(scheme).settings.period).exists()


def test_a_read_only_store(forms, tmp_path, disk):
    scheme = copy_scheme(forms, disk / "方案")
    before, ledger, results = first_run(forms, scheme, tmp_path)
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    printed = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "回收"), "-o", str(tmp_path / "结果.xlsx")])
    assert printed.exit_code == 2 and "只读" in printed.output, printed.output
    assert_untouched(before, ledger, results)


def test_a_read_only_results_folder(forms, tmp_path, disk):
    scheme = copy_scheme(forms, tmp_path / "方案")
    kit.fill(forms, forms.get(*A_SELF[0])[1], tmp_path / "回收" / "甲一.xlsx")
    before = api.consolidate(scheme, tmp_path / "回收", disk / "结果.xlsx")
    ledger, results = before.ledger.read_bytes(), before.output.read_bytes()
    kit.fill(forms, forms.get(*A_SELF[1])[1], tmp_path / "回收" / "甲二.xlsx")
    subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
    printed = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "回收"), "-o", str(disk / "结果.xlsx")])
    assert printed.exit_code == 2 and "只读" in printed.output, printed.output
    assert_untouched(before, ledger, results)  # stopped before reading: not even the new arrival is logged


# -- two runs at once -------------------------------------------------------------------------------

def test_a_second_run_on_the_same_scheme_is_refused(forms, tmp_path):
    scheme = copy_scheme(forms, tmp_path / "方案")
    (tmp_path / "回收").mkdir()
    with scheme_lock(scheme):
        second = subprocess.run([sys.executable, "-m", "xlflag.cli", "consolidate", str(scheme), str(tmp_path / "回收"),
                                 "-o", str(tmp_path / "结果.xlsx")], capture_output=True, text=True, cwd=WORKTREE,
                                env=os.environ | {"PYTHONPATH": str(WORKTREE)})
    assert second.returncode == 2, second.stderr
    assert "另一个xlflag正在处理" in second.stderr and f"进程{os.getpid()}" in second.stderr
    assert not (tmp_path / "结果.xlsx").exists()
    after = runner.invoke(app, ["consolidate", str(scheme), str(tmp_path / "回收"), "-o", str(tmp_path / "结果.xlsx")])
    assert after.exit_code == 1, after.output  # the lock is gone with its holder; 28 forms missing
