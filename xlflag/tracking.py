"""Who has returned what: the return matrix per branch and rater group (pure)."""
from __future__ import annotations

from dataclasses import dataclass

from .formplan import PlannedForm
from .returns import Intake


@dataclass(frozen=True)
class SlotStatus:
    branch: str
    group: str  # the group's display name
    expected: int
    accepted: int
    missing: tuple[str, ...]  # rater display names still to chase


def return_status(planned: list[PlannedForm], intake: Intake) -> list[SlotStatus]:
    received = {f.identity.form_id for f in intake.accepted}
    slots: dict[tuple[str, str], list[PlannedForm]] = {}
    for form in planned:
        slots.setdefault((form.folder, form.group_name), []).append(form)
    return [
        SlotStatus(
            branch,
            group,
            expected=len(forms),
            accepted=sum(f.form_id in received for f in forms),
            missing=tuple(f.rater_name for f in forms if f.form_id not in received),
        )
        for (branch, group), forms in slots.items()
    ]
