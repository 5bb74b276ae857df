"""Builders for returned files, shared by the ingest tests: a small S2 scheme, clean returns
filled like raters fill them, and the ways raters, programs and mail spoil them.

Everything is made here from generated forms (api.make_forms + demo.fill_form); nothing is
checked in. No cell is hard-coded: ``cells(forms, form)`` asks the form's layout (core/layout.py,
which forms, ingest and the fillers share) where a score, a ratee's 编号 and 名称 or an item's
label sit, whichever way round the form lists people and items.
"""
from __future__ import annotations

import mailbox
import re
import shutil
import signal
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from fractions import Fraction
from functools import cached_property
from pathlib import Path

import openpyxl

from xlflag import api
from xlflag.core import layout as L
from xlflag.core.formplan import PlannedForm, form_layout_of
from xlflag.core.identity import FormIdentity
from xlflag.demo import fill_form, hashed_score
from xlflag.scheme.key import create_key
from xlflag.scheme.templates import template_sheets, write_scheme_workbook

BRANCHES = [("支部名称", "领导点评人"), ("甲支部", "王书记"), ("乙支部", "赵书记")]
ROSTER = [
    ("支部", "编号", "姓名", "突出表现"),
    ("甲支部", "A1", "甲一", "是"),
    ("甲支部", "A2", "甲二", ""),
    ("甲支部", "A3", "甲三", ""),
    ("甲支部", "A4", "甲四", ""),
    ("乙支部", "B1", "乙一", ""),
    ("乙支部", "B2", "乙二", ""),
    ("乙支部", "B3", "乙三", ""),
    ("乙支部", "B4", "乙四", "是"),
]
XLSX_MIME = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
A_SELF = [("甲支部", "DZ", m) for m in ("A1", "A2", "A3", "A4")]  # 甲支部's self forms, by (branch, group, rater)
A_LEAD = ("甲支部", "DL", "王书记")


def build_scheme(folder: Path, period: str = "2026Q4", item_text: str | None = None, key_from: Path | None = None,
                 branches: list[tuple] = BRANCHES, roster: list[tuple] = ROSTER) -> Path:
    """The S2 preset with a two-branch roster; ``item_text`` rewrites item 1.1 (a new version).

    Built again in the same folder it is the office editing its scheme: the key stays."""
    sheets = {name: list(rows) for name, rows in template_sheets("s2").items()}
    sheets["支部"], sheets["党员名册"] = list(branches), list(roster)
    sheets["设置"] = [(k, period) if k == "期次" else (k, v) for k, v in sheets["设置"]]
    if item_text:
        sheets["测评项目"] = [row[:3] + (item_text,) + row[4:] if row[2] == "1.1" else row for row in sheets["测评项目"]]
    folder.mkdir(parents=True, exist_ok=True)
    path = write_scheme_workbook(sheets, folder / api.SCHEME_FILE)
    if key_from is not None:
        (folder / "xlflag.key").write_bytes((key_from.parent / "xlflag.key").read_bytes())
    create_key(path)
    return path


@dataclass(frozen=True)
class Forms:
    """A scheme's generated forms, found by branch, group code and rater id."""

    scheme_path: Path
    written: list[tuple[PlannedForm, Path]]

    @cached_property
    def scheme(self):
        return api.load_scheme(self.scheme_path)

    def get(self, branch: str, group: str, rater: str) -> tuple[PlannedForm, Path]:
        return next((f, p) for f, p in self.written
                    if (f.identity.branch, f.identity.group, f.identity.rater) == (branch, group, rater))


def make_forms(scheme_path: Path, out: Path) -> Forms:
    return Forms(scheme_path, api.make_forms(scheme_path, out).forms)


def new_forms(root: Path) -> Forms:
    """The default scheme in ROOT/方案 and its forms in ROOT/测评表."""
    return make_forms(build_scheme(root / "方案"), root / "测评表")


def scheme_copy(forms: Forms, folder: Path) -> Path:
    """The forms' scheme and its key copied into ``folder``, so a test has a store of its own."""
    folder.mkdir()
    for name in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(forms.scheme_path.parent / name, folder / name)
    return folder / "方案.xlsx"


def clean_scores(scheme, identity: FormIdentity) -> dict[str, tuple[tuple[str, Fraction], ...]]:
    """What a clean return of this form gives: ratee → ((item, score), …), as demo fills it."""
    items = scheme.items_of(identity.criteria_set)
    return {r: tuple((i.code, Fraction(hashed_score(identity, r, i))) for i in items) for r in identity.ratees}


def fill(forms: Forms, form: Path, target: Path, edits: dict[str, object] | None = None) -> Path:
    """A clean return of ``form`` at ``target``, then ``edits`` ({A1 name: value}, the names
    from ``cells``) typed over it.

    A text value starting with "=" is typed as text (as Excel stores '=1+1), not as a formula;
    use ``formula`` for a real one.
    """
    fill_form(forms.scheme, form, hashed_score, target)
    if edits:
        edit(target, target, lambda wb: _type_into(wb[L.FORM_SHEET], edits))
    return target


@dataclass(frozen=True)
class Formula:
    text: str


def _type_into(ws, edits: dict[str, object]) -> None:
    for ref, value in edits.items():
        cell = ws[ref]
        if isinstance(value, Formula):
            cell.value = value.text
        else:
            cell.value = value
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"


def edit(src: Path, target: Path, change) -> Path:
    """Open ``src`` with openpyxl, let ``change(wb)`` edit it, save at ``target``."""
    wb = openpyxl.load_workbook(src)
    change(wb)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


@dataclass(frozen=True)
class Cells:
    """A form's cells as A1 names, from its layout: where to type and where ingest reports."""

    lay: L.FormLayout

    def score(self, n: int, item: str) -> str:
        """Ratee ``n``'s (0-based) score for ``item``."""
        return L.cell_name(*self.lay.score_cell(n, item))

    def scores(self, n: int, items: list[str] | None = None) -> str:
        """Ratee ``n``'s score cells for ``items`` (all by default) as ingest names a run of
        them: "first:last", or the one cell."""
        items = items or [i.code for i in self.lay.items]
        first, last = self.score(n, items[0]), self.score(n, items[-1])
        return first if first == last else f"{first}:{last}"

    def id(self, n: int) -> str:
        """Where ratee ``n``'s 编号 is printed; ``n == n_ratees`` is the empty slot after the last."""
        return L.cell_name(*self.lay.ratee_cells(n)[0])

    def name(self, n: int) -> str:
        return L.cell_name(*self.lay.ratee_cells(n)[1])

    def label(self, item: str) -> str:
        """The cell that starts with the item's code (a column head or a row's 编号)."""
        return L.cell_name(*self.lay.item_label_cell(item))

    # -- what a rater does to a ratee's whole row (or column) ---------------------------------
    def _line(self, ws, n: int) -> list:
        """The cells of ratee ``n``'s row (people as rows) or column (items as rows)."""
        if self.lay.by_rows:
            return [ws.cell(self.lay.ratee_row(n), col) for col in range(1, self.lay.last_col + 1)]
        return [ws.cell(row, L.FIRST_RATEE_COL + n) for row in range(L.CATEGORY_ROW, self.lay.table_last_row + 1)]

    def swap(self, ws, a: int, b: int) -> None:
        """Ratees ``a`` and ``b`` swapped, 编号, 名称 and scores (formulas stay)."""
        for one, other in zip(self._line(ws, a), self._line(ws, b)):
            if one.data_type != "f" and other.data_type != "f":
                one.value, other.value = other.value, one.value

    def delete(self, ws, n: int) -> None:
        """Ratee ``n``'s row or column deleted: the ones after it move up or left."""
        if self.lay.by_rows:
            ws.delete_rows(self.lay.ratee_row(n))
        else:
            ws.delete_cols(L.FIRST_RATEE_COL + n)

    def blank(self, ws, n: int) -> None:
        """Every score of ratee ``n`` emptied: the rater skipped that person."""
        for item in self.lay.items:
            ws[self.score(n, item.code)].value = None


def cells(forms: Forms, form: PlannedForm) -> Cells:
    """The form's cells, from the layout its identity gives (as forms, ingest and the fillers)."""
    return Cells(form_layout_of(forms.scheme, form.identity))


def score_at(forms: Forms, form: PlannedForm, ratee_index: int, item_code: str) -> int:
    """The clean score of a cell, so a spoiled copy can type the same number another way."""
    scheme = forms.scheme
    item = next(i for i in scheme.items_of(form.identity.criteria_set) if i.code == item_code)
    return hashed_score(form.identity, form.identity.ratees[ratee_index], item)


def paste_values(src: Path, target: Path, rows: int = 0, cols: int = 0, code: str | None = None) -> Path:
    """The form's visible sheet pasted as values into a new workbook's Sheet1, ``rows`` lower and
    ``cols`` further right: no hidden identity, no formulas. ``code`` replaces the printed code."""
    book = openpyxl.load_workbook(src)
    source = book[L.FORM_SHEET]
    wb = openpyxl.Workbook()
    ws = wb.active  # "Sheet"; renamed as a rater's Excel names it
    ws.title = "Sheet1"
    for row in source.iter_rows():
        for cell in row:
            if cell.value is None or cell.data_type == "f":
                continue
            value = cell.value
            if code and isinstance(value, str) and "表单编号" in value:
                value = re.sub(r"表单编号：\S+", f"表单编号：{code}", value)
            ws.cell(cell.row + rows, cell.column + cols, value)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def rezip(src: Path, target: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> Path:
    """Copy a zip package, swapping some members' bytes and adding others."""
    replace, add = replace or {}, add or {}
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
        for name, data in add.items():
            zout.writestr(name, data)
    return target


def member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def set_modified(path: Path, when: datetime) -> Path:
    """Rewrite docProps/core.xml's dcterms:modified in place (openpyxl always stamps "now")."""
    core = member(path, "docProps/core.xml").decode()
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>", core)
    tmp = path.with_name(path.name + ".tmp")
    rezip(path, tmp, {"docProps/core.xml": core.encode()})
    tmp.replace(path)
    return path


def as_xlsm(src: Path, target: Path) -> Path:
    """The form as a macro-enabled workbook carrying a VBA project (which must never run)."""
    types = member(src, "[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace("<Default ", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ', 1)
    vba = b"\xcc\x61" + b"Sub Workbook_Open(): Shell \"rm -rf /\": End Sub" * 20
    return rezip(src, target, {"[Content_Types].xml": types.encode()}, {"xl/vbaProject.bin": vba})


# -- hostile and broken files ----------------------------------------------------------------

def entity_bomb(src: Path, target: Path) -> Path:
    sheet = member(src, "xl/worksheets/sheet1.xml").decode()
    lol = '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(9)) + "]>"
    at = sheet.index("<worksheet")  # after any XML declaration, before the root
    return rezip(src, target, {"xl/worksheets/sheet1.xml": (sheet[:at] + lol + sheet[at:]).encode()})


def zip_bomb(src: Path, target: Path) -> Path:
    return rezip(src, target, add={"xl/media/image1.bin": bytes(8 * 2**20)})  # deflates ~1000:1


def dimension_bomb(target: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "测评表"
    wb.active["XFD1048576"] = 1
    wb.save(target)
    return target


def sparse_file(target: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk: a zip header, then a hole."""
    with open(target, "wb") as f:
        f.write(b"PK\x03\x04")
        f.truncate(size)
    return target


def other_workbook(target: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["会议签到表"])
    wb.active.append(["姓名", "签到时间"])
    wb.save(target)
    return target


# -- saved mail ----------------------------------------------------------------------------------

def message(sender: str, date: str, attachments: list[tuple[str, bytes]], subject: str = "测评表") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Date"] = sender, subject, date
    msg.set_content("测评表已填好，请查收。")
    for filename, data in attachments:
        maintype, subtype = XLSX_MIME if filename.endswith("xlsx") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def write_eml(target: Path, msg: EmailMessage) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(msg.as_bytes())
    return target


def write_mbox(target: Path, messages: list[EmailMessage]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    box = mailbox.mbox(target)
    for msg in messages:
        box.add(msg)
    box.flush()
    box.close()
    return target


def write_maildir(target: Path, messages: dict[str, EmailMessage]) -> Path:
    """A maildir as a mail client leaves it: read messages in cur/ under ``name:2,S``."""
    for sub in ("cur", "new", "tmp"):
        (target / sub).mkdir(parents=True, exist_ok=True)
    for name, msg in messages.items():
        (target / "cur" / f"{name}:2,S").write_bytes(msg.as_bytes())
    return target


def truncated_eml(target: Path, msg: EmailMessage) -> Path:
    """The message cut inside its attachment's base64, as a failed save leaves it."""
    raw = msg.as_bytes()
    body = raw.index(b"\n\n", raw.index(b"filename")) + 2
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(raw[: body + 76 + 1 + 10])  # one line and 10 more characters
    return target


def fill_at(forms: Forms, where: tuple[str, str, str], target: Path, edits: dict[str, object] | None = None) -> Path:
    """``fill`` for the form found by (branch, group code, rater id)."""
    return fill(forms, forms.get(*where)[1], target, edits)


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging CI (a FIFO opened for reading blocks until someone writes; a
    reader could walk a 17-billion-cell rectangle)."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
