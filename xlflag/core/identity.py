"""A form's signed identity: how a return is recognised whatever its file name.

The identity travels in a very hidden sheet as canonical JSON plus an HMAC-SHA256 over it,
keyed by a secret kept beside the scheme (``scheme.key``), so a rater cannot forge or re-target a form.
The visible form code is derived from the same key, so it can be checked too.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

IDENTITY_VERSION = 2  # 2: the form's own fingerprint, its version and the labels it was issued with


@dataclass(frozen=True)
class FormIdentity:
    form_id: str  # period/branch/group/rater: unique within a scheme, the same in every version
    code: str  # the short code printed on the sheet: one per version
    scheme: str  # formplan.form_fingerprint: what this form asks (its items, rules and rows), no more
    period: str
    branch: str
    group: str  # RaterGroup.code
    rater: str  # member id, leader name, or representative label
    ratees: tuple[str, ...]  # member ids (or branch names, for flag forms) in row order
    criteria_set: str
    target: str = "党员"  # 党员: a member form (评星); 支部: a flag form (授旗)
    version: int = 1  # 1 when first issued; a reissue after a roster edit carries the next one
    labels: tuple[tuple[str, str], ...] = ()  # (编号, 名称) printed on each row, as issued

    def to_json(self) -> str:
        return _CANONICAL.encode(self._fields())

    def record_json(self) -> str:
        """``as_dict`` as the issue record holds it (keys sorted, json's default separators)."""
        return _RECORD.encode(self._fields())

    def as_dict(self) -> dict:
        # every field is a string, a number or a tuple replaced here: a shallow copy is asdict's
        return dict(vars(self)) | {"v": IDENTITY_VERSION, "ratees": list(self.ratees), "labels": [list(x) for x in self.labels]}

    def _fields(self) -> dict:
        """``as_dict`` to encode: json writes a tuple as the list ``as_dict`` makes of it."""
        return dict(vars(self)) | {"v": IDENTITY_VERSION}

    @classmethod
    def from_json(cls, text: str) -> "FormIdentity":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict) -> "FormIdentity":
        data = dict(data)
        data.pop("v", None)
        data["ratees"] = tuple(data["ratees"])
        data["labels"] = tuple((str(a), str(b)) for a, b in data.get("labels", ()))
        return cls(**data)


# what json.dumps makes per call, made once (a county encodes 25,000 identities, twice)
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_RECORD = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def verify(key: bytes, text: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, text), str(signature).strip())


def form_code(key: bytes, period: str, form_id: str, version: int = 1) -> str:
    """E.g. 2026Q4-K3J9QX2A: short enough to read out on the phone, keyed so it can't be guessed.

    Each version of a form has its own code, so a reissued form is told from the one it replaces.
    """
    seed = form_id if version == 1 else f"{form_id}#{version}"
    digest = hmac.new(key, ("code:" + seed).encode(), hashlib.sha256).digest()
    return f"{period}-{base64.b32encode(digest[:5]).decode()}"
