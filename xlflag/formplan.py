"""Which forms a scheme needs: one per rater per rater group per branch (pure, no Excel).

The same plan drives form writing, the dispatch list, recognising returns and the
return-tracking table, so "expected" means one thing everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass

from .identity import FormIdentity, form_code
from .model import RATER_LEADERS, RATER_PEERS, RATER_REPS, RATER_SELF, RaterGroup, Scheme


@dataclass(frozen=True)
class PlannedForm:
    identity: FormIdentity
    group_name: str
    rater_name: str  # what the title and dispatch list show: a name or 职工代表3

    @property
    def form_id(self) -> str:
        return self.identity.form_id


def plan_forms(scheme: Scheme, key: bytes) -> list[PlannedForm]:
    forms = []
    fingerprint = scheme.fingerprint()
    for branch in scheme.branches:
        for group in scheme.member_groups:
            for rater_id, rater_name, ratees in _raters(scheme, branch.name, group):
                if not ratees:
                    continue
                # one criteria set per form: a branch mixing member types gets one form per set
                for criteria_set in dict.fromkeys(scheme.member(r).criteria_set for r in ratees):
                    subset = tuple(r for r in ratees if scheme.member(r).criteria_set == criteria_set)
                    forms.append(_planned(scheme, key, fingerprint, branch.name, group, rater_id, rater_name, subset, criteria_set))
    return forms


def _planned(scheme, key, fingerprint, branch, group, rater_id, rater_name, ratees, criteria_set):
    period = scheme.settings.period
    form_id = "/".join((period, branch, group.code, rater_id, criteria_set))
    identity = FormIdentity(
        form_id=form_id,
        code=form_code(key, period, form_id),
        scheme=fingerprint,
        period=period,
        branch=branch,
        group=group.code,
        rater=rater_id,
        ratees=ratees,
        criteria_set=criteria_set,
    )
    return PlannedForm(identity, group.name, rater_name)


def _raters(scheme: Scheme, branch: str, group: RaterGroup):
    """(rater id, rater display name, ratee ids) for each rater of the group in the branch."""
    members = scheme.members_of(branch)
    ids = tuple(m.member_id for m in members)
    if group.rater_kind == RATER_SELF:
        return [(m.member_id, m.name, (m.member_id,)) for m in members]
    if group.rater_kind == RATER_PEERS:
        return [(m.member_id, m.name, tuple(i for i in ids if i != m.member_id)) for m in members]
    if group.rater_kind == RATER_LEADERS:
        return [(name, name, ids) for name in scheme.branch(branch).leaders]
    if group.rater_kind == RATER_REPS:
        label = group.name.removesuffix("参评").removesuffix("评议") + "代表"
        return [(f"{label}{n}", f"{label}{n}", ids) for n in range(1, group.count + 1)]
    return []
