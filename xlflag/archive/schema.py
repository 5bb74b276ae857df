"""The archive's tables (SQLAlchemy Core): one row per committed version of a period, and the
member, branch, participation and adjustment rows of that version. Nothing is ever deleted:
``--replace`` marks the old version not current and adds a new one.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class Exact(TypeDecorator):
    """A decimal kept exactly, its places too (65.00 stays 65.00): NUMERIC without a fixed scale
    on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric()
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(String(24) if dialect.name == "sqlite" else Numeric())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else Decimal(str(value))


metadata = MetaData()
Name = String(200)

periods = Table(
    "periods", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("current", Boolean, nullable=False),
    Column("organisation", Name, nullable=False),
    Column("cycle", String(40), nullable=False),
    Column("flag_name", Name, nullable=False, default=""),
    Column("award_min_stars", Integer),
    Column("source", String(20), nullable=False),
    Column("committed_at", String(40), nullable=False),
    UniqueConstraint("period", "version"),
)


def _of_version(name: str, *columns) -> Table:
    return Table(name, metadata,
                 Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("version_id", Integer, ForeignKey("periods.id"), nullable=False, index=True),
                 *columns)


members = _of_version(
    "member_results",
    Column("seq", Integer, nullable=False),  # the roster order of that period
    Column("member_id", String(80), nullable=False, index=True),
    Column("name", Name, nullable=False),
    Column("branch", Name, nullable=False),
    Column("total", Exact),
    Column("stars_scored", Integer),
    Column("stars", Integer),
    Column("named_stars", Text, nullable=False, default=""),  # 、-joined, in the scheme's order
    Column("quota_star", Boolean, nullable=False, default=False),
)
group_means = _of_version(
    "group_means",
    Column("member_id", String(80), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("rater_group", Name, nullable=False),
    Column("raters", Integer, nullable=False),
    Column("mean", Exact),
)
branches = _of_version(
    "branch_results",
    Column("seq", Integer, nullable=False),
    Column("branch", Name, nullable=False),
    Column("total", Exact),
    Column("rank", Integer),
    Column("winner", Boolean, nullable=False),  # as the scores gave it
    Column("holds", Boolean, nullable=False),  # after 撤旗 / 更正
    Column("satisfaction", Exact),
    Column("reason", Text, nullable=False, default=""),
)
participation = _of_version(
    "participation",
    Column("seq", Integer, nullable=False),
    Column("branch", Name, nullable=False),
    Column("rater_group", Name, nullable=False),
    Column("expected", Integer, nullable=False),
    Column("returned", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
)
adjustments = _of_version(
    "adjustments",
    Column("seq", Integer, nullable=False),
    Column("target", Name, nullable=False),  # member id, or branch name for 撤旗
    Column("kind", String(20), nullable=False),
    Column("what", Name, nullable=False),  # 星级, 流动红旗 or a named star
    Column("before", Name, nullable=False, default=""),
    Column("after", Name, nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("approver", Name, nullable=False, default=""),
    Column("date", String(40), nullable=False, default=""),
)
