"""The library API: one function per thing a user does. The CLI and the tests call these.

Each returns a result object and prints nothing; only the CLI talks to the terminal.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .core.adjustments import Adjusted, apply_adjustments
from .core.awards import Awards, decide_awards
from .core.formplan import plan_forms
from .core.model import Scheme
from .core.notice import build_notice
from .core.problems import Code, Problem, Report
from .core.scoring import MemberResult, anonymise, score_members
from .edge.resources import resource_dir
from .forms.write import FormsWritten, dispatch_files, write_forms
from .ingest.returns import Intake, Progress, ingest
from .ingest.store import STORE_FOLDER, EvidenceStore
from .ingest.tracking import Reminder, SlotStatus, reminders, return_status
from .publish.notice import write_notice
from .results.inputs import ResultsInput
from .results.papers import PAPERS_FILE, write_papers
from .results.reminders import write_reminders
from .results.workbook import write_results
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


def make_forms(scheme_path: Path, out: Path) -> FormsWritten:
    scheme = load_scheme(scheme_path)
    key = load_or_create_key(scheme_path)
    return write_forms(scheme, key, Path(out), protected=(Path(scheme_path), key_path(scheme_path)))


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
                final: bool = False, waive: tuple[str, ...] = (), notice: Path | None = None) -> Consolidation:
    """Ingest every file under RETURNS, score, apply the 调整 rows, and write the results
    workbook and the 公示 (``notice``, default 公示.xlsx beside OUTPUT).

    Every file seen is copied into the evidence store beside the scheme and accounted for in
    its 台账.csv (``store``); ``progress(done, total, name)`` is called after each file.
    ``final``: refuse (NotFinal, nothing written) while any form is neither accepted nor waived
    (the scheme's 免收表单 or ``waive``, by form code); without it, the 公示 is marked a draft.
    OUTPUT (汇总结果, what is posted) names no rater; the working papers 工作底稿.xlsx (file
    list, problems with file names, who still owes a form, per-rater scores) are written into
    the evidence store's folder.
    """
    scheme = load_scheme(scheme_path)
    key = load_key(scheme_path)
    notice = Path(notice) if notice else notice_path(output)
    store = EvidenceStore.beside(scheme_path, scheme.settings.period)
    intake = _ingest(scheme, key, scheme_path, returns, (Path(output), notice), store, progress)
    planned = plan_forms(scheme, key)
    waived = set(scheme.settings.waived) | set(waive)
    outstanding = [r for r in reminders(planned, intake, {}) if r.code not in waived]
    if final and outstanding:
        raise NotFinal(outstanding)
    ratings = anonymise(scheme, intake.accepted)
    members = score_members(scheme, ratings)
    awards = decide_awards(scheme, ratings, members)
    adjusted = apply_adjustments(scheme, members, awards, Path(scheme_path).name)
    status = return_status(planned, intake)
    problems = intake.report.problems + _missing_group_notes(members) + adjusted.problems
    results = ResultsInput(scheme, members, ratings, status, problems, intake.ledger, awards.branches, awards.stars,
                           awards.picks, adjusted)
    write_results(results, Path(output))
    write_notice(build_notice(scheme, adjusted, len(outstanding)), notice)
    ledger = store.write_ledger(intake.ledger)
    papers = write_papers(results, store.root / PAPERS_FILE)
    return Consolidation(scheme, intake, members, status, Path(output), awards, ledger, adjusted, notice, outstanding, papers)


def _ingest(scheme, key, scheme_path, returns, outputs, store=None, progress=None) -> Intake:
    """ingest with what every command shares: outputs and the evidence store are not returns."""
    archive = Path(scheme_path).parent / STORE_FOLDER
    return ingest(scheme, key, Path(returns), exclude=(*outputs, archive), blank_policy=scheme.settings.blank_policy,
                  store=store, progress=progress)


@dataclass(frozen=True)
class ReturnStatus:
    scheme: Scheme
    intake: Intake
    status: list[SlotStatus]
    reminders: list[Reminder]
    output: Path | None  # the 催收名单 workbook, when one was asked for


def status(scheme_path: Path, returns: Path, reminder_list: Path | None = None, *,
           progress: Progress | None = None) -> ReturnStatus:
    """Who has returned what, and whom to chase; writes the 催收名单 when a path is given.

    Looks only: nothing is stored and no ledger is written (consolidate does that).
    """
    scheme = load_scheme(scheme_path)
    key = load_key(scheme_path)
    outputs = (Path(reminder_list),) if reminder_list else ()
    intake = _ingest(scheme, key, scheme_path, returns, outputs, progress=progress)
    planned = plan_forms(scheme, key)
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
