"""What was issued: every version of every form that went out this period (pure, no I/O).

``xlflag forms`` records each form identity it writes (scheme/issued.py keeps the record beside
the scheme, in the period's store). The record gives a form its version number, lets a return of
an earlier version be recognised by its code when its hidden identity is gone, and says what a
roster edit changed since the forms went out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .identity import FormIdentity


@dataclass(frozen=True)
class Issued:
    versions: dict[str, tuple[FormIdentity, ...]] = field(default_factory=dict)  # form id → oldest first

    @classmethod
    def of(cls, identities) -> "Issued":
        versions: dict[str, list[FormIdentity]] = {}
        for identity in identities:
            versions.setdefault(identity.form_id, []).append(identity)
        return cls({k: tuple(sorted(v, key=lambda i: i.version)) for k, v in sorted(versions.items())})

    def __bool__(self) -> bool:
        return bool(self.versions)

    def all(self) -> list[FormIdentity]:
        return [i for versions in self.versions.values() for i in versions]

    def latest(self, form_id: str) -> FormIdentity | None:
        versions = self.versions.get(form_id)
        return versions[-1] if versions else None

    def version_for(self, form_id: str, fingerprint: str) -> int:
        """The version that asked exactly this, or the next number; 1 for a form never issued."""
        versions = self.versions.get(form_id, ())
        same = [i.version for i in versions if i.scheme == fingerprint]
        return same[-1] if same else max((i.version for i in versions), default=0) + 1

    def has(self, identity: FormIdentity) -> bool:
        return any(i.version == identity.version for i in self.versions.get(identity.form_id, ()))

    def adding(self, identities) -> "Issued":
        new = [i for i in identities if not self.has(i)]
        return Issued.of(self.all() + new) if new else self

    def sharing(self, identities) -> "Issued":
        """The same record, holding each of ``identities`` (the forms just planned) in place of
        its own equal copy: a county's record read from its JSON holds 25,000 identities with
        every ratee's name and label as separate strings (~180 MB), which the planned forms
        already hold, sharing the scheme's strings."""
        planned = {i.form_id: i for i in identities}
        return Issued({form_id: tuple(planned[form_id] if planned.get(form_id) == i else i for i in versions)
                       for form_id, versions in self.versions.items()})

    def by_code(self) -> dict[str, FormIdentity]:
        return {i.code: i for i in self.all()}
