"""The archive database: commit a period's record (versioned), read records back.

One SQLite file beside the scheme by default; ``postgresql://…`` points the same code at a
PostgreSQL server (driver psycopg 3). Everything goes through SQLAlchemy Core.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from ..core.problems import CannotRun
from . import PeriodCommitted  # raised by Archive.commit; defined in the package so the CLI needs no SQLAlchemy
from . import schema as T
from .record import (
    Adjustment,
    BranchRecord,
    GroupMean,
    MemberRecord,
    Participation,
    PeriodRecord,
)

ARCHIVE_FILE = "xlflag-档案.sqlite"


def database_url(db: str | Path | None, beside: Path | None = None) -> str:
    """A URL, or a path of a SQLite file; none → xlflag-档案.sqlite beside ``beside`` (a file
    or folder) or in the current folder. postgresql:// means psycopg 3."""
    if db is None:
        folder = Path(beside) if beside is not None else Path.cwd()
        db = (folder.parent if folder.suffix else folder) / ARCHIVE_FILE
    text = str(db)
    if "://" not in text:
        return f"sqlite:///{Path(text).resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if text.startswith(plain):
            return "postgresql+psycopg://" + text[len(plain):]
    return text


def archive_exists(url: str) -> bool:
    """Whether there is an archive to read: a SQLite file on disk (reading must not create one),
    or any server database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return bool(parsed.database) and Path(parsed.database).is_file()
    return True


def shown_url(url: str) -> str:
    """The SQLite file, or the URL without its password, for messages."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


class ArchiveUnreachable(CannotRun):
    """The archive database could not be opened or read (a server down, a damaged file)."""

    def __init__(self, exc: SQLAlchemyError):
        super().__init__(f"无法访问档案数据库：{type(exc).__name__}：{exc.args[0] if exc.args else ''}")


@contextmanager
def opened(url: str):
    """An engine with the tables created; disposed afterwards so no connection lingers. Any
    database error inside becomes ArchiveUnreachable, so every command that reads or writes the
    archive (archive …, bulletin) says so in Chinese instead of a traceback."""
    try:
        engine = create_engine(url)
    except SQLAlchemyError as exc:
        raise ArchiveUnreachable(exc) from exc
    try:
        T.metadata.create_all(engine)
        yield Archive(engine)
    except SQLAlchemyError as exc:
        raise ArchiveUnreachable(exc) from exc
    finally:
        engine.dispose()


class Archive:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- writing ----------------------------------------------------------------------------

    def commit(self, record: PeriodRecord, replace: bool = False) -> PeriodRecord:
        """Store the record as the period's current version; the record as stored comes back."""
        with self.engine.begin() as db:
            latest = db.execute(select(func.max(T.periods.c.version)).where(T.periods.c.period == record.period)).scalar()
            if latest and not replace:
                raise PeriodCommitted(record.period, latest)
            db.execute(update(T.periods).where(T.periods.c.period == record.period).values(current=False))
            version = (latest or 0) + 1
            at = datetime.now(UTC).isoformat(timespec="seconds")
            version_id = db.execute(T.periods.insert().values(
                period=record.period, version=version, current=True, organisation=record.organisation,
                cycle=record.cycle, flag_name=record.flag_name, award_min_stars=record.award_min_stars,
                source=record.source, committed_at=at,
            )).inserted_primary_key[0]
            self._insert_rows(db, version_id, record)
        return self.load(record.period)

    @staticmethod
    def _insert_rows(db, version_id: int, record: PeriodRecord) -> None:
        def insert(table, rows):
            rows = [{"version_id": version_id, "seq": n, **row} for n, row in enumerate(rows)]
            if rows:
                db.execute(table.insert(), rows)

        insert(T.members, [
            {"member_id": m.member_id, "name": m.name, "branch": m.branch, "total": m.total,
             "stars_scored": m.stars_scored, "stars": m.stars, "named_stars": "、".join(m.named_stars),
             "quota_star": m.quota_star} for m in record.members])
        insert(T.group_means, [
            {"member_id": m.member_id, "rater_group": g.group, "raters": g.raters, "mean": g.mean}
            for m in record.members for g in m.means])
        insert(T.branches, [
            {"branch": b.branch, "total": b.total, "rank": b.rank, "winner": b.winner, "holds": b.holds,
             "satisfaction": b.satisfaction, "reason": b.reason} for b in record.branches])
        insert(T.participation, [
            {"branch": p.branch, "rater_group": p.group, "expected": p.expected, "returned": p.returned,
             "accepted": p.accepted} for p in record.participation])
        insert(T.adjustments, [
            {"target": a.target, "kind": a.kind, "what": a.what, "before": a.before, "after": a.after, "reason": a.reason,
             "approver": a.approver, "date": a.date} for a in record.adjustments])

    # -- reading ----------------------------------------------------------------------------

    def records(self, *, all_versions: bool = False) -> list[PeriodRecord]:
        """Every period's current version (or every version), in commit order."""
        query = select(T.periods).order_by(T.periods.c.id)
        if not all_versions:
            query = query.where(T.periods.c.current.is_(True))
        with self.engine.connect() as db:
            return [self._record(db, row) for row in db.execute(query).mappings()]

    def load(self, period: str) -> PeriodRecord | None:
        query = select(T.periods).where(T.periods.c.period == period, T.periods.c.current.is_(True))
        with self.engine.connect() as db:
            row = db.execute(query).mappings().first()
            return row and self._record(db, row)

    @staticmethod
    def _record(db, p) -> PeriodRecord:
        def rows(table):
            return db.execute(select(table).where(table.c.version_id == p["id"]).order_by(table.c.seq)).mappings().all()

        means: dict[str, list[GroupMean]] = {}
        for g in rows(T.group_means):
            means.setdefault(g["member_id"], []).append(GroupMean(g["rater_group"], g["raters"], g["mean"]))
        members = tuple(
            MemberRecord(m["member_id"], m["name"], m["branch"], m["total"], m["stars_scored"], m["stars"],
                         tuple(means.get(m["member_id"], ())), tuple(x for x in m["named_stars"].split("、") if x),
                         m["quota_star"])
            for m in rows(T.members))
        branches = tuple(BranchRecord(b["branch"], b["total"], b["rank"], b["winner"], b["holds"], b["satisfaction"],
                                      b["reason"]) for b in rows(T.branches))
        participation = tuple(Participation(x["branch"], x["rater_group"], x["expected"], x["returned"], x["accepted"])
                              for x in rows(T.participation))
        adjustments = tuple(Adjustment(a["target"], a["kind"], a["what"], a["before"], a["after"], a["reason"],
                                       a["approver"], a["date"]) for a in rows(T.adjustments))
        return PeriodRecord(p["period"], p["organisation"], p["cycle"], p["flag_name"], p["award_min_stars"], members,
                            branches, participation, adjustments, p["source"], p["version"], p["committed_at"])
