"""The library API: one function per thing a user does. The CLI and the tests call these.

Each returns a result object and prints nothing; only the CLI talks to the terminal.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from .archive.history import (
    period_change,
    Comparison,
    FlagHistory,
    MemberPeriod,
    YearSummary,
    compare,
    flag_history,
    member_history,
    ordered,
    period_year,
    previous_of,
    year_summary,
)
from .archive.importer import HistoryUnreadable, read_history  # noqa: F401  (the CLI catches it)
from .archive.record import PeriodRecord, period_record
from .archive.sheets import write_archive, write_year
from .archive import PeriodCommitted  # archive.store (SQLAlchemy: ~0.35 s to import) only where an archive is used
from .core.adjustments import Adjusted, apply_adjustments
from .core.awards import Awards, decide_awards
from .core.ballots import mark_extremes, void_ballots
from .core.formplan import PlannedForm, plan_forms
from .core.issued import Issued
from .core.model import Scheme
from .core.notice import build_notice
from .core.problems import CannotRun, Code, Problem, Report, Severity
from .core.scoring import MemberResult, anonymise, score_members
from .edge.aside import aside
from .edge.files import STORE_FOLDER, WriteFault, atomic_path, ensure_writable, safe_filename
from .edge.lock import lock_path, scheme_lock
from .edge.memory import paused_gc
from .edge.resources import resource_dir
from .forms.write import FormsWritten, dispatch_files, get_ready, write_forms
from .ingest import period
from .ingest.returns import REJECTED, Intake, LedgerEntry, Progress, context, ingest, judge, prepare_reading
from .ingest.store import EvidenceStore
from .ingest.tracking import Reminder, SlotStatus, reminders, return_status
from .publish.bulletin import Bulletin, BulletinData, write_bulletin
from .publish.notice import write_notice
from .results.branch_books import book_path, write_branch_books
from .results.inputs import ResultsInput
from .results.papers import PAPERS_FILE, papers_input, write_papers
from .results.reminders import write_reminders
from .results.sendback import write_sendback
from .results.workbook import write_results
from .scheme.issued import IssueRecordError, load_issued, save_issued
from .scheme.key import create_key, key_path, load_key
from .scheme.read import SchemeError, read_scheme

SCHEME_FILE = "方案.xlsx"
SENDBACK_FOLDER = "退回"


class SchemeInvalid(CannotRun):
    """The scheme has errors; the report says which cells."""

    def __init__(self, report: Report):
        super().__init__(f"方案有{len(report.errors)}处错误")
        self.report = report


def presets() -> list[str]:
    return sorted(p.stem for p in resource_dir("templates_xlsx").glob("*.xlsx"))


def init_scheme(preset: str, directory: Path) -> Path:
    """Copy a preset's scheme workbook into DIR and create the signing key beside it (0600).

    A scheme already there is never overwritten; if only its key is missing, the key is made.
    """
    source = resource_dir("templates_xlsx") / f"{preset.lower()}.xlsx"
    if not source.is_file():
        raise SchemeError(f"没有预设“{preset}”，可选：{'、'.join(presets())}")
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise CannotRun(f"{directory}是一个文件，请给出一个文件夹（方案和密钥会放在里面）")
    target = directory / SCHEME_FILE
    if target.exists() and key_path(target).exists():
        raise CannotRun(f"{target}已存在，未覆盖。要重新开始请换一个文件夹；要继续使用它，请直接运行“xlflag check {target}”")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            with atomic_path(target) as tmp:
                shutil.copyfile(source, tmp)
    except OSError as exc:
        raise WriteFault(target, exc) from exc
    create_key(target)
    return target


@dataclass(frozen=True)
class SchemeCheck:
    report: Report
    branches: int = 0
    members: int = 0
    forms: int = 0  # forms to issue


def check_scheme(path: Path) -> Report:
    return read_scheme(Path(path))[1]


def check(path: Path) -> SchemeCheck:
    """The scheme's problems, and when it has none what it would issue."""
    scheme, report = read_scheme(Path(path))
    if scheme is None:
        return SchemeCheck(report)
    return SchemeCheck(report, len(scheme.branches), len(scheme.members), len(plan_forms(scheme, b"check")))


def load_scheme(path: Path) -> Scheme:
    scheme, report = read_scheme(Path(path))
    if scheme is None:
        raise SchemeInvalid(report)
    return scheme


@paused_gc()  # (edge.memory)
def make_forms(scheme_path: Path, out: Path, *, reissue: bool = False, progress: Progress | None = None) -> FormsWritten:
    """Write the forms and record each identity in the period's issue record.

    A form keeps its version while what it asks is unchanged; an edit since the last issue gives
    the forms it touches their next version. ``reissue`` writes only those (and 补发清单).
    The key must exist (``init`` makes it): a new key would make every return unreadable.
    ``progress(done, total, file name)`` as forms are written.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise CannotRun(f"{out}是一个文件，测评表要写进一个文件夹：请给出文件夹路径")
    with scheme_lock(scheme_path):
        scheme = load_scheme(scheme_path)
        get_ready(scheme)  # the pool's fork server loads while the issue record is read and the forms planned
        key = load_key(scheme_path)
        period_name = scheme.settings.period
        issued = _issued(scheme_path, period_name)
        lines: dict = {}  # the issue record's lines, made by the workers that wrote the forms
        written = write_forms(scheme, key, out, (Path(scheme_path), key_path(scheme_path)), issued, reissue,
                              progress=progress, records=lines)
        save_issued(scheme_path, period_name, issued.adding(form.identity for form, _ in written.forms), lines)
        return written


def _issued(scheme_path: Path, period_name: str) -> Issued:
    try:
        return load_issued(scheme_path, period_name)
    except IssueRecordError as exc:
        raise SchemeError(str(exc)) from exc


@dataclass(frozen=True)
class Consolidation:
    scheme: Scheme
    intake: Intake  # the whole period: intake.ledger is the state derived from 台账
    members: list[MemberResult]
    status: list[SlotStatus]
    output: Path
    awards: Awards | None = None
    ledger: Path | None = None  # 台账.csv in the evidence store
    # the final results: each member's star level and named stars before and after the 调整
    # rows, each branch's flag before and after, every row applied or refused with its reason
    adjusted: Adjusted | None = None
    notice: Path | None = None  # the 公示 workbook
    outstanding: list[Reminder] = field(default_factory=list)  # forms neither accepted nor waived
    papers: Path | None = None  # 工作底稿.xlsx (内部资料) beside the evidence store
    void: list[Problem] = field(default_factory=list)  # 废票: accepted returns the ballot rules set aside
    bulletin: Path | None = None  # the 简报 .docx, when asked for
    added: int = 0  # arrivals recorded for the first time by this run
    branch_books: list[Path] = field(default_factory=list)  # one results workbook per branch, when asked for

    @property
    def draft(self) -> bool:
        return bool(self.outstanding)

    @property
    def total(self) -> int:
        """本期共N份: every file and attachment the period has recorded."""
        return len(self.intake.ledger)


class NotFinal(Exception):
    """``consolidate(final=True)`` while forms are still out: nothing was written."""

    def __init__(self, outstanding: list[Reminder]):
        super().__init__(f"还有{len(outstanding)}份测评表未收回")
        self.outstanding = outstanding


def notice_path(output: Path) -> Path:
    """The 公示 workbook beside the results: 汇总结果.xlsx → 公示.xlsx."""
    return Path(output).with_name("公示.xlsx")


@paused_gc()  # (edge.memory)
def consolidate(scheme_path: Path, returns: Path | None, output: Path, *, progress: Progress | None = None,
                final: bool = False, waive: tuple[str, ...] = (), notice: Path | None = None,
                bulletin: Path | None = None, now: str | None = None, workers: int | None = None,
                dask: str | None = None, per_branch: Path | None = None) -> Consolidation:
    """Ingest what RETURNS adds to the period's store, score the whole period, apply the 调整
    rows, and write the results workbook, the 公示 (``notice``, default 公示.xlsx beside OUTPUT)
    and, when asked, the 简报.

    Every file seen is copied into the evidence store beside the scheme and its events appended
    to 台账.csv; then the results are written from the state the log now gives. When the store or
    an output cannot be written, nothing is judged on that account: the run stops
    (``WriteFault``) with the previous results untouched. ``progress(done, total, name)`` is
    called after each file. ``final``: refuse (NotFinal, nothing written) while any form is
    neither accepted nor waived (the scheme's 免收表单 or ``waive``, by form code); without it,
    the 公示 is marked a draft.
    OUTPUT (汇总结果, what is posted) names no rater; the working papers 工作底稿.xlsx (file
    list, problems with file names, who still owes a form, per-rater scores) are written into
    the evidence store's folder.
    Files are read on ``workers`` processes (default one per core) or the Dask cluster at ``dask``.
    ``per_branch``: a folder for one results workbook per branch (``results.branch_books``).
    """
    scheme_path, output = Path(scheme_path), Path(output)
    notice = Path(notice) if notice else notice_path(output)
    outputs = (output, notice) + ((Path(bulletin),) if bulletin else ())
    for path in outputs:
        guard_output(path, scheme_path, returns)
    with scheme_lock(scheme_path):
        scheme = load_scheme(scheme_path)
        book_paths = tuple(book_path(per_branch, b.name) for b in scheme.branches) if per_branch else ()
        for path in book_paths:  # each branch's workbook is an output like the others, guarded the same way
            guard_output(path, scheme_path, returns)
        outputs += book_paths
        store = EvidenceStore.beside(scheme_path, scheme.settings.period)
        for folder in dict.fromkeys([*(p.parent for p in outputs), store.root]):
            ensure_writable(folder)
        events = period.read_events(store)
        state = period.derive_state(events)
        done, results = _evaluate(scheme, scheme_path, returns, outputs, store, progress, final, waive,
                                  period.prior_of(store, state), workers, dask)
        ledger = period.append_events(store, events, period.changes(state, done.intake.ledger, now or period.now_text()))
        step = _steps(progress, 3 + bool(bulletin))
        # the working papers on the other core while the results are written here
        with aside(write_papers, papers_input(results), store.root / PAPERS_FILE,
                   here=_papers_here(results, workers)) as papers_written:
            step(output.name)
            write_results(results, output)
            step(notice.name)
            write_notice(build_notice(scheme, done.adjusted, len(done.outstanding)), notice)
            if bulletin:
                step(Path(bulletin).name)
                write_bulletin(bulletin_data(done, scheme_path), Path(bulletin))
            step(PAPERS_FILE)
            papers = papers_written()
        step("")
        books = []
        if per_branch:
            books = write_branch_books(results, Path(per_branch),
                                       progress and (lambda k, n, name: progress(k, n, name, "写出各支部结果")))
    return replace(done, output=output, notice=notice, ledger=ledger, papers=papers,
                   bulletin=bulletin and Path(bulletin), added=period.new_arrivals(state, done.intake.ledger),
                   branch_books=books)


# ratings from which the working papers are written in another process: at 40 branches (28,118
# ratings) the aside's start (a process, its imports, the hand-over) costs what it saves
PAPERS_ASIDE = 50_000


def _papers_here(results: ResultsInput, workers: int | None) -> bool:
    """Small periods (a second of writing, less than starting a process) and ``workers=1``
    write the working papers in this process, after the results."""
    return workers == 1 or len(results.ratings) < PAPERS_ASIDE


SCORING_STEP = "计算得分"  # the progress step between reading the returns and writing the outputs


def _steps(progress: Progress | None, total: int):
    """A callable announcing each output in turn on ``progress`` (step 写出结果): the bar moves
    while the county's workbooks are written, not only while returns are read."""
    done = iter(range(total + 1))

    def step(name: str) -> None:
        if progress:
            progress(next(done), total, name, "写出结果")
    return step


@paused_gc()  # (edge.memory)
def make_bulletin(scheme_path: Path, returns: Path | None, output: Path, *,
                  progress: Progress | None = None, db: str | None = None) -> Bulletin:
    """The 简报 alone (.docx): the period's stored returns plus RETURNS, as consolidate reads
    them, compared with the period before it in the archive ``db`` (default beside the scheme)
    when there is one; stores nothing, writes OUTPUT."""
    guard_output(Path(output), Path(scheme_path), returns)
    scheme = load_scheme(scheme_path)
    store = EvidenceStore.beside(scheme_path, scheme.settings.period)
    prior = period.prior_of(store, period.derive_state(period.read_events(store)))
    done, _ = _evaluate(scheme, scheme_path, returns, (Path(output),), None, progress, False, (), prior)
    return write_bulletin(bulletin_data(done, scheme_path, db), Path(output))


def bulletin_data(done: Consolidation, scheme_path: Path, db: str | None = None) -> BulletinData:
    from .archive.store import database_url
    expected = sum(s.expected for s in done.status)
    counted = sum(s.accepted for s in done.status) - len(done.void)
    return BulletinData(done.scheme, done.adjusted, done.awards.branches, expected, counted,
                        _change_since_previous(done, database_url(db, Path(scheme_path))))


def _change_since_previous(done: Consolidation, url: str):
    """This period against the one before it in the archive; None without an archive (none is
    created) or without an earlier period."""
    from .archive.store import archive_exists, opened
    if not archive_exists(url):
        return None
    with opened(url) as archive:
        records = archive.records()
    scheme = done.scheme
    current = period_record(scheme, done.members, done.awards, done.status, done.adjusted)
    previous = previous_of(records, current.period)
    return previous and period_change(compare(previous, current), scheme.flag.flag_name if scheme.flag else "")


def _evaluate(scheme, scheme_path, returns, outputs, store, progress, final, waive,
              prior=None, workers=None, dask=None) -> tuple[Consolidation, ResultsInput]:
    """Everything consolidate decides, nothing written: (the consolidation, what the results
    workbook is written from)."""
    key = load_key(scheme_path)
    intake, planned = _ingest(scheme, key, scheme_path, returns, outputs, store, progress, prior, workers, dask)
    if progress:  # (a county's scoring takes seconds: the bar says what it is doing)
        progress(0, 1, "", SCORING_STEP)
    waived = set(scheme.settings.waived) | set(waive)
    outstanding = [r for r in reminders(planned, intake, {}) if r.code not in waived]
    if final and outstanding:  # the originals are stored; their events come with the next run
        raise NotFinal(outstanding)
    counted, void = void_ballots(scheme, intake.accepted)  # 废票: returned and listed, not scored
    ratings = mark_extremes(scheme, anonymise(scheme, counted))  # 去掉最高最低分, when set
    members = score_members(scheme, ratings)
    awards = decide_awards(scheme, ratings, members)
    adjusted = apply_adjustments(scheme, members, awards, Path(scheme_path).name)
    status = return_status(planned, intake)
    problems = intake.report.problems + void + _missing_group_notes(members) + adjusted.problems
    results = ResultsInput(scheme, members, ratings, status, problems, intake.ledger, awards.branches, awards.stars,
                           awards.picks, adjusted)
    done = Consolidation(scheme, intake, members, status, Path(), awards, None, adjusted, None, outstanding, None, void)
    return done, results


def _ingest(scheme, key, scheme_path, returns, outputs, store=None, progress=None, prior=None,
            workers=None, dask=None) -> tuple[Intake, list[PlannedForm]]:
    """ingest with what every command shares: outputs, the store, the key and the scheme itself
    are never returns. (What came in, the forms planned: planned once, for both.)"""
    scheme_path = Path(scheme_path)
    own = (scheme_path.parent / STORE_FOLDER, scheme_path, key_path(scheme_path), lock_path(scheme_path))
    prepare_reading(scheme, workers, dask)  # the pool's fork server loads while the record is read and the forms planned
    issued = _issued(scheme_path, scheme.settings.period)
    planned = plan_forms(scheme, key, issued)
    issued = issued.sharing(f.identity for f in planned)  # the record's own copies freed: one copy of each
    intake = ingest(scheme, key, returns and Path(returns), exclude=(*outputs, *own),
                    blank_policy=scheme.settings.blank_policy, store=store, progress=progress,
                    prior=prior or period.Prior(), issued=issued, planned=planned, workers=workers, dask=dask)
    return intake, planned


def guard_output(output: Path, scheme_path: Path, returns: Path | None = None) -> None:
    """Refuse an output path that would destroy an input: the scheme, the key, anything under
    RETURNS or the evidence store, or a folder."""
    output, scheme_path = Path(output), Path(scheme_path)
    if not scheme_path.is_file():
        load_scheme(scheme_path)  # a missing scheme is the first thing to say, before any -o guard
    if output.is_dir():
        raise CannotRun(f"输出位置{output}是一个文件夹。请给出要写的文件名，例如 -o {output / '汇总结果.xlsx'}")
    target = output.resolve()
    named = {scheme_path.resolve(): "方案工作簿", key_path(scheme_path).resolve(): "签名密钥",
             lock_path(scheme_path).resolve(): "运行锁文件"}
    if target in named:
        raise CannotRun(f"输出位置{output}就是{named[target]}，写入会覆盖它，已停止。请用 -o 另给一个文件名")
    folders = [(scheme_path.parent / STORE_FOLDER, "原件存档")] + ([(Path(returns), "回收文件夹")] if returns else [])
    for folder, what in folders:
        folder = folder.resolve()
        if target == folder or folder in target.parents:
            raise CannotRun(f"输出位置{output}在{what}{folder}之内，写入会改动回收的原件，已停止。请用 -o 写到别处")


def needs_attention(intake: Intake, outstanding: list[Reminder]) -> bool:
    """Exit 1: a return was refused, a score cell was unusable, or a form neither accepted nor
    waived is still out."""
    refused = any(e.status == REJECTED for e in intake.ledger)
    cells = any(p.severity is Severity.ERROR and p.code.name.startswith("SCORE_") for p in intake.report.problems)
    return refused or cells or bool(outstanding)


@dataclass(frozen=True)
class ReturnStatus:
    scheme: Scheme
    intake: Intake
    status: list[SlotStatus]
    reminders: list[Reminder]
    output: Path | None  # the 催收名单 workbook, when one was asked for

    @property
    def outstanding(self) -> list[Reminder]:
        """Forms neither accepted nor waived (设置 免收表单)."""
        return [r for r in self.reminders if r.code not in self.scheme.settings.waived]


@paused_gc()  # (edge.memory)
def status(scheme_path: Path, returns: Path | None, reminder_list: Path | None = None, *,
           progress: Progress | None = None, workers: int | None = None,
           dask: str | None = None) -> ReturnStatus:
    """Who has returned what over the whole period, and whom to chase; writes the 催收名单 when
    a path is given.

    Looks only: nothing is stored and no ledger is written (consolidate does that); what the
    store holds from earlier runs counts.
    """
    scheme = load_scheme(scheme_path)
    key = load_key(scheme_path)
    outputs = (Path(reminder_list),) if reminder_list else ()
    if reminder_list:
        guard_output(Path(reminder_list), Path(scheme_path), returns)
    store = EvidenceStore.beside(scheme_path, scheme.settings.period)
    prior = period.prior_of(store, period.derive_state(period.read_events(store)))
    intake, planned = _ingest(scheme, key, scheme_path, returns, outputs, progress=progress, prior=prior,
                              workers=workers, dask=dask)
    chase = reminders(planned, intake, dispatch_files(planned))
    if reminder_list:
        write_reminders(chase, Path(reminder_list))
    return ReturnStatus(scheme, intake, return_status(planned, intake), chase, reminder_list and Path(reminder_list))


# -- acts on one return: 作废 and 退回 --------------------------------------------------------

@dataclass(frozen=True)
class Withdrawal:
    code: str
    entries: list[LedgerEntry]  # the arrivals withdrawn, as the log now records them
    ledger: Path
    output: Path | None = None  # 退回: the marked copy for the rater
    cells: int = 0  # 退回: problem cells marked


def void(scheme_path: Path, code: str, reason: str, *, now: str | None = None) -> Withdrawal:
    """作废: the form's returns leave the count, with the reason and the time in 台账."""
    if not reason or not reason.strip():
        raise CannotRun("作废须说明理由：请加上 --reason \"……\"")
    with scheme_lock(scheme_path):
        store, events, state = _record(scheme_path)
        new = period.withdraw(state, code, period.VOIDED, reason.strip(), now or period.now_text())
        if not new:
            raise CannotRun(_nothing_to_withdraw(state, code))
        ledger = period.append_events(store, events, new)
    return Withdrawal(code, [e.entry for e in new], ledger)


def send_back(scheme_path: Path, code: str, output: Path | None = None, note: str = "", *,
              now: str | None = None) -> Withdrawal:
    """退回: a copy of the rater's own return with the problem cells marked, ready to mail back;
    the form's returns leave the count until the rater sends a corrected one."""
    scheme_path = Path(scheme_path)
    with scheme_lock(scheme_path):
        scheme, key = load_scheme(scheme_path), load_key(scheme_path)
        store, events, state = _record(scheme_path, scheme)
        time = now or period.now_text()
        new = period.withdraw(state, code, period.SENT_BACK, note.strip() or "请按标出的单元格修改后重新发送", time)
        if not new:
            raise CannotRun(_nothing_to_withdraw(state, code))
        entry = _the_return(state, code, store)
        planned = next((f for f in plan_forms(scheme, key) if f.form_id == entry.form_id), None)
        if output is None:
            who = f"{planned.folder}_{planned.group_name}_{planned.rater_name}" if planned else entry.form_code
            output = scheme_path.parent / SENDBACK_FOLDER / f"{safe_filename(who + '_' + entry.form_code)}.xlsx"
        guard_output(Path(output), scheme_path)
        ensure_writable(Path(output).parent)
        same_copy = [e for e in state if (e.sha256, e.stored) == (entry.sha256, entry.stored)]
        arrival, copy = period.prior_of(store, same_copy).remembered[0]
        judged = judge(context(scheme, key, scheme.settings.blank_policy), replace(arrival, data=copy.read_bytes()))
        outcome = next((o for _, o in judged if o.identity and o.identity.form_id == entry.form_id), judged[0][1])
        cells = write_sendback(copy, list(outcome.problems), note.strip(), Path(output))
        ledger = period.append_events(store, events, new)
    return Withdrawal(code, [e.entry for e in new], ledger, Path(output), cells)


def _record(scheme_path: Path, scheme: Scheme | None = None):
    scheme = scheme or load_scheme(scheme_path)
    store = EvidenceStore.beside(scheme_path, scheme.settings.period)
    events = period.read_events(store)
    return store, events, period.derive_state(events)


def _the_return(state: list[LedgerEntry], code: str, store: EvidenceStore) -> LedgerEntry:
    """The copy to mark: the one that counts, else the last one stored as .xlsx/.xlsm."""
    stored = [e for e in state if e.form_code.upper() == code.upper() and e.status not in period.WITHDRAWN
              and e.stored.lower().endswith((".xlsx", ".xlsm")) and (store.root / e.stored).is_file()]
    if not stored:
        raise CannotRun("这份测评表的回收件不是.xlsx格式（或原件已不在存档中），无法标注问题单元格；请直接回复评价人说明要修改之处")
    return next((e for e in stored if e.status == period.ACCEPTED), stored[-1])


def _nothing_to_withdraw(state: list[LedgerEntry], code: str) -> str:
    if any(e.form_code.upper() == code.upper() for e in state):
        return f"表单编号{code}的回收件都已作废或退回，没有可处理的"
    return f"本期台账中没有表单编号为{code}的回收件。请核对表单编号（见测评表第2行或发放清单），并先运行 xlflag consolidate"


def _missing_group_notes(members: list[MemberResult]) -> list[Problem]:
    return [
        Problem(Code.RESULT_GROUP_MISSING, found="、".join(m.missing), expected=f"{m.member.branch} {m.member.name}")
        for m in members
        if m.missing
    ]


# -- the archive (星级党员档案) -------------------------------------------------------------
# ``db`` is a SQLite file or a database URL (postgresql://… uses psycopg 3); without one, the
# archive is xlflag-档案.sqlite beside ``scheme`` (or in the current folder).

@dataclass(frozen=True)
class ArchiveCommit:
    consolidation: Consolidation
    record: PeriodRecord  # as stored, with its version
    url: str  # the archive, password hidden


def archive_commit(scheme_path: Path, returns: Path, output: Path, *, db: str | None = None, replace: bool = False,
                   progress: Progress | None = None) -> ArchiveCommit:
    """Consolidate the period (the results workbook is written as by ``consolidate``) and keep
    its final results in the archive; a period already there is refused unless ``replace``."""
    from .archive.store import database_url, opened, shown_url
    url = database_url(db, Path(scheme_path))
    period = load_scheme(scheme_path).settings.period
    with opened(url) as archive:
        if not replace and (stored := archive.load(period)) is not None:
            raise PeriodCommitted(period, stored.version)  # before the expensive part
        result = consolidate(scheme_path, returns, output, progress=progress)
        record = period_record(result.scheme, result.members, result.awards, result.status, result.adjusted)
        return ArchiveCommit(result, archive.commit(record, replace=replace), shown_url(url))


def archive_records(db: str | None = None, scheme: Path | None = None, *, all_versions: bool = False) -> list[PeriodRecord]:
    """Every period in the archive (its current version), earliest first."""
    from .archive.store import database_url, opened
    with opened(database_url(db, scheme)) as archive:
        return ordered(archive.records(all_versions=all_versions))


def archive_flag(db: str | None = None, scheme: Path | None = None) -> FlagHistory:
    return flag_history(archive_records(db, scheme))


def archive_member(member_id: str, db: str | None = None, scheme: Path | None = None) -> list[MemberPeriod]:
    return member_history(archive_records(db, scheme), member_id)


def archive_compare(period: str | None = None, db: str | None = None, scheme: Path | None = None) -> Comparison:
    """The change into ``period`` (default: the latest) from the period before it."""
    records = archive_records(db, scheme)
    current = next((r for r in records if r.period == period), None) if period else (records[-1] if records else None)
    if current is None:
        raise LookupError(f"档案中没有期次“{period}”" if period else "档案为空：请先 xlflag archive commit")
    return compare(previous_of(records, current.period), current)


def archive_year(year: int, output: Path, *, db: str | None = None, scheme: Path | None = None,
                 min_stars: int | None = None) -> YearSummary:
    """年度汇总 for 年度考核 and 评先评优; ``min_stars`` overrides the scheme's 表彰最低星级."""
    records = [r for r in archive_records(db, scheme) if period_year(r.period) == year]
    if not records:
        raise LookupError(f"档案中没有{year}年的期次")
    summary = year_summary(records, year, min_stars)
    write_year(summary, records[-1].organisation, Path(output))
    return summary


def archive_export(output: Path, *, db: str | None = None, scheme: Path | None = None) -> list[PeriodRecord]:
    """The whole archive: current versions in the import template's layout, every version in 版本记录."""
    from .archive.store import database_url, opened
    url = database_url(db, scheme)
    with opened(url) as archive:
        current, versions = ordered(archive.records()), archive.records(all_versions=True)
    write_archive(current, Path(output), versions)
    return versions


def archive_template(output: Path) -> Path:
    return write_archive([], Path(output))


@dataclass(frozen=True)
class ArchiveImport:
    records: list[PeriodRecord]  # as stored; empty when the report has errors
    report: Report
    url: str


def archive_import(path: Path, *, db: str | None = None, scheme: Path | None = None, replace: bool = False) -> ArchiveImport:
    """Earlier periods from the template; nothing is stored while any cell is wrong, nor when a
    period is in the archive already (unless ``replace``)."""
    from .archive.store import database_url, opened, shown_url
    records, report = read_history(Path(path))
    url = database_url(db, scheme)
    with opened(url) as archive:
        if not replace:
            for r in records:
                if (stored := archive.load(r.period)) is not None:
                    report.add(Problem(Code.ARCHIVE_PERIOD_COMMITTED, Path(path).name, "期次", found=r.period,
                                       expected=str(stored.version)))
        if not report.valid:
            return ArchiveImport([], report, shown_url(url))
        return ArchiveImport([archive.commit(r, replace=replace) for r in records], report, shown_url(url))
