"""Who has returned what: the return matrix per branch and rater group, and whom to chase (pure).

"Returned" means a file for the form arrived, usable or not; "accepted" that it counts. A rater
is chased until their form is accepted: someone whose file was refused must send it again. The
office's own edits never make a reminder: a rater whose form arrived before a roster edit made it
stale (refused as 旧版) is on the 补发清单, not the 催收名单.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.formplan import PlannedForm
from ..core.problems import Code
from .returns import ACCEPTED, WITHDRAWN, Intake, LedgerEntry

NOT_RETURNED = "未交回"
NOT_REISSUED = "方案修改后的新版尚未发放：请先运行 xlflag forms 方案 文件夹 --reissue 并补发"


@dataclass(frozen=True)
class SlotStatus:
    branch: str
    group: str  # the group's display name
    expected: int
    accepted: int
    missing: tuple[str, ...]  # rater display names still to chase (not accepted yet)
    returned: int = 0  # forms with at least one file in, accepted or not
    problems: int = 0  # problem records on the files of these forms


@dataclass(frozen=True)
class Reminder:
    """One line of the 催收名单: a rater whose form has not been accepted yet."""

    branch: str
    group: str
    rater: str
    code: str  # the form code printed on the form
    file: str  # the file the rater was sent, as in 发放清单
    note: str  # 未交回, or why what they sent was not used


def _settled(intake: Intake) -> set[str]:
    """Forms nobody should be chased for: accepted, or returned before the office's edit made
    them stale (the 补发清单 asks for the new version)."""
    stale = {e.form_id for e in intake.ledger if e.form_id and e.reason.startswith(Code.RETURN_WRONG_SCHEME.name)}
    return {f.identity.form_id for f in intake.accepted} | stale


def return_status(planned: list[PlannedForm], intake: Intake) -> list[SlotStatus]:
    received = {f.identity.form_id for f in intake.accepted}
    settled = _settled(intake)
    returned = {e.form_id for e in intake.ledger if e.form_id}
    problems = _problems_per_form(intake)
    slots: dict[tuple[str, str], list[PlannedForm]] = {}
    for form in planned:
        slots.setdefault((form.folder, form.group_name), []).append(form)
    return [
        SlotStatus(
            branch,
            group,
            expected=len(forms),
            accepted=sum(f.form_id in received for f in forms),
            missing=tuple(f.rater_name for f in forms if f.form_id not in settled),
            returned=sum(f.form_id in returned for f in forms),
            problems=sum(problems.get(f.form_id, 0) for f in forms),
        )
        for (branch, group), forms in slots.items()
    ]


def reminders(planned: list[PlannedForm], intake: Intake, files: dict[str, str]) -> list[Reminder]:
    """Every rater whose form is not accepted, in plan order; ``files``: form id → file sent."""
    received = _settled(intake)
    last: dict[str, LedgerEntry] = {}
    for entry in intake.ledger:  # sorted by file name: the last one listed speaks for the form
        if entry.form_id and entry.status != ACCEPTED:
            last[entry.form_id] = entry
    return [
        Reminder(form.folder, form.group_name, form.rater_name, form.identity.code,
                 files.get(form.form_id, ""), _note(last.get(form.form_id), form))
        for form in planned
        if form.form_id not in received
    ]


def _note(entry: LedgerEntry | None, form: PlannedForm) -> str:
    if entry is None:
        return NOT_RETURNED if form.issued else f"{NOT_RETURNED}；{NOT_REISSUED}"
    message = entry.reason.partition(" ")[2] or entry.reason
    if entry.status in WITHDRAWN:
        return message
    return f"已交回但{entry.status}：{message}"


def _problems_per_form(intake: Intake) -> dict[str, int]:
    form_of = {e.file: e.form_id for e in intake.ledger if e.form_id}
    counts: dict[str, int] = {}
    for problem in intake.report.problems:
        form_id = form_of.get(problem.file)
        if form_id:
            counts[form_id] = counts.get(form_id, 0) + 1
    return counts
