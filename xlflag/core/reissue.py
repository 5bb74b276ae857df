"""What an edit of the scheme after dispatch changed, form by form, in the words a secretary uses.

Compares the forms the scheme needs now (``plan_forms`` with the issue record) with the versions
that went out (``Issued``): a form whose rows or questions changed is 重新发放 as its next
version, a form that did not exist is 新发, a form no longer needed is 作废. Each change names
its causes ("第二党支部增加了党员张三", "第一党支部党员李四改名为李思"), so the summary and the
reissue list say exactly what happened and whom it touches. Pure: no I/O.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .formplan import FLAG_FOLDER, PlannedForm, asks_the_same
from .identity import FormIdentity
from .issued import Issued
from .model import BRANCH_TARGET, MEMBER_TARGET, RATER_LEADERS, RATER_PEERS, RATER_SELF, Scheme

REISSUE = "重新发放"  # what the form lists changed: send its next version
NEW = "新发"  # a form that did not exist when the forms went out
WITHDRAWN = "作废"  # a form no longer needed: returns of it are not counted
ACTIONS = (REISSUE, NEW, WITHDRAWN)


@dataclass(frozen=True)
class FormChange:
    action: str
    folder: str  # the branch, or 授旗
    group_name: str
    rater_name: str
    causes: tuple[str, ...]
    form: PlannedForm | None = None  # what to send now (None when withdrawn)
    old: FormIdentity | None = None  # the version that went out last (None for a new form)
    added: tuple[str, ...] = ()  # names of ratees the new version adds
    removed: tuple[str, ...] = ()  # names it no longer lists
    same_questions: bool = True  # the items and rules are unchanged: old scores stay valid

    @property
    def note(self) -> str:
        """What the rater is asked to do, for the reissue list."""
        if self.action == WITHDRAWN:
            return "本表已作废，不再计分，无需填写"
        if self.action == NEW:
            return "新增测评表，请填写全部评分"
        if not self.same_questions:
            return "测评项目或评分规则有修改，旧版不能计分，请用新版重新填写全部评分"
        parts = []
        if self.added:
            parts.append(f"已交回旧版的，只需在新版中为{'、'.join(self.added)}评分，其他人的评分已计入，可留空")
        if self.removed:
            parts.append(f"不再为{'、'.join(self.removed)}评分")
        if not parts:
            parts.append("名单已更正，已交回的旧版评分全部有效，无需重填")
        return "；".join(parts) + "；尚未交回的请填写新版"


def changes(scheme: Scheme, planned: list[PlannedForm], issued: Issued) -> list[FormChange]:
    """Every form whose current version has not gone out yet, and every form gone out that is
    no longer needed, in plan order (withdrawn ones last)."""
    if not issued:
        return []
    facts = _Facts(scheme, issued)
    found = []
    current = {f.form_id for f in planned}
    for form in planned:
        if form.issued:
            continue
        old = issued.latest(form.form_id)
        found.append(facts.reissue(form, old) if old else facts.new(form))
    order = {g.code: n for n, g in enumerate(scheme.groups)}
    gone = [issued.latest(form_id) for form_id in issued.versions if form_id not in current]
    for old in sorted(gone, key=lambda i: (i.branch, order.get(i.group, len(order)), i.form_id)):
        found.append(facts.withdrawn(old))
    return found


def summary(found: list[FormChange]) -> list[str]:
    """One line per cause: "第二党支部增加了党员张三：互评表6份、领导点评表1份需重新发放，自评表1份需新发"."""
    by_cause: dict[str, Counter] = {}
    for change in found:
        for cause in change.causes:
            by_cause.setdefault(cause, Counter())[(change.action, _form_word(change.group_name))] += 1
    lines = []
    for cause, counts in by_cause.items():
        parts = []
        for action in ACTIONS:
            forms = [f"{word}{n}份" for (a, word), n in counts.items() if a == action]
            if forms:
                parts.append(f"{'、'.join(forms)}{'需' if action != WITHDRAWN else ''}{action}")
        lines.append(f"{cause}：{'，'.join(parts)}")
    return lines


def _form_word(group_name: str) -> str:
    return group_name if group_name.endswith("表") else group_name + "表"


class _Facts:
    """What the issued forms listed, to word a change as the roster edit that caused it."""

    def __init__(self, scheme: Scheme, issued: Issued):
        self.scheme = scheme
        self.names: dict[str, str] = {}  # member id (or branch name) → name as issued
        self.in_branch: dict[str, set[str]] = {}  # branch → member ids its issued forms named
        self.leaders: dict[str, set[str]] = {}  # branch → leaders who were sent member forms
        for identity in issued.all():
            for ratee, (_, name) in zip(identity.ratees, identity.labels):
                self.names[ratee] = name
            if identity.target == MEMBER_TARGET:
                ids = self.in_branch.setdefault(identity.branch, set())
                ids.update(identity.ratees)
                if self._kind(identity) in (RATER_SELF, RATER_PEERS):
                    ids.add(identity.rater)
                if self._kind(identity) == RATER_LEADERS:
                    self.leaders.setdefault(identity.branch, set()).add(identity.rater)

    def _kind(self, identity: FormIdentity) -> str:
        return next((g.rater_kind for g in self.scheme.groups if g.code == identity.group), "")

    def _word(self, identity: FormIdentity) -> str:
        return "支部" if identity.target == BRANCH_TARGET else "党员"

    def _prefix(self, identity: FormIdentity) -> str:
        return identity.branch if identity.target == MEMBER_TARGET else ""

    def reissue(self, form: PlannedForm, old: FormIdentity) -> FormChange:
        new = form.identity
        before = dict(zip(old.ratees, (n for _, n in old.labels)))
        after = dict(zip(new.ratees, (n for _, n in new.labels)))
        word, prefix = self._word(new), self._prefix(new)
        added = [after[r] for r in new.ratees if r not in before]
        removed = [r for r in old.ratees if r not in after]
        causes = [f"{prefix}增加了{word}{name}" for name in added]
        causes += [self._gone(old.branch, r, before[r], word) for r in removed]
        causes += [f"{prefix}{word}{before[r]}改名为{after[r]}" for r in new.ratees if r in before and before[r] != after[r]]
        same = asks_the_same(self.scheme, old)
        if not same:
            causes.append("测评项目或评分规则有修改")
        elif not causes:
            causes.append("名单编号有调整")
        return FormChange(REISSUE, form.folder, form.group_name, form.rater_name, tuple(dict.fromkeys(causes)),
                          form, old, tuple(added), tuple(before[r] for r in removed), same)

    def new(self, form: PlannedForm) -> FormChange:
        ident = form.identity
        kind, causes = self._kind(ident), []
        if ident.target == BRANCH_TARGET:
            known = {r for r in self.names}
            causes = [f"增加了支部{b}" for b in ident.ratees if b not in known]
        else:
            known = self.in_branch.get(ident.branch, set())
            people = ((ident.rater,) if kind in (RATER_SELF, RATER_PEERS) else ()) + ident.ratees
            causes = [f"{ident.branch}增加了党员{self.scheme.member(m).name}" for m in dict.fromkeys(people) if m not in known]
            if kind == RATER_LEADERS and ident.rater not in self.leaders.get(ident.branch, set()):
                causes = [self._leader_change(ident.branch, ident.rater, added=True)]
        if not causes:
            causes = [f"{form.folder}新增{_form_word(form.group_name)}"]
        return FormChange(NEW, form.folder, form.group_name, form.rater_name, tuple(causes), form)

    def withdrawn(self, old: FormIdentity) -> FormChange:
        kind = self._kind(old)
        branch_names = {b.name for b in self.scheme.branches}
        if old.branch and old.branch not in branch_names:
            cause = f"删除了支部{old.branch}"
        elif kind in (RATER_SELF, RATER_PEERS) and old.target == MEMBER_TARGET:
            cause = self._gone(old.branch, old.rater, self.names.get(old.rater, old.rater), "党员")
        elif kind == RATER_LEADERS and old.target == MEMBER_TARGET:
            cause = self._leader_change(old.branch, old.rater, added=False)
        else:
            cause = f"{old.branch or FLAG_FOLDER}不再需要此表"
        group = next((g.name for g in self.scheme.groups if g.code == old.group), old.group)
        rater = self.names.get(old.rater, old.rater)
        return FormChange(WITHDRAWN, old.branch or FLAG_FOLDER, group, rater, (cause,), None, old)

    def _gone(self, branch: str, ratee: str, name: str, word: str) -> str:
        if word == "支部":
            return f"删除了支部{name}"
        try:
            member = self.scheme.member(ratee)
        except KeyError:
            return f"{branch}删除了党员{name}"
        if member.branch != branch:
            return f"{branch}党员{name}调往{member.branch}"
        return f"{branch}党员{name}改用“{member.criteria_set}”指标体系"

    def _leader_change(self, branch: str, leader: str, added: bool) -> str:
        """A leader's name fixed reads as one rename, not one removal and one addition."""
        now = set(self.scheme.branch(branch).leaders) if branch in {b.name for b in self.scheme.branches} else set()
        was = self.leaders.get(branch, set())
        gone, new = sorted(was - now), sorted(now - was)
        if len(gone) == 1 and len(new) == 1:
            return f"{branch}领导点评人{gone[0]}改为{new[0]}"
        return f"{branch}增加了领导点评人{leader}" if added else f"{branch}删除了领导点评人{leader}"


def change_of(scheme: Scheme, form: PlannedForm, old: FormIdentity, issued: Issued | None = None) -> FormChange:
    """How ``form`` differs from the earlier version ``old`` (a returned one, say)."""
    return _Facts(scheme, issued or Issued.of([old])).reissue(form, old)


def withdrawal_of(scheme: Scheme, old: FormIdentity, issued: Issued | None = None) -> FormChange:
    """Why a form that went out is no longer needed."""
    return _Facts(scheme, issued or Issued.of([old])).withdrawn(old)
