"""A batch's store: the ledger state of the batch's accounts, read once, and its writes sent at the end.

Each line of a batch goes through :func:`~c3p.credits.service.transfer` as a lone transfer does
(the same policy, checks and planners), against this store. Its reads are answered from what
the batch locked and read when it began, as earlier lines left it; its writes are kept and sent
by :meth:`BatchStore.flush` as a few grouped statements (blocks, balances, journal entries with
their chain computed here, adjustments, pending transfers). A hundred transfers so cost a
handful of statements instead of a thousand, and the journal gets exactly the entries the
same transfers sent one by one would have appended.

Locks follow the store's one order: every account the batch names (and, when a line goes to
the other registry, the sender registry's pending account, whose balance it changes) in id
order when the batch begins, then the journal head at the first append. Only what a transfer
reads and writes is kept here; the store's other statements go to the database as usual.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from c3p.credits.rules.article6 import Adjustment
from c3p.credits.rules.authorizations import AuthorizedRange
from c3p.credits.rules.blocks import Block
from c3p.credits.rules.transactions import Entry, Leg, Move
from c3p.credits.store import (
    ADJUSTMENT_SQL,
    BLOCKS_INSERT,
    BY_SERIAL,
    FIRST_BY_ID,
    FIRST_BY_IDS,
    FIRST_ROWS_BY_ID,
    FIRST_SOURCE_LIMIT,
    HEAD_SQL,
    ISSUANCE_TERMS,
    JOURNAL_INSERT,
    NEXT_BY_ID,
    NEXT_ROWS_BY_ID,
    PENDING_SQL,
    RANGE_BY_ID,
    RANGE_ROWS_BY_ID,
    AccountRow,
    HeldBlocks,
    ProposalRow,
    SerialRange,
    SourceBlock,
    Store,
    adjustment_rows,
    by_number,
    holding,
    holding_key,
    occurred,
    pending_row,
    sealed_row,
    source_block,
)
from c3p.db.database import CoreUnit

#: blocks read per sender when the batch begins, and read on when those a line takes may not be the first: a
#: line of a few credits takes one or two, and reads on only when it reaches past the last block read (four and
#: four: 1.7 % fewer instructions a batch than six and sixteen, sizes chosen when a line had to know four)
FIRST_READ = READ_MORE = FIRST_SOURCE_LIMIT

Key = tuple[str, int]  # a block's (registry, start serial)
#: an account's edge before anything of it was read: every block comes after it
BEFORE_ALL: Key = ("", 0)


class BatchStore(Store):
    """A :class:`Store` whose transfer reads and writes stay in memory until :meth:`flush`."""

    def __init__(self, work: Session | CoreUnit, numbers: Sequence[str], senders: Sequence[str], external: bool):
        """Lock the accounts ``numbers`` (with the senders' pending accounts when ``external``) and read the
        first blocks of ``senders``."""
        super().__init__(work, write=True)
        self.accounts = self._lock(numbers, sorted({n.partition("-")[0] for n in senders}) if external else [])
        self.numbers = {row.id: number for number, row in self.accounts.items()}
        self.blocks: dict[Key, SourceBlock] = {}  # row id 0: a block this batch made
        self.unbuilt: dict[Key, tuple[Any, ...]] = {}  # rows read that no line has needed yet
        self.read_ids: set[int] = set()
        self.held: dict[int, set[Key]] = defaultdict(set)  # keys of blocks and of unbuilt rows
        self.original: dict[int, Block] = {}
        self.edge: dict[int, Key | None] = {}  # the last block read of an account (all before it are); None: all
        self.deltas: dict[int, int] = defaultdict(int)
        self.entries: list[tuple[Any, ...]] = []
        self.head: tuple[int, str] | None = None
        self.moment: tuple[dt.datetime, str] | None = None  # the batch's time, and as its entries say it
        self.stamp: object = None  # the batch's time as the journal stores it
        self.adjustments: list[tuple[Any, ...]] = []
        self.pendings: list[tuple[Any, ...]] = []
        self.proposals: list[tuple[ProposalRow, int]] = []
        self.cache: dict[tuple[Any, ...], Any] = {}
        self.reads = _JOINED if self.dialect == "postgresql" else _ALONE
        self.terms: dict[int, tuple[Any, ...]] = {}  # SQLite: each issuance's terms, read once
        self._read_first([self.accounts[n].id for n in dict.fromkeys(senders) if n in self.accounts])

    @property
    def moves_on_server(self) -> bool:
        return False  # the batch decides every line here, against the state it holds

    def _lock(self, numbers: Sequence[str], pending_of: list[str]) -> dict[str, AccountRow]:
        wanted = sorted(set(numbers))
        marks, codes = ", ".join(["%s"] * len(wanted)), ", ".join(["%s"] * len(pending_of))
        pending = f" OR (a.kind = 'pending' AND a.registry IN ({codes}))" if pending_of else ""
        found = self.rows(
            f"SELECT {self.ACCOUNT_COLUMNS} FROM credit_accounts a "
            "LEFT JOIN member_organizations o ON o.id = a.holder_id "
            f"WHERE a.number IN ({marks}){pending} ORDER BY a.id FOR UPDATE OF a",
            [*wanted, *pending_of],
        )
        return by_number(found)

    # ---- reading blocks ----
    def _read_first(self, ids: list[int]) -> None:
        """The first blocks of each account ``ids``; an account that has fewer than asked for has no more."""
        for account_id, found in self._first_rows(ids):
            self._keep(found)
            self.edge[account_id] = _edge(found, FIRST_READ)

    def _first_rows(self, ids: list[int]) -> Iterable[tuple[int, list[tuple[Any, ...]]]]:
        """The rows of each account's first blocks. PostgreSQL: one plan for any number of accounts (a lateral
        read of each off the index); a union of many reads cost more to plan than to run. SQLite: one prepared
        read per account, in the process (no round trips); a union of the fifty reads of a batch of 100 was a
        new text to prepare for each number of senders (5 % of a batch's instructions), and cost as much
        once prepared. Either way each account's rows by (registry, serial): SQLite's come in that order."""
        if self.dialect != "postgresql":
            return ((i, self.rows(self.reads.first, (i, FIRST_READ))) for i in ids)
        found: dict[int, list[tuple[Any, ...]]] = {i: [] for i in ids}
        for row in self.rows(FIRST_BY_IDS, (ids, FIRST_READ)):
            found[row[4]].append(row)
        for rows in found.values():
            rows.sort(key=BY_SERIAL)  # the join does not keep the order
        return found.items()

    def _keep(self, found: list[tuple[Any, ...]]) -> None:
        """Blocks read from the database, unless this batch read them before (it then knows them better),
        kept as rows: a block is built when a line needs it (most of those read are never taken)."""
        read, unbuilt, held = self.read_ids, self.unbuilt, self.held  # looked up once: ~300 rows a batch
        for row in found:
            if row[0] not in read:
                read.add(row[0])
                key = (row[1], int(row[2]))
                unbuilt[key] = row
                held[row[4]].add(key)

    def _source(self, key: Key) -> SourceBlock:
        """The block at ``key``, built from its row the first time a line needs it."""
        found = self.blocks.get(key)
        if found is None:
            row = self.unbuilt.pop(key)
            if self.reads is _ALONE:
                row += self._terms(row[5])
            found = self.blocks[key] = source_block(row)
            self.original[found.row_id] = found.block
        return found

    def _terms(self, issuance_id: int) -> tuple[Any, ...]:
        """The terms of an issuance its blocks' rows lack on SQLite, read once per batch (the same in one
        transaction: SQLite's one writer is this batch)."""
        found = self.terms.get(issuance_id)
        if found is None:
            found = self.terms[issuance_id] = tuple(self.rows(ISSUANCE_TERMS, (issuance_id,))[0])
        return found

    def first_source(self, account_id: int, limit: int, credits: int | None = None) -> list[SourceBlock]:
        """The account's first ``limit`` blocks as the batch has left them (with ``credits``, only those that hold
        that many: see :func:`~c3p.credits.store.holding`); more are read from the database while those read may
        not be the first any more (the batch moved some away, or brought later ones)."""
        first = sorted(self.held[account_id])[:limit]  # a few blocks: faster than a heap
        edge = self.edge.get(account_id, BEFORE_ALL)
        while edge is not None and not self._surely_first(first, limit, edge, credits):
            found = sorted(self.rows(self.reads.after, (account_id, *edge, READ_MORE)), key=BY_SERIAL)
            self._keep(found)
            edge = self.edge[account_id] = _edge(found, READ_MORE)
            first = sorted(self.held[account_id])[:limit]  # a few blocks: faster than a heap
        blocks = self.blocks  # most were built by an earlier line
        return holding((blocks.get(key) or self._source(key) for key in first), credits)

    def _surely_first(self, first: list[Key], limit: int, edge: Key, credits: int | None) -> bool:
        """Whether the blocks ``first`` known of an account are its first ones, as far as a transfer of
        ``credits`` takes them: all its blocks up to ``edge`` are known, so those up to the one that with those
        before it holds ``credits`` (else ``limit`` of them) must not be beyond it. A line that finds what it
        takes before the edge reads no more, however few blocks are known after those."""
        for key in first:
            if key > edge:
                return False
            if credits is not None:
                credits -= self._credits_at(key)
                if credits <= 0:
                    return True
        return len(first) == limit

    def _credits_at(self, key: Key) -> int:
        built = self.blocks.get(key)
        if built is not None:
            return built.block.credits
        row = self.unbuilt[key]
        return int(row[3]) - int(row[2]) + 1

    def _in_range(self, account_id: int, wanted: SerialRange) -> list[SourceBlock]:
        if self.edge.get(account_id, BEFORE_ALL) is not None:
            self._keep(self.rows(self.reads.in_range, (account_id, wanted.registry, wanted.start, wanted.end)))
        before_end = [
            key for key in sorted(self.held[account_id]) if key[0] == wanted.registry and key[1] <= wanted.end
        ]
        return [s for s in map(self._source, before_end) if s.block.end >= wanted.start]

    def lock_with_source(
        self, numbers: Sequence[str], sender: str, serials: SerialRange | None, credits: int | None = None
    ) -> tuple[dict[str, AccountRow], list[SourceBlock]]:
        """The accounts (locked when the batch began), and the sender's blocks as earlier lines left them."""
        accounts = {n: self.accounts[n] for n in numbers if n in self.accounts}
        row = accounts.get(sender)
        if row is None:
            return accounts, []
        if serials is None:
            return accounts, self.first_source(row.id, FIRST_SOURCE_LIMIT, credits)
        return accounts, self._in_range(row.id, serials)

    def _cached(self, name: str, *args: Any) -> Any:
        key = (name, *args)
        try:
            return self.cache[key]  # asked for by every line: found once, not checked and then found
        except KeyError:
            found = self.cache[key] = getattr(super(), name)(*args)
            return found

    def system_account(self, registry: str, kind: str) -> int:
        return int(self._cached("system_account", registry, kind))

    def approval_threshold(self, registry: str) -> int | None:
        found: int | None = self._cached("approval_threshold", registry)
        return found

    def authorizations(self, issuance_ids: Any) -> dict[int, list[AuthorizedRange]]:
        """The records of the issuances (they do not change in a transfer), each read once per batch."""
        wanted = sorted(set(issuance_ids))
        missing = [i for i in wanted if ("authorizations", i) not in self.cache]
        if missing:
            for issuance, records in super().authorizations(missing).items():
                self.cache[("authorizations", issuance)] = records
        return {i: self.cache[("authorizations", i)] for i in wanted}

    # ---- writing, kept until flush ----
    def apply_moves(self, moves: Sequence[Move], rows: HeldBlocks) -> None:
        """Carve each moved range out of the block holding it, here."""
        blocks, keys = self.blocks, self.held  # looked up once: a line's moves make two or three pieces each
        for move in moves:
            key = holding_key(rows, move)
            held = blocks.pop(key)
            keys[held.block.account_id].discard(key)
            for piece in held.block.carve(move.start, move.end, move.to_account, move.first_transfer):
                at = (piece.registry, piece.start)
                blocks[at] = SourceBlock(
                    piece, held.row_id if at == key else 0, held.authorized, held.host, held.project, held.period
                )
                keys[piece.account_id].add(at)

    def add_to_balances(self, legs: Sequence[Leg]) -> None:
        """Kept as deltas for the flush, and in the accounts' rows as later lines see them (each row built
        directly: ``_replace`` costs two calls more, 1 % of a batch)."""
        for leg in legs:
            self.deltas[leg.account_id] += leg.credits
            number = self.numbers.get(leg.account_id)
            if number is not None:
                a = self.accounts[number]
                balance = a.balance + leg.credits
                self.accounts[number] = AccountRow(
                    a.id, a.registry, number, a.kind, a.status, balance, a.holder_id, a.holder, a.name
                )

    def clock(self) -> tuple[dt.datetime, str]:
        """The batch's one time, for each of its entries: they commit together (written out once)."""
        if self.moment is None:
            self.moment = super().clock()
            self.stamp = occurred(self.moment[0], self.dialect)
        return self.moment

    def next_seq(self) -> int:
        """Known as an entry is made (no copy to number it): the chain's head is locked at the batch's first
        entry and written once, by :meth:`flush`."""
        if self.head is None:
            seq, tip = self.rows("SELECT seq, hash FROM credit_journal_head WHERE id = 1 FOR UPDATE")[0]
            self.head = (int(seq), str(tip))
        return self.head[0] + 1

    def append_entry(self, entry: Entry, now: dt.datetime) -> Entry:
        """Seal ``entry`` after the last one, as :meth:`Store.append` does."""
        assert self.head is not None and self.moment is not None  # entry was made by append
        entry, row = sealed_row(entry, self.head[0] + 1, self.head[1], self.stamp)
        self.entries.append(row)
        self.head = (entry.seq, row[-1])
        return entry

    def add_adjustments(self, adjustments: Sequence[Adjustment], journal_seq: int) -> None:
        self.adjustments += adjustment_rows(adjustments, journal_seq)

    def add_pending(self, entry: Entry, from_account_id: int, to_account_id: int) -> None:
        self.pendings.append(pending_row(entry, from_account_id, to_account_id))

    def add_proposal(self, proposal: ProposalRow, journal_seq: int) -> None:
        self.proposals.append((proposal, journal_seq))

    def flush(self) -> None:
        """Send the batch's writes: blocks, balances, the journal entries and head, then what refers to them."""
        self._flush_blocks()
        self._write(_BALANCES, [(credits, account) for account, credits in sorted(self.deltas.items()) if credits])
        self._write(_JOURNAL, self.entries)
        if self.entries:
            last = self.entries[-1]  # (seq, key, kind, occurred_at, credits, entry, previous_hash, hash)
            self.run(HEAD_SQL, (last[0], last[6], last[7]))
        self.many(ADJUSTMENT_SQL, self.adjustments)
        self.many(PENDING_SQL, self.pendings)
        for proposal, seq in self.proposals:
            super().add_proposal(proposal, seq)

    def _flush_blocks(self) -> None:
        """Each block read keeps its row (its start never changes); the pieces carved off are new rows."""
        updates, inserts = [], []
        for source in self.blocks.values():  # no starred unpacking: a list made per block
            b, row_id = source.block, source.row_id
            if not row_id:
                inserts.append((b.registry, b.start, b.end, b.account_id, b.issuance_id, b.first_transferred))
            elif b is not self.original[row_id] and b != self.original[row_id]:  # most are untouched
                updates.append((b.end, b.account_id, b.first_transferred, row_id))
        self._write(_BLOCK_UPDATES, updates)
        self._write(_BLOCK_INSERTS, inserts)

    def _write(self, grouped: _Grouped, rows: list[tuple[Any, ...]]) -> None:
        """The statement for each of ``rows``: on PostgreSQL one statement over their columns as arrays (one
        round trip, one plan), on SQLite (in the process, no round trips) one statement each."""
        if not rows:
            return
        if self.dialect != "postgresql":
            self.many(grouped.each, rows)
            return
        self.cursor.execute(grouped.unnest, [list(column) for column in zip(*rows, strict=True)])


class _Grouped(NamedTuple):
    each: str  # the statement of one row
    unnest: str  # PostgreSQL's statement of many, each parameter an array of one column, sent in binary (%b):
    # as text, every quote of the journal's JSON would be escaped in Python


_BLOCK_UPDATES = _Grouped(
    "UPDATE credit_blocks SET end_serial = %s, account_id = %s, first_transferred = %s WHERE id = %s",
    "UPDATE credit_blocks b SET end_serial = v.e, account_id = v.a, first_transferred = v.f "
    "FROM unnest(%b::bigint[], %b::integer[], %b::boolean[], %b::integer[]) AS v(e, a, f, id) WHERE b.id = v.id",
)
_BLOCK_INSERTS = _Grouped(
    BLOCKS_INSERT + "(%s, %s, %s, %s, %s, %s)",
    BLOCKS_INSERT.removesuffix("VALUES ")
    + "SELECT * FROM unnest(%b::text[], %b::bigint[], %b::bigint[], %b::integer[], %b::integer[], %b::boolean[])",
)
_BALANCES = _Grouped(
    "UPDATE credit_accounts SET balance = balance + %s WHERE id = %s",
    "UPDATE credit_accounts a SET balance = a.balance + v.d FROM unnest(%b::bigint[], %b::integer[]) AS v(d, id) "
    "WHERE a.id = v.id",
)
_JOURNAL = _Grouped(
    JOURNAL_INSERT + "(%s, %s, %s, %s, %s, %s, %s, %s)",
    JOURNAL_INSERT.removesuffix("VALUES ") + "SELECT * FROM unnest(%b::integer[], %b::text[], %b::text[], "
    "%b::timestamptz[], %b::bigint[], %b::text[], %b::text[], %b::text[])",
)


class _Reads(NamedTuple):
    """The reads of an account's blocks: its first ones, those after a block, those in a serial range."""

    first: str
    after: str
    in_range: str


#: PostgreSQL reads each block with its issuance's terms (one snapshot per statement: a concurrent change of the
#: issuance is never seen half); SQLite reads the blocks alone (four columns fewer on each of the ~400 rows a
#: batch of 100 reads) and each issuance's terms once
_JOINED = _Reads(FIRST_BY_ID, NEXT_BY_ID, RANGE_BY_ID)
_ALONE = _Reads(FIRST_ROWS_BY_ID, NEXT_ROWS_BY_ID, RANGE_ROWS_BY_ID)


def _edge(found: list[tuple[Any, ...]], asked: int) -> Key | None:
    """The last block read of an account, when the read found all ``asked`` (more may follow it); None when it
    found fewer (the account has no more)."""
    return (found[-1][1], int(found[-1][2])) if len(found) == asked else None
