"""The evidence store: a copy of every file that arrived, and the ledger that accounts for each.

Layout, beside the scheme so it travels with it::

    <scheme folder>/xlflag-存档/<period>/原件/<sha256><suffix>   every file and saved mail, once
    <scheme folder>/xlflag-存档/<period>/台账.csv                 the period's events (``period``)

Copies are named by content, so storing the same file twice is a no-op and a file deleted from
the returns folder later is still here: the store is the record of the period. The ledger is an
append-only log of events (``period``). It is UTF-8 with a BOM so Excel opens the Chinese text
correctly. A copy that cannot be written is a ``WriteFault`` (the office's disk, never the rater's file).
"""
from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Iterable

from ..edge.files import BackgroundWrites, atomic_path, period_folder
ORIGINALS = "原件"
LEDGER_FILE = "台账.csv"

# (column heading, LedgerEntry attribute), in the order the CSV shows them
LEDGER_COLUMNS = (
    ("文件", "file"),
    ("状态", "status"),
    ("表单编号", "form_code"),
    ("说明", "reason"),
    ("来源邮件", "mail"),
    ("发件人", "sender"),
    ("邮件日期", "date"),
    ("表单ID", "form_id"),
    ("SHA-256", "sha256"),
    ("存档", "stored"),
    ("邮件存档", "mail_stored"),
)

# Excel runs a CSV field starting with these as a formula; a quote in front keeps it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class EvidenceStore:
    """One period's folder of originals and its ledger."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._writes = BackgroundWrites()

    def __getstate__(self):  # to a pool worker, a store is its folder: the worker writes its own copies
        return {"root": self.root}

    def __setstate__(self, state):
        self.__init__(state["root"])

    @classmethod
    def beside(cls, scheme_path: Path, period: str) -> "EvidenceStore":
        return cls(period_folder(scheme_path, period))

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_FILE

    def keep(self, path: Path, sha256: str, suffix: str) -> str:
        """Copy ``path`` in under its hash unless already there (a private copy made in one read,
        such as a mailbox streamed while hashing); the copy's path, relative."""
        return self._stored(sha256, suffix, lambda tmp: shutil.copyfile(path, tmp))

    def keep_bytes(self, data: bytes, sha256: str, suffix: str) -> str:
        """Store ``data`` (the very bytes that were hashed and are parsed) under its hash, on a
        writer thread (a county's 25,000 copies would otherwise wait on the disk one by one):
        ``flush`` before anything relies on the copies being there."""
        relative = _relative(sha256, suffix)
        self._writes.put(self.root / relative, data)
        return relative

    def flush(self) -> None:
        """Wait for every copy ``keep_bytes`` queued; the first that failed is a ``WriteFault``."""
        self._writes.wait()

    def _stored(self, sha256: str, suffix: str, write) -> str:
        relative = _relative(sha256, suffix)
        target = self.root / relative
        if not target.is_file():
            with atomic_path(target) as tmp:
                write(tmp)
        return relative

def _relative(sha256: str, suffix: str) -> str:
    """Where a copy lies in the store: named by its content."""
    return f"{ORIGINALS}/{sha256}{suffix.lower()}"


def ledger_csv(entries: Iterable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([heading for heading, _ in LEDGER_COLUMNS])
    for entry in entries:
        writer.writerow([as_text(getattr(entry, attribute)) for _, attribute in LEDGER_COLUMNS])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def as_text(value: object) -> str:
    """A CSV field Excel shows as text: a leading quote on anything it would run as a formula
    (and on a leading quote itself, so ``from_text`` gives back exactly what was written)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START + ("'",)) else text


def from_text(field: str) -> str:
    return field[1:] if field.startswith("'") else field


def read_ledger(path: Path) -> list[dict[str, str]]:
    """The ledger's rows as {heading: text} (tests, and anyone auditing a run)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
