"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

#: SQLite's sync mode for every connection: FULL syncs the WAL at each commit, so a committed
#: transfer survives a power loss (NORMAL could lose the last commits); see docs/settings.md
SQLITE_SYNCHRONOUS = "FULL"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets its parent folder, foreign keys, WAL and full sync."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    engine.dialect.colspecs = {**engine.dialect.colspecs, DateTime: ZonedSQLiteDateTime}
    return engine


class ZonedSQLiteDateTime(SQLITE_DATETIME):
    """SQLite keeps no time zone; every time the app stores is UTC, so a zoned column reads back in UTC.

    PostgreSQL already answers zoned values: with this, both backends give the API the same
    ``2026-12-05T10:00:00+00:00`` and never a time a client must guess the zone of.
    """

    def result_processor(self, dialect: Any, coltype: object) -> Callable[[Any], Any] | None:
        parse = super().result_processor(dialect, coltype)
        if not self.timezone:
            return parse

        def zoned(value: Any) -> Any:
            value = parse(value) if parse else value
            return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value

        return zoned


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)
