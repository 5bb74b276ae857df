"""Step 3: every returned file → an accepted form, or a ledger line saying why not.

Ingest never raises on a rater's file: each problem becomes a ``Problem`` with file, sheet and
cell. Files are recognised by their signed identity, never by name or folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from . import layout as L
from .files import sha256_file
from .formplan import PlannedForm, asks_answer, plan_forms, ratee_labels
from .identity import FormIdentity, verify
from .model import Scheme
from .problems import Code, Problem, Report
from .readers import ReadFailure, SheetGrid, WorkbookGrid, read_workbook
from .values import read_score

# Ledger statuses, in the words the office uses.
ACCEPTED = "已采用"
REJECTED = "拒收"
SUPERSEDED = "被替代"
DUPLICATE = "重复"
NOT_A_FORM = "非测评表"


@dataclass(frozen=True)
class RateeScores:
    """One complete row: a score for every item (incomplete rows are never kept)."""

    ratee: str
    scores: tuple[tuple[str, Fraction], ...]  # (item code, score) in form order
    answer: str = ""  # 满意度 on the masses' flag questionnaire


@dataclass(frozen=True)
class AcceptedForm:
    identity: FormIdentity
    file: str
    sha256: str
    rows: tuple[RateeScores, ...]
    modified: datetime | None = None


@dataclass(frozen=True)
class LedgerEntry:
    file: str
    sha256: str
    status: str
    form_code: str = ""
    form_id: str = ""
    reason: str = ""


@dataclass
class Intake:
    accepted: list[AcceptedForm] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    report: Report = field(default_factory=Report)


def discover(root: Path, exclude: tuple[Path, ...] = ()) -> list[Path]:
    """Every file under root, in a stable order; nothing is skipped silently."""
    skip = {p.resolve() for p in exclude}
    return sorted(p for p in Path(root).rglob("*") if p.is_file() and p.resolve() not in skip)


def ingest(scheme: Scheme, key: bytes, root: Path, exclude: tuple[Path, ...] = ()) -> Intake:
    root = Path(root)
    planned = {f.form_id: f for f in plan_forms(scheme, key)}
    intake = Intake()
    candidates = []
    for path in discover(root, exclude):
        name = str(path.relative_to(root))
        digest = sha256_file(path)
        outcome = read_return(scheme, key, planned, path, name, digest)
        if isinstance(outcome.result, AcceptedForm):
            candidates.append((outcome.result, digest, outcome.problems))
        else:
            intake.report.extend(outcome.problems)
            status, problem = outcome.result
            intake.ledger.append(LedgerEntry(name, digest, status, reason=f"{problem.code.name} {problem.message}"))
    _settle_duplicates(candidates, intake)
    intake.ledger.sort(key=lambda e: e.file)
    return intake


@dataclass(frozen=True)
class _Outcome:
    result: AcceptedForm | tuple[str, Problem]
    problems: tuple[Problem, ...]


def _refused(status: str, problem: Problem, extra=()) -> _Outcome:
    return _Outcome((status, problem), (*extra, problem))


def read_return(scheme: Scheme, key: bytes, planned: dict[str, PlannedForm], path: Path, name: str, digest: str) -> _Outcome:
    grid = read_workbook(path)
    if isinstance(grid, ReadFailure):
        return _refused(REJECTED, Problem(grid.code, name, found=grid.found))
    identity, problem = identify(scheme, key, grid, name)
    if problem is not None:
        status = NOT_A_FORM if problem.code is Code.RETURN_NOT_A_FORM else REJECTED
        return _refused(status, problem)
    if identity.form_id not in planned:  # signed by us, but for a rater this scheme no longer has
        return _refused(REJECTED, Problem(Code.RETURN_WRONG_SCHEME, name, found=identity.form_id, expected=scheme.fingerprint()))
    sheet = grid.sheet(L.FORM_SHEET)
    problem = check_layout(scheme, identity, sheet, name)
    if problem is not None:
        return _refused(REJECTED, problem)
    rows, problems = read_rows(scheme, identity, sheet, name)
    form = AcceptedForm(identity, name, digest, rows, grid.modified)
    return _Outcome(form, tuple(problems))


def identify(scheme: Scheme, key: bytes, grid: WorkbookGrid, name: str) -> tuple[FormIdentity | None, Problem | None]:
    hidden = grid.sheet(L.IDENTITY_SHEET)
    text, signature = (hidden.value(1, 1), hidden.value(2, 1)) if hidden else (None, None)
    if not isinstance(text, str) or grid.sheet(L.FORM_SHEET) is None:
        return None, Problem(Code.RETURN_NOT_A_FORM, name)
    if not verify(key, text, str(signature or "")):
        return None, Problem(Code.RETURN_SIGNATURE_INVALID, name, L.IDENTITY_SHEET, "A2")
    try:
        identity = FormIdentity.from_json(text)
    except (ValueError, TypeError, KeyError):
        return None, Problem(Code.RETURN_SIGNATURE_INVALID, name, L.IDENTITY_SHEET, "A1")
    settings = scheme.settings
    if identity.period != settings.period:
        return None, Problem(Code.RETURN_WRONG_PERIOD, name, found=identity.period, expected=settings.period)
    if identity.scheme != scheme.fingerprint():
        return None, Problem(Code.RETURN_WRONG_SCHEME, name, found=identity.scheme, expected=scheme.fingerprint())
    return identity, None


def check_layout(scheme: Scheme, identity: FormIdentity, sheet: SheetGrid, name: str) -> Problem | None:
    """The rows must name exactly the issued ratees, the columns exactly the issued items."""
    lay = L.form_layout(scheme.items_of(identity.criteria_set), asks_answer(scheme, identity))
    for code, col in lay.item_cols.items():
        found = str(sheet.value(L.HEADER_ROW, col) or "")
        if not found.startswith(code):
            cell = L.cell_name(L.HEADER_ROW, col)
            return Problem(Code.RETURN_LAYOUT_CHANGED, name, sheet.name, cell, found.replace("\n", ""), f"项目{code}")
    for n, (want_id, want_name) in enumerate(ratee_labels(scheme, identity)):
        row = L.FIRST_DATA_ROW + n
        found_id, found_name = _text(sheet.value(row, L.ID_COL)), _text(sheet.value(row, L.NAME_COL))
        if (found_id, found_name) != (want_id, want_name):
            return Problem(Code.RETURN_ROWS_CHANGED, name, sheet.name, L.cell_name(row, L.ID_COL),
                           f"{row}行 {found_id} {found_name}", f"{want_id} {want_name}")
    extra_row = L.FIRST_DATA_ROW + len(identity.ratees)
    if sheet.value(extra_row, L.ID_COL) is not None or sheet.value(extra_row, L.NAME_COL) is not None:
        found = f"{extra_row}行 {_text(sheet.value(extra_row, L.ID_COL))} {_text(sheet.value(extra_row, L.NAME_COL))}"
        return Problem(Code.RETURN_ROWS_CHANGED, name, sheet.name, L.cell_name(extra_row, L.ID_COL), found, "无此行")
    return None


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return "" if v is None else str(v).strip()


def read_rows(scheme: Scheme, identity: FormIdentity, sheet: SheetGrid, name: str):
    """Complete rows only; every unusable cell is a problem, every noted one a warning."""
    items = scheme.items_of(identity.criteria_set)
    lay = L.form_layout(items, asks_answer(scheme, identity))
    rows, problems = [], []
    for n, ratee in enumerate(identity.ratees):
        row = L.FIRST_DATA_ROW + n
        scores, usable = [], True
        for item in items:
            col = lay.item_cols[item.code]
            reading = read_score(sheet.value(row, col), item.maximum, scheme.settings.step, sheet.formulas.get((row, col)))
            if reading.code is not None:
                problems.append(Problem(reading.code, name, sheet.name, L.cell_name(row, col), reading.found, reading.expected))
            usable = usable and reading.score is not None
            scores.append((item.code, reading.score))
        answer = ""
        if lay.answer_col:
            answer, problem = read_answer(scheme.flag.answers, sheet, row, lay.answer_col, name)
            if problem:
                problems.append(problem)
                usable = False
        if usable:
            rows.append(RateeScores(ratee, tuple(scores), answer))
    return tuple(rows), _fold_blanks(problems)


def read_answer(answers: tuple[str, ...], sheet: SheetGrid, row: int, col: int, name: str) -> tuple[str, Problem | None]:
    """One of the scheme's answers, exactly (after trimming); anything else is a problem."""
    answer = _text(sheet.value(row, col))
    cell = L.cell_name(row, col)
    if not answer:
        return "", Problem(Code.SCORE_BLANK, name, sheet.name, cell, "", "、".join(answers))
    if answer not in answers:
        return "", Problem(Code.SCORE_ANSWER_INVALID, name, sheet.name, cell, answer, "、".join(answers))
    return answer, None


def _fold_blanks(problems: list[Problem]) -> list[Problem]:
    """One SCORE_BLANK per row, naming its cells: a half-empty form is one message a row, not twenty."""
    folded, blanks = [], {}
    for p in problems:
        if p.code is Code.SCORE_BLANK:
            row = p.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            blanks.setdefault((p.file, p.sheet, row), []).append(p)
        else:
            folded.append(p)
    for (file, sheet, row), ps in blanks.items():
        cells = ps[0].cell if len(ps) == 1 else f"{ps[0].cell}:{ps[-1].cell}"
        folded.append(Problem(Code.SCORE_BLANK, file, sheet, cells, f"{len(ps)}项空白", ps[0].expected))
    return folded


def _settle_duplicates(candidates: list[tuple[AcceptedForm, str, tuple]], intake: Intake) -> None:
    """Same form twice: identical counts once; different, the later save wins and both are listed.

    Cell problems are reported for the copy that counts only, so a duplicate never doubles them.
    """
    by_form: dict[str, list[tuple[AcceptedForm, str, tuple]]] = {}
    for candidate in candidates:
        by_form.setdefault(candidate[0].identity.form_id, []).append(candidate)
    for copies in by_form.values():
        # the later save wins; file name breaks ties so reruns choose the same one
        copies.sort(key=lambda c: (c[0].modified or datetime.min, c[0].file))
        winner, winner_digest, winner_problems = copies[-1]
        intake.report.extend(winner_problems)
        intake.accepted.append(winner)
        intake.ledger.append(_entry(winner, winner_digest, ACCEPTED, f"计入{len(winner.rows)}名被评人"))
        for form, digest, _ in copies[:-1]:
            if form.rows == winner.rows:
                problem = Problem(Code.RETURN_DUPLICATE, form.file, found=winner.file)
                intake.ledger.append(_entry(form, digest, DUPLICATE, problem.message))
            else:
                problem = Problem(Code.RETURN_SUPERSEDED, form.file, found=f"{form.file} → 采用 {winner.file}")
                intake.ledger.append(_entry(form, digest, SUPERSEDED, problem.message))
            intake.report.add(problem)
    intake.accepted.sort(key=lambda f: f.identity.form_id)


def _entry(form: AcceptedForm, digest: str, status: str, reason: str) -> LedgerEntry:
    return LedgerEntry(form.file, digest, status, form.identity.code, form.identity.form_id, reason)
