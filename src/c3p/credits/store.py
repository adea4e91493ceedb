"""The ledger's statements: locking, serial blocks and the journal, on both backends.

The hot path (a transfer is about ten statements) runs on the session's own DB-API
connection with statements written once in ``%s`` style and adapted per dialect: SQLite
gets ``?`` placeholders and no ``FOR UPDATE``. Concurrency: on SQLite a writing unit of work
starts with ``BEGIN IMMEDIATE`` (:func:`begin_write`), so writers queue for the one write
lock; on PostgreSQL every transaction locks the rows it changes with ``SELECT … FOR UPDATE``
in one order (registries by code, then accounts by id, then the journal head), so two
transactions never wait on each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, cast

from sqlalchemy.orm import Session

from c3p.credits.rules.blocks import Block
from c3p.credits.rules.journal import canonical, canonical_without_seq, entry_hash
from c3p.credits.rules.transactions import Entry, Leg, Move, TransactionKind

_FOR_UPDATE = re.compile(r" FOR UPDATE( OF \w+)?")


@lru_cache(maxsize=512)
def _adapt(sql: str, dialect: str) -> str:
    if dialect == "sqlite":
        return _FOR_UPDATE.sub("", sql.replace("%s", "?"))
    return sql


class Store:
    """The statements of one unit of work, on its session's connection."""

    def __init__(self, session: Session, *, write: bool = False) -> None:
        """The statements of ``session``'s transaction; ``write`` takes SQLite's write lock first."""
        self.session = session
        connection = session.connection()
        self.dialect = connection.dialect.name
        self.dbapi: Any = cast(Any, connection.connection.dbapi_connection)  # sqlite3 or psycopg, used directly
        self._queued: list[tuple[str, tuple[Any, ...]]] = []
        if write and self.dialect == "sqlite" and not self.dbapi.in_transaction:
            self.dbapi.execute("BEGIN IMMEDIATE")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query (``SELECT`` or ``… RETURNING``); writes without rows go through :meth:`run`."""
        # both sqlite3 and psycopg connections execute directly (a cursor per call, closed with it);
        # no look at cursor.description, which psycopg builds column by column
        return self.dbapi.execute(_adapt(sql, self.dialect), tuple(params)).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.dbapi.execute(_adapt(sql, self.dialect), tuple(params)).rowcount)

    def queue(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write sent with the journal append (on PostgreSQL in the same statement), or the next :meth:`multi`."""
        self._queued.append((sql, tuple(params)))

    def multi(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """The queued writes, then ``statements``, in order; the rows of each of ``statements``."""
        writes, self._queued = self._queued, []
        for sql, params in writes:
            self.run(sql, params)
        return [self.rows(sql, params) for sql, params in statements]

    def many(self, sql: str, params: list[Sequence[Any]]) -> None:
        if params:
            cursor = self.dbapi.cursor()
            cursor.executemany(_adapt(sql, self.dialect), [tuple(p) for p in params])
            cursor.close()

    # ---- accounts ----
    ACCOUNT_COLUMNS = (
        "a.id, a.registry, a.number, a.kind, a.status, a.balance, a.holder_id, COALESCE(o.slug, ''), a.name"
    )

    def lock_accounts(self, numbers: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """The accounts called ``numbers``, locked in id order; missing ones are simply absent."""
        return {row[2]: row for row in self.rows(*self.lock_accounts_sql(numbers))}

    def lock_accounts_sql(self, numbers: Sequence[str]) -> tuple[str, list[Any]]:
        marks = ", ".join(["%s"] * len(numbers))
        return (
            f"SELECT {self.ACCOUNT_COLUMNS} FROM credit_accounts a "
            f"LEFT JOIN member_organizations o ON o.id = a.holder_id "
            f"WHERE a.number IN ({marks}) ORDER BY a.id FOR UPDATE OF a",
            list(numbers),
        )

    def system_account(self, registry: str, kind: str) -> int:
        found = self.rows("SELECT id FROM credit_accounts WHERE registry = %s AND kind = %s", (registry, kind))
        return int(found[0][0])

    def add_to_balances(self, legs: Sequence[Leg]) -> None:
        """Apply the legs to the balances (the CHECK constraint refuses any negative holding)."""
        if len(legs) == 2:
            (a, x), (b, y) = (legs[0].account_id, legs[0].credits), (legs[1].account_id, legs[1].credits)
            self.queue(
                "UPDATE credit_accounts SET balance = balance + CASE WHEN id = %s THEN %s ELSE %s END "
                "WHERE id IN (%s, %s)",
                (a, x, y, a, b),
            )
            return
        for leg in legs:
            self.queue("UPDATE credit_accounts SET balance = balance + %s WHERE id = %s", (leg.credits, leg.account_id))

    # ---- blocks ----
    BLOCK_COLUMNS = "b.id, b.registry, b.start_serial, b.end_serial, b.account_id, b.issuance_id, b.first_transferred"

    def first_blocks(self, account_id: int, limit: int) -> list[tuple[Block, int]]:
        """The account's blocks, lowest serials first, with their row ids."""
        found = self.rows(
            f"SELECT {self.BLOCK_COLUMNS} FROM credit_blocks b WHERE b.account_id = %s "
            "ORDER BY b.registry, b.start_serial LIMIT %s",
            (account_id, limit),
        )
        return [(_block(row), row[0]) for row in found]

    def blocks_in_range(self, account_id: int, registry: str, start: int, end: int) -> list[tuple[Block, int]]:
        found = self.rows(
            f"SELECT {self.BLOCK_COLUMNS} FROM credit_blocks b WHERE b.account_id = %s AND b.registry = %s "
            "AND b.end_serial >= %s AND b.start_serial <= %s ORDER BY b.start_serial",
            (account_id, registry, start, end),
        )
        return [(_block(row), row[0]) for row in found]

    def block_at(self, registry: str, unit: int) -> tuple[Any, ...] | None:
        """The block holding ``unit``: one index seek on (registry, start_serial)."""
        found = self.rows(
            f"SELECT {self.BLOCK_COLUMNS} FROM credit_blocks b WHERE b.registry = %s AND b.start_serial <= %s "
            "ORDER BY b.start_serial DESC LIMIT 1",
            (registry, unit),
        )
        return found[0] if found and found[0][3] >= unit else None

    def apply_moves(self, moves: Sequence[Move], rows: dict[tuple[str, int], tuple[Block, int]]) -> None:
        """Carve each moved range out of its block; ``rows`` maps (registry, start) of a block to (block, row id).

        The planners move at most one range out of any block per transaction.
        """
        inserts: list[tuple[Any, ...]] = []
        for move in moves:
            if move.from_account is None:
                inserts.append(
                    (move.registry, move.start, move.end, move.to_account, move.issuance_id, move.first_transfer)
                )
                continue
            block, row_id = _containing(rows, move)
            head, *rest = block.carve(move.start, move.end, move.to_account, move.first_transfer)
            if head.start == block.start and head.account_id == block.account_id and rest:
                # the remainder stays: only its end changes (no indexed column, a HOT update on PostgreSQL)
                self.queue("UPDATE credit_blocks SET end_serial = %s WHERE id = %s", (head.end, row_id))
            elif not rest:
                self.queue(
                    "UPDATE credit_blocks SET account_id = %s, first_transferred = %s WHERE id = %s",
                    (head.account_id, head.first_transferred, row_id),
                )
            else:
                self.queue(
                    "UPDATE credit_blocks SET start_serial = %s, end_serial = %s, account_id = %s, "
                    "first_transferred = %s WHERE id = %s",
                    (head.start, head.end, head.account_id, head.first_transferred, row_id),
                )
            inserts += [(p.registry, p.start, p.end, p.account_id, p.issuance_id, p.first_transferred) for p in rest]
        for chunk in range(0, len(inserts), 1000):
            batch = inserts[chunk : chunk + 1000]
            self.queue(
                "INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, "
                "first_transferred) VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(batch)),
                tuple(value for row in batch for value in row),
            )

    # ---- journal ----
    def append(
        self,
        kind: TransactionKind,
        actor: str,
        legs: tuple[Leg, ...] = (),
        moves: tuple[Move, ...] = (),
        details: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Entry:
        """Seal and append one journal entry after the last one, with the queued writes.

        The head row holds the chain's tip; updating it takes its lock, held until commit, so
        appends are serialized. On PostgreSQL one statement does it all: the queued writes as
        data-modifying CTEs, then ``UPDATE credit_journal_head … RETURNING`` (which, after any
        wait for the lock, works on the row's newest committed version) numbers and seals the
        entry with sha256 in the database, and the ``INSERT`` appends it. The bytes hashed are
        those of :func:`~c3p.credits.rules.journal.entry_hash`: the previous hash, then the canonical
        JSON, whose last key is ``seq``. On SQLite the write lock taken by ``BEGIN IMMEDIATE``
        already makes this transaction the only writer, and Python seals the entry.
        """
        now = dt.datetime.now(dt.UTC)
        entry = Entry(0, key or uuid.uuid4().hex, kind, now.isoformat(), actor, legs, moves, details or {})
        writes, self._queued = self._queued, []
        if self.dialect == "sqlite":
            for sql, params in writes:
                self.run(sql, params)
            seq, previous = self.rows("SELECT seq, hash FROM credit_journal_head WHERE id = 1")[0]
            entry = replace(entry, seq=seq + 1)
            text = canonical(entry.to_json())
            sealed = entry_hash(previous, text)
            stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
            self.run(_INSERT_SQL, (entry.seq, entry.key, str(kind), stamp, entry.credits, text, previous, sealed))
            self.run(
                "UPDATE credit_journal_head SET seq = %s, previous_hash = %s, hash = %s WHERE id = 1",
                (entry.seq, previous, sealed),
            )
            return entry
        prefix = canonical_without_seq(entry.to_json())
        ctes = "".join(f"w{i} AS ({sql}), " for i, (sql, _p) in enumerate(writes))
        params = tuple(value for _sql, p in writes for value in p)
        found = self.rows(
            f"WITH {ctes}{_APPEND_SQL}", (*params, prefix, entry.key, str(kind), now, entry.credits, prefix)
        )
        return replace(entry, seq=int(found[0][0]))


_INSERT_SQL = (
    "INSERT INTO credit_journal (seq, key, kind, occurred_at, credits, entry, previous_hash, hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
# PostgreSQL's append, after the queued writes' CTEs (their order does not matter: they see one
# snapshot and never touch the same row twice, since the planners move at most one range out
# of a block and the balances change in one UPDATE per account)
_APPEND_SQL = (
    "head AS (UPDATE credit_journal_head SET seq = seq + 1, previous_hash = hash, "
    "hash = encode(sha256(convert_to(hash || %s::text || (seq + 1)::text || '}', 'UTF8')), 'hex') "
    "WHERE id = 1 RETURNING seq, previous_hash, hash) "
    "INSERT INTO credit_journal (seq, key, kind, occurred_at, credits, entry, previous_hash, hash) "
    "SELECT seq, %s, %s, %s, %s, %s::text || seq::text || '}', previous_hash, hash FROM head "
    "RETURNING seq"
)


def _block(row: Sequence[Any]) -> Block:
    return Block(row[1], int(row[2]), int(row[3]), int(row[4]), int(row[5]), bool(row[6]))


def _containing(rows: dict[tuple[str, int], tuple[Block, int]], move: Move) -> tuple[Block, int]:
    for block, row_id in rows.values():
        if block.registry == move.registry and block.contains(move.start, move.end):
            return block, row_id
    raise LookupError(f"no block holds {move.registry} {move.start}-{move.end}")  # a planner bug, never input


def begin_write(session: Session) -> None:
    """Take SQLite's write lock now (``BEGIN IMMEDIATE``) so that writers queue instead of failing.

    PostgreSQL needs nothing here: its transactions lock the rows they change.
    """
    Store(session, write=True)
