"""Every entry under RETURNS ends in exactly one ledger line, and nothing aborts the run.

Each case is a real situation built here: real symlinks (outside RETURNS, inside, dangling,
looping), FIFOs, a name in GBK bytes (what unzip leaves for a zip made on Chinese Windows), a
path longer than the system allows, a file rewritten while the run reads it, and, where root
cannot be refused anything (the tests run as root, chmod does not stop it), a PermissionError
injected at the one edge function that opens files or lists folders. Each asserts the ledger
line's status and code, and that the genuine returns count exactly as in a clean run.

The genuine returns are the S2 kit's (tests/returns_kit.py): three self forms, 甲一 A1, 甲二
A2 and 乙一 B1, each rating one person on 20 items.
"""
from __future__ import annotations

import hashlib
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
import returns_kit as kit

from xlflag import api
from xlflag.core.problems import Code
from xlflag.ingest import arrivals as arrivals_module
from xlflag.ingest.returns import ACCEPTED, DUPLICATE, NOT_A_FORM, REJECTED, ingest
from xlflag.ingest.store import EvidenceStore, read_ledger
from xlflag.scheme.key import load_key

GENUINE = [("甲支部", "DZ", "A1"), ("甲支部", "DZ", "A2"), ("乙支部", "DZ", "B1")]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The scheme, its forms, and the three genuine returns' bytes."""
    root = tmp_path_factory.mktemp("office")
    forms = kit.make_forms(kit.build_scheme(root / "方案"), root / "测评表")
    genuine = {}
    for where in GENUINE:
        path = kit.fill(forms, forms.get(*where)[1], root / "stage" / f"{where[2]}.xlsx")
        genuine[where[2]] = path.read_bytes()
    return forms, genuine


class Run:
    """One ingest over a returns folder, with an evidence store, and what to assert about it."""

    def __init__(self, office, returns: Path, store_at: Path, **options):
        forms, _ = office
        self.store = EvidenceStore(store_at)
        scheme_path = forms.scheme_path
        self.intake = ingest(forms.scheme, load_key(scheme_path), returns, store=self.store, **options)
        self.ledger = self.store.write_ledger(self.intake.ledger)  # must not fail on any name

    def line(self, name: str):
        lines = [e for e in self.intake.ledger if e.file == name]
        assert len(lines) == 1, (name, [e.file for e in self.intake.ledger])
        return lines[0]

    def codes(self, name: str) -> list[str]:
        return sorted(p.code.name for p in self.intake.report.problems if p.file == name)

    def totals(self) -> dict[str, tuple]:
        return {form.identity.form_id: form.rows for form in self.intake.accepted}


def returns_with_genuine(office, folder: Path) -> Path:
    """A returns folder holding the three genuine returns, as a clean run sees them."""
    _, genuine = office
    folder.mkdir(parents=True, exist_ok=True)
    for rater, data in genuine.items():
        (folder / f"{rater}.xlsx").write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def clean_totals(office, tmp_path_factory):
    root = tmp_path_factory.mktemp("clean")
    run = Run(office, returns_with_genuine(office, root / "回收"), root / "存档")
    assert len(run.intake.accepted) == 3
    return run.totals()


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging (a FIFO opened for reading blocks until someone writes)."""
    def alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- read once ------------------------------------------------------------------------------------

def test_a_file_rewritten_while_read_is_stored_under_the_hash_of_what_was_parsed(office, tmp_path, monkeypatch):
    """The moment after ingest reads A1.xlsx, a rater's second save replaces it with a copy
    scoring 1.1 differently. What was read is what is hashed, stored and parsed: the stored copy
    hashes to the ledger's hash and holds the scores the run counted (the first save's)."""
    forms, genuine = office
    returns = returns_with_genuine(office, tmp_path / "回收")
    target = returns / "A1.xlsx"
    form = forms.get(*GENUINE[0])[0]
    first = kit.score_at(forms, form, 0, "1.1")
    second_save = kit.fill(forms, forms.get(*GENUINE[0])[1], tmp_path / "second.xlsx", {"D6": 1 if first != 1 else 2}).read_bytes()
    real_open = arrivals_module.open_entry

    @contextmanager
    def open_then_rewrite(path):
        with real_open(path) as handle:
            yield handle
        if Path(path) == target:
            target.write_bytes(second_save)  # the same file, another version, mid-run

    monkeypatch.setattr(arrivals_module, "open_entry", open_then_rewrite)
    run = Run(office, returns, tmp_path / "存档")

    line = run.line("A1.xlsx")
    stored = (run.store.root / line.stored).read_bytes()
    assert line.status == ACCEPTED
    assert hashlib.sha256(stored).hexdigest() == line.sha256
    assert stored == genuine["A1"]  # the bytes read, not the rewritten file
    assert target.read_bytes() == second_save  # the rewrite did happen
    accepted = next(f for f in run.intake.accepted if f.file == "A1.xlsx")
    assert dict(accepted.rows[0].scores)["1.1"] == first


# -- links ------------------------------------------------------------------------------------

def test_links_are_followed_inside_returns_and_refused_outside(office, tmp_path, clean_totals):
    secret = tmp_path / "xlflag.key"
    secret.write_bytes(b"signing key: never copy me")
    outside_dir = tmp_path / "别处"
    returns_with_genuine(office, outside_dir)  # genuine forms, but outside RETURNS
    returns = returns_with_genuine(office, tmp_path / "回收")
    (returns / "密钥.xlsx").symlink_to(secret)  # a file link leading outside
    (returns / "别处的表").symlink_to(outside_dir, target_is_directory=True)  # a folder link leading outside
    (returns / "A1的链接.xlsx").symlink_to(returns / "A1.xlsx")  # a file link inside
    (returns / "分组").mkdir()
    (returns / "分组" / "全部").symlink_to(returns, target_is_directory=True)  # a loop: its own ancestor
    (returns / "失效.xlsx").symlink_to(tmp_path / "已删除.xlsx")  # dangling
    (returns / "自环.xlsx").symlink_to(returns / "自环.xlsx")  # a link to itself

    with deadline(60):
        run = Run(office, returns, tmp_path / "存档")

    for name in ("密钥.xlsx", "别处的表"):
        assert run.line(name).status == REJECTED
        assert run.codes(name) == ["RETURN_LINK_OUTSIDE"]
        assert run.line(name).sha256 == run.line(name).stored == ""
    for name in ("分组/全部", "失效.xlsx", "自环.xlsx"):
        assert (run.line(name).status, run.codes(name)) == (REJECTED, ["RETURN_LINK_BROKEN"])
    assert run.line("A1的链接.xlsx").status in (ACCEPTED, DUPLICATE)  # followed: the same form twice
    assert {run.line("A1的链接.xlsx").status, run.line("A1.xlsx").status} == {ACCEPTED, DUPLICATE}
    assert len(run.intake.ledger) == 3 + 6
    stored = {p.read_bytes() for p in (run.store.root / "原件").iterdir()}
    assert secret.read_bytes() not in stored  # never copied
    assert run.totals() == clean_totals


def test_a_folder_link_inside_returns_is_walked(office, tmp_path, clean_totals):
    """Today's bug: a directory symlink was skipped with no ledger line."""
    returns = tmp_path / "回收"
    returns_with_genuine(office, returns / "甲")
    (returns / "快捷方式").symlink_to(returns / "甲", target_is_directory=True)

    run = Run(office, returns, tmp_path / "存档")

    for rater in ("A1", "A2", "B1"):
        statuses = {run.line(f"甲/{rater}.xlsx").status, run.line(f"快捷方式/{rater}.xlsx").status}
        assert statuses == {ACCEPTED, DUPLICATE}
    assert run.totals() == clean_totals


# -- things that are not files, or cannot be read ---------------------------------------------

def test_fifos_are_refused_without_blocking(office, tmp_path, clean_totals):
    returns = returns_with_genuine(office, tmp_path / "回收")
    for name in ("张三.xlsx", "收件箱.mbox", "回复.eml", "邮件"):
        os.mkfifo(returns / name)

    with deadline(60):
        run = Run(office, returns, tmp_path / "存档")

    for name in ("张三.xlsx", "收件箱.mbox", "回复.eml", "邮件"):
        assert (run.line(name).status, run.codes(name)) == (REJECTED, ["RETURN_NOT_A_FILE"])
    assert run.totals() == clean_totals


def test_a_fifo_swapped_in_after_the_walk_does_not_block(office, tmp_path, clean_totals, monkeypatch):
    """Between the walk and the read a file becomes a FIFO: the open does not block on it."""
    returns = returns_with_genuine(office, tmp_path / "回收")
    (returns / "换了.xlsx").write_bytes(b"soon a fifo")
    real_discover = arrivals_module.discover

    def discover_then_swap(*args, **kwargs):
        found = real_discover(*args, **kwargs)
        (returns / "换了.xlsx").unlink()
        os.mkfifo(returns / "换了.xlsx")
        return found

    monkeypatch.setattr("xlflag.ingest.returns.discover", discover_then_swap)
    with deadline(60):
        run = Run(office, returns, tmp_path / "存档")

    assert (run.line("换了.xlsx").status, run.codes("换了.xlsx")) == (REJECTED, ["RETURN_NOT_A_FILE"])
    assert run.totals() == clean_totals


def test_unreadable_file_mail_and_folder_each_make_one_line(office, tmp_path, clean_totals, monkeypatch):
    """Root reads everything, so the refusal is injected where files are opened and folders listed."""
    returns = returns_with_genuine(office, tmp_path / "回收")
    (returns / "锁定.xlsx").write_bytes(office[1]["A1"])
    kit.write_eml(returns / "锁定.eml", kit.message("甲二 <a2@example.cn>", "Tue, 24 Nov 2026 09:30:00 +0800", [("x.xlsx", b"x")]))
    returns_with_genuine(office, returns / "机密")
    real_open, real_list = arrivals_module.open_entry, arrivals_module.list_folder

    def refuse(path, real):
        if Path(path).name in ("锁定.xlsx", "锁定.eml", "机密"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(arrivals_module, "open_entry", lambda path: refuse(path, real_open))
    monkeypatch.setattr(arrivals_module, "list_folder", lambda path: refuse(path, real_list))
    run = Run(office, returns, tmp_path / "存档")

    assert (run.line("锁定.xlsx").status, run.codes("锁定.xlsx")) == (REJECTED, ["RETURN_UNREADABLE"])
    assert (run.line("锁定.eml").status, run.codes("锁定.eml")) == (REJECTED, ["RETURN_UNREADABLE"])
    assert (run.line("机密").status, run.codes("机密")) == (REJECTED, ["RETURN_FOLDER_UNREADABLE"])
    assert "没有读取权限" in run.line("机密").reason
    assert len(run.intake.ledger) == 3 + 3
    assert run.totals() == clean_totals


def test_a_gbk_file_name_is_recovered_and_recorded(office, tmp_path, clean_totals):
    """unzip leaves a Chinese-Windows zip's names as raw GBK bytes, which are not UTF-8."""
    _, genuine = office
    returns = tmp_path / "回收"
    returns.mkdir()
    os.makedirs(os.fsencode(returns) + b"/" + "二支部".encode("gbk"))
    for rater, data in genuine.items():
        with open(os.fsencode(returns) + b"/" + "二支部".encode("gbk") + b"/" + f"张{rater}.xlsx".encode("gbk"), "wb") as f:
            f.write(data)

    run = Run(office, returns, tmp_path / "存档")

    for rater in genuine:
        name = f"二支部/张{rater}.xlsx"
        assert run.line(name).status == ACCEPTED
        assert run.codes(name) == ["RETURN_NAME_RECOVERED"]
    assert {r["文件"] for r in read_ledger(run.ledger)} == {f"二支部/张{r}.xlsx" for r in genuine}
    assert run.totals() == clean_totals


def test_an_over_long_path_is_one_line(office, tmp_path, clean_totals):
    """Folders nested past the system's 4,096-byte path limit: made through folder handles."""
    returns = returns_with_genuine(office, tmp_path / "回收")
    component = "深" * 80  # 240 bytes in UTF-8
    fd = os.open(returns, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(20):  # 20 × 241 bytes: past 4,096
            os.mkdir(component, dir_fd=fd)
            inner = os.open(component, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("A1.xlsx", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
            f.write(office[1]["A1"])
    finally:
        os.close(fd)

    run = Run(office, returns, tmp_path / "存档")

    deep = [e for e in run.intake.ledger if e.file.startswith(component)]
    assert len(deep) == 1 and deep[0].status == REJECTED
    assert "路径过长" in deep[0].reason
    assert run.codes(deep[0].file) in (["RETURN_FOLDER_UNREADABLE"], ["RETURN_UNREADABLE"])
    assert run.totals() == clean_totals


def test_folders_merely_named_cur_and_new_are_walked_as_folders(office, tmp_path, clean_totals):
    _, genuine = office
    returns = tmp_path / "回收"
    for sub, rater in (("cur", "A1"), ("new", "A2"), ("tmp", "B1")):
        (returns / sub).mkdir(parents=True)
        (returns / sub / f"{rater}.xlsx").write_bytes(genuine[rater])

    run = Run(office, returns, tmp_path / "存档")

    assert [run.line(f"{sub}/{r}.xlsx").status for sub, r in (("cur", "A1"), ("new", "A2"), ("tmp", "B1"))] == [ACCEPTED] * 3
    assert run.totals() == clean_totals
