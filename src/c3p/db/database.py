"""The database as the application sees it: schema and units of work.

Loading the program's data belongs to the program (:mod:`c3p.program.seed_loader`), so this
shared infrastructure imports no capability.

A unit of work is one transaction: commands and requests open one, services flush, and the
boundary commits once (or rolls back on any error). Nothing else commits. The ledger's hot
path (transfer, cancel, retire) runs in a :class:`CoreUnit`: the same one transaction, without
an ORM session unless something asks for one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, PoolProxiedConnection, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from c3p.db import migrate
from c3p.db.engine import make_engine, make_session_factory

_CURSOR = "c3p.cursor"


def pooled_cursor(pooled: PoolProxiedConnection) -> Any:
    """The driver's cursor kept with a pooled connection, for statements run directly.

    psycopg builds a cursor (and its adapters) in ~15 µs of client CPU, as much as it spends
    sending a transfer's statement; kept, it is built once per connection. The pool empties a
    connection's ``info`` when it closes or replaces the connection, so the cursor goes with it.
    """
    cursor = pooled.info.get(_CURSOR)
    if cursor is None:
        cursor = pooled.info[_CURSOR] = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
    return cursor


@cache
def _one_trip(dialect: str) -> Any:
    """:mod:`c3p.db.one_trip` for PostgreSQL, None for SQLite: psycopg is imported only where it is used (found
    once per dialect, not by an import statement in every unit)."""
    if dialect != "postgresql":
        return None
    from c3p.db import one_trip

    return one_trip


class CoreUnit:
    """One transaction on one pooled connection, for commands that write through their own statements.

    An ORM session's begin, flush, commit and close cost more client CPU than a transfer's
    statements, and even a Core ``Connection`` costs as much again as the pool's checkout. Here
    the driver's connection is taken from the pool as it is; a ``Connection`` and a session are
    made over it only when something asks for one (an ORM read or write), in the same
    transaction, and the session's commit hooks (history, sealing, notifications) then run at
    :meth:`commit` as in any unit of work. A unit of one command may commit with that command's
    only write (:meth:`last_write`), or run it as a transaction of its own (:meth:`write_alone`);
    anything it runs after that is a new transaction.
    """

    def __init__(self, engine: Engine, sessions: sessionmaker[Session], *, one_command: bool = False) -> None:
        """A unit on a pooled connection of ``engine``; ``one_command`` when it runs one command only (see
        :meth:`last_write`)."""
        self.engine = engine
        self.info: dict[str, Any] = {}
        self.one_command = one_command
        self._trips = _one_trip(engine.dialect.name)
        self._pooled = engine.raw_connection()
        self._sessions = sessions
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._only_read = False  # the transaction was begun by begin_with and has run nothing else

    @property
    def dbapi(self) -> Any:
        """The driver's connection (sqlite3 or psycopg), for statements run directly."""
        return self._pooled.dbapi_connection

    @property
    def cursor(self) -> Any:
        """The driver connection's own cursor (see :func:`pooled_cursor`)."""
        return pooled_cursor(self._pooled)

    def begin_with(self, sql: str, params: Sequence[str]) -> list[tuple[Any, ...]]:
        """The rows of the read ``sql``; on PostgreSQL, when no transaction is open, sent with the ``BEGIN``
        in one round trip (see :mod:`c3p.db.one_trip`)."""
        if self._trips is not None and self._trips.idle(self.dbapi):
            found = self._trips.begin_with_read(self.dbapi, self._pooled.info, sql, params)
            self._only_read = True
            return found
        self._only_read = False
        return self.cursor.execute(sql, tuple(params)).fetchall()

    def last_write(self, sql: str, params: Sequence[str | int | None]) -> list[tuple[Any, ...]]:
        """The rows of ``sql``, the command's only write, which must directly follow :meth:`begin_with`.

        In a unit of one command on PostgreSQL whose transaction :meth:`begin_with` began, it is
        sent with the ``COMMIT`` in one round trip: the journal head's lock, which serializes
        every append, is then released without waiting for this client (see
        :mod:`c3p.db.one_trip`). Whatever the command runs afterwards (nothing, or the Python
        path after the server's call changed nothing) is a new transaction, committed at the end.
        """
        if self.one_command and self._only_read and self._session is None and self._connection is None:
            self._only_read = False
            return self._trips.write_and_commit(self.dbapi, self._pooled.info, sql, params)
        self._only_read = False
        return self.cursor.execute(sql, tuple(params)).fetchall()

    @property
    def writes_alone(self) -> bool:
        """Whether :meth:`write_alone` sends its statement with ``BEGIN`` and ``COMMIT`` in one round trip: a unit
        of one command on PostgreSQL, with no transaction open and no ORM session or Core connection made."""
        return (
            self.one_command
            and self._trips is not None
            and self._session is None
            and self._connection is None
            and self._trips.idle(self.dbapi)
        )

    def write_alone(self, sql: str, params: Sequence[str | int | None]) -> list[tuple[Any, ...]]:
        """The rows of ``sql``, the command's only statement; when :attr:`writes_alone`, a transaction of its own
        sent in one round trip (see :mod:`c3p.db.one_trip`), and whatever runs after it a new transaction, as
        after :meth:`last_write`."""
        self._only_read = False
        if self.writes_alone:
            return self._trips.write_alone(self.dbapi, self._pooled.info, sql, params)
        return self.cursor.execute(sql, tuple(params)).fetchall()

    @property
    def connection(self) -> Connection:
        """A Core connection over the same driver connection and transaction, made on first use."""
        if self._connection is None:
            self._connection = Connection(self.engine, self._pooled)
            self._connection.begin()  # the driver's transaction, already open if anything ran
        return self._connection

    @property
    def session(self) -> Session:
        """The ORM session of this transaction, made on first use; it shares :attr:`info`."""
        if self._session is None:
            session = self._sessions(bind=self.connection, join_transaction_mode="control_fully")
            session.info.update(self.info)
            self.info = session.info
            self._session = session
        return self._session

    @property
    def session_made(self) -> bool:
        """Whether anything in this unit needed the ORM (the hot path does not)."""
        return self._session is not None

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()  # flushes, runs the hooks, commits the connection's transaction
        elif self._connection is not None:
            self._connection.commit()
        elif self._trips is None or not self._trips.idle(self.dbapi):  # nothing open after a one-trip write
            self._pooled.commit()

    def rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self._pooled.rollback()

    def close(self) -> None:
        """Return the driver's connection to the pool (through the Core connection, if one was made)."""
        if self._session is not None:
            self._session.close()
        if self._connection is not None:
            self._connection.close()
        else:
            self._pooled.close()

    def __enter__(self) -> CoreUnit:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Commit once when the block ended without an error, or roll back (a failed commit too); then close."""
        try:
            if kind is not None:
                self.rollback()
                return
            try:
                self.commit()
            except BaseException:
                self.rollback()
                raise
        finally:
            self.close()


@dataclass
class Database:
    url: str
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url)
        self.sessions = make_session_factory(self.engine)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose work is committed once at the end, or rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def core_unit(self, *, one_command: bool = False) -> CoreUnit:
        """A :class:`CoreUnit`, to use in a ``with`` block: committed once at its end, or rolled back on error.

        The unit is its own context manager, not a generator's: ``contextlib``'s wrapper costs a
        transfer as many calls as the pool's checkout. ``one_command``: the unit runs one transfer,
        cancellation or retirement and nothing else, so the move may commit with its statement
        (:meth:`CoreUnit.last_write`); never for a batch.
        """
        return CoreUnit(self.engine, self.sessions, one_command=one_command)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; it never commits."""
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def upgrade(self) -> None:
        migrate.upgrade(self.engine)

    def is_initialized(self) -> bool:
        return migrate.is_initialized(self.engine)

    def drop_all(self) -> None:
        """Remove every table, the migration history included (``c3p db reset``)."""
        metadata = MetaData()
        metadata.reflect(self.engine)
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA foreign_keys=OFF"))
            metadata.drop_all(connection)

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()
