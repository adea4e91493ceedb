"""PostgreSQL: a transaction's ``BEGIN`` with its first read, its last write with its ``COMMIT``, or both.

psycopg sends ``BEGIN`` before a transaction's first statement and ``COMMIT`` after its last,
each a round trip of its own: a transfer was four (``BEGIN``, the policy's read, the move,
``COMMIT``). psycopg's pipeline mode sends statements together, but its bookkeeping costs more
client CPU than the round trips it saves (160 µs against 100 µs for ``BEGIN``, a read, a
statement and ``COMMIT``); driven here directly through libpq's pipeline, the same cost 50 µs.
Each statement is prepared once per connection; psycopg's own statements, transaction state
and errors are untouched (libpq tells psycopg whether a transaction is open).

A write whose facts are already known needs no read: :func:`write_alone` sends ``BEGIN``, the
write and ``COMMIT`` at once, a transaction in one round trip.

psycopg deallocates every prepared statement when it rolls a transaction back, so a statement
may be missing on a connection that had it: every function here runs only where the transaction
has read and not written (or is not begun), so it rolls it back and sends it again, with
``BEGIN`` and the statement prepared anew.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from psycopg import Connection, errors, pq
from psycopg.adapt import Transformer

_PREPARED = "c3p.prepared"
_TRANSFORMER = "c3p.transformer"
_PLACEHOLDER = re.compile(r"%s")

#: a statement's parameters: text, numbers or NULL
Params = Sequence[str | int | None]
#: a statement's rows
Rows = list[tuple[Any, ...]]
T = TypeVar("T")


def idle(connection: Connection[Any]) -> bool:
    """Whether no transaction is open on ``connection``."""
    return connection.pgconn.transaction_status == pq.TransactionStatus.IDLE


def numbered(sql: str) -> bytes:
    """``sql`` with its ``%s`` placeholders numbered as PostgreSQL's own (``$1``, ``$2``, …)."""
    count = iter(range(1, sql.count("%s") + 1))
    return _PLACEHOLDER.sub(lambda _match: f"${next(count)}", sql).encode()


def begin_with_read(connection: Connection[Any], info: dict[str, Any], sql: str, params: Params) -> Rows:
    """Begin a transaction on the idle ``connection`` and run the read ``sql`` in one round trip; its rows.

    ``info`` is the pooled connection's: it remembers which statements are prepared on it.
    """
    return _rows(connection, info, sql, params, begin=True, commit=False, then=_as_read)


def write_and_commit(
    connection: Connection[Any], info: dict[str, Any], sql: str, params: Params, then: Callable[[Rows], T]
) -> T:
    """``then`` of the rows of ``sql``, run and committed in one round trip in a transaction that has only read so
    far (see :func:`write_alone`)."""
    return _rows(connection, info, sql, params, begin=False, commit=True, then=then)


def write_alone(
    connection: Connection[Any], info: dict[str, Any], sql: str, params: Params, then: Callable[[Rows], T]
) -> T:
    """``then`` of the rows of ``sql``, run as a transaction of its own on the idle ``connection`` in one round trip.

    The server sends the statement's rows before it commits, and ``then`` runs on them while
    the ``COMMIT`` waits for the disk: a client that would otherwise wait does its next work
    then. Its value is returned once the ``COMMIT`` has succeeded. A failing ``sql`` (or
    ``COMMIT``) raises its error and leaves nothing committed.
    """
    return _rows(connection, info, sql, params, begin=True, commit=True, then=then)


def _as_read(rows: Rows) -> Rows:
    return rows


def _rows(
    connection: Connection[Any],
    info: dict[str, Any],
    sql: str,
    params: Params,
    begin: bool,
    commit: bool,
    then: Callable[[Rows], T],
) -> T:
    prepared: set[str] = info.setdefault(_PREPARED, set())
    name = f"c3p_{abs(hash(sql)):x}"
    values = [None if value is None else str(value).encode() for value in params]

    def loaded(result: pq.abc.PGresult) -> T:
        transformer = info.get(_TRANSFORMER)
        if transformer is None:
            transformer = info[_TRANSFORMER] = Transformer(connection)
        transformer.set_pgresult(result)
        return then(transformer.load_rows(0, result.ntuples, tuple))

    try:
        return _pipeline(connection, prepared, name, None if name in prepared else sql, values, begin, commit, loaded)
    except errors.InvalidSqlStatementName:
        connection.rollback()
        prepared.clear()  # every one was deallocated
        return _pipeline(connection, prepared, name, sql, values, True, commit, loaded)


def _pipeline(
    connection: Connection[Any],
    prepared: set[str],
    name: str,
    sql: str | None,
    values: list[bytes | None],
    begin: bool,
    commit: bool,
    loaded: Callable[[pq.abc.PGresult], T],
) -> T:
    """``BEGIN``, ``PREPARE`` (when ``sql`` is given), the prepared statement, ``COMMIT`` (each when asked), sent at
    once; ``loaded`` of the statement's result, made before the ``COMMIT``'s result arrives.

    A statement prepared stays prepared whatever follows (a failure, a rollback): ``prepared`` gets its name as
    soon as its ``PREPARE`` has succeeded.
    """
    pgconn, statement = connection.pgconn, name.encode()
    pgconn.enter_pipeline_mode()
    synced = False
    try:
        if begin:
            pgconn.send_query_params(b"BEGIN", None)
        if sql is not None:
            pgconn.send_prepare(statement, numbered(sql))
        pgconn.send_query_prepared(statement, values)
        if commit:
            pgconn.send_flush_request()  # the statement's rows come back before the COMMIT is done
            pgconn.send_query_params(b"COMMIT", None)
        pgconn.pipeline_sync()
        ahead = _results(pgconn, begin + (sql is not None) + 1)
        if sql is not None and ahead[begin].status == pq.ExecStatus.COMMAND_OK:
            prepared.add(name)
        value = None if _failure(ahead) else loaded(ahead[-1])
        rest = _results(pgconn)
        synced = True
    finally:
        if pgconn.status != pq.ConnStatus.BAD:  # a broken connection is dropped by the pool as it is
            if not synced:
                _results(pgconn)
            pgconn.exit_pipeline_mode()
    failure = _failure(ahead + rest)
    if failure is not None:
        raise errors.error_from_result(failure, encoding=connection.info.encoding)
    return value  # type: ignore[return-value]


def _failure(results: list[pq.abc.PGresult]) -> pq.abc.PGresult | None:
    """The first result that failed."""
    return next((result for result in results if result.status == pq.ExecStatus.FATAL_ERROR), None)


def _results(pgconn: pq.abc.PGconn, count: int | None = None) -> list[pq.abc.PGresult]:
    """The next ``count`` results of the pipeline's statements, or (with no ``count``) every result up to its sync
    point."""
    results: list[pq.abc.PGresult] = []
    while len(results) != count:
        result = pgconn.get_result()
        if result is not None:
            if result.status == pq.ExecStatus.PIPELINE_SYNC:
                break
            results.append(result)
        elif pgconn.status == pq.ConnStatus.BAD:
            raise errors.OperationalError(pgconn.get_error_message())
    return results
