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
from dataclasses import asdict, dataclass

IDENTITY_VERSION = 1


@dataclass(frozen=True)
class FormIdentity:
    form_id: str  # period/branch/group/rater: unique within a scheme
    code: str  # the short code printed on the sheet
    scheme: str  # Scheme.fingerprint()
    period: str
    branch: str
    group: str  # RaterGroup.code
    rater: str  # member id, leader name, or representative label
    ratees: tuple[str, ...]  # member ids (or branch names, for flag forms) in row order
    criteria_set: str
    target: str = "党员"  # 党员: a member form (评星); 支部: a flag form (授旗)

    def to_json(self) -> str:
        data = asdict(self) | {"v": IDENTITY_VERSION, "ratees": list(self.ratees)}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "FormIdentity":
        data = json.loads(text)
        data.pop("v", None)
        data["ratees"] = tuple(data["ratees"])
        return cls(**data)


def sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def verify(key: bytes, text: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, text), str(signature).strip())


def form_code(key: bytes, period: str, form_id: str) -> str:
    """E.g. 2026Q4-K3J9QX2A: short enough to read out on the phone, keyed so it can't be guessed."""
    digest = hmac.new(key, ("code:" + form_id).encode(), hashlib.sha256).digest()
    return f"{period}-{base64.b32encode(digest[:5]).decode()}"
