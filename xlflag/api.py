"""The library API: one function per thing a user does. The CLI and the tests call these.

Each returns a result object and prints nothing; only the CLI talks to the terminal.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from .archive.history import (
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
from .archive.store import PeriodCommitted, database_url, opened, shown_url
from .core.adjustments import Adjusted, apply_adjustments
from .core.awards import Awards, decide_awards
from .core.ballots import void_ballots
from .core.formplan import plan_forms
from .core.issued import Issued
from .core.model import Scheme
from .core.notice import build_notice
from .core.problems import Code, Problem, Report
from .core.scoring import MemberResult, anonymise, score_members
from .edge.files import STORE_FOLDER
from .edge.resources import resource_dir
from .forms.write import FormsWritten, dispatch_files, write_forms
from .ingest.returns import Intake, Progress, ingest
from .ingest.store import EvidenceStore
from .ingest.tracking import Reminder, SlotStatus, reminders, return_status
from .publish.bulletin import Bulletin, BulletinData, write_bulletin
from .publish.notice import write_notice
from .results.inputs import ResultsInput
from .results.papers import PAPERS_FILE, write_papers
from .results.reminders import write_reminders
from .results.workbook import write_results
from .scheme.issued import IssueRecordError, load_issued, save_issued
from .scheme.key import key_path, load_key, load_or_create_key
from .scheme.read import SchemeError, read_scheme

SCHEME_FILE = "方案.xlsx"


class SchemeInvalid(Exception):
    """The scheme has errors; the report says which cells."""

    def __init__(self, report: Report):
        super().__init__(f"方案有{len(report.errors)}处错误")
        self.report = report


def presets() -> list[str]:
    return sorted(p.stem for p in resource_dir("templates_xlsx").glob("*.xlsx"))


def init_scheme(preset: str, directory: Path) -> Path:
    """Copy a preset's scheme workbook into DIR and create the signing key beside it."""
    source = resource_dir("templates_xlsx") / f"{preset.lower()}.xlsx"
    if not source.is_file():
        raise SchemeError(f"没有预设“{preset}”，可选：{'、'.join(presets())}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / SCHEME_FILE
    if target.exists():
        raise SchemeError(f"{target} 已存在，未覆盖")
    shutil.copyfile(source, target)
    load_or_create_key(target)
    return target


def check_scheme(path: Path) -> Report:
    return read_scheme(Path(path))[1]


def load_scheme(path: Path) -> Scheme:
    scheme, report = read_scheme(Path(path))
    if scheme is None:
        raise SchemeInvalid(report)
    return scheme


def make_forms(scheme_path: Path, out: Path, *, reissue: bool = False) -> FormsWritten:
    """Write the forms and record each identity in the period's issue record.

    A form keeps its version while what it asks is unchanged; an edit since the last issue gives
    the forms it touches their next version. ``reissue`` writes only those (and 补发清单).
    """
    scheme = load_scheme(scheme_path)
    key = load_or_create_key(scheme_path)
    period = scheme.settings.period
    issued = _issued(scheme_path, period)
    written = write_forms(scheme, key, Path(out), (Path(scheme_path), key_path(scheme_path)), issued, reissue)
    save_issued(scheme_path, period, issued.adding(form.identity for form, _ in written.forms))
    return written


def _issued(scheme_path: Path, period: str) -> Issued:
    try:
        return load_issued(scheme_path, period)
    except IssueRecordError as exc:
        raise SchemeError(str(exc)) from exc


@dataclass(frozen=True)
class Consolidation:
    scheme: Scheme
    intake: Intake
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

    @property
    def draft(self) -> bool:
        return bool(self.outstanding)


class NotFinal(Exception):
    """``consolidate(final=True)`` while forms are still out: nothing was written."""

    def __init__(self, outstanding: list[Reminder]):
        super().__init__(f"还有{len(outstanding)}份测评表未收回")
        self.outstanding = outstanding


def notice_path(output: Path) -> Path:
    """The 公示 workbook beside the results: 汇总结果.xlsx → 公示.xlsx."""
    return Path(output).with_name("公示.xlsx")


def consolidate(scheme_path: Path, returns: Path, output: Path, *, progress: Progress | None = None,
                final: bool = False, waive: tuple[str, ...] = (), notice: Path | None = None,
                bulletin: Path | None = None, workers: int | None = None, dask: str | None = None) -> Consolidation:
    """Ingest every file under RETURNS, score, apply the 调整 rows, and write the results
    workbook, the 公示 (``notice``, default 公示.xlsx beside OUTPUT) and, when asked, the 简报.

    Every file seen is copied into the evidence store beside the scheme and accounted for in
    its 台账.csv (``store``); ``progress(done, total, name)`` is called after each file.
    ``final``: refuse (NotFinal, nothing written) while any form is neither accepted nor waived
    (the scheme's 免收表单 or ``waive``, by form code); without it, the 公示 is marked a draft.
    OUTPUT (汇总结果, what is posted) names no rater; the working papers 工作底稿.xlsx (file
    list, problems with file names, who still owes a form, per-rater scores) are written into
    the evidence store's folder.
    Files are read on ``workers`` processes (default one per core) or the Dask cluster at ``dask``.
    """
    scheme = load_scheme(scheme_path)
    notice = Path(notice) if notice else notice_path(output)
    store = EvidenceStore.beside(scheme_path, scheme.settings.period)
    outputs = (Path(output), notice) + ((Path(bulletin),) if bulletin else ())
    done, results = _evaluate(scheme, scheme_path, returns, outputs, store, progress, final, waive,
                              workers, dask)
    write_results(results, Path(output))
    write_notice(build_notice(scheme, done.adjusted, len(done.outstanding)), notice)
    if bulletin:
        write_bulletin(bulletin_data(done), Path(bulletin))
    ledger = store.write_ledger(done.intake.ledger)
    papers = write_papers(results, store.root / PAPERS_FILE)
    return replace(done, output=Path(output), notice=notice, ledger=ledger, papers=papers,
                   bulletin=bulletin and Path(bulletin))


def make_bulletin(scheme_path: Path, returns: Path, output: Path, *, progress: Progress | None = None) -> Bulletin:
    """The 简报 alone (.docx): reads RETURNS as consolidate does, stores nothing, writes OUTPUT."""
    scheme = load_scheme(scheme_path)
    done, _ = _evaluate(scheme, scheme_path, returns, (Path(output),), None, progress, False, ())
    return write_bulletin(bulletin_data(done), Path(output))


def bulletin_data(done: Consolidation) -> BulletinData:
    expected = sum(s.expected for s in done.status)
    counted = sum(s.accepted for s in done.status) - len(done.void)
    return BulletinData(done.scheme, done.adjusted, done.awards.branches, expected, counted)


def _evaluate(scheme, scheme_path, returns, outputs, store, progress, final, waive, workers=None, dask=None) -> tuple[Consolidation, ResultsInput]:
    """Everything consolidate decides, nothing written: (the consolidation, what the results
    workbook is written from)."""
    key = load_key(scheme_path)
    intake = _ingest(scheme, key, scheme_path, returns, outputs, store, progress, workers, dask)
    planned = plan_forms(scheme, key, _issued(scheme_path, scheme.settings.period))
    waived = set(scheme.settings.waived) | set(waive)
    outstanding = [r for r in reminders(planned, intake, {}) if r.code not in waived]
    if final and outstanding:
        raise NotFinal(outstanding)
    counted, void = void_ballots(scheme, intake.accepted)  # 废票: returned and listed, not scored
    ratings = anonymise(scheme, counted)
    members = score_members(scheme, ratings)
    awards = decide_awards(scheme, ratings, members)
    adjusted = apply_adjustments(scheme, members, awards, Path(scheme_path).name)
    status = return_status(planned, intake)
    problems = intake.report.problems + void + _missing_group_notes(members) + adjusted.problems
    results = ResultsInput(scheme, members, ratings, status, problems, intake.ledger, awards.branches, awards.stars,
                           awards.picks, adjusted)
    done = Consolidation(scheme, intake, members, status, Path(), awards, None, adjusted, None, outstanding, None, void)
    return done, results


def _ingest(scheme, key, scheme_path, returns, outputs, store=None, progress=None, workers=None, dask=None) -> Intake:
    """ingest with what every command shares: outputs and the evidence store are not returns."""
    archive = Path(scheme_path).parent / STORE_FOLDER
    issued = _issued(scheme_path, scheme.settings.period)
    return ingest(scheme, key, Path(returns), exclude=(*outputs, archive), blank_policy=scheme.settings.blank_policy,
                  store=store, progress=progress, issued=issued,
                  workers=workers, dask=dask)


@dataclass(frozen=True)
class ReturnStatus:
    scheme: Scheme
    intake: Intake
    status: list[SlotStatus]
    reminders: list[Reminder]
    output: Path | None  # the 催收名单 workbook, when one was asked for


def status(scheme_path: Path, returns: Path, reminder_list: Path | None = None, *,
           progress: Progress | None = None, workers: int | None = None, dask: str | None = None) -> ReturnStatus:
    """Who has returned what, and whom to chase; writes the 催收名单 when a path is given.

    Looks only: nothing is stored and no ledger is written (consolidate does that).
    """
    scheme = load_scheme(scheme_path)
    key = load_key(scheme_path)
    outputs = (Path(reminder_list),) if reminder_list else ()
    intake = _ingest(scheme, key, scheme_path, returns, outputs, progress=progress, workers=workers, dask=dask)
    planned = plan_forms(scheme, key, _issued(scheme_path, scheme.settings.period))
    chase = reminders(planned, intake, dispatch_files(planned))
    if reminder_list:
        write_reminders(chase, Path(reminder_list))
    return ReturnStatus(scheme, intake, return_status(planned, intake), chase, reminder_list and Path(reminder_list))



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
