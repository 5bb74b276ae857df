"""The bundled sample, end to end: forms out, filled the way raters fill them, results in.

``fill_form`` opens a generated form with openpyxl, types into the score cells and saves it,
as a rater's Excel would; tests use it too. Scores come from a hash, so every run of the
demo gives the same numbers.
"""
from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from .api import SCHEME_FILE, Consolidation, consolidate, load_scheme, make_forms
from .edge.files import STORE_FOLDER
from .core import layout as L
from .core.formplan import form_layout_of
from .core.identity import FormIdentity
from .core.model import Item, Scheme
from .edge.files import atomic_path
from .edge.resources import resource_dir
from .scheme.key import KEY_FILE

# value_for(identity, ratee id, item) → what the rater types (None leaves the cell blank)
ValueFor = Callable[[FormIdentity, str, Item], object]
# answer_for(identity, ratee) → the 满意度 chosen on a masses' flag questionnaire
AnswerFor = Callable[[FormIdentity, str], object]


def fill_form(scheme: Scheme, form: Path, value_for: ValueFor, target: Path | None = None,
              answer_for: AnswerFor | None = None) -> Path:
    """Type scores (and 满意度 where asked) into a generated form and save it (to ``target``,
    or over the form)."""
    wb = openpyxl.load_workbook(form)
    identity = FormIdentity.from_json(wb[L.IDENTITY_SHEET]["A1"].value)
    ws = wb[L.FORM_SHEET]
    lay = form_layout_of(scheme, identity)  # the cells the form was written with
    for n, ratee in enumerate(identity.ratees):
        for item in lay.items:
            value = value_for(identity, ratee, item)
            if value is not None:
                ws.cell(*lay.score_cell(n, item.code), value)
        if lay.answer_pos and answer_for is not None:
            ws.cell(*lay.answer_cell(n), answer_for(identity, ratee))
    target = Path(target or form)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def _hash(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)


def hashed_score(identity: FormIdentity, ratee: str, item: Item) -> int:
    """A plausible, repeatable score: mostly full marks, members differing in how often not."""
    strictness = 1 + _hash(ratee) % 5  # 1: all full marks
    return max(0, item.maximum - _hash(f"{identity.form_id}|{ratee}|{item.code}") % strictness)


def hashed_answer(identity: FormIdentity, ratee: str) -> str:
    """Mostly satisfied; how often not depends on the branch."""
    roll = _hash(f"{identity.form_id}|{ratee}") % 10
    return "不满意" if roll < 1 + _hash(ratee) % 3 else ("基本满意" if roll < 5 else "满意")


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    scheme: Path
    forms: Path
    returns: Path
    consolidation: Consolidation


def run_demo(out: Path, preset: str = "s2") -> DemoRun:
    """Copy a sample scheme, write forms, fill them into a returns folder, consolidate."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    samples = resource_dir("samples") / preset.lower()
    scheme_path = out / SCHEME_FILE
    for name in (SCHEME_FILE, KEY_FILE):
        shutil.copyfile(samples / name, out / name)
    forms_dir, returns_dir = out / "测评表", out / "回收"
    for folder in (forms_dir, returns_dir, out / STORE_FOLDER):
        shutil.rmtree(folder, ignore_errors=True)  # a rerun starts from the same inputs
    written = make_forms(scheme_path, forms_dir)
    scheme = load_scheme(scheme_path)
    for n, (planned, path) in enumerate(written.forms):
        fill_form(scheme, path, _rater_habits(n), returns_dir / _mailbox_name(n, path), hashed_answer)
    _add_inbox_noise(returns_dir / _mailbox_name(0, written.forms[0][1]), returns_dir)
    result = consolidate(scheme_path, returns_dir, out / "汇总结果.xlsx")
    return DemoRun(out, scheme_path, forms_dir, returns_dir, result)


def _mailbox_name(n: int, form: Path) -> Path:
    """Raters rename files; secretaries save attachments into dated folders."""
    folder = f"11月{20 + n % 5}日"
    name = form.name if n % 3 else f"回复_测评表({n}).xlsx"
    return Path(folder) / f"{n:03d}_{name}"


def _rater_habits(n: int) -> ValueFor:
    """Most raters type clean numbers; a few type "5分" or full-width digits, one leaves a blank."""
    def value_for(identity: FormIdentity, ratee: str, item: Item):
        score = hashed_score(identity, ratee, item)
        if n == 4 and item.code == "1.1":
            return f"{score}分"
        if n == 7 and item.code == "2.1":
            return chr(0xFF10 + score)  # full-width digit
        if n == 9 and item.code == "3.2" and ratee == identity.ratees[0]:
            return None
        return score
    return value_for


def _add_inbox_noise(first_return: Path, returns_dir: Path) -> None:
    """What arrives in a real inbox besides forms: the same form mailed twice, and a notice."""
    copy = returns_dir / "重复发送" / "再次发送.xlsx"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(first_return, copy)
    (returns_dir / "会议通知.txt").write_text("请于周五前交回测评表。", encoding="utf-8")
