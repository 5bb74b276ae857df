"""The ``db`` fixture: one fresh archive per test on each backend, as a user passes it to --db —
a SQLite file, or a plain postgresql:// URL of a new database on a real PostgreSQL server."""
from __future__ import annotations

import uuid

import pytest
from archive_kit import BACKENDS, server_url
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from xlflag.archive.store import database_url


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "档案.sqlite")
        return
    base = make_url(database_url(server_url()))
    name = f"xlflag_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
