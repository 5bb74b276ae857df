"""The period's record: 台账.csv as an append-only log of events, and the state derived from it.

Every consolidation judges everything the period holds (the store's originals and whatever
RETURNS adds) and appends only what changed: an arrival seen for the first time (收到, then its
status), or an arrival whose status or reason is now different. A rerun on the same inputs
appends nothing, so the log's bytes and the state derived from it stay the same. A return
leaves the count only by a recorded act: 作废 (``void``) or 退回 (``send_back``).

The state of an arrival (its file name under RETURNS and its hash) is its last event that is
not 收到; ``derive_state`` is the one place that reads it off the log.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Iterable

from ..core.problems import Code, Problem
from ..edge.files import atomic_path
from .arrivals import Arrival
from .returns import ACCEPTED, SENT_BACK, VOIDED, WITHDRAWN, LedgerEntry, Prior
from .store import LEDGER_COLUMNS, EvidenceStore, as_text, from_text

ARRIVED = "收到"

EVENT_COLUMNS = (("时间", "time"), ("事件", "event"))

Key = tuple[str, str]  # (file, sha256): one arrival


@dataclass(frozen=True)
class Event:
    time: str
    event: str  # 收到, or the status the arrival now has (已采用, 拒收, 重复, 被替代, 非测评表, 作废, 退回)
    entry: LedgerEntry


def key_of(entry: LedgerEntry | Arrival) -> Key:
    return (entry.file if isinstance(entry, LedgerEntry) else entry.name, entry.sha256)


def now_text() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# -- the log on disk -----------------------------------------------------------------------------

def read_events(store: EvidenceStore) -> list[Event]:
    """The period's events, oldest first; [] before the first run. An old-style ledger (one
    line per file, no 时间 column) reads as one event per line."""
    path = store.ledger_path
    if not path.is_file():
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = [(heading, name) for heading, name in LEDGER_COLUMNS if name in {f.name for f in fields(LedgerEntry)}]
    events = []
    for row in rows:
        entry = LedgerEntry(**{name: from_text(row.get(heading) or "") for heading, name in columns})
        events.append(Event(from_text(row.get("时间") or ""), from_text(row.get("事件") or entry.status), entry))
    return events


def events_csv(events: Iterable[Event]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([h for h, _ in EVENT_COLUMNS] + [h for h, _ in LEDGER_COLUMNS])
    for e in events:
        writer.writerow([as_text(e.time), as_text(e.event)] + [as_text(getattr(e.entry, a)) for _, a in LEDGER_COLUMNS])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def append_events(store: EvidenceStore, old: list[Event], new: list[Event]) -> Path:
    """The log with ``new`` after ``old``, replaced whole (never half-written); nothing new, nothing written."""
    if new or not store.ledger_path.is_file():
        with atomic_path(store.ledger_path) as tmp:
            tmp.write_bytes(events_csv([*old, *new]))
    return store.ledger_path


# -- the state --------------------------------------------------------------------------------------

def derive_state(events: Iterable[Event]) -> list[LedgerEntry]:
    """Each arrival's last status, in the order the ledger of one run lists them."""
    last: dict[Key, LedgerEntry] = {}
    for event in events:
        if event.event != ARRIVED:
            last[key_of(event.entry)] = event.entry
    return sorted(last.values(), key=lambda e: (e.file, e.sha256, e.status))


def prior_of(store: EvidenceStore, state: list[LedgerEntry]) -> Prior:
    """What the record gives the next judgement: stored arrivals to judge again, entries that
    stand as recorded (withdrawn, or never stored), and the (hash, form) pairs withdrawn."""
    has_copy = _copies(store)
    copied = [e for e in state if has_copy(e)]
    kept = {key_of(e): e for e in state if e.status in WITHDRAWN or not has_copy(e)}
    withdrawn = {(e.sha256, e.form_id): e for e in state if e.status in WITHDRAWN and e.sha256 and e.form_id}
    arrivals: dict[tuple, LedgerEntry] = {}
    for (name, sha256, mail, stored), entry in _by_arrival(copied):
        if (name, sha256) not in arrivals:  # (an entry's own name nearly always: no copy made)
            arrivals[name, sha256] = entry if entry.file == name else replace(entry, file=name)
    remembered = tuple(
        (Arrival(e.file, None, sha256=e.sha256, mail=e.mail, sender=e.sender, date=e.date, stored=e.stored,
                 mail_stored=e.mail_stored), store.root / e.stored)
        for e in arrivals.values())
    return Prior(remembered, kept, withdrawn)


def _copies(store: EvidenceStore):
    """entry → whether its copy is in the store: each folder of copies is listed once (a
    county's 25,000 copies would otherwise cost a stat each, twice)."""
    listed: dict[str, frozenset[str]] = {}

    def has_copy(entry: LedgerEntry) -> bool:
        if not entry.stored:
            return False
        folder, _, name = entry.stored.rpartition("/")
        names = listed.get(folder)
        if names is None:
            try:
                with os.scandir(store.root / folder) as scan:
                    names = frozenset(found.name for found in scan if found.is_file())
            except OSError:
                names = frozenset()
            listed[folder] = names
        return name in names
    return has_copy


def _by_arrival(entries: list[LedgerEntry]):
    """((arrival name, sha256, mail, stored), entry) per entry: the entries of one workbook
    holding several forms are named ``file!sheet``; they share one arrival, named ``file``."""
    groups: dict[tuple[str, str, str], list[LedgerEntry]] = {}
    for e in entries:
        groups.setdefault((e.sha256, e.mail, e.stored), []).append(e)
    for (sha256, mail, stored), group in groups.items():
        for e in group:
            base, bang, _ = e.file.rpartition("!")
            shared = bang and len(group) > 1 and sum(g.file.rpartition("!")[0] == base for g in group) > 1
            yield (base if shared else e.file, sha256, mail, stored), e


def changes(state: list[LedgerEntry], ledger: list[LedgerEntry], time: str) -> list[Event]:
    """The events that take ``state`` to ``ledger``: 收到 for a new arrival, then any new status."""
    known = {key_of(e): e for e in state}
    events = []
    for entry in ledger:
        before = known.get(key_of(entry))
        if before is None:
            events.append(Event(time, ARRIVED, replace(entry, status="", reason="")))
        if before != entry:
            events.append(Event(time, entry.status, entry))
    return events


def new_arrivals(state: list[LedgerEntry], ledger: list[LedgerEntry]) -> int:
    known = {key_of(e) for e in state}
    return sum(key_of(e) not in known for e in ledger)


def withdraw(state: list[LedgerEntry], code: str, act: str, why: str, time: str) -> list[Event]:
    """作废 or 退回 every arrival of the form printed with ``code`` that is not withdrawn yet."""
    problem_code = Code.RETURN_VOIDED if act == VOIDED else Code.RETURN_SENT_BACK
    reason = f"{problem_code.name} {Problem(problem_code, found=why).message}（{time}）"
    return [Event(time, act, replace(e, status=act, reason=reason))
            for e in state if e.form_code.upper() == code.upper() and e.status not in WITHDRAWN]


__all__ = ["ACCEPTED", "ARRIVED", "SENT_BACK", "VOIDED", "WITHDRAWN", "Event", "Prior", "append_events", "changes",
           "derive_state", "new_arrivals", "prior_of", "read_events", "withdraw"]
