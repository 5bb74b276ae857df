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
import io
import os
import struct
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pytest
import returns_kit as kit

from xlflag.core import layout as L
from xlflag.ingest import arrivals as arrivals_module
from xlflag.ingest.returns import ACCEPTED, DUPLICATE, NOT_A_FORM, REJECTED, ingest
from xlflag.ingest.safety import Limits
from xlflag.ingest import period
from xlflag.ingest.store import EvidenceStore, read_ledger
from xlflag.scheme.key import load_key

MAIL_DATE = "Tue, 24 Nov 2026 09:30:00 +0800"
GENUINE = [("甲支部", "DZ", "A1"), ("甲支部", "DZ", "A2"), ("乙支部", "DZ", "B1")]


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The scheme, its forms, and the three genuine returns' bytes."""
    root = tmp_path_factory.mktemp("office")
    forms = kit.new_forms(root)
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
        events = period.changes([], self.intake.ledger, period.now_text())
        self.ledger = period.append_events(self.store, [], events)  # must not fail on any name

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
    changed = {kit.cells(forms, form).score(0, "1.1"): 1 if first != 1 else 2}
    second_save = kit.fill(forms, forms.get(*GENUINE[0])[1], tmp_path / "second.xlsx", changed).read_bytes()
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

    with kit.deadline(60):
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

    with kit.deadline(60):
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
    with kit.deadline(60):
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


# -- archives ---------------------------------------------------------------------------------

class _GbkInfo(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as Chinese Windows' "发送到压缩文件夹" writes it."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits


def gbk_zip(target: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(_GbkInfo(name, date_time=(2026, 11, 24, 9, 30, 0)), data)
    return target


def rar4_stored(target: Path, files: dict[str, bytes]) -> Path:
    """A RAR 4 archive with stored (uncompressed) entries, header by header: no rar tool is
    installable here, and rarfile reads stored entries without one."""
    def block(kind: int, flags: int, body: bytes, extra: bytes = b"") -> bytes:
        header = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(header) & 0xFFFF) + header + extra

    out = b"Rar!\x1a\x07\x00" + block(0x73, 0, bytes(6))
    for name, data in files.items():
        raw = name.encode("utf-8")
        # unicode name flag 0x200: the name field holds the ASCII-ish name, a NUL, then UTF-8 is
        # not what RAR does; a plain UTF-8 name with host OS Unix reads back as UTF-8.
        body = struct.pack("<IIBIIBBHI", len(data), len(data), 3, zlib.crc32(data), 0x5B782D40, 20, 0x30, len(raw), 0o100644) + raw
        out += block(0x74, 0x8000, body, data)
    out += block(0x7B, 0x4000, b"")
    target.write_bytes(out)
    return target


def test_archives_are_opened_like_mail_each_spreadsheet_an_arrival(office, tmp_path, clean_totals):
    """回收.zip (GBK names) holds A1 and A2 and a note; B1 comes in a .7z inside a mail."""
    import py7zr

    _, genuine = office
    returns = tmp_path / "回收"
    returns.mkdir()
    gbk_zip(returns / "回收.zip", {"一支部/张三.xlsx": genuine["A1"], "一支部/李四.xlsx": genuine["A2"], "说明.txt": b"readme"})
    with py7zr.SevenZipFile(tmp_path / "乙.7z", "w") as archive:
        archive.writestr(genuine["B1"], "乙一.xlsx")
    kit.write_eml(returns / "乙一回复.eml", kit.message("乙一 <b1@example.cn>", MAIL_DATE, [("乙.7z", (tmp_path / "乙.7z").read_bytes())]))

    run = Run(office, returns, tmp_path / "存档")

    assert run.line("回收.zip/一支部/张三.xlsx").status == ACCEPTED
    assert run.line("回收.zip/一支部/李四.xlsx").status == ACCEPTED
    inner = run.line("乙一回复.eml/乙.7z/乙一.xlsx")
    assert inner.status == ACCEPTED and inner.sender == "乙一 <b1@example.cn>"
    assert len(run.intake.ledger) == 3  # the note is not a spreadsheet: not an arrival
    assert run.totals() == clean_totals
    for e in run.intake.ledger:  # each member kept under its own hash, its container too
        assert hashlib.sha256((run.store.root / e.stored).read_bytes()).hexdigest() == e.sha256
        assert (run.store.root / e.mail_stored).is_file()


def test_a_zip_inside_a_mail_and_a_rar(office, tmp_path, clean_totals):
    _, genuine = office
    returns = tmp_path / "回收"
    returns.mkdir()
    zipped = gbk_zip(tmp_path / "表.zip", {"甲一.xlsx": genuine["A1"]}).read_bytes()
    kit.write_eml(returns / "甲一.eml", kit.message("甲一 <a1@example.cn>", MAIL_DATE, [("表.zip", zipped)]))
    rar4_stored(returns / "甲二乙一.rar", {"甲二.xlsx": genuine["A2"], "乙一.xlsx": genuine["B1"]})

    run = Run(office, returns, tmp_path / "存档")

    assert run.line("甲一.eml/表.zip/甲一.xlsx").status == ACCEPTED
    assert run.line("甲二乙一.rar/甲二.xlsx").status == ACCEPTED
    assert run.line("甲二乙一.rar/乙一.xlsx").status == ACCEPTED
    assert run.totals() == clean_totals


def test_archive_bombs_are_refused_and_the_rest_counts(office, tmp_path, clean_totals):
    _, genuine = office
    returns = returns_with_genuine(office, tmp_path / "回收")
    with zipfile.ZipFile(returns / "膨胀.zip", "w", zipfile.ZIP_DEFLATED) as zf:  # deflates ~1000:1
        zf.writestr("大.xlsx", bytes(3 * 2**20))
    with zipfile.ZipFile(returns / "太多.zip", "w") as zf:
        for n in range(30):
            zf.writestr(f"{n}.xlsx", b"x")
    nested = genuine["A1"]
    for level in range(4):  # a zip in a zip in a zip in a zip: deeper than 3
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            zf.writestr(f"第{level}层.zip" if level else "甲一.xlsx", nested)
        nested = buffer.getvalue()
    (returns / "套娃.zip").write_bytes(nested)
    with zipfile.ZipFile(returns / "只有说明.zip", "w") as zf:
        zf.writestr("说明.txt", "请查收")
    with zipfile.ZipFile(returns / "总量.zip", "w") as zf:  # 3 × 1.5 MB stored: 4.5 MB, over the 4 MB set below
        for n in range(3):
            zf.writestr(f"{n}.xlsx", os.urandom(3 * 2**19))

    run = Run(office, returns, tmp_path / "存档", limits=Limits(max_members=20, max_unzipped_bytes=4 * 2**20))

    assert (run.line("膨胀.zip/大.xlsx").status, run.codes("膨胀.zip/大.xlsx")) == (REJECTED, ["RETURN_TOO_LARGE"])
    assert (run.line("太多.zip").status, run.codes("太多.zip")) == (REJECTED, ["RETURN_TOO_LARGE"])
    deepest = "套娃.zip/第3层.zip/第2层.zip/第1层.zip"
    assert (run.line(deepest).status, run.codes(deepest)) == (REJECTED, ["RETURN_TOO_LARGE"])
    assert (run.line("只有说明.zip").status, run.codes("只有说明.zip")) == (NOT_A_FORM, ["ARCHIVE_NO_SPREADSHEET"])
    assert (run.line("总量.zip").status, run.codes("总量.zip")) == (REJECTED, ["RETURN_TOO_LARGE"])
    assert "解压后" in run.line("总量.zip").reason
    assert run.totals() == clean_totals


def test_small_archives_nested_in_an_archive_share_one_unpacking_budget(office, tmp_path, clean_totals):
    """Three tiny zips in a zip, each inflating to 3 MB: each is under every limit (set to 4 MB
    here, the ratio guard off), together they are 9 MB. The second one inflated is refused."""
    returns = returns_with_genuine(office, tmp_path / "回收")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("大.xlsx", bytes(3 * 2**20))
    with zipfile.ZipFile(returns / "外.zip", "w") as zf:
        for n in range(3):
            zf.writestr(f"{n}.zip", inner.getvalue())

    run = Run(office, returns, tmp_path / "存档", limits=Limits(max_unzipped_bytes=4 * 2**20, max_ratio=10**6))

    assert run.line("外.zip/0.zip/大.xlsx").status == REJECTED  # zeros: inflated, then not a workbook
    assert run.codes("外.zip/1.zip/大.xlsx") == ["RETURN_TOO_LARGE"]
    assert "总量" in run.line("外.zip/1.zip/大.xlsx").reason
    assert not [e for e in run.intake.ledger if e.file.startswith("外.zip/2.zip")]  # left unpacked
    assert run.totals() == clean_totals


def test_a_rar_that_cannot_be_unpacked_is_refused_in_chinese(office, tmp_path, clean_totals):
    returns = returns_with_genuine(office, tmp_path / "回收")
    (returns / "坏.rar").write_bytes(b"Rar!\x1a\x07\x00" + bytes(40))

    run = Run(office, returns, tmp_path / "存档")

    assert run.line("坏.rar").status == REJECTED
    assert run.codes("坏.rar") == ["RETURN_UNREADABLE"]
    assert run.totals() == clean_totals


def test_winmail_dat_attachments_are_opened(office, tmp_path, clean_totals):
    """Outlook's rich text wraps the attachment in winmail.dat (TNEF), built attribute by attribute."""
    _, genuine = office

    def attribute(level: int, kind: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    tnef = struct.pack("<IH", 0x223E9F78, 1) + attribute(1, 0x00089006, struct.pack("<I", 0x00010000))
    tnef += attribute(2, 0x00069002, bytes(14)) + attribute(2, 0x00018010, "甲一.xlsx".encode("gbk") + b"\x00")
    tnef += attribute(2, 0x0006800F, genuine["A1"])
    returns = tmp_path / "回收"
    returns.mkdir()
    message = kit.message("甲一 <a1@example.cn>", MAIL_DATE, [])
    message.add_attachment(tnef, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    kit.write_eml(returns / "Outlook.eml", message)
    (returns / "A2.xlsx").write_bytes(genuine["A2"])
    (returns / "B1.xlsx").write_bytes(genuine["B1"])

    run = Run(office, returns, tmp_path / "存档")

    names = [e.file for e in run.intake.ledger if e.file.startswith("Outlook.eml/")]
    assert len(names) == 1 and names[0].startswith("Outlook.eml/winmail.dat/")
    assert run.line(names[0]).status == ACCEPTED
    assert run.totals() == clean_totals


# -- mailboxes --------------------------------------------------------------------------------

def test_an_unescaped_from_line_in_a_body_loses_no_message(office, tmp_path, clean_totals):
    """Outlook exports write body lines starting "From " unescaped; one that even carries a date
    must not cut its message in two (the attachment after it would be lost)."""
    _, genuine = office
    messages = []
    for rater, sender in (("A1", "甲一 <a1@example.cn>"), ("A2", "甲二 <a2@example.cn>"), ("B1", "乙一 <b1@example.cn>")):
        msg = kit.message(sender, MAIL_DATE, [(f"{rater}.xlsx", genuine[rater])])
        messages.append(msg.as_bytes(policy=msg.policy.clone(linesep="\n")))
    first = messages[0].replace(
        "测评表已填好，请查收。".encode("utf-8"), b"", 1)  # the body is base64-free text below
    body_line = b"\nFrom the office Tue Nov 24 09:30:00 2026 everyone must reply\n\n"
    first = first.replace(b"\n\n", b"\n\n" + body_line, 1)  # right after the headers, in the preamble
    mbox = b"".join(b"From MAILER-DAEMON Tue Nov 24 09:30:00 2026\n" + m + b"\n" for m in (first, *messages[1:]))
    returns = tmp_path / "回收"
    returns.mkdir()
    (returns / "导出.mbox").write_bytes(mbox)

    run = Run(office, returns, tmp_path / "存档")

    for number, rater in ((1, "A1"), (2, "A2"), (3, "B1")):
        assert run.line(f"导出.mbox#{number}/{rater}.xlsx").status == ACCEPTED
    assert len(run.intake.ledger) == 3
    assert run.totals() == clean_totals


# -- workbooks holding more than one form -------------------------------------------------------

def _paste_sheet(book, src: Path, title: str, edits: dict | None = None) -> None:
    """The visible form of ``src`` pasted as values into a new sheet of ``book``."""
    source = openpyxl.load_workbook(src)[L.FORM_SHEET]
    sheet = book.create_sheet(title)
    for row in source.iter_rows():
        for cell in row:
            if cell.value is not None and cell.data_type != "f":
                sheet.cell(cell.row, cell.column, cell.value)
    for ref, value in (edits or {}).items():
        sheet[ref] = value


def test_two_forms_in_one_workbook_are_each_counted(office, tmp_path, clean_totals):
    forms, genuine = office
    returns = returns_with_genuine(office, tmp_path / "回收")
    (returns / "A2.xlsx").unlink()
    stage = tmp_path / "A1.xlsx"
    stage.write_bytes(genuine["A1"])
    a2 = tmp_path / "A2.xlsx"
    a2.write_bytes(genuine["A2"])
    kit.edit(stage, returns / "A1.xlsx", lambda book: _paste_sheet(book, a2, "甲二的表"))

    run = Run(office, returns, tmp_path / "存档")

    assert run.line(f"A1.xlsx!{L.FORM_SHEET}").status == ACCEPTED
    assert run.line("A1.xlsx!甲二的表").status == ACCEPTED
    assert run.codes("A1.xlsx!甲二的表") == ["RETURN_IDENTITY_STRIPPED"]
    assert run.totals() == clean_totals


def test_one_form_pasted_twice_with_different_scores_is_refused_naming_both_sheets(office, tmp_path, clean_totals):
    forms, genuine = office
    returns = returns_with_genuine(office, tmp_path / "回收")
    a2 = tmp_path / "A2.xlsx"
    a2.write_bytes(genuine["A2"])
    a2_form = forms.get(*GENUINE[1])[0]
    first = kit.score_at(forms, a2_form, 0, "1.1")

    def two_copies(book):
        _paste_sheet(book, a2, "第一份")
        _paste_sheet(book, a2, "第二份", {kit.cells(forms, a2_form).score(0, "1.1"): 1 if first != 1 else 2})

    kit.edit(kit.other_workbook(tmp_path / "blank.xlsx"), returns / "两份.xlsx", two_copies)

    run = Run(office, returns, tmp_path / "存档")

    line = run.line("两份.xlsx")
    assert line.status == REJECTED
    assert run.codes("两份.xlsx") == ["RETURN_AMBIGUOUS"]
    assert "第一份" in line.reason and "第二份" in line.reason
    assert run.totals() == clean_totals  # A2 still counts from its own file


def test_a_score_of_4301_digits_is_a_cell_problem(office, tmp_path, clean_totals):
    forms, _ = office
    returns = returns_with_genuine(office, tmp_path / "回收")
    form, path = forms.get("甲支部", "DL", "王书记")
    a1 = kit.cells(forms, form).score(0, "1.1")
    kit.fill(forms, path, returns / "王书记.xlsx", {a1: "1" * 4301})

    run = Run(office, returns, tmp_path / "存档")

    assert run.line("王书记.xlsx").status == ACCEPTED  # A2–A4 count; A1 is left out
    assert [(p.code.name, p.cell) for p in run.intake.report.problems if p.file == "王书记.xlsx"] == [("SCORE_OUT_OF_RANGE", a1)]
    leader = next(f for f in run.intake.accepted if f.file == "王书记.xlsx")
    assert len(leader.rows) == 3
    del_leader = {k: v for k, v in run.totals().items() if k != leader.identity.form_id}
    assert del_leader == clean_totals


# -- Windows: the worker under spawn --------------------------------------------------------------

def test_ingest_under_the_spawn_start_method(office, tmp_path, clean_totals, monkeypatch):
    from xlflag.ingest import readers

    readers.close_pool()
    monkeypatch.setattr(readers, "START_METHOD", "spawn")
    monkeypatch.setattr(readers, "FAST_XLSX", False)  # plain .xlsx would never need the worker
    try:
        run = Run(office, returns_with_genuine(office, tmp_path / "回收"), tmp_path / "存档")
        assert readers._pool is not None and readers._pool._mp_context.get_start_method() == "spawn"
    finally:
        readers.close_pool()
    assert run.totals() == clean_totals


def test_an_outlook_msg_that_cannot_be_read_asks_for_the_attachment_itself(office, tmp_path, clean_totals):
    """An OLE file named .msg that is no Outlook message (no message class, no properties)."""
    from test_safety import make_cfb

    returns = returns_with_genuine(office, tmp_path / "回收")
    (returns / "转发.msg").write_bytes(make_cfb({"Contents": bytes(range(256)) * 20}))

    run = Run(office, returns, tmp_path / "存档")

    assert (run.line("转发.msg").status, run.codes("转发.msg")) == (REJECTED, ["MAIL_UNREADABLE"])
    assert "请直接转发附件" in run.line("转发.msg").reason
    assert run.totals() == clean_totals


def test_a_mailbox_or_maildir_without_spreadsheets_still_has_its_line(office, tmp_path, clean_totals):
    returns = returns_with_genuine(office, tmp_path / "回收")
    notices = [kit.message("办公室 <office@example.cn>", MAIL_DATE, [("通知.pdf", b"%PDF-1.4 ...")]),
               kit.message("甲一 <a1@example.cn>", MAIL_DATE, [], "收到")]
    kit.write_mbox(returns / "通知.mbox", notices)
    kit.write_maildir(returns / "Maildir", {"1764000000.M1P1.office": notices[0]})

    run = Run(office, returns, tmp_path / "存档")

    for name in ("通知.mbox", "Maildir"):
        assert (run.line(name).status, run.codes(name)) == (NOT_A_FORM, ["MAIL_NO_SPREADSHEET"])
    assert len(run.intake.ledger) == 3 + 2
    assert run.totals() == clean_totals


class _GrowsWhenRead:
    """A file handle whose file gets ``more`` appended once its size has been looked at (a rater's
    program still writing it)."""

    def __init__(self, handle, path: Path, more: bytes):
        self._handle, self._path, self._more = handle, path, more

    def fileno(self):
        return self._handle.fileno()

    def read(self, size=-1):
        if self._more:
            with open(self._path, "ab") as grow:
                grow.write(self._more)
            self._more = b""
        return self._handle.read(size)


@pytest.mark.parametrize("limit, whole", [(1000, True), (200, False)])
def test_a_file_that_grows_while_read_is_read_whole_or_refused_at_the_limit(tmp_path, monkeypatch, limit, whole):
    # 100 bytes when its size is looked at, 300 by the time they are read: all 300 are read
    # (within a 1000-byte limit), or the file is refused as too large (over a 200-byte one)
    path = tmp_path / "A1.xlsx"
    path.write_bytes(b"x" * 100)
    real_open = arrivals_module.open_entry

    @contextmanager
    def open_then_grow(where):
        with real_open(where) as handle:
            yield _GrowsWhenRead(handle, Path(where), b"y" * 200)

    monkeypatch.setattr(arrivals_module, "open_entry", open_then_grow)
    entry = arrivals_module.discover(tmp_path)[0]
    read = arrivals_module._read_entry(entry, Limits(max_file_bytes=limit), lambda: tmp_path / "mbox")
    if whole:
        assert read == b"x" * 100 + b"y" * 200
    else:
        assert read.code.name == "RETURN_TOO_LARGE"
