"""The issue record beside the scheme: every form identity ``xlflag forms`` wrote this period.

Kept in the period's store (xlflag-存档/<period>/发放记录.json) as plain JSON, written whole and
renamed into place. It is the office's own record (the identities in it are the ones signed into
the forms), so ``forms --reissue`` knows what went out and what a roster edit changed.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..core.identity import FormIdentity
from ..core.issued import Issued
from ..edge.files import atomic_path, period_folder

ISSUE_FILE = "发放记录.json"


class IssueRecordError(Exception):
    """The issue record exists but cannot be read."""


def issue_record_path(scheme_path: Path, period: str) -> Path:
    return period_folder(scheme_path, period) / ISSUE_FILE


def load_issued(scheme_path: Path, period: str) -> Issued:
    """What was issued for the period; nothing when no form has been written yet."""
    path = issue_record_path(scheme_path, period)
    if not path.is_file():
        return Issued()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Issued.of(FormIdentity.from_dict(d) for d in data["forms"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IssueRecordError(f"发放记录{path}无法读取（{type(exc).__name__}），请从备份恢复或删除后重新生成全部测评表") from exc


def save_issued(scheme_path: Path, period: str, issued: Issued, lines: dict | None = None) -> Path:
    """One form a line (json's indented output is its slow pure-Python encoder: seconds for a
    county's 25,000 forms); the same JSON object as ever to read. ``lines``: identity id →
    (that identity, its ``record_json``), made already (by the pool that wrote the forms)."""
    path = issue_record_path(scheme_path, period)
    forms = ",\n".join(record_lines(issued.all(), lines or {}))
    text = f'{{"forms": [\n{forms}\n], "period": {json.dumps(period, ensure_ascii=False)}}}\n'
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def record_lines(identities, made: dict) -> list[str]:
    """Each identity's ``record_json``: from ``made`` when it holds that very object, else made here."""
    lines = []
    for identity in identities:
        found = made.get(id(identity))
        lines.append(found[1] if found is not None and found[0] is identity else identity.record_json())
    return lines
