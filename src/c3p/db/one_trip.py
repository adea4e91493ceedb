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
from collections.abc import Sequence
from typing import Any

from psycopg import Connection, errors, pq
from psycopg.adapt import Transformer

_PREPARED = "c3p.prepared"
_TRANSFORMER = "c3p.transformer"
_PLACEHOLDER = re.compile(r"%s")

#: a statement's parameters: text, numbers or NULL
Params = Sequence[str | int | None]


def idle(connection: Connection[Any]) -> bool:
    """Whether no transaction is open on ``connection``."""
    return connection.pgconn.transaction_status == pq.TransactionStatus.IDLE


def numbered(sql: str) -> bytes:
    """``sql`` with its ``%s`` placeholders numbered as PostgreSQL's own (``$1``, ``$2``, …)."""
    count = iter(range(1, sql.count("%s") + 1))
    return _PLACEHOLDER.sub(lambda _match: f"${next(count)}", sql).encode()


def begin_with_read(
    connection: Connection[Any], info: dict[str, Any], sql: str, params: Params
) -> list[tuple[Any, ...]]:
    """Begin a transaction on the idle ``connection`` and run the read ``sql`` in one round trip; its rows.

    ``info`` is the pooled connection's: it remembers which statements are prepared on it.
    """
    return _rows(connection, info, sql, params, begin=True, commit=False)


def write_and_commit(
    connection: Connection[Any], info: dict[str, Any], sql: str, params: Params
) -> list[tuple[Any, ...]]:
    """Run ``sql`` and commit in one round trip, in a transaction that has only read so far; its rows.

    A failing ``sql`` (or ``COMMIT``) raises its error and leaves nothing committed.
    """
    return _rows(connection, info, sql, params, begin=False, commit=True)


def write_alone(connection: Connection[Any], info: dict[str, Any], sql: str, params: Params) -> list[tuple[Any, ...]]:
    """Run ``sql`` as a transaction of its own on the idle ``connection``, in one round trip; its rows.

    A failing ``sql`` (or ``COMMIT``) raises its error and leaves nothing committed.
    """
    return _rows(connection, info, sql, params, begin=True, commit=True)


def _rows(
    connection: Connection[Any], info: dict[str, Any], sql: str, params: Params, begin: bool, commit: bool
) -> list[Any]:
    prepared: set[str] = info.setdefault(_PREPARED, set())
    name = f"c3p_{abs(hash(sql)):x}"
    values = [None if value is None else str(value).encode() for value in params]
    try:
        result = _pipeline(connection, prepared, name, None if name in prepared else sql, values, begin, commit)
    except errors.InvalidSqlStatementName:
        connection.rollback()
        prepared.clear()  # every one was deallocated
        result = _pipeline(connection, prepared, name, sql, values, True, commit)
    transformer = info.get(_TRANSFORMER)
    if transformer is None:
        transformer = info[_TRANSFORMER] = Transformer(connection)
    transformer.set_pgresult(result)
    return transformer.load_rows(0, result.ntuples, tuple)


def _pipeline(
    connection: Connection[Any],
    prepared: set[str],
    name: str,
    sql: str | None,
    values: list[bytes | None],
    begin: bool,
    commit: bool,
) -> pq.abc.PGresult:
    """``BEGIN``, ``PREPARE`` (when ``sql`` is given), the prepared statement, ``COMMIT`` (each when asked), sent at
    once; the statement's result.

    A ``PREPARE`` that succeeded stays in force when the statement after it fails: ``prepared`` gets its name as
    soon as its ``PREPARE`` has succeeded, not after the statement (psycopg's own rollback may still deallocate
    it; see above).
    """
    pgconn, statement = connection.pgconn, name.encode()
    pgconn.enter_pipeline_mode()
    try:
        if begin:
            pgconn.send_query_params(b"BEGIN", None)
        if sql is not None:
            pgconn.send_prepare(statement, numbered(sql))
        pgconn.send_query_prepared(statement, values)
        if commit:
            pgconn.send_query_params(b"COMMIT", None)
        pgconn.pipeline_sync()
        results = _until_sync(pgconn)
        if sql is not None and results[begin].status == pq.ExecStatus.COMMAND_OK:
            prepared.add(name)
    finally:
        if pgconn.status != pq.ConnStatus.BAD:  # a broken connection is dropped by the pool as it is
            pgconn.exit_pipeline_mode()
    for result in results:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=connection.info.encoding)
    return results[-2] if commit else results[-1]


def _until_sync(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """The results of the pipeline's statements, read up to its sync point."""
    results = []
    while (result := pgconn.get_result()) is None or result.status != pq.ExecStatus.PIPELINE_SYNC:
        if result is not None:
            results.append(result)
        elif pgconn.status == pq.ConnStatus.BAD:
            raise errors.OperationalError(pgconn.get_error_message())
    return results
