"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import datetime as dt
import select
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, PoolResetState, create_engine, event
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

#: SQLite's sync mode for every connection: FULL syncs the WAL at each commit, so a committed
#: transfer survives a power loss (NORMAL could lose the last commits); see docs/settings.md
SQLITE_SYNCHRONOUS = "FULL"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets its parent folder, foreign keys, WAL and full sync."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _postgresql_engine(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    engine.dialect.colspecs = {**engine.dialect.colspecs, DateTime: ZonedSQLiteDateTime}
    return engine


def _postgresql_engine(url: str) -> Engine:
    """A pooled engine whose checkout refuses ended connections and whose checkin rolls back only what is open."""
    from c3p.db.one_trip import idle  # psycopg, imported only where PostgreSQL is used

    def roll_back_open(dbapi_connection: Any, _record: object, _state: PoolResetState) -> None:
        """Roll back what a connection returned to the pool left open; an idle one is returned as it is.

        SQLAlchemy's own reset-on-return calls the driver's ``rollback()`` on every checkin, through
        its dialect, in a fifth of the pool's checkout and checkin; a transfer that committed in its
        one round trip has nothing to roll back. The driver knows without a round trip whether a
        transaction is open (or failed, or the connection broke): any of those is rolled back.
        """
        if not idle(dbapi_connection):
            dbapi_connection.rollback()

    engine = create_engine(url, pool_size=10, max_overflow=20, pool_reset_on_return=None)
    event.listen(engine, "checkout", _refuse_ended)
    event.listen(engine, "reset", roll_back_open)
    return engine


def _refuse_ended(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: object) -> None:
    """Replace a pooled connection the server has ended, found without a round trip.

    An idle connection between transactions has nothing to read: a server that restarted,
    or ended the session, has sent its last message or closed the socket, so the socket
    reads ready. The pool then drops the connection and opens another (``DisconnectionError``).
    SQLAlchemy's pre-ping asked the server instead, a round trip before every unit of work
    (a fifth of a transfer's); a connection whose peer vanished without a word hangs either
    way until TCP gives up, and anything else ready to read only costs a new connection.
    """
    if dbapi_connection.closed or _socket_watch(dbapi_connection, record.info).poll(0):
        raise DisconnectionError("the server ended this pooled connection")


_WATCH = "c3p.socket_watch"


def _socket_watch(dbapi_connection: Any, info: dict[str, Any]) -> select.poll:
    """A ``poll`` of the connection's socket for something to read (``select`` fails above descriptor 1023).

    Made once per connection and kept in its pool entry's ``info``, which the pool empties when
    it replaces the connection: a new socket gets a new watch.
    """
    watch = info.get(_WATCH)
    if watch is None:
        watch = info[_WATCH] = select.poll()
        watch.register(dbapi_connection.fileno(), select.POLLIN)
    return watch


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
