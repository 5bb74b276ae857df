"""Step 3: every returned file → an accepted form, or a ledger line saying why not.

Ingest never raises on a rater's file: each problem becomes a ``Problem`` with file, sheet and
cell. The pipeline for one file:

1. ``arrivals``: every entry under RETURNS, each spreadsheet attachment of saved mail and each
   spreadsheet in an archive, read once: those bytes are hashed, stored and parsed;
2. ``readers.read_safely``: the container pre-checked (``safety``) before any parser reads it;
3. ``identify``: the signed hidden identity, or else the visible form code (``stripped``);
4. ``check_layout``: the form rates exactly the people and items it was issued for;
5. ``read_rows``: each score cell through ``values.read_score`` and the blank policy;
6. ``_settle_duplicates``: the same form twice counts once, a different later save wins; the
   current version wins over one issued before a roster edit, which still gives the rows it
   alone scores.

A workbook holding several forms (pasted onto more sheets) gives one line per form, named
``file!sheet``; one form on two sheets with different scores is refused as ambiguous.

Every arrival ends in exactly one ledger line, whatever happens to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Callable

from ..core import layout as L
from ..core.layout import FormLayout
from ..core.formplan import PlannedForm, asks_the_same, form_layout_of, other_layout_of, plan_forms, ratee_labels
from ..core.identity import FormIdentity, verify
from ..core.issued import Issued
from ..core.model import (
    BLANK_AS_ZERO,
    BLANK_POLICIES,
    BLANK_SKIP_ROW,
    RATER_PEERS,
    Scheme,
)
from ..core.problems import CannotRun, Code, Problem, Report, Severity
from ..core.ratings import AcceptedForm, RateeScores
from ..core.reissue import change_of, withdrawal_of
from ..core.values import read_score
from ..edge.files import read_ahead
from ..edge.pool import map_files, pooled, warm
from ..scheme.tables import text
from .arrivals import Arrival, Entry, arrivals, discover
from .readers import SUPPORTED_SUFFIXES, ReadFailure, WorkbookGrid, read_in_process, read_safely
from .safety import Limits
from .store import EvidenceStore
from .stripped import FormSheet, code_period, find_codes, form_sheet

# Ledger statuses, in the words the office uses.
ACCEPTED = "已采用"
REJECTED = "拒收"
SUPERSEDED = "被替代"
DUPLICATE = "重复"
NOT_A_FORM = "非测评表"
VOIDED = "作废"  # withdrawn by the office (``period.withdraw``): never counted again
SENT_BACK = "退回"
WITHDRAWN = (VOIDED, SENT_BACK)

# Spreadsheets xlflag cannot read: refused with "请另存为.xlsx". Any other unknown file (a
# notice, a photo, Thumbs.db) is simply not a form.
_OTHER_SPREADSHEETS = (".xlsb", ".csv", ".numbers", ".xlt", ".xltx", ".xltm", ".ots", ".fods", ".wps")

# progress(done, total, name[, step]): called once before reading (0) and after each file or mail
# source; later steps (writing the outputs) pass what they do as ``step``
Progress = Callable[..., None]


@dataclass(frozen=True)
class LedgerEntry:
    """One line of 台账 / 文件清单: one file or one mail attachment, and what became of it."""

    file: str
    sha256: str
    status: str
    form_code: str = ""
    form_id: str = ""
    reason: str = ""  # "CODE message" for anything not simply accepted
    mail: str = ""  # the saved message it was attached to
    sender: str = ""
    date: str = ""
    stored: str = ""  # its copy in the evidence store
    mail_stored: str = ""


@dataclass
class Intake:
    accepted: list[AcceptedForm] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    report: Report = field(default_factory=Report)


@dataclass(frozen=True)
class Prior:
    """What the period's record already holds (built by ``period.prior_of``).

    ``remembered``: stored arrivals (without their bytes) and where their copy is, judged again
    unless RETURNS holds them now; ``kept``: entries by (file, sha256) that stand as recorded —
    withdrawn ones always, ones never stored unless judged again now; ``withdrawn``:
    (sha256, form id) → the 作废/退回 entry, so the same bytes under another name stay out.
    """

    remembered: tuple[tuple[Arrival, Path], ...] = ()
    kept: dict[tuple[str, str], LedgerEntry] = field(default_factory=dict)
    withdrawn: dict[tuple[str, str], LedgerEntry] = field(default_factory=dict)


@dataclass(frozen=True)
class _Context:
    """What every file is judged against."""

    scheme: Scheme
    key: bytes
    planned: dict[str, PlannedForm]  # form id → form, as the scheme needs it now
    by_code: dict[str, FormIdentity]  # visible code → identity: every version issued, and the current ones
    blank_policy: str
    limits: Limits
    issued: Issued = Issued()

    def is_current(self, identity: FormIdentity) -> bool:
        planned = self.planned.get(identity.form_id)
        return planned is not None and planned.identity.scheme == identity.scheme


def ingest(
    scheme: Scheme,
    key: bytes,
    root: Path | None,
    exclude: tuple[Path, ...] = (),
    *,
    blank_policy: str = BLANK_SKIP_ROW,
    limits: Limits = Limits(),
    store: EvidenceStore | None = None,
    progress: Progress | None = None,
    prior: Prior = Prior(),
    issued: Issued | None = None,
    planned: list[PlannedForm] | None = None,
    workers: int | None = None,
    dask: str | None = None,
) -> Intake:
    """Read every file under ``root`` (None: none) and judge it with what ``prior`` remembers.

    Files and folders in ``exclude`` are not looked at. Files are judged on ``workers``
    processes (default: one per core; 1 judges here), or on the Dask cluster at ``dask``; the
    outcome is the same either way (``pool.map_files``).

    ``blank_policy`` is the scheme's 空白处理 (``values.BLANK_POLICIES``). With ``store``, every
    file and mail is copied into it; ingest never writes anywhere else, and never to ``root``.
    ``issued`` (the issue record) lets an earlier version be known by its code alone;
    ``planned``: ``plan_forms(scheme, key, issued)`` when the caller has it already.
    """
    if blank_policy not in BLANK_POLICIES:
        raise ValueError(f"空白处理应为{'或'.join(BLANK_POLICIES)}，而不是“{blank_policy}”")
    ctx = context(scheme, key, blank_policy, limits, issued, planned)
    entries = []
    if root is not None:
        root = Path(root)
        if not root.exists():
            raise CannotRun(f"找不到回收文件夹：{root}。请检查路径（只汇总已存档的回收件时可以不给出回收文件夹）")
        entries = discover(root, tuple(exclude) + ((store.root,) if store else ()))
    intake = Intake()
    run = _Run(ctx, prior, intake)
    for seen, named, outcome in _judged(ctx, entries, list(prior.remembered), store, progress, workers, dask):
        run.seen.add(seen)
        run.take(named, outcome)
    if store is not None:
        store.flush()  # every copy written before anything is judged on its being there
    intake.ledger.extend(e for key, e in prior.kept.items() if key not in run.named)
    _settle_duplicates(ctx, run.candidates, intake)
    run.check_key()
    intake.ledger.sort(key=lambda e: (e.file, e.sha256, e.status))
    return intake


def prepare_reading(scheme: Scheme, workers: int | None = None, dask: str | None = None) -> None:
    """Called as soon as the scheme is read: when the period's returns will be read on the local
    pool (a few hundred members or more: two forms each at least in most plans), its fork server
    starts loading this module now, on the other core while the issue record is read and the
    forms planned, so that the workers start ready; otherwise nothing."""
    if not dask and pooled(2 * len(scheme.members), workers):
        warm(__name__)


def context(scheme: Scheme, key: bytes, blank_policy: str = BLANK_SKIP_ROW, limits: Limits = Limits(),
            issued: Issued | None = None, planned: list[PlannedForm] | None = None) -> _Context:
    issued = issued or Issued()
    forms = plan_forms(scheme, key, issued) if planned is None else planned
    by_code = issued.by_code() | {f.identity.code: f.identity for f in forms}
    return _Context(scheme, key, {f.form_id: f for f in forms}, by_code, blank_policy, limits, issued)


def _stored_bytes(copy: Path) -> bytes:
    try:
        return copy.read_bytes()
    except OSError as exc:
        raise CannotRun(f"存档中的原件{copy}无法读取（{exc.strerror or exc.errno}）。请检查存档文件夹的权限后重新运行") from exc


class _Run:
    """One ingest: the arrivals and ledger names seen, the candidates for counting, the
    signature tally."""

    def __init__(self, ctx: _Context, prior: Prior, intake: Intake):
        self.ctx, self.prior, self.intake = ctx, prior, intake
        self.seen: set[tuple[str, str]] = set()  # (arrival name, sha256)
        self.named: set[tuple[str, str]] = set()  # (ledger file, sha256)
        self.candidates: list[tuple[AcceptedForm, Arrival, tuple[Problem, ...]]] = []
        self.signed = self.forged = 0

    def take(self, named: Arrival, outcome: "_Outcome") -> None:
        """One judged form of an arrival: withdrawn, a candidate for counting, or refused."""
        self.named.add((named.name, named.sha256))
        withdrawn = self._withdrawn(named, outcome)
        if withdrawn is not None:
            self.intake.ledger.append(withdrawn)
            return
        self._tally(outcome)
        if isinstance(outcome.result, AcceptedForm):
            self.candidates.append((outcome.result, named, outcome.problems))
        else:
            status, problem = outcome.result
            self.intake.report.extend(outcome.problems)
            self.intake.ledger.append(_entry(named, status, _reason(problem), outcome.identity))

    def _withdrawn(self, named: Arrival, outcome: "_Outcome") -> LedgerEntry | None:
        """The recorded 作废/退回 entry when this is (or has the bytes of) a withdrawn return."""
        kept = self.prior.kept.get((named.name, named.sha256))
        if kept is not None and kept.status in WITHDRAWN:
            return kept
        if outcome.identity is None or not named.sha256:
            return None
        withdrawn = self.prior.withdrawn.get((named.sha256, outcome.identity.form_id))
        if withdrawn is None:
            return None
        return replace(withdrawn, file=named.name, mail=named.mail, sender=named.sender, date=named.date,
                       stored=named.stored, mail_stored=named.mail_stored)

    def _tally(self, outcome: "_Outcome") -> None:
        codes = {p.code for p in outcome.problems}
        if Code.RETURN_SIGNATURE_INVALID in codes:
            self.forged += 1
        elif outcome.identity is not None and Code.RETURN_IDENTITY_STRIPPED not in codes:
            self.signed += 1

    def check_key(self) -> None:
        """Every signature failed: the key is not the one the forms were signed with."""
        if self.forged and not self.signed:
            self.intake.report.problems.insert(0, Problem(Code.RETURN_KEY_MISMATCH, found=str(self.forged)))


def _judged(ctx: _Context, entries: list, remembered: list, store, progress, workers, dask):
    """((name, sha256) of the arrival, form, outcome) for every form of every arrival, in order:
    ``_judge_item`` mapped over the entries (``pool.map_files``: here, on a process pool or on a
    Dask cluster). Then the same for each arrival the period ``remembered`` (the store's copy)
    that RETURNS did not bring again: a period's second run re-reads the whole period on the
    pool too. ``progress(done, total, name)`` after each entry or remembered file.

    Here and on local workers each entry is read, hashed, stored and judged where it is mapped,
    so the files' bytes never travel between processes and this process only keeps count; a
    Dask cluster's workers need not see the returns folder, so for them the arrivals are read
    and stored here and travel with their bytes."""
    names = [e.name for e in entries] + [arrival.name for arrival, _ in remembered]
    shared = (ctx, None if dask else store)
    ahead = read_ahead(enumerate(entries), _entry_path)  # the disk asked for each file early
    if dask:
        first = ((n, arrival) for n, entry in ahead for arrival in arrivals(entry, ctx.limits, store))
    else:
        first = ahead
    brought: set[tuple[str, str]] = set()
    reported = [0]

    def mapped(items, count):
        for n, judged in map_files(_judge_item, shared, items, count=count, workers=workers, dask=dask,
                                   init=_in_worker):
            if progress is not None and n + 1 > reported[0]:
                for done in range(reported[0] + 1, n + 2):
                    progress(done, len(names), names[done - 1])
                reported[0] = n + 1
            for seen, forms in judged:
                brought.add(seen)
                for named, outcome in forms:
                    yield seen, named, _interned(ctx, outcome)

    if progress is not None:
        progress(0, len(names), "")
    yield from mapped(first, len(entries))
    again = [(n, (arrival, copy)) for n, (arrival, copy) in enumerate(remembered, start=len(entries))
             if (arrival.name, arrival.sha256) not in brought]
    count = len(again)  # what is left to read decides whether a pool is worth starting
    again = read_ahead(again, _copy_path)
    if dask:
        again = ((n, replace(arrival, data=_stored_bytes(copy))) for n, (arrival, copy) in again)
    yield from mapped(again, count)
    if progress is not None:
        for done in range(reported[0] + 1, len(names) + 1):
            progress(done, len(names), names[done - 1])


def _entry_path(item: tuple[int, Entry]) -> Path:
    return item[1].path


def _copy_path(item: tuple[int, tuple[Arrival, Path]]) -> Path:
    return item[1][1]


def _interned(ctx: _Context, outcome: "_Outcome") -> "_Outcome":
    """The outcome holding the context's own identity object in place of the equal copy it came
    back from a worker with: kept for the whole run, a county's 25,000 copies (each ratee's id,
    name and label a string of its own) would take ~300 MB."""
    identity = outcome.identity
    mine = identity and ctx.by_code.get(identity.code)
    if not mine or mine is identity or mine != identity:
        return outcome
    result = outcome.result
    if isinstance(result, AcceptedForm) and result.identity is identity:
        result = replace(result, identity=mine)
    return replace(outcome, result=result, identity=mine)


def _judge_item(shared: tuple[_Context, EvidenceStore | None], item: tuple[int, Entry | Arrival | tuple]):
    """(entry number, [((name, sha256) of each arrival, its judged forms)]): an entry under
    RETURNS is read, hashed and stored here, a remembered (arrival, copy) is read from the
    store, an arrival brings its bytes. Nothing returned holds a file's bytes, and every copy is
    in the store before this returns."""
    ctx, store = shared
    n, thing = item
    if isinstance(thing, Entry):
        found = arrivals(thing, ctx.limits, store)
    elif isinstance(thing, tuple):
        arrival, copy = thing
        found = [replace(arrival, data=_stored_bytes(copy))]
    else:
        found = [thing]
    judged = [((arrival.name, arrival.sha256), [(replace(shown, data=None), outcome) for shown, outcome in judge(ctx, arrival)])
              for arrival in found]
    if store is not None:
        store.flush()
    return n, judged


def _in_worker() -> None:
    """In a worker of ``map_files``, calamine reads right there: the worker is the isolation."""
    read_in_process(True)


@dataclass(frozen=True)
class _Outcome:
    result: AcceptedForm | tuple[str, Problem]  # the form, or (ledger status, the reason)
    problems: tuple[Problem, ...]
    identity: FormIdentity | None = None  # known even for some refused files


def _refused(status: str, problem: Problem, extra=(), identity: FormIdentity | None = None) -> _Outcome:
    return _Outcome((status, problem), (*extra, problem), identity)


def judge(ctx: _Context, arrival: Arrival) -> list[tuple[Arrival, _Outcome]]:
    """What became of an arrival: one outcome, or one per form when a workbook holds several
    (each then named ``file!sheet``). Never raises on a rater's file."""
    try:
        outcomes = read_return(ctx, arrival)
    except Exception as exc:  # a bug of ours must still not stop the run on one rater's file
        problem = Problem(Code.RETURN_UNREADABLE, arrival.name, found=f"内部错误{type(exc).__name__}")
        outcomes = [("", _refused(REJECTED, problem))]
    named = []
    for sheet, outcome in outcomes:
        shown = replace(arrival, name=f"{arrival.name}!{sheet}") if len(outcomes) > 1 else arrival
        if len(outcomes) > 1:
            outcome = _renamed(outcome, arrival.name, shown.name)
        named.append((shown, replace(outcome, problems=(*arrival.notes, *outcome.problems))))
    return named


def _renamed(outcome: _Outcome, old: str, new: str) -> _Outcome:
    def moved(problem: Problem) -> Problem:
        return replace(problem, file=new) if problem.file == old else problem

    result = outcome.result
    if isinstance(result, AcceptedForm):
        result = replace(result, file=new)
    else:
        result = (result[0], moved(result[1]))
    return _Outcome(result, tuple(moved(p) for p in outcome.problems), outcome.identity)


def read_return(ctx: _Context, arrival: Arrival) -> list[tuple[str, _Outcome]]:
    """[(sheet, outcome)]: the forms this arrival holds, each accepted or refused; one entry
    (sheet "") when it holds none or is refused as a whole."""
    name = arrival.name
    if arrival.refusal is not None:
        code = arrival.refusal.code
        status = NOT_A_FORM if code in (Code.MAIL_NO_SPREADSHEET, Code.ARCHIVE_NO_SPREADSHEET) else REJECTED
        return [("", _refused(status, arrival.refusal))]
    if arrival.basename.startswith("~$"):  # the owner file Excel keeps beside a file it has open
        return [("", _refused(NOT_A_FORM, Problem(Code.RETURN_NOT_A_FORM, name, found="Excel临时文件")))]
    grid = read_safely(arrival.data, ctx.limits, suffix=arrival.suffix)
    if isinstance(grid, ReadFailure):
        if _not_a_spreadsheet(arrival.suffix, grid):
            return [("", _refused(NOT_A_FORM, Problem(Code.RETURN_NOT_A_FORM, name, found=grid.found)))]
        return [("", _refused(REJECTED, Problem(grid.code, name, found=grid.found)))]
    found = identify(ctx, grid, name)
    if isinstance(found, Problem):
        return [("", _refused(NOT_A_FORM if found.code is Code.RETURN_NOT_A_FORM else REJECTED, found))]
    by_form: dict[str, list[tuple[str, _Outcome]]] = {}
    for identity, sheet, notes in found:
        by_form.setdefault(identity.form_id, []).append((sheet.name, _read_form(ctx, arrival, grid, identity, sheet, notes)))
    return [_one_of(copies, name) for copies in by_form.values()]


def _read_form(ctx: _Context, arrival: Arrival, grid: WorkbookGrid, identity: FormIdentity, sheet: FormSheet, notes) -> _Outcome:
    name = arrival.name
    problem = _check_version(ctx, identity, name)
    if problem is not None:
        return _refused(REJECTED, problem, notes, identity)
    lay = form_layout_of(ctx.scheme, identity)  # once per form: check, read and blank test share it
    problem = check_layout(ctx.scheme, identity, sheet, name, lay)
    if problem is not None:  # written by an earlier xlflag that chose the other orientation?
        other = other_layout_of(ctx.scheme, identity, lay)
        if check_layout(ctx.scheme, identity, sheet, name, other) is None:
            lay, problem = other, None
    if problem is not None:
        return _refused(REJECTED, problem, notes, identity)
    rows, problems = read_rows(ctx.scheme, identity, sheet, name, ctx.blank_policy, lay)
    if not rows:
        shown = () if _untouched(ctx.scheme, identity, sheet, lay) else problems
        empty = Problem(Code.RETURN_EMPTY, name, sheet.name, found=_cells_text(shown) or "一个分数也没有填写")
        return _refused(REJECTED, empty, (*notes, *shown), identity)
    form = AcceptedForm(identity, name, arrival.sha256, rows, grid.modified or _mail_time(arrival.date))
    return _Outcome(form, (*notes, *problems), identity)


def _one_of(copies: list[tuple[str, _Outcome]], name: str) -> tuple[str, _Outcome]:
    """One form on several sheets of a workbook: the same scores count once; different ones
    cannot be told apart, so the form is refused naming the sheets."""
    sheet, first = copies[0]
    if len(copies) == 1:  # (most workbooks): nothing to compare
        return sheet, first
    rows = {c.result.rows if isinstance(c.result, AcceptedForm) else None for _, c in copies}
    if len(rows) == 1:
        return sheet, first
    sheets = "与".join(f"工作表“{s}”" for s, _ in copies)
    problem = Problem(Code.RETURN_AMBIGUOUS, name, copies[1][0], found=sheets)
    return sheet, _refused(REJECTED, problem, identity=first.identity)


def _cells_text(problems, shown: int = 3) -> str:
    """"F6 分数6超出范围，应为…；D7:F7 …": the cells to fix, as 台账 and 催收名单 show them."""
    errors = [p for p in problems if p.severity is Severity.ERROR]
    text = "；".join(f"{p.cell} {p.message}" for p in errors[:shown])
    return text + (f"；等共{len(errors)}处" if len(errors) > shown else "")


def _not_a_spreadsheet(suffix: str, failure: ReadFailure) -> bool:
    """A notice or a photo is not a form; a spreadsheet we cannot read is refused instead."""
    known = suffix in SUPPORTED_SUFFIXES or suffix in _OTHER_SPREADSHEETS
    return failure.code is Code.RETURN_UNSUPPORTED_FORMAT and not known


# -- which form is it --------------------------------------------------------------------------

Identified = tuple[FormIdentity, FormSheet, tuple[Problem, ...]]


def identify(ctx: _Context, grid: WorkbookGrid, name: str) -> list[Identified] | Problem:
    """The forms in a workbook: the one its signed hidden identity names, and every other form
    whose visible code a sheet shows (a rater who pasted two forms into one workbook)."""
    hidden = grid.sheet(L.IDENTITY_SHEET)
    text = hidden.value(1, 1) if hidden else None
    if not isinstance(text, str):
        return _by_code(ctx, grid, name)
    if not verify(ctx.key, text, str(hidden.value(2, 1) or "")):
        return Problem(Code.RETURN_SIGNATURE_INVALID, name, hidden.name, "A2")
    try:
        identity = FormIdentity.from_json(text)
    except (ValueError, TypeError, KeyError):
        return Problem(Code.RETURN_SIGNATURE_INVALID, name, hidden.name, "A1")
    if identity.period != ctx.scheme.settings.period:
        return Problem(Code.RETURN_WRONG_PERIOD, name, found=identity.period, expected=ctx.scheme.settings.period)
    sheet = form_sheet(grid, identity.code)
    if sheet is None:
        return Problem(Code.RETURN_LAYOUT_CHANGED, name, found="缺少测评表工作表", expected=f"工作表“{L.FORM_SHEET}”")
    others = _by_code(ctx, grid, name, besides=sheet.name)
    return [(identity, sheet, ())] + (others if isinstance(others, list) else [])


def _check_version(ctx: _Context, identity: FormIdentity, name: str) -> Problem | None:
    """The current version counts; an earlier one counts where it still asks the same questions
    (its rows are settled against the current form later); a withdrawn form never counts."""
    planned = ctx.planned.get(identity.form_id)
    if planned is None:
        causes = withdrawal_of(ctx.scheme, identity, ctx.issued).causes
        return Problem(Code.RETURN_FORM_WITHDRAWN, name, found="；".join(causes))
    if ctx.is_current(identity) or asks_the_same(ctx.scheme, identity):
        return None
    current = planned.identity
    return Problem(Code.RETURN_WRONG_SCHEME, name, found=f"第{identity.version}版 {identity.scheme}",
                   expected=f"第{current.version}版 {current.scheme}，表单编号{current.code}")


def _by_code(ctx: _Context, grid: WorkbookGrid, name: str, besides: str | None = None) -> list[Identified] | Problem:
    """No hidden identity (pasted into a new workbook, or dropped on re-save): the codes shown,
    one form per sheet (but ``besides``). The first unknown code is the problem when none is known."""
    known, trouble = [], None
    others = grid if besides is None else WorkbookGrid(tuple(s for s in grid.sheets if s.name != besides), grid.modified)
    for found in find_codes(others):  # (the form's own sheet, read already, is not searched again)
        where = (name, found.sheet.name, found.cell)
        identity = ctx.by_code.get(found.code)
        if identity is not None:
            known.append((identity, found.sheet, (Problem(Code.RETURN_IDENTITY_STRIPPED, *where, found=found.code),)))
        elif trouble is None:
            period = ctx.scheme.settings.period
            if code_period(found.code) != period:
                trouble = Problem(Code.RETURN_WRONG_PERIOD, *where, found=code_period(found.code), expected=period)
            else:
                trouble = Problem(Code.RETURN_CODE_UNKNOWN, *where, found=found.code)
    if known or besides is not None:
        return known
    return trouble or Problem(Code.RETURN_NOT_A_FORM, name)


# -- does it rate exactly whom it was issued for -----------------------------------------------

def check_layout(scheme: Scheme, identity: FormIdentity, sheet: FormSheet, name: str,
                 lay: FormLayout | None = None) -> Problem | None:
    """The form must name exactly the issued ratees and items, where its layout put them
    (``lay``: the identity's layout, when the caller has it already)."""
    lay = lay or form_layout_of(scheme, identity)
    for item in lay.items:
        row, col = lay.item_label_cell(item.code)
        found = str(sheet.value(row, col) or "")
        if not found.startswith(item.code):
            return Problem(Code.RETURN_LAYOUT_CHANGED, name, sheet.name, sheet.cell(row, col),
                           found.replace("\n", ""), f"项目{item.code}")
    labels = ratee_labels(scheme, identity)
    slots = [(lay.ratee_cells(n), want) for n, want in enumerate(labels + [("", "")])]  # + the slot after
    if scheme.group(identity.group).rater_kind == RATER_PEERS:
        for (id_cell, name_cell), _ in slots:
            if text(sheet.value(*id_cell)) == identity.rater:
                return Problem(Code.RETURN_SELF_RATED, name, sheet.name, sheet.cell(*id_cell),
                               f"{identity.rater} {text(sheet.value(*name_cell))}".strip())
    for (id_cell, name_cell), want in slots:
        found = (text(sheet.value(*id_cell)), text(sheet.value(*name_cell)))
        if found != want:
            where = f"第{id_cell[0]}行" if lay.by_rows else f"{sheet.cell(*id_cell).rstrip('0123456789')}列"
            shown = f"{where}为“{' '.join(found).strip()}”" if any(found) else f"{where}为空"
            expected = f"“{' '.join(want)}”" if any(want) else ("此行为空" if lay.by_rows else "此列为空")
            return Problem(Code.RETURN_ROWS_CHANGED, name, sheet.name, sheet.cell(*id_cell), shown, expected)
    return None


# -- the scores --------------------------------------------------------------------------------

def read_rows(scheme: Scheme, identity: FormIdentity, sheet: FormSheet, name: str, blank_policy: str = BLANK_SKIP_ROW,
              lay: FormLayout | None = None):
    """Complete ratees only; every unusable cell is a problem, every noted one a warning.

    Under 按0分计 a blank item counts as 0 (noted), but a ratee left wholly blank still does not
    count: the rater did not rate that person at all.
    """
    lay = lay or form_layout_of(scheme, identity)
    step = scheme.settings.step
    rows, problems, blanks = [], [], []
    values, formulas = sheet.grid.values, sheet.grid.formulas
    down, right = sheet.row_offset, sheet.col_offset
    known = _known(step)
    items = lay.items
    for n, ratee in enumerate(identity.ratees):
        cells = list(zip(items, lay.ratee_score_cells(n)))
        readings, pairs = [], []
        for item, (row, col) in cells:
            at = (row + down, col + right)
            raw, formula = values.get(at), formulas.get(at)
            key = (raw, raw.__class__, item.code, item.maximum, formula)
            try:
                got = known.get(key)
            except TypeError:  # an unhashable value: read it afresh
                got = key = None
            if got is None:
                reading = read_score(raw, item.maximum, step, formula)
                got = reading, _pair(item.code, reading.score)
                if key is not None and isinstance(raw, (str, int, float, type(None))) and len(known) < _KNOWN_CELLS:
                    known[key] = got
            readings.append(got[0])
            pairs.append(got[1])
        scores, usable, ratee_blanks = [], True, []
        if all(r.code is None for r in readings):  # a clean row (most rows): nothing to note
            scores = pairs
        else:
            zero_blanks = blank_policy == BLANK_AS_ZERO and not all(r.blank for r in readings)
            for (item, cell), reading in zip(cells, readings):
                score, code = reading.score, reading.code
                if reading.blank and zero_blanks:
                    score, code = Fraction(0), Code.SCORE_BLANK_AS_ZERO
                if code is not None:
                    problem = Problem(code, name, sheet.name, sheet.cell(*cell), reading.found, reading.expected)
                    (ratee_blanks if code in _BLANKS else problems).append(problem)
                usable = usable and score is not None
                scores.append(_pair(item.code, score))
        blanks.append(ratee_blanks)
        answer = ""
        if lay.answer_pos:
            answer, problem = read_answer(scheme.flag.answers, sheet, *lay.answer_cell(n), name)
            if problem:
                problems.append(problem)
                usable = False
        if usable:
            rows.append(RateeScores(ratee, tuple(scores), answer))
    return tuple(rows), problems + _fold_blanks(blanks)


_PAIRS: dict = {}


def _pair(code: str, score):
    """One shared (item, score) tuple per distinct pair: a county holds millions of them."""
    return _PAIRS.setdefault((code, score), (code, score)) if len(_PAIRS) < 100_000 else (code, score)


# (cell value, its type, item code, maximum, formula) → (its Reading, its (item, score) pair), per
# scoring step: a county's millions of score cells hold a few hundred distinct contents, so each
# is read once per process, and a clean cell costs one look-up (no Fraction hashed per cell).
_KNOWN: dict = {}
_KNOWN_CELLS = 100_000


def _known(step) -> dict:
    known = _KNOWN.get(step)
    if known is None:
        known = _KNOWN.setdefault(step, {})
    return known


def read_answer(answers: tuple[str, ...], sheet: FormSheet, row: int, col: int, name: str) -> tuple[str, Problem | None]:
    """One of the scheme's answers, exactly (after trimming); anything else is a problem."""
    answer = text(sheet.value(row, col))
    cell = sheet.cell(row, col)
    if not answer:
        return "", Problem(Code.SCORE_BLANK, name, sheet.name, cell, "", "、".join(answers))
    if answer not in answers:
        return "", Problem(Code.SCORE_ANSWER_INVALID, name, sheet.name, cell, answer, "、".join(answers))
    return answer, None


_BLANKS = (Code.SCORE_BLANK, Code.SCORE_BLANK_AS_ZERO)


def _fold_blanks(per_ratee: list[list[Problem]]) -> list[Problem]:
    """One blank record per ratee, naming its cells: a half-empty form is one message a person,
    not twenty."""
    folded = []
    for ps in per_ratee:
        for code in _BLANKS:
            same = [p for p in ps if p.code is code]
            if same:
                cells = same[0].cell if len(same) == 1 else f"{same[0].cell}:{same[-1].cell}"
                folded.append(Problem(code, same[0].file, same[0].sheet, cells, f"{len(same)}项空白", same[0].expected))
    return folded


def _untouched(scheme: Scheme, identity: FormIdentity, sheet: FormSheet, lay: FormLayout) -> bool:
    """Not one score typed: the rater sent the blank form back."""
    cells = lay.score_cells() + [lay.answer_cell(n) for n in range(lay.n_ratees) if lay.answer_pos]
    return all(sheet.value(*cell) is None for cell in cells)


# -- the same form more than once --------------------------------------------------------------

Candidate = tuple[AcceptedForm, Arrival, tuple[Problem, ...]]


def _settle_duplicates(ctx: _Context, candidates: list[Candidate], intake: Intake) -> None:
    """Same form twice: identical counts once; different, the later save wins and both are listed.

    Versions first: the current version wins over any earlier one, whenever saved. An earlier
    version (issued before a roster edit) still gives the scores of the people it rates who are
    still on the form and whom the current version does not score: a rater who returned the old
    form is asked only for the new rows. Cell problems are reported for the copies that count
    only, so a duplicate never doubles them.
    """
    by_form: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_form.setdefault(candidate[0].identity.form_id, []).append(candidate)
    for form_id, copies in by_form.items():
        # the later save wins; file name and hash break ties so reruns choose the same one
        copies.sort(key=lambda c: (ctx.is_current(c[0].identity), c[0].modified or datetime.min, c[0].file, c[0].sha256))
        winner, winner_arrival, winner_problems = copies[-1]
        losers = copies[:-1]
        if ctx.is_current(winner.identity):
            old = [c for c in losers if not ctx.is_current(c[0].identity)]
            filler = old[-1] if old else None
        else:
            filler = None
        planned = ctx.planned[form_id]
        merged, filled = _merge(planned, winner, filler[0] if filler else None)
        intake.report.extend(_unblanked(ctx, winner_problems, planned, filled) if filled else winner_problems)
        intake.accepted.append(merged)
        intake.ledger.append(_entry(winner_arrival, ACCEPTED, f"计入{len(merged.rows) - len(filled)}名被评人", winner.identity))
        if not ctx.is_current(winner.identity) or filled:
            intake.report.add(_old_version_note(ctx, planned, filler or copies[-1], merged))
        for form, arrival, problems in losers:
            if filler is not None and form is filler[0] and filled:
                intake.report.extend(problems)
                intake.ledger.append(_entry(arrival, ACCEPTED, f"旧版，补入新版未评的{len(filled)}名被评人", form.identity))
                continue
            if ctx.is_current(winner.identity) and not ctx.is_current(form.identity):
                found = f"{form.file}（第{form.identity.version}版）→ 采用第{winner.identity.version}版 {winner.file}"
                problem, status = Problem(Code.RETURN_OLD_VERSION_REPLACED, form.file, found=found), SUPERSEDED
            elif form.rows == winner.rows:
                problem, status = Problem(Code.RETURN_DUPLICATE, form.file, found=winner.file), DUPLICATE
            else:
                problem = Problem(Code.RETURN_SUPERSEDED, form.file, found=f"{form.file} → 采用 {winner.file}")
                status = SUPERSEDED
            intake.ledger.append(_entry(arrival, status, _reason(problem), form.identity))
            intake.report.add(problem)
    intake.accepted.sort(key=lambda f: f.identity.form_id)


def _merge(planned: PlannedForm, winner: AcceptedForm, filler: AcceptedForm | None):
    """The winner's rows for the people the current form rates, plus the earlier version's rows
    for those the winner left unscored; (merged form, ratee ids taken from the earlier version)."""
    wanted = planned.identity.ratees
    rows = {r.ratee: r for r in winner.rows if r.ratee in wanted}
    filled = tuple(r.ratee for r in (filler.rows if filler else ()) if r.ratee in wanted and r.ratee not in rows)
    rows |= {r.ratee: r for r in (filler.rows if filler else ()) if r.ratee in filled}
    ordered = tuple(rows[r] for r in wanted if r in rows)
    return AcceptedForm(winner.identity, winner.file, winner.sha256, ordered, winner.modified), filled


def _unblanked(ctx: _Context, problems: tuple[Problem, ...], planned: PlannedForm, filled: tuple[str, ...]) -> list[Problem]:
    """The current version's cells left blank for people the earlier version scored are no problem."""
    lay = form_layout_of(ctx.scheme, planned.identity)
    ratees = planned.identity.ratees
    cells = {L.cell_name(*lay.score_cell(ratees.index(r), i.code)) for r in filled for i in lay.items}
    return [p for p in problems if not (p.code in _BLANKS and p.cell.split(":")[0] in cells)]


def _old_version_note(ctx: _Context, planned: PlannedForm, old: Candidate, merged: AcceptedForm) -> Problem:
    """What an earlier version counted for, and whom the rater still has to score."""
    form, _, _ = old
    change = change_of(ctx.scheme, planned, form.identity, ctx.issued)
    names = dict(zip(planned.identity.ratees, (n for _, n in planned.identity.labels)))
    scored = {r.ratee for r in merged.rows}
    missing = [names[r] for r in planned.identity.ratees if r not in scored]
    said = f"已计入{len(merged.rows)}名被评人的评分"
    said += f"；{'、'.join(missing)}尚无评分，请用新版（表单编号{planned.identity.code}）只为其补评" if missing else "，无需重填"
    found = f"第{form.identity.version}版；{'；'.join(change.causes)}"
    return Problem(Code.RETURN_OLD_VERSION_USED, form.file, found=found, expected=said)


def _reason(problem: Problem) -> str:
    return f"{problem.code.name} {problem.message}"


def _entry(arrival: Arrival, status: str, reason: str, identity: FormIdentity | None = None) -> LedgerEntry:
    return LedgerEntry(
        arrival.name,
        arrival.sha256,
        status,
        identity.code if identity else "",
        identity.form_id if identity else "",
        reason,
        arrival.mail,
        arrival.sender,
        arrival.date,
        arrival.stored,
        arrival.mail_stored,
    )


def _mail_time(date: str) -> datetime | None:
    """A message's ISO date as naive UTC, the way workbook dates are compared."""
    try:
        stamp = datetime.fromisoformat(date)
    except ValueError:
        return None
    return stamp.astimezone(timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp
