"""A corpus of bad and odd returns, every one built here from generated forms, run through one
consolidate: each file's ledger status and exact problem codes and cells, then the invariants
over the whole corpus — every file given is in the ledger exactly once, accepted scores equal
those of the clean copies, inputs are untouched, every file is in the evidence store, and a
second run gives the same bytes.

The forms are the S2 preset's with two branches of four (tests/returns_kit.py): self forms rate
one person, peer forms three, leader and staff forms four. Every cell a case types into or
expects a problem at is asked of the form's layout (``kit.cells``), so the cases hold whichever
way round a form lists people and items. Re-saves as .xls/.ods go through LibreOffice headless
in two batches and are left out (their cases skipped) only when soffice is missing.
"""
from __future__ import annotations

import hashlib
import shutil
import time
import tracemalloc
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import openpyxl
import pytest
import returns_kit as kit

from xlflag import api
from xlflag.core import layout as L
from xlflag.core.model import BLANK_AS_ZERO
from xlflag.core.problems import Code
from xlflag.edge.libreoffice import convert_many, find_soffice
from xlflag.ingest.mail import is_mail_source, iter_attachments
from xlflag.ingest.readers import read_safely
from xlflag.ingest.returns import (
    ACCEPTED,
    DUPLICATE,
    NOT_A_FORM,
    REJECTED,
    SUPERSEDED,
    ingest,
)
from xlflag.ingest.safety import Limits
from xlflag.ingest import period
from xlflag.ingest.store import EvidenceStore, read_ledger

SOFFICE = find_soffice() is not None
MAIL_DATE = "Tue, 24 Nov 2026 09:30:00 +0800"
MAIL_DATE_ISO = "2026-11-24T09:30:00+08:00"
SENDER = "张三 <zhangsan@example.cn>"
HUGE = 300 * 2**20  # a sparse file: no disk, and precheck must refuse it unread


@dataclass(frozen=True)
class Case:
    name: str  # the file's name in the ledger: its path under the returns folder
    status: str
    # (code, cell) of every problem on this file; a cell given as a function of ``kit.Cells`` is
    # found through the layout of ``form``
    problems: tuple[tuple[str, str | Callable[[kit.Cells], str]], ...] = ()
    build: Callable | None = None  # build(ctx, target path); None when another case builds it
    via: str = ""  # "xls" / "ods": built as .xlsx, then re-saved by LibreOffice
    source: str = ""  # the file ``build`` writes when it is not ``name`` (a mail holding it)
    form: tuple[str, str, str] = ("", "", "")  # (branch, group, rater) of the form it is built from

    def expected(self, ctx: Ctx) -> list[tuple[str, str]]:
        at = ctx.at(self.form) if any(callable(cell) for _, cell in self.problems) else None
        return sorted((code, cell(at) if callable(cell) else cell) for code, cell in self.problems)


class Ctx:
    """What the builders draw on: the main forms, other schemes' forms, a staging folder."""

    def __init__(self, root: Path):
        main = kit.build_scheme(root / "方案")
        self.forms = kit.make_forms(main, root / "测评表")
        self.other_period = kit.make_forms(kit.build_scheme(root / "上期", period="2026Q3", key_from=main), root / "上期表")
        self.other_version = kit.make_forms(kit.build_scheme(root / "旧版", item_text="旧版的项目内容", key_from=main), root / "旧版表")
        self.other_key = kit.make_forms(kit.build_scheme(root / "别的密钥"), root / "别的密钥表")
        self.stage = root / "stage"
        self.stage.mkdir()

    def form(self, branch: str, group: str, rater: str):
        return self.forms.get(branch, group, rater)

    def at(self, where: tuple[str, str, str]) -> kit.Cells:
        return kit.cells(self.forms, self.form(*where)[0])

    def fill(self, where: tuple[str, str, str], target: Path, edits=None, forms=None) -> Path:
        """A clean return of ``where``; ``edits`` {cell: value}, or a function of its ``kit.Cells``
        giving them, typed over it."""
        forms = forms or self.forms
        if callable(edits):
            edits = edits(self.at(where))
        return kit.fill(forms, forms.get(*where)[1], target, edits)

    def clean(self, where: tuple[str, str, str], name: str) -> Path:
        return self.fill(where, self.stage / name)

    def score(self, where, ratee_index: int, item: str) -> int:
        return kit.score_at(self.forms, self.form(*where)[0], ratee_index, item)


A_SELF = [("甲支部", "DZ", m) for m in ("A1", "A2", "A3", "A4")]
B_SELF = [("乙支部", "DZ", m) for m in ("B1", "B2", "B3", "B4")]
A_PEER = [("甲支部", "DH", m) for m in ("A1", "A2", "A3", "A4")]
B_PEER = [("乙支部", "DH", m) for m in ("B1", "B2", "B3", "B4")]
A_LEAD, B_LEAD = ("甲支部", "DL", "王书记"), ("乙支部", "DL", "赵书记")
A_REPS = [("甲支部", "DQ", f"职工代表{n}") for n in range(1, 6)]
B_REPS = [("乙支部", "DQ", f"职工代表{n}") for n in range(1, 6)]
CN = "〇一二三四五"


def _rename_tab(wb) -> None:
    wb[L.FORM_SHEET].title = "Sheet1"


def _tamper(wb) -> None:
    cell = wb[L.IDENTITY_SHEET]["A1"]
    cell.value = cell.value.replace('"rater":"A1"', '"rater":"A2"')


def _mbox(ctx: Ctx, target: Path) -> None:
    sign_in = kit.other_workbook(ctx.stage / "签到表.xlsx").read_bytes()
    form = ctx.clean(B_SELF[2], "mbox.xlsx").read_bytes()
    kit.write_mbox(target, [
        kit.message("李四 <lisi@example.cn>", MAIL_DATE, [("签到表.xlsx", sign_in)], "签到"),
        kit.message("王五 <wangwu@example.cn>", MAIL_DATE, [], "收到"),
        kit.message("乙三 <b3@example.cn>", MAIL_DATE, [("乙三.xlsx", form)]),
    ])


def _superseded_pair(ctx: Ctx, target: Path) -> None:
    """早.xlsx: a first save with a different score; 晚.xlsx: the clean one saved a day later."""
    first = ctx.score(B_REPS[2], 0, "1.1")
    ctx.fill(B_REPS[2], target, lambda at: {at.score(0, "1.1"): 4 if first == 5 else 5})
    kit.set_modified(target, datetime(2026, 11, 20, 9))
    later = ctx.fill(B_REPS[2], target.with_name("晚.xlsx"))
    kit.set_modified(later, datetime(2026, 11, 21, 9))


def _duplicate_pair(ctx: Ctx, target: Path) -> None:
    ctx.fill(B_REPS[1], target)
    shutil.copyfile(target, target.with_name("第二次.xlsx"))


def _encrypted(ctx: Ctx, target: Path) -> None:
    from test_safety import make_cfb  # the OLE builder the safety tests use

    target.write_bytes(make_cfb({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": bytes(range(256)) * 3}))


def typed(name: str, where: tuple[str, str, str], cells: dict[tuple[int, str], tuple[object, str | None]],
          via: str = "") -> Case:
    """An accepted return of ``where`` with values typed into score cells: (ratee, item) →
    (value, the problem code it gives, or None); a value may be a function of the clean score."""
    def build(c: Ctx, target: Path) -> Path:
        at = c.at(where)
        edits = {at.score(n, item): value(c.score(where, n, item)) if callable(value) else value
                 for (n, item), (value, _) in cells.items()}
        return c.fill(where, c.stage / Path(name).with_suffix(".xlsx").name if via else target, edits)

    problems = tuple((code, lambda at, n=n, item=item: at.score(n, item)) for (n, item), (_, code) in cells.items() if code)
    return Case(name, ACCEPTED, problems, build, via=via, form=where)


CASES = [
    # -- clean, renamed, other formats and programs --
    Case("另存/新建 Microsoft Excel 工作表.xlsx", ACCEPTED, (), lambda c, t: c.fill(A_SELF[0], t)),
    Case("xls/xls_clean.xls", ACCEPTED, (), lambda c, t: c.clean(A_SELF[1], "xls_clean.xlsx"), via="xls"),
    Case("ods/ods_clean.ods", ACCEPTED, (), lambda c, t: c.clean(A_SELF[2], "ods_clean.xlsx"), via="ods"),
    Case("wps/wps保存.et", ACCEPTED, (), lambda c, t: c.clean(A_SELF[3], "wps保存.xlsx"), via="xls"),
    Case("宏/启用宏.xlsm", ACCEPTED, (), lambda c, t: kit.as_xlsm(c.clean(B_SELF[0], "xlsm.xlsx"), t)),
    Case("邮件/张三回复.eml/测评表.xlsx", ACCEPTED, (),
         lambda c, t: kit.write_eml(t, kit.message(SENDER, MAIL_DATE, [("测评表.xlsx", c.clean(B_SELF[1], "eml.xlsx").read_bytes())])),
         source="邮件/张三回复.eml"),
    Case("邮件/收件箱.mbox#1/签到表.xlsx", NOT_A_FORM, (("RETURN_NOT_A_FORM", ""),), _mbox, source="邮件/收件箱.mbox"),
    Case("邮件/收件箱.mbox#3/乙三.xlsx", ACCEPTED, ()),
    Case("邮件/Maildir/cur/1764000000.M1P1.office:2,S/乙四.xlsx", ACCEPTED, (),
         lambda c, t: kit.write_maildir(t, {"1764000000.M1P1.office": kit.message(
             "乙四 <b4@example.cn>", MAIL_DATE, [("乙四.xlsx", c.clean(B_SELF[3], "maildir.xlsx").read_bytes())])}),
         source="邮件/Maildir"),
    Case("改名标签.xlsx", ACCEPTED, (), lambda c, t: kit.edit(c.clean(B_REPS[0], "tab.xlsx"), t, _rename_tab)),
    # -- values typed the way raters type them --
    typed("值/5分.xlsx", A_PEER[0], {(0, "1.1"): (lambda v: f"{v}分", "SCORE_NORMALISED")}),
    typed("值/全角.xlsx", A_PEER[1], {(0, "1.1"): (lambda v: chr(0xFF10 + v), "SCORE_NORMALISED")}),
    typed("值/空格.xlsx", A_PEER[2], {(0, "1.1"): (lambda v: f" {v} ", "SCORE_NORMALISED")}),
    # "4.0" typed as text is noted; the number 4.0 is simply 4
    typed("值/4.0.xlsx", A_PEER[3], {(0, "1.1"): (lambda v: f"{v}.0", "SCORE_NORMALISED"), (0, "1.2"): (float, None)}),
    typed("值/中文数字.xlsx", B_PEER[0], {(0, "1.1"): (CN.__getitem__, "SCORE_NORMALISED"),
                                      (1, "1.2"): (CN.__getitem__, "SCORE_NORMALISED")}),
    typed("值/半分.xlsx", B_PEER[1], {(0, "1.1"): (4.5, "SCORE_NOT_WHOLE")}),
    typed("值/超出满分.xlsx", B_PEER[2], {(0, "1.1"): (6, "SCORE_OUT_OF_RANGE")}),
    typed("值/负分.xlsx", B_PEER[3], {(0, "1.1"): (-1, "SCORE_OUT_OF_RANGE")}),
    typed("值/文字.xlsx", A_LEAD, {(0, "1.1"): ("优秀", "SCORE_NOT_A_NUMBER")}),
    typed("值/公式.xlsx", B_LEAD, {(0, "1.1"): (kit.Formula("=4+1"), "SCORE_FORMULA")}),
    typed("值/错误值.xlsx", A_REPS[0], {(0, "1.1"): ("#N/A", "SCORE_ERROR_VALUE")}),
    typed("值/空白.xlsx", A_REPS[1], {(1, "1.1"): (None, "SCORE_BLANK")}),
    typed("值/像公式的文字.xlsx", A_REPS[2], {(0, "1.1"): ("=1+1", "SCORE_NOT_A_NUMBER"), (1, "1.2"): ("@SUM(D6)", "SCORE_NOT_A_NUMBER"),
                                         (2, "1.3"): ("-1", "SCORE_OUT_OF_RANGE")}),
    typed("xls/xls_text.xls", B_REPS[3], {(0, "1.1"): (lambda v: f"{v}分", "SCORE_NORMALISED")}, via="xls"),
    typed("ods/ods_blank.ods", B_REPS[4], {(1, "1.1"): (None, "SCORE_BLANK")}, via="ods"),
    # -- identity stripped: matched by the visible code and the layout --
    Case("粘贴/新建工作簿.xlsx", ACCEPTED, (("RETURN_IDENTITY_STRIPPED", "A2"),),
         lambda c, t: kit.paste_values(c.clean(A_REPS[3], "paste.xlsx"), t)),
    Case("粘贴/贴在C3.xlsx", ACCEPTED, (("RETURN_IDENTITY_STRIPPED", "C4"),),
         lambda c, t: kit.paste_values(c.clean(A_REPS[4], "paste-c3.xlsx"), t, rows=2, cols=2)),
    Case("粘贴/行序打乱.xlsx", REJECTED, (("RETURN_IDENTITY_STRIPPED", "A2"), ("RETURN_ROWS_CHANGED", lambda at: at.id(0))),
         lambda c, t: kit.edit(kit.paste_values(c.clean(A_REPS[0], "paste-swap.xlsx"), t), t,
                               lambda wb: c.at(A_REPS[0]).swap(wb.active, 0, 1)), form=A_REPS[0]),
    Case("粘贴/编号不存在.xlsx", REJECTED, (("RETURN_CODE_UNKNOWN", "A2"),),
         lambda c, t: kit.paste_values(c.clean(A_REPS[0], "paste-code.xlsx"), t, code="2026Q4-AAAAAAAA")),
    Case("粘贴/上期.xlsx", REJECTED, (("RETURN_WRONG_PERIOD", "A2"),),
         lambda c, t: kit.paste_values(c.fill(A_SELF[0], c.stage / "paste-q3.xlsx", forms=c.other_period), t)),
    # -- the same form twice --
    Case("重复/第一次.xlsx", DUPLICATE, (("RETURN_DUPLICATE", ""),), lambda c, t: _duplicate_pair(c, t)),
    Case("重复/第二次.xlsx", ACCEPTED, ()),
    Case("改过/早.xlsx", SUPERSEDED, (("RETURN_SUPERSEDED", ""),), lambda c, t: _superseded_pair(c, t)),
    Case("改过/晚.xlsx", ACCEPTED, ()),
    # -- not the people or items it was issued for --
    Case("名单/加了一行.xlsx", REJECTED, (("RETURN_ROWS_CHANGED", lambda at: at.id(3)),),  # after the three it rates
         lambda c, t: c.fill(A_PEER[0], t, lambda at: {at.id(3): "B1", at.name(3): "乙一"}), form=A_PEER[0]),
    Case("名单/删了一行.xlsx", REJECTED, (("RETURN_ROWS_CHANGED", lambda at: at.id(1)),),
         lambda c, t: kit.edit(c.clean(A_PEER[1], "del.xlsx"), t, lambda wb: c.at(A_PEER[1]).delete(wb[L.FORM_SHEET], 1)),
         form=A_PEER[1]),
    Case("名单/行序打乱.xlsx", REJECTED, (("RETURN_ROWS_CHANGED", lambda at: at.id(0)),),
         lambda c, t: kit.edit(c.clean(A_PEER[2], "swap.xlsx"), t, lambda wb: c.at(A_PEER[2]).swap(wb[L.FORM_SHEET], 0, 1)),
         form=A_PEER[2]),
    Case("名单/改了名字.xlsx", REJECTED, (("RETURN_ROWS_CHANGED", lambda at: at.id(1)),),
         lambda c, t: c.fill(A_PEER[3], t, lambda at: {at.name(1): "甲贰"}), form=A_PEER[3]),
    Case("名单/给自己打分.xlsx", REJECTED, (("RETURN_SELF_RATED", lambda at: at.id(0)),),
         lambda c, t: c.fill(A_PEER[0], t, lambda at: {at.id(0): "A1", at.name(0): "甲一"}), form=A_PEER[0]),
    Case("名单/改了表头.xlsx", REJECTED, (("RETURN_LAYOUT_CHANGED", lambda at: at.label("1.1")),),
         lambda c, t: c.fill(A_LEAD, t, lambda at: {at.label("1.1"): "学习情况"}), form=A_LEAD),
    Case("版本/上期的表.xlsx", REJECTED, (("RETURN_WRONG_PERIOD", ""),),
         lambda c, t: c.fill(A_SELF[0], t, forms=c.other_period)),
    Case("版本/旧版方案.xlsx", REJECTED, (("RETURN_WRONG_SCHEME", ""),),
         lambda c, t: c.fill(A_SELF[0], t, forms=c.other_version)),
    Case("版本/标识被改.xlsx", REJECTED, (("RETURN_SIGNATURE_INVALID", "A2"),),
         lambda c, t: kit.edit(c.clean(A_SELF[0], "tamper.xlsx"), t, _tamper)),
    Case("版本/别的密钥.xlsx", REJECTED, (("RETURN_SIGNATURE_INVALID", "A2"),),
         lambda c, t: c.fill(A_SELF[0], t, forms=c.other_key)),
    Case("未填写.xlsx", REJECTED, (("RETURN_EMPTY", ""),), lambda c, t: shutil.copyfile(c.form(*A_LEAD)[1], t)),
    # -- not forms, broken, hostile --
    Case("会议通知.txt", NOT_A_FORM, (("RETURN_NOT_A_FORM", ""),), lambda c, t: t.write_text("请周五前交回。", "utf-8")),
    Case("签到表.xlsx", NOT_A_FORM, (("RETURN_NOT_A_FORM", ""),), lambda c, t: kit.other_workbook(t)),
    Case("~$王书记.xlsx", NOT_A_FORM, (("RETURN_NOT_A_FORM", ""),),  # Excel's owner file, left while open
         lambda c, t: t.write_bytes(b"\x05zhang" + bytes(49) + "张三".encode("utf-16-le") + bytes(107))),
    Case("=HYPERLINK(1).xlsx", NOT_A_FORM, (("RETURN_NOT_A_FORM", ""),), lambda c, t: kit.other_workbook(t)),
    Case("坏/截断.xlsx", REJECTED, (("RETURN_UNREADABLE", ""),),
         lambda c, t: t.write_bytes(c.clean(A_SELF[0], "cut.xlsx").read_bytes()[:5000])),
    Case("坏/文本改名.xlsx", REJECTED, (("RETURN_UNREADABLE", ""),), lambda c, t: t.write_text("张三 5 5 4", "utf-8")),
    Case("坏/加密.xlsx", REJECTED, (("RETURN_ENCRYPTED", ""),), _encrypted),
    Case("坏/压缩炸弹.xlsx", REJECTED, (("RETURN_TOO_LARGE", ""),), lambda c, t: kit.zip_bomb(c.clean(A_SELF[0], "zb.xlsx"), t)),
    Case("坏/实体炸弹.xlsx", REJECTED, (("RETURN_TOO_LARGE", ""),), lambda c, t: kit.entity_bomb(c.clean(A_SELF[0], "eb.xlsx"), t)),
    Case("坏/范围炸弹.xlsx", REJECTED, (("RETURN_TOO_LARGE", ""),), lambda c, t: kit.dimension_bomb(t)),
    Case("坏/巨大.xlsx", REJECTED, (("RETURN_TOO_LARGE", ""),), lambda c, t: kit.sparse_file(t, HUGE)),
    Case("坏/乱码.et", REJECTED, (("RETURN_UNSUPPORTED_FORMAT", ""),), lambda c, t: t.write_bytes(bytes(range(256)) * 8)),
    Case("坏/导出.csv", REJECTED, (("RETURN_UNSUPPORTED_FORMAT", ""),), lambda c, t: t.write_text("编号,姓名\nA1,甲一\n", "utf-8")),
    Case("邮件/只有PDF.eml", NOT_A_FORM, (("MAIL_NO_SPREADSHEET", ""),),
         lambda c, t: kit.write_eml(t, kit.message(SENDER, MAIL_DATE, [("通知.pdf", b"%PDF-1.4 ...")]))),
    Case("邮件/截断.eml", REJECTED, (("MAIL_ATTACHMENT_DAMAGED", ""),),
         lambda c, t: kit.truncated_eml(t, kit.message(SENDER, MAIL_DATE, [("测评表.xlsx", c.clean(A_SELF[0], "trunc.xlsx").read_bytes())]))),
]
NAMES = [case.name for case in CASES]
assert len(set(NAMES)) == len(NAMES) >= 30


def active_cases() -> list[Case]:
    return [c for c in CASES if SOFFICE or not c.via]


def build_corpus(ctx: Ctx, corpus: Path) -> None:
    resave: dict[str, list[tuple[Path, Path]]] = {"xls": [], "ods": []}
    for case in active_cases():
        if case.build is None:
            continue
        target = corpus / (case.source or case.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        made = case.build(ctx, target)
        if case.via:
            resave[case.via].append((Path(made), target))
    for fmt, pairs in resave.items():  # one LibreOffice start per format
        if pairs:
            converted = convert_many([src for src, _ in pairs], fmt, ctx.stage / fmt)
            for produced, (_, target) in zip(converted, pairs):
                shutil.move(produced, target)


def digests(folder: Path) -> dict[str, tuple[str, int]]:
    """name → (sha256, mtime_ns) of every file, the huge sparse one by size only."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest = str(stat.st_size) if stat.st_size > 2**25 else hashlib.sha256(path.read_bytes()).hexdigest()
        found[path.relative_to(folder).as_posix()] = (digest, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    ctx = Ctx(root)
    corpus = root / "回收"
    build_corpus(ctx, corpus)
    before = digests(corpus)
    started = time.perf_counter()
    result = api.consolidate(ctx.forms.scheme_path, corpus, root / "汇总结果.xlsx")
    elapsed = time.perf_counter() - started
    return ctx, corpus, result, before, elapsed


def entry(result, name: str):
    return next(e for e in result.intake.ledger if e.file == name)


@pytest.mark.parametrize("case", CASES, ids=NAMES)
def test_case(run, case: Case):
    if case.via and not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    ctx, result = run[0], run[2]
    assert entry(result, case.name).status == case.status
    found = sorted((p.code.name, p.cell) for p in result.intake.report.problems if p.file == case.name)
    assert found == case.expected(ctx)


# -- the invariants, over the whole corpus ------------------------------------------------------

def files_given(corpus: Path) -> int:
    """Plain files count one each; saved mail counts its attachments (or one, when it has none)."""
    sources = {}
    for path in corpus.rglob("*"):
        mail = next((p for p in (path, *path.parents) if p.is_dir() and is_mail_source(p)), None)
        if mail is not None:
            sources[mail] = True
        elif path.is_file():
            sources[path] = is_mail_source(path)
    return sum(max(1, len(list(iter_attachments(p)))) if is_mail else 1 for p, is_mail in sources.items())


def test_every_file_given_is_in_the_ledger_once(run):
    _, corpus, result, _, _ = run
    names = [e.file for e in result.intake.ledger]
    assert len(names) == files_given(corpus) == len(active_cases())
    assert sorted(names) == sorted(c.name for c in active_cases())


def test_accepted_scores_equal_those_of_the_clean_copies(run):
    ctx, _, result, _, _ = run
    scheme = ctx.forms.scheme
    assert len(result.intake.accepted) == sum(c.status == ACCEPTED for c in active_cases())
    for form in result.intake.accepted:
        clean = kit.clean_scores(scheme, form.identity)
        assert form.rows, form.file
        for row in form.rows:
            assert row.scores == clean[row.ratee], (form.file, row.ratee)


def test_a_row_with_a_bad_cell_is_left_out_and_the_others_count(run):
    result = run[2]
    rows = {f.file: [r.ratee for r in f.rows] for f in result.intake.accepted}
    assert rows["值/半分.xlsx"] == ["B3", "B4"]  # B2's peer form: B1's 1.1 had 4.5
    assert rows["值/空白.xlsx"] == ["A1", "A3", "A4"]
    assert rows["值/像公式的文字.xlsx"] == ["A4"]
    assert rows["值/5分.xlsx"] == ["A2", "A3", "A4"]


def test_inputs_are_never_modified(run):
    _, corpus, _, before, _ = run
    assert digests(corpus) == before


def test_every_file_is_kept_in_the_evidence_store_under_its_hash(run):
    ctx, _, result, _, _ = run
    store = ctx.forms.scheme_path.parent / "xlflag-存档" / "2026Q4"
    for e in result.intake.ledger:
        if e.file == "坏/巨大.xlsx":  # refused unread: neither hashed nor copied
            assert (e.sha256, e.stored) == ("", "")
            continue
        if e.stored:
            assert e.stored == f"原件/{e.sha256}{Path(e.file).suffix.lower()}"
            assert hashlib.sha256((store / e.stored).read_bytes()).hexdigest() == e.sha256
        if e.mail:
            assert (store / e.mail_stored).is_file()
            assert Path(e.mail_stored).suffix in (".eml", ".mbox")
    rows = read_ledger(result.ledger)  # the log: 收到 and a status per file
    assert len(rows) == 2 * len(result.intake.ledger)
    assert {r["文件"].lstrip("'") for r in rows} == {e.file for e in result.intake.ledger}
    assert period.derive_state(period.read_events(EvidenceStore(store))) == result.intake.ledger


def test_mail_attachments_keep_sender_and_date(run):
    result = run[2]
    e = entry(result, "邮件/张三回复.eml/测评表.xlsx")
    assert (e.mail, e.sender, e.date, e.status) == ("邮件/张三回复.eml", SENDER, MAIL_DATE_ISO, ACCEPTED)
    e = entry(result, "邮件/收件箱.mbox#3/乙三.xlsx")
    assert (e.mail, e.sender) == ("邮件/收件箱.mbox#3", "乙三 <b3@example.cn>")
    assert entry(result, "邮件/收件箱.mbox#1/签到表.xlsx").mail_stored == e.mail_stored


def test_another_scheme_version_is_refused_naming_both_versions(run):
    ctx, _, result, _, _ = run
    [problem] = [p for p in result.intake.report.problems if p.file == "版本/旧版方案.xlsx"]
    # item 1.1 was reworded: every form of the criteria set asks something else now
    old, current = ctx.other_version.get(*A_SELF[0])[0].identity, ctx.form(*A_SELF[0])[0].identity
    assert problem.code is Code.RETURN_WRONG_SCHEME
    assert old.scheme != current.scheme and old.scheme in problem.message and current.scheme in problem.message


def test_rejected_forms_keep_their_identity_in_the_ledger(run):
    ctx, _, result, _, _ = run
    form, _ = ctx.form(*A_PEER[3])
    e = entry(result, "名单/改了名字.xlsx")
    assert (e.form_id, e.form_code) == (form.form_id, form.identity.code)


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_resave_keeps_the_identity_sheet_but_only_hidden(run):
    ctx, corpus, _, _, _ = run
    for name in ("xls/xls_clean.xls", "ods/ods_clean.ods"):
        grid = read_safely(corpus / name)
        assert grid.sheet(L.IDENTITY_SHEET).state == "hidden"  # was veryHidden
    score = read_safely(corpus / "ods/ods_clean.ods").sheet(L.FORM_SHEET).value(*ctx.at(A_SELF[2]).lay.score_cell(0, "1.1"))
    assert isinstance(score, float)  # ods stores every number as a float: 5.0, read as 5


def test_rater_text_stays_text_in_the_working_papers(run):
    result = run[2]
    wb = openpyxl.load_workbook(result.papers)
    cells = [c for ws in (wb["问题清单"], wb["文件清单"]) for row in ws.iter_rows(min_row=2) for c in row]
    texts = {c.value: c.data_type for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"}
    assert {"=1+1", "@SUM(D6)", "-1", "=HYPERLINK(1).xlsx"} <= set(texts)
    assert set(texts.values()) == {"s"}


def test_ledger_csv_quotes_text_excel_would_run(run):
    result = run[2]
    rows = read_ledger(result.ledger)
    assert "'=HYPERLINK(1).xlsx" in {r["文件"] for r in rows}
    assert result.ledger.read_bytes().startswith("\ufeff时间,事件,文件,状态".encode())


def test_a_second_run_gives_the_same_ledger_and_data(run, tmp_path):
    ctx, corpus, first, _, _ = run
    ledger = first.ledger.read_bytes()
    papers = {sheet: sheet_values(first.papers, sheet) for sheet in ("问题清单", "文件清单", "回收明细", "评分明细")}
    again = api.consolidate(ctx.forms.scheme_path, corpus, tmp_path / "again.xlsx")
    assert again.ledger.read_bytes() == ledger
    assert again.intake.ledger == first.intake.ledger
    assert again.intake.report.problems == first.intake.report.problems
    for sheet in ("数据", "汇总", "回收情况"):
        assert sheet_values(again.output, sheet) == sheet_values(first.output, sheet), sheet
    for sheet, values in papers.items():  # the same store: the run rewrote the same file
        assert sheet_values(again.papers, sheet) == values, sheet


def sheet_values(path: Path, sheet: str) -> list[tuple]:
    return list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))


def test_the_whole_corpus_is_read_in_bounded_time(run):
    # ~60 files including a 300 MB one, bombs, two mailboxes: seconds, not minutes
    assert run[4] < 60


def test_the_fast_reader_reads_every_workbook_of_the_corpus_as_the_plain_reader_does(run):
    """xlsx_fast reads a file exactly as precheck + calamine + the XML scan do, or hands it over:
    clean, renamed, re-saved by openpyxl or LibreOffice, odd values typed, bombs, broken zips."""
    from xlflag.ingest.xlsx_fast import read_fast

    _, corpus, _, _, _ = run
    taken = 0
    for path in sorted(p for p in corpus.rglob("*") if p.is_file() and p.stat().st_size < 2**25):
        data = path.read_bytes()
        fast = read_fast(data)
        if fast is not None:
            taken += 1
            assert fast == read_safely(data, suffix=path.suffix, fast=False), path
    assert taken >= 30  # the odd values and rows above, read the fast way


# -- hostile files, on their own: bounded time and memory --------------------------------------

def test_hostile_files_are_refused_quickly_and_in_little_memory(run, tmp_path):
    ctx, corpus, _, _, _ = run
    hostile = tmp_path / "hostile"
    for name in ("坏/压缩炸弹.xlsx", "坏/实体炸弹.xlsx", "坏/范围炸弹.xlsx", "坏/加密.xlsx", "坏/截断.xlsx"):
        (hostile / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / name, hostile / name)
    kit.sparse_file(hostile / "坏" / "更大.xlsx", 4 * 2**30)
    scheme = ctx.forms.scheme
    key = (ctx.forms.scheme_path.parent / "xlflag.key").read_text().strip()
    tracemalloc.start()
    started = time.perf_counter()
    intake = ingest(scheme, bytes.fromhex(key), hostile, limits=Limits(max_file_bytes=2**20))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [e.status for e in intake.ledger] == [REJECTED] * 6
    assert elapsed < 10 and peak < 64 * 2**20


# -- the blank policy ---------------------------------------------------------------------------

def test_blank_as_zero_counts_the_row_with_a_warning_but_never_a_wholly_blank_row(run, tmp_path):
    ctx, _, _, _, _ = run
    returns = tmp_path / "returns"
    form, at = ctx.form(*A_REPS[1])[1], ctx.at(A_REPS[1])
    five = ["1.1", "1.2", "1.3", "1.4", "2.1"]
    blanks = {at.score(1, "1.1"): None, **{at.score(2, item): None for item in five}}
    kit.fill(ctx.forms, form, returns / "一处空白.xlsx", blanks)
    kit.edit(returns / "一处空白.xlsx", returns / "一处空白.xlsx", lambda wb: at.blank(wb[L.FORM_SHEET], 3))
    key = bytes.fromhex((ctx.forms.scheme_path.parent / "xlflag.key").read_text().strip())
    scheme = ctx.forms.scheme
    skip = ingest(scheme, key, returns)
    zero = ingest(scheme, key, returns, blank_policy=BLANK_AS_ZERO)
    assert [r.ratee for r in skip.accepted[0].rows] == ["A1"]
    assert [r.ratee for r in zero.accepted[0].rows] == ["A1", "A2", "A3"]
    a2 = dict(zero.accepted[0].rows[1].scores)
    assert a2["1.1"] == 0 and a2["1.2"] == kit.clean_scores(scheme, ctx.form(*A_REPS[1])[0].identity)["A2"][1][1]
    assert sorted((p.code.name, p.cell, p.found) for p in zero.report.problems) == sorted([
        ("SCORE_BLANK", at.scores(3), "20项空白"),  # the wholly blank ratee: the rater skipped A4
        ("SCORE_BLANK_AS_ZERO", at.score(1, "1.1"), "1项空白"),
        ("SCORE_BLANK_AS_ZERO", at.scores(2, five), "5项空白"),
    ])
    with pytest.raises(ValueError):
        ingest(scheme, key, returns, blank_policy="随便")

