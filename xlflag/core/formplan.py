"""Which forms a scheme needs: one per rater per rater group (pure, no Excel).

Member forms (评星) are per branch; flag forms (授旗) rate branches. The same plan drives form
writing, the dispatch list, recognising returns and the return-tracking table, so
"expected" means one thing everywhere.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache

from .identity import FormIdentity, form_code
from .issued import Issued
from .layout import FormLayout, form_layout, other_layout
from .model import (
    BRANCH_TARGET,
    MEMBER_TARGET,
    RATER_BRANCH,
    RATER_LEADERS,
    RATER_PEERS,
    RATER_REPS,
    RATER_SELF,
    RATER_SUPERIOR,
    RaterGroup,
    Scheme,
)

ALL_BRANCHES = ""  # identity.branch of a flag form that rates every branch
FLAG_FOLDER = "授旗"


@dataclass(frozen=True)
class PlannedForm:
    identity: FormIdentity
    group_name: str
    rater_name: str  # what the title and dispatch list show: a name or 职工代表3
    asks_answer: bool = False  # the masses' flag questionnaire also asks 满意/基本满意/不满意
    issued: bool = True  # this version went out (False: a roster edit made it, not reissued yet)

    @property
    def form_id(self) -> str:
        return self.identity.form_id

    @property
    def folder(self) -> str:
        """The branch a form belongs to, or 授旗 for flag forms that rate every branch."""
        return self.identity.branch or FLAG_FOLDER


def plan_forms(scheme: Scheme, key: bytes, issued: Issued | None = None) -> list[PlannedForm]:
    """Every form the scheme needs now; with ``issued`` (what went out), each form keeps the
    version it was issued as while what it asks is unchanged, and takes the next one otherwise."""
    forms = []
    issued = issued or Issued()
    frames: dict = {}  # form_fingerprint's, for this scheme
    pairs: dict = {}  # _labels', for this scheme
    for branch in scheme.branches:
        one_set = {m.criteria_set for m in scheme.members_of(branch.name)}  # nearly always one
        for group in scheme.member_groups:
            for rater_id, rater_name, ratees in _member_raters(scheme, branch.name, group):
                # one criteria set per form: a branch mixing member types gets one form per set
                for criteria_set, subset in _by_criteria_set(scheme, ratees, one_set):
                    slot = (branch.name, group, rater_id, rater_name, subset, criteria_set, MEMBER_TARGET)
                    forms.append(_planned(scheme, key, issued, *slot, frames=frames, pairs=pairs))
    if scheme.flag:
        for group in scheme.flag_groups:
            for branch, rater_id, rater_name, ratees in _flag_raters(scheme, group):
                slot = (branch, group, rater_id, rater_name, ratees, scheme.flag.set_name, BRANCH_TARGET)
                forms.append(_planned(scheme, key, issued, *slot, frames=frames, pairs=pairs))
    return forms


def _by_criteria_set(scheme: Scheme, ratees: tuple[str, ...], branch_sets: set[str]):
    """(criteria set, the ratees rated on it) in the order the sets first appear; a branch whose
    members share one set (``branch_sets``, the sets of its members) is not looked at per ratee."""
    if len(branch_sets) == 1:
        return [(next(iter(branch_sets)), ratees)] if ratees else []
    return [(criteria_set, tuple(r for r in ratees if scheme.member(r).criteria_set == criteria_set))
            for criteria_set in dict.fromkeys(scheme.member(r).criteria_set for r in ratees)]


def _planned(scheme, key, issued: Issued, branch, group, rater_id, rater_name, ratees, criteria_set, target, frames=None,
             pairs=None):
    period = scheme.settings.period
    form_id = "/".join((period, branch or FLAG_FOLDER, group.code, rater_id, criteria_set))
    labels = _labels(scheme, target, ratees, pairs)
    fingerprint = form_fingerprint(scheme, target, group.code, criteria_set, labels, frames)
    version = issued.version_for(form_id, fingerprint)
    identity = FormIdentity(
        form_id=form_id,
        code=form_code(key, period, form_id, version),
        scheme=fingerprint,
        period=period,
        branch=branch,
        group=group.code,
        rater=rater_id,
        ratees=ratees,
        criteria_set=criteria_set,
        target=target,
        version=version,
        labels=labels,
    )
    was_issued = not issued or issued.has(identity)
    return PlannedForm(identity, group.name, rater_name, asks_answer(scheme, identity), was_issued)


def form_fingerprint(scheme: Scheme, target: str, group_code: str, criteria_set: str, labels,
                     frames: dict | None = None) -> str:
    """A short hash of what one form asks: its period, items, scoring step, rater group and
    the rows it lists. A roster edit elsewhere, weights, star bands or the 突出 mark leave it be,
    so they never make a returned form another version.

    ``frames``: a dict kept over one plan, holding the JSON around the rows per (target, group,
    set), so a county's 25,000 forms do not each encode the items again."""
    frame = (frames or {}).get((target, group_code, criteria_set))
    if frame is None:
        frame = _fingerprint_frame(scheme, target, group_code, criteria_set)
        if frames is not None:
            frames[(target, group_code, criteria_set)] = frame
    if frame[1] is None:  # the rows' placeholder is not once in the text: encode it all
        text = _FINGERPRINT_JSON.encode(frame[0] | {"rows": labels})
    else:  # (the labels' tuples encode as the lists they once were turned into: the same text)
        text = frame[0] + _FINGERPRINT_JSON.encode(labels) + frame[1]
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_FINGERPRINT_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)  # json.dumps's, made once
_ROWS = "\ue002rows\ue002"  # private use: stands for the rows while the rest is encoded once


def _fingerprint_frame(scheme: Scheme, target: str, group_code: str, criteria_set: str):
    """(the JSON before the rows, the JSON after them), or (the data without rows, None)."""
    group = scheme.group(group_code)
    answers = scheme.flag.answers if target == BRANCH_TARGET and group.rater_kind == RATER_REPS else ()
    data = {
        "period": scheme.settings.period,
        "step": str(scheme.settings.step),
        "items": _items_data(scheme.items_of(criteria_set)),
        "group": (group.target, group.code, group.name, group.rater_kind),
        "answers": list(answers),
    }
    text = json.dumps(data | {"rows": _ROWS}, ensure_ascii=False, sort_keys=True, default=str)
    placeholder = json.dumps(_ROWS, ensure_ascii=False)
    if text.count(placeholder) != 1:
        return data, None
    head, tail = text.split(placeholder)
    return head, tail


@lru_cache(maxsize=64)
def _items_data(items: tuple) -> list[dict]:
    """The items as the fingerprint hashes them: one asdict per criteria set, not one per form."""
    return [asdict(i) for i in items]


def asks_the_same(scheme: Scheme, identity: FormIdentity) -> bool:
    """The form still asks what it asked when issued, apart from whom it lists: the same items,
    rules and group (its fingerprint recomputed from today's scheme with its own rows)."""
    if not any(g.code == identity.group for g in scheme.groups):
        return False
    return form_fingerprint(scheme, identity.target, identity.group, identity.criteria_set, identity.labels) == identity.scheme


def expected_raters(scheme: Scheme) -> dict[tuple[str, str], int]:
    """(ratee, group code) → how many raters the plan asks to rate that ratee in that group:
    the same raters ``plan_forms`` writes forms for, counted without a signing key."""
    counts: dict[tuple[str, str], int] = {}
    for branch in scheme.branches:
        for group in scheme.member_groups:
            for _, _, ratees in _member_raters(scheme, branch.name, group):
                for ratee in ratees:
                    counts[(ratee, group.code)] = counts.get((ratee, group.code), 0) + 1
    if scheme.flag:
        for group in scheme.flag_groups:
            for _, _, _, ratees in _flag_raters(scheme, group):
                for ratee in ratees:
                    counts[(ratee, group.code)] = counts.get((ratee, group.code), 0) + 1
    return counts


def form_layout_of(scheme: Scheme, identity: FormIdentity) -> FormLayout:
    """The cell layout of the form an identity names: its criteria set, whom it rates, and
    满意度 if asked. Forms, ingest and the demo filler all take their cells from here."""
    return form_layout(*_layout_inputs(scheme, identity))


def other_layout_of(scheme: Scheme, identity: FormIdentity, chosen: FormLayout) -> FormLayout:
    """The other orientation of the form an identity names (``layout.other_layout``)."""
    return other_layout(*_layout_inputs(scheme, identity), chosen)


def _layout_inputs(scheme: Scheme, identity: FormIdentity) -> tuple:
    """(items, labels, asks 满意度, the answers): what a form's layout is worked out from."""
    answers = scheme.flag.answers if scheme.flag else ()
    return scheme.items_of(identity.criteria_set), ratee_labels(scheme, identity), asks_answer(scheme, identity), answers


def asks_answer(scheme: Scheme, identity: FormIdentity) -> bool:
    """The masses' flag questionnaire also asks 满意/基本满意/不满意 (S3's 满意率)."""
    return identity.target == BRANCH_TARGET and scheme.group(identity.group).rater_kind == RATER_REPS


def rep_label(group: RaterGroup, n: int) -> str:
    """职工参评 → 职工代表3; 群众意见 → 群众代表3."""
    stem = group.name
    for suffix in ("参评", "评议", "意见", "测评"):
        stem = stem.removesuffix(suffix)
    return f"{stem}代表{n}"


def _member_raters(scheme: Scheme, branch: str, group: RaterGroup):
    """(rater id, rater display name, ratee ids) for each rater of the group in the branch."""
    members = scheme.members_of(branch)
    ids = tuple(m.member_id for m in members)
    if not ids:
        return []
    if group.rater_kind == RATER_SELF:
        return [(m.member_id, m.name, (m.member_id,)) for m in members]
    if group.rater_kind == RATER_PEERS:
        return [(m.member_id, m.name, tuple(i for i in ids if i != m.member_id)) for m in members if len(ids) > 1]
    if group.rater_kind == RATER_LEADERS:
        return [(name, name, ids) for name in scheme.branch(branch).leaders]
    if group.rater_kind == RATER_REPS:
        return [(rep_label(group, n), rep_label(group, n), ids) for n in range(1, group.count + 1)]
    return []


def _flag_raters(scheme: Scheme, group: RaterGroup):
    """(branch or ALL_BRANCHES, rater id, display name, ratee branch names) per flag rater."""
    names = tuple(b.name for b in scheme.branches)
    if group.rater_kind == RATER_BRANCH:
        return [(b, b, f"{b}（自评）", (b,)) for b in names]
    if group.rater_kind == RATER_REPS:
        return [(b, rep_label(group, n), rep_label(group, n), (b,)) for b in names for n in range(1, group.count + 1)]
    if group.rater_kind == RATER_LEADERS:
        leaders = scheme.flag.leaders or tuple(dict.fromkeys(n for b in scheme.branches for n in b.leaders))
        return [(ALL_BRANCHES, name, name, names) for name in leaders]
    if group.rater_kind == RATER_SUPERIOR:
        return [(ALL_BRANCHES, scheme.flag.superior, scheme.flag.superior, names)]
    return []


def ratee_labels(scheme: Scheme, identity: FormIdentity) -> list[tuple[str, str]]:
    """(编号, 名称) printed on each ratee row, and checked again on return: as the form was issued."""
    return list(identity.labels or _labels(scheme, identity.target, identity.ratees))


def _labels(scheme: Scheme, target: str, ratees: tuple[str, ...], pairs: dict | None = None) -> tuple[tuple[str, str], ...]:
    """(编号, 名称) per ratee. ``pairs``: a dict kept over one plan, so that every form listing a
    ratee holds the same pair (a county's peer forms list each member ~23 times: made once,
    and pickled once per batch of forms sent to a worker)."""
    if pairs is None:
        pairs = {}
    known = pairs.setdefault(target, {})
    labels = []
    for ratee in ratees:
        pair = known.get(ratee)
        if pair is None:
            pair = known[ratee] = (scheme.branch_code(ratee), ratee) if target == BRANCH_TARGET else (ratee, scheme.member(ratee).name)
        labels.append(pair)
    return tuple(labels)
