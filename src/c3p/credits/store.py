"""The ledger's store: what the credit service reads and writes, and its SQL on both backends.

:class:`LedgerStore` is the interface the service depends on (lock accounts, source blocks,
apply moves, update balances, append to the journal, record issuances and pending transfers);
:class:`Store` is its SQL implementation, and the property tests drive the same service over an
in-memory one. Rows handed to the service are named tuples, never positional rows.

The hot path (a transfer is about ten statements) runs on the session's own DB-API
connection with statements written once in ``%s`` style and adapted per dialect: SQLite
gets ``?`` placeholders and no ``FOR UPDATE``. Concurrency: on SQLite a writing unit of work
starts with ``BEGIN IMMEDIATE`` (:func:`begin_write`), so writers queue for the one write
lock; on PostgreSQL every transaction locks the rows it changes with ``SELECT … FOR UPDATE``
in one order (registries by code, then accounts by id, then issuances, then blocks, then the
journal head), so two transactions never wait on each other in a cycle. Whatever changes blocks
locks the accounts holding them first: a transfer its two accounts, an authorization every
holder of the credits it splits or marks (see ``service._lock_holders``), so a transfer's block
reads, made after its account locks, always see the authorization's changes whole.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from c3p.accounts.tables import MemberOrganization
from c3p.credits import known_parties
from c3p.credits.facts import CHECKPOINT_DUE
from c3p.credits.rules.article6 import Adjustment
from c3p.credits.rules.authorizations import AuthorizedRange, FirstTransfer, Purpose
from c3p.credits.rules.blocks import Block
from c3p.credits.rules.journal import canonical, canonical_before_legs, canonical_without_seq, entry_hash
from c3p.credits.rules.reports import FindingKind, FindingStatus, Party
from c3p.credits.rules.serials import SerialFormat
from c3p.credits.rules.transactions import Entry, Leg, Move, TransactionKind
from c3p.credits.tables import (
    CreditAccount,
    CreditAuthorization,
    CreditIssuance,
    CreditRegistry,
    MonitoringReport,
    PendingTransfer,
    TransferProposal,
    VerificationFinding,
)
from c3p.db.database import CoreUnit, pooled_cursor
from c3p.program.tables import Country
from c3p.workflow.tables import JcmProject

if TYPE_CHECKING:
    from c3p.credits.schemas import IssuanceView

_FOR_UPDATE = re.compile(r" FOR UPDATE( OF \w+)?")


@lru_cache(maxsize=512)
def _adapt(sql: str, dialect: str) -> str:
    if dialect == "sqlite":
        return _FOR_UPDATE.sub("", sql.replace("%s", "?"))
    return sql


class AccountRow(NamedTuple):
    """A credit account as the service sees it (``holder`` is the holding organization's slug, or "")."""

    id: int
    registry: str
    number: str
    kind: str
    status: str
    balance: int
    holder_id: int | None
    holder: str
    name: str


class OpenedAccount(NamedTuple):
    id: int
    opened_at: dt.datetime | None


class Organization(NamedTuple):
    id: int
    slug: str
    name_en: str


class SourceBlock(NamedTuple):
    """One of the sender's blocks, with the terms of its issuance that a transfer needs."""

    block: Block
    row_id: int
    authorized: bool
    host: str
    project: str
    period: int


class ReportRow(NamedTuple):
    """A monitoring report as issuance reads it: its JCM project, period, verification and open CARs."""

    id: int
    project: str
    host_country: str
    period_number: int
    vintage_year: int
    status: str
    verified_tco2: int
    serial_code: str = ""
    jcm_project_id: int | None = None
    verifier: Party = Party(None, None)
    open_corrective_actions: int = 0


class IssuanceRow(NamedTuple):
    id: int
    request_sha256: str
    host_country: str
    authorization: str


class IssuanceTerms(NamedTuple):
    """What Article 6.2 needs to know of an issuance: authorized or not, and its host country."""

    authorized: bool
    host: str


class NewIssuance(NamedTuple):
    notification_ref: str
    request_sha256: str
    report: ReportRow
    credits: int
    allocation: list[dict[str, Any]]
    model_project: bool
    authorized: bool


class PendingRow(NamedTuple):
    key: str
    from_account_id: int
    to_account_id: int
    status: str
    moves: tuple[Move, ...]
    proposed_seq: int


class ProposalRow(NamedTuple):
    """A transfer waiting for a second representative's approval."""

    key: str
    from_account_id: int
    to_account_id: int
    credits: int
    serial: str
    proposed_by_id: int | None
    proposed_by: str
    status: str
    proposed_seq: int


class SerialRange(NamedTuple):
    registry: str
    start: int
    end: int


class ServerMove(NamedTuple):
    """What the server-side move did: its journal entry's number, its moves, and each move's issuance names
    (host, project serial code, period) for printing the serials."""

    seq: int
    moves: tuple[Move, ...]
    names: tuple[tuple[str, str, int], ...]


#: a unit of work whose ``info`` holds this key set to True moves credits on the Python path even on PostgreSQL
REFERENCE_PATH = "c3p.credits.reference_path"

#: blocks held, keyed by (registry, start serial): the block and its row id
HeldBlocks = dict[tuple[str, int], tuple[Block, int]]


class LedgerStore(Protocol):
    """What the credit service reads and writes; the service changes the ledger through nothing else."""

    def begin_write(self) -> None: ...
    def organization(self, slug: str) -> Organization | None: ...
    def lock_registry(self, code: str) -> bool: ...
    def add_registry(self, code: str) -> bool: ...
    def take_account_serial(self, registry: str) -> int: ...
    def take_units(self, registry: str, count: int) -> int: ...
    def add_account(self, registry: str, number: str, kind: str, holder_id: int | None, name: str) -> OpenedAccount: ...
    def lock_accounts(self, numbers: Sequence[str]) -> dict[str, AccountRow]: ...
    def lock_accounts_by_id(self, ids: Iterable[int]) -> dict[int, AccountRow]: ...
    def lock_with_source(
        self, numbers: Sequence[str], sender: str, serials: SerialRange | None, credits: int | None = None
    ) -> tuple[dict[str, AccountRow], list[SourceBlock]]: ...
    def first_source(self, account_id: int, limit: int, credits: int | None = None) -> list[SourceBlock]: ...
    def system_account(self, registry: str, kind: str) -> int: ...
    def find_system_account(self, registry: str, kind: str) -> int | None: ...
    def set_account_status(self, account_id: int, status: str) -> None: ...
    def lock_report(self, report_id: int) -> ReportRow | None: ...
    def mark_report_used(self, report_id: int) -> None: ...
    def issuance_by_ref(self, notification_ref: str, *, lock: bool = False) -> IssuanceRow | None: ...
    def issued_credits(self, report_id: int) -> int: ...
    def add_issuance(self, issuance: NewIssuance) -> int: ...
    def seal_issuance(self, issuance_id: int, journal_seq: int) -> None: ...
    def set_authorization(self, issuance_id: int, authorization: str) -> None: ...
    def first_transferred_credits(self, issuance_id: int) -> int: ...
    def first_transferred_in(self, issuance_id: int, registry: str, start: int, end: int) -> int: ...
    def issued_ranges(self, issuance_id: int) -> list[tuple[str, int, int]]: ...
    def hold_authorizations(self, issuance_ids: Sequence[int]) -> None: ...
    def authorizations(self, issuance_ids: Iterable[int]) -> dict[int, list[AuthorizedRange]]: ...
    def save_authorization(self, record: AuthorizedRange) -> None: ...
    def drop_authorizations(self, issuance_id: int) -> None: ...
    def holders(self, spans: Sequence[tuple[str, int, int]]) -> set[int]: ...
    def split_blocks(self, registry: str, start: int, end: int) -> None: ...
    def blocks_in(self, registry: str, start: int, end: int) -> list[tuple[Block, int, str]]: ...
    def issuance_terms(self, ids: Iterable[int]) -> dict[int, IssuanceTerms]: ...
    def issuance_view(self, issuance_id: int, serials: SerialFormat) -> IssuanceView: ...
    def blocks_starting_at(self, moves: Sequence[Move]) -> HeldBlocks: ...
    def apply_moves(self, moves: Sequence[Move], rows: HeldBlocks) -> None: ...
    def add_to_balances(self, legs: Sequence[Leg]) -> None: ...
    def append(
        self,
        kind: TransactionKind,
        actor: str,
        legs: tuple[Leg, ...] = (),
        moves: tuple[Move, ...] = (),
        details: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Entry: ...
    def add_adjustments(self, adjustments: Sequence[Adjustment], journal_seq: int) -> None: ...
    def add_first_transfers(self, credits_by_host: Mapping[str, int]) -> None: ...
    def journal_entry(self, seq: int) -> Entry | None: ...
    def add_pending(self, entry: Entry, from_account_id: int, to_account_id: int) -> None: ...
    def lock_pending(self, key: str) -> PendingRow | None: ...
    def close_pending(self, key: str, status: str, journal_seq: int) -> None: ...
    def approval_threshold(self, registry: str) -> int | None: ...
    def set_approval_threshold(self, registry: str, threshold: int | None) -> None: ...
    def add_proposal(self, proposal: ProposalRow, journal_seq: int) -> None: ...
    def lock_proposal(self, key: str) -> ProposalRow | None: ...
    def close_proposal(self, key: str, status: str, resolved_by: str, journal_seq: int) -> None: ...


class Store:
    """The statements of one unit of work, on its connection: an ORM session's or a :class:`CoreUnit`'s."""

    def __init__(self, work: Session | CoreUnit, *, write: bool = False) -> None:
        """The statements of ``work``'s transaction; ``write`` takes SQLite's write lock first."""
        self.work = work
        if isinstance(work, CoreUnit):
            self.dialect, self.dbapi = work.engine.dialect.name, work.dbapi
        else:
            connection = work.connection()
            self.dialect = connection.dialect.name
            self.dbapi = cast(Any, connection.connection.dbapi_connection)  # sqlite3 or psycopg, used directly
            self.cursor = pooled_cursor(connection.connection)
        self._queued: list[tuple[str, tuple[Any, ...]]] = []
        if write:
            self.begin_write()

    @cached_property
    def cursor(self) -> Any:
        """The Core unit's kept cursor, taken on first use: a move made in one server call never needs it (an ORM
        session's is taken at once, with its connection)."""
        return cast(CoreUnit, self.work).cursor

    @property
    def session(self) -> Session:
        """The ORM session of this transaction (a :class:`CoreUnit` makes it on first use)."""
        return self.work.session if isinstance(self.work, CoreUnit) else self.work

    def begin_write(self) -> None:
        """Take SQLite's write lock now (``BEGIN IMMEDIATE``) so that writers queue instead of failing."""
        if self.dialect == "sqlite" and not self.dbapi.in_transaction:
            self.dbapi.execute("BEGIN IMMEDIATE")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a query (``SELECT`` or ``… RETURNING``); writes without rows go through :meth:`run`."""
        # the driver's cursor executes directly; no look at cursor.description, which psycopg builds
        # column by column
        return self.cursor.execute(_adapt(sql, self.dialect), tuple(params)).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self.cursor.execute(_adapt(sql, self.dialect), tuple(params)).rowcount)

    def queue(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A write sent with the journal append (on PostgreSQL in the same statement), or the next :meth:`multi`."""
        self._queued.append((sql, tuple(params)))

    def multi(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        """The queued writes, then ``statements``, in order; the rows of each of ``statements``."""
        writes, self._queued = self._queued, []
        for sql, params in writes:
            self.run(sql, params)
        return [self.rows(sql, params) for sql, params in statements]

    def many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            self.cursor.executemany(_adapt(sql, self.dialect), [tuple(p) for p in params])

    # ---- accounts ----
    ACCOUNT_COLUMNS = (
        "a.id, a.registry, a.number, a.kind, a.status, a.balance, a.holder_id, COALESCE(o.slug, ''), a.name"
    )

    def lock_accounts(self, numbers: Sequence[str]) -> dict[str, AccountRow]:
        """The accounts called ``numbers``, locked in id order; missing ones are simply absent."""
        return by_number(self.rows(*self.lock_accounts_sql(numbers)))

    def lock_accounts_by_id(self, ids: Iterable[int]) -> dict[int, AccountRow]:
        """The accounts ``ids``, locked in id order."""
        wanted = sorted(set(ids))
        found = self.rows(
            f"SELECT {self.ACCOUNT_COLUMNS} FROM credit_accounts a "
            "LEFT JOIN member_organizations o ON o.id = a.holder_id "
            f"WHERE a.id IN ({', '.join(['%s'] * len(wanted))}) ORDER BY a.id FOR UPDATE OF a",
            wanted,
        )
        return {row.id: row for row in map(_account, found)}

    def lock_with_source(
        self, numbers: Sequence[str], sender: str, serials: SerialRange | None, credits: int | None = None
    ) -> tuple[dict[str, AccountRow], list[SourceBlock]]:
        """The accounts ``numbers`` locked, and the sender's blocks to take from, in one round trip.

        The blocks are those covering ``serials``, or the first few by serial up to those holding ``credits``
        (see :meth:`first_source`).
        """
        source: tuple[str, tuple[Any, ...]]
        if serials is not None:
            source = (_RANGE_BY_NUMBER, (sender, serials.registry, serials.start, serials.end))
        else:
            source = (_FIRST_BY_NUMBER, (sender, FIRST_SOURCE_LIMIT))
        locked, rows = self.multi([self.lock_accounts_sql(numbers), source])
        return by_number(locked), source_blocks(rows, None if serials else credits)

    def first_source(self, account_id: int, limit: int, credits: int | None = None) -> list[SourceBlock]:
        """The account's first ``limit`` blocks by (registry, serial), with their issuance's terms; with
        ``credits``, only the first of them that hold that many (see :func:`holding`)."""
        return source_blocks(self.rows(FIRST_BY_ID, (account_id, limit)), credits)

    def set_account_status(self, account_id: int, status: str) -> None:
        account = self.session.get(CreditAccount, account_id)
        assert account is not None
        account.status = status
        account.closed_at = dt.datetime.now(dt.UTC) if status == "closed" else None
        self.session.flush()

    # ---- a transfer in one server-side call (PostgreSQL) ----
    @property
    def moves_on_server(self) -> bool:
        """Whether transfers, cancellations and retirements run in ``c3p_move_out`` (PostgreSQL's function)."""
        return self.dialect == "postgresql" and not self.work.info.get(REFERENCE_PATH, False)

    def parties(
        self, numbers: Sequence[str], registry: str, system_kind: str
    ) -> tuple[dict[str, AccountRow], int | None]:
        """The accounts ``numbers`` and ``registry``'s account of ``system_kind``, read without a lock for the
        policy (who holds an account, its registry and kind never change; ``c3p_move_out`` checks the status
        again under lock), and the approval threshold of ``registry``."""
        sql = (
            f"SELECT {self.ACCOUNT_COLUMNS}, r.approval_threshold_credits FROM credit_accounts a "
            "LEFT JOIN member_organizations o ON o.id = a.holder_id JOIN credit_registries r ON r.code = a.registry "
            f"WHERE a.number IN ({', '.join(['%s'] * len(numbers))}) OR (a.registry = %s AND a.kind = %s)"
        )
        params = (*numbers, registry, system_kind)
        if not isinstance(self.work, CoreUnit):
            found = self.rows(sql, params)
            return by_number(found), _threshold(found, registry)
        found = self.work.begin_with(sql, params)  # a Core unit's first statement: sent with its BEGIN
        accounts = by_number(found)
        known_parties.remember(self.work.engine, accounts.values(), registry, system_kind)
        return accounts, _threshold(found, registry)

    def known_parties(
        self, numbers: Sequence[str], registry: str, system_kind: str | None
    ) -> dict[str, AccountRow] | None:
        """The accounts :meth:`parties` would read, as remembered (open, balance unknown) when the move may be its
        unit's one round trip (:attr:`CoreUnit.writes_alone`); None when it may not or one is not remembered
        (see :mod:`c3p.credits.known_parties`)."""
        if not (isinstance(self.work, CoreUnit) and self.work.writes_alone):
            return None
        return known_parties.recall(self.work.engine, numbers, registry, system_kind)

    def forget_parties(self, numbers: Sequence[str], registry: str, system_kind: str) -> None:
        """Forget the accounts :meth:`known_parties` gave: a fact of one may be stale."""
        if isinstance(self.work, CoreUnit):
            known_parties.forget(self.work.engine, numbers, registry, system_kind)

    def move_on_server(self, sender: AccountRow, receiver: AccountRow, credits: int, entry: Entry) -> ServerMove | None:
        """Move ``credits`` as ``entry`` (its kind, key, time, actor and details) in one call of ``c3p_move_out``;
        None when the function found anything unexpected (a fact of the parties given, their statuses, the
        balance, the registry's approval threshold) and changed nothing."""
        sql, params = move_out_call(sender, receiver, credits, entry)
        if isinstance(self.work, CoreUnit) and not self._queued:
            move = self.work.write_alone if self.work.writes_alone else self.work.last_write
            found = move(sql, params)
        else:
            found = self.multi([(sql, params)])[0]
        return server_move(found[0]) if found else None

    # ---- organizations and registries ----
    def organization(self, slug: str) -> Organization | None:
        found = self.session.scalars(select(MemberOrganization).where(MemberOrganization.slug == slug)).first()
        return None if found is None else Organization(found.id, found.slug, found.name_en)

    def lock_registry(self, code: str) -> bool:
        """Lock the registry ``code``; False when it is not opened yet."""
        return self.session.get(CreditRegistry, code, with_for_update=True) is not None

    def add_registry(self, code: str) -> bool:
        """Add the registry ``code``; False (and the registry locked) when another transaction added it first.

        Two first uses of a registry at once both find it missing; on PostgreSQL the second
        insert waits for the first transaction and then violates the primary key. A savepoint
        keeps that from failing the request: the second one rolls back to it and locks the
        registry the first one opened.
        """
        country = self.session.get(Country, code)
        try:
            with self.session.begin_nested():
                self.session.add(
                    CreditRegistry(
                        code=code,
                        name_en=f"JCM registry of {country.name_en if country else code}",
                        name_ja=f"{country.name_ja if country else code} JCM登録簿",
                        next_unit=1,
                        next_account=1,
                    )
                )
                self.session.flush()
        except IntegrityError:
            return not self.lock_registry(code)
        return True

    def _registry(self, code: str) -> CreditRegistry:
        registry = self.session.get(CreditRegistry, code)
        assert registry is not None  # locked by lock_registry earlier in this transaction
        return registry

    def take_account_serial(self, registry: str) -> int:
        """The next account serial of ``registry``, taken."""
        row = self._registry(registry)
        serial = row.next_account
        row.next_account += 1
        return serial

    def take_units(self, registry: str, count: int) -> int:
        """The first of ``count`` new serial units of ``registry``, taken."""
        row = self._registry(registry)
        first = row.next_unit
        row.next_unit += count
        self.session.flush()
        return first

    def add_account(self, registry: str, number: str, kind: str, holder_id: int | None, name: str) -> OpenedAccount:
        account = CreditAccount(
            registry_code=registry, number=number, kind=kind, holder_id=holder_id, name=name, status="open", balance=0
        )
        self.session.add(account)
        self.session.flush()
        return OpenedAccount(account.id, account.opened_at)

    # ---- monitoring reports and issuances ----
    def lock_report(self, report_id: int) -> ReportRow | None:
        """The report, locked: issuances on it (on its period) queue, so together they stay within its verified
        amount; with its JCM project's serial code, its verifier and its open corrective action requests."""
        report = self.session.get(MonitoringReport, report_id, with_for_update=True)
        if report is None:
            return None
        jcm = self.session.get(JcmProject, report.jcm_project_id) if report.jcm_project_id else None
        open_requests = self.session.scalar(
            select(func.count()).where(
                VerificationFinding.report_id == report.id,
                VerificationFinding.kind == str(FindingKind.corrective_action_request),
                VerificationFinding.status == str(FindingStatus.open),
            )
        )
        return ReportRow(
            report.id,
            report.project,
            report.host_country,
            report.period_number,
            report.period_end.year,
            report.status,
            report.verified_tco2 or 0,
            jcm.serial_code or "" if jcm else SerialFormat().project_code(report.project),
            report.jcm_project_id,
            Party(report.verified_by_user_id, report.verified_by_organization),
            int(open_requests or 0),
        )

    def mark_report_used(self, report_id: int) -> None:
        report = self.session.get(MonitoringReport, report_id)
        assert report is not None
        report.status = "used"
        self.session.flush()

    def issuance_by_ref(self, notification_ref: str, *, lock: bool = False) -> IssuanceRow | None:
        query = select(CreditIssuance).where(CreditIssuance.notification_ref == notification_ref)
        found = self.session.scalars(query.with_for_update() if lock else query).first()
        if found is None:
            return None
        return IssuanceRow(found.id, found.request_sha256, found.host_country, found.authorization_status)

    def issued_credits(self, report_id: int) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(CreditIssuance.credits), 0)).where(CreditIssuance.report_id == report_id)
        )
        return int(total or 0)

    def add_issuance(self, issuance: NewIssuance) -> int:
        report = issuance.report
        row = CreditIssuance(
            notification_ref=issuance.notification_ref,
            request_sha256=issuance.request_sha256,
            report_id=report.id,
            jcm_project_id=report.jcm_project_id,
            project=report.project,
            serial_code=report.serial_code,
            host_country=report.host_country,
            period_number=report.period_number,
            vintage_year=report.vintage_year,
            credits=issuance.credits,
            allocation=issuance.allocation,
            model_project=issuance.model_project,
            authorization_status="authorized" if issuance.authorized else "not_authorized",
            authorized_at=dt.datetime.now(dt.UTC) if issuance.authorized else None,
            journal_seq=0,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def _issuance(self, issuance_id: int) -> CreditIssuance:
        row = self.session.get(CreditIssuance, issuance_id)
        assert row is not None
        return row

    def seal_issuance(self, issuance_id: int, journal_seq: int) -> None:
        """Link the issuance to its journal entry; the unit of work signs a checkpoint before it commits."""
        self._issuance(issuance_id).journal_seq = journal_seq
        self.session.info[CHECKPOINT_DUE] = True
        self.session.flush()

    def set_authorization(self, issuance_id: int, authorization: str) -> None:
        row = self._issuance(issuance_id)
        row.authorization_status = authorization
        row.authorized_at = dt.datetime.now(dt.UTC) if authorization == "authorized" else None
        self.session.flush()

    def first_transferred_credits(self, issuance_id: int) -> int:
        """How many credits of the issuance were first transferred (Article 6.2), wherever they are now."""
        found = self.rows(
            "SELECT COALESCE(SUM(end_serial - start_serial + 1), 0) FROM credit_blocks "
            "WHERE issuance_id = %s AND first_transferred = %s",
            (issuance_id, True),
        )
        return int(found[0][0])

    def first_transferred_in(self, issuance_id: int, registry: str, start: int, end: int) -> int:
        """How many credits of serials ``start..end`` (whole blocks: they were split there) were first transferred."""
        found = self.rows(
            "SELECT COALESCE(SUM(end_serial - start_serial + 1), 0) FROM credit_blocks WHERE issuance_id = %s "
            "AND registry = %s AND start_serial >= %s AND end_serial <= %s AND first_transferred = %s",
            (issuance_id, registry, start, end, True),
        )
        return int(found[0][0])

    def issued_ranges(self, issuance_id: int) -> list[tuple[str, int, int]]:
        """The serial range the issuance made in each registry (credits are never destroyed, so its blocks span it)."""
        found = self.rows(
            "SELECT registry, MIN(start_serial), MAX(end_serial) FROM credit_blocks WHERE issuance_id = %s "
            "GROUP BY registry ORDER BY registry",
            (issuance_id,),
        )
        return [(str(r), int(lo), int(hi)) for r, lo, hi in found]

    def hold_authorizations(self, issuance_ids: Sequence[int]) -> None:
        """Keep the issuances' authorization records as they are until this transaction ends.

        A change of them (``authorize``, ``authorize_range``) locks the accounts holding the
        credits, then the issuance ``FOR UPDATE``; ``FOR KEY SHARE`` waits for one under way to
        commit, so the records read next (a new statement, a new snapshot under READ COMMITTED)
        are those it left, and makes the next change wait until this transaction ends. SQLite
        needs nothing: ``BEGIN IMMEDIATE`` made this transaction the only writer before it read
        anything.
        """
        if self.dialect == "sqlite" or not issuance_ids:
            return
        wanted = sorted(set(issuance_ids))
        marks = ", ".join(["%s"] * len(wanted))
        self.rows(f"SELECT id FROM credit_issuances WHERE id IN ({marks}) ORDER BY id FOR KEY SHARE", wanted)

    def authorizations(self, issuance_ids: Iterable[int]) -> dict[int, list[AuthorizedRange]]:
        """The authorization records of the issuances, by issuance, in serial order."""
        wanted = sorted(set(issuance_ids))
        found: dict[int, list[AuthorizedRange]] = {i: [] for i in wanted}
        if not wanted:
            return found
        query = (
            select(CreditAuthorization)
            .where(CreditAuthorization.issuance_id.in_(wanted))
            .order_by(CreditAuthorization.registry_code, CreditAuthorization.start_serial)
        )
        for row in self.session.scalars(query):
            found[row.issuance_id].append(authorized_range(row))
        return found

    def save_authorization(self, record: AuthorizedRange) -> None:
        """Insert the record, or replace the one of the same range with this new version."""
        row = self.session.scalars(
            select(CreditAuthorization).where(
                CreditAuthorization.registry_code == record.registry, CreditAuthorization.start_serial == record.start
            )
        ).first()
        if row is None:
            row = CreditAuthorization(
                issuance_id=record.issuance_id,
                registry_code=record.registry,
                start_serial=record.start,
                end_serial=record.end,
            )
            self.session.add(row)
        row.purposes = sorted(record.purposes)
        row.entities = list(record.entities)
        row.first_transfer = str(record.first_transfer)
        row.version = record.version
        row.decision_ref = record.decision
        row.decided_on = dt.date.fromisoformat(record.decided_on)
        row.recorded_by = record.recorded_by
        row.recorded_at = dt.datetime.now(dt.UTC)
        row.journal_seq = record.journal_seq
        self.session.flush()

    def drop_authorizations(self, issuance_id: int) -> None:
        for row in self.session.scalars(
            select(CreditAuthorization).where(CreditAuthorization.issuance_id == issuance_id)
        ):
            self.session.delete(row)
        self.session.flush()

    def holders(self, spans: Sequence[tuple[str, int, int]]) -> set[int]:
        """The accounts holding credits of ``spans`` (registry, first and last serial), read without a lock."""
        found: set[int] = set()
        for registry, start, end in spans:
            found |= {
                int(row[0])
                for row in self.rows(
                    "SELECT DISTINCT account_id FROM credit_blocks "
                    "WHERE registry = %s AND end_serial >= %s AND start_serial <= %s",
                    (registry, start, end),
                )
            }
        return found

    def split_blocks(self, registry: str, start: int, end: int) -> None:
        """Cut the blocks crossing ``start`` or ``end`` (an authorization's bounds) in two, same holder and marks."""
        for at in (start, end + 1):
            row = self.block_at(registry, at)
            if row is None or int(row[2]) >= at:
                continue
            left, right = _block(row).cut(at)
            self.run("UPDATE credit_blocks SET end_serial = %s WHERE id = %s", (left.end, row[0]))
            self.run(
                "INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, "
                "first_transferred) VALUES (%s, %s, %s, %s, %s, %s)",
                (right.registry, right.start, right.end, right.account_id, right.issuance_id, right.first_transferred),
            )

    def blocks_in(self, registry: str, start: int, end: int) -> list[tuple[Block, int, str]]:
        """The blocks meeting serials ``start..end``, locked, with their row ids and their accounts' kinds,
        in serial order."""
        found = self.rows(
            f"SELECT {self.BLOCK_COLUMNS}, a.kind FROM credit_blocks b JOIN credit_accounts a ON a.id = b.account_id "
            "WHERE b.registry = %s AND b.end_serial >= %s AND b.start_serial <= %s "
            "ORDER BY b.start_serial FOR UPDATE OF b",
            (registry, start, end),
        )
        return [(_block(row), int(row[0]), str(row[7])) for row in found]

    def issuance_terms(self, ids: Iterable[int]) -> dict[int, IssuanceTerms]:
        wanted = sorted(set(ids))
        found = self.rows(
            "SELECT id, authorization_status, host_country FROM credit_issuances WHERE id IN ({})".format(
                ", ".join(["%s"] * len(wanted))
            ),
            wanted,
        )
        return {int(row[0]): IssuanceTerms(row[1] == "authorized", str(row[2])) for row in found}

    def issuance_view(self, issuance_id: int, serials: SerialFormat) -> IssuanceView:
        from c3p.credits.queries import issuance_view  # queries build on this module

        return issuance_view(self.session, self._issuance(issuance_id), serials)

    def add_adjustments(self, adjustments: Sequence[Adjustment], journal_seq: int) -> None:
        self.many(ADJUSTMENT_SQL, adjustment_rows(adjustments, journal_seq))

    def add_first_transfers(self, credits_by_host: Mapping[str, int]) -> None:
        """Add to the hosts' running totals of first-transferred credits (after the entry is appended,
        so a writer takes this row's lock only while it holds the journal head: one order, no deadlock)."""
        self.many(
            "INSERT INTO article6_first_transfer_totals (country, credits) VALUES (%s, %s) "
            "ON CONFLICT (country) DO UPDATE SET credits = article6_first_transfer_totals.credits + excluded.credits",
            [(host, credits) for host, credits in sorted(credits_by_host.items())],
        )

    def journal_entry(self, seq: int) -> Entry | None:
        """Journal entry ``seq`` if it is there and its content still matches its hash."""
        found = self.rows("SELECT entry, previous_hash, hash FROM credit_journal WHERE seq = %s", (seq,))
        if not found or entry_hash(found[0][1], found[0][0]) != found[0][2]:
            return None
        return Entry.from_json(json.loads(found[0][0]))

    # ---- pending transfers ----
    def add_pending(self, entry: Entry, from_account_id: int, to_account_id: int) -> None:
        self.run(PENDING_SQL, pending_row(entry, from_account_id, to_account_id))

    def lock_pending(self, key: str) -> PendingRow | None:
        pending = self.session.get(PendingTransfer, key, with_for_update=True)
        if pending is None:
            return None
        moves = tuple(Move.from_json(m) for m in pending.moves)
        return PendingRow(
            pending.key, pending.from_account_id, pending.to_account_id, pending.status, moves, pending.proposed_seq
        )

    def close_pending(self, key: str, status: str, journal_seq: int) -> None:
        pending = self.session.get(PendingTransfer, key)
        assert pending is not None
        pending.status = status
        pending.resolved_seq = journal_seq
        self.session.flush()

    # ---- transfers waiting for a second representative ----
    def approval_threshold(self, registry: str) -> int | None:
        found = self.rows("SELECT approval_threshold_credits FROM credit_registries WHERE code = %s", (registry,))
        return None if not found or found[0][0] is None else int(found[0][0])

    def set_approval_threshold(self, registry: str, threshold: int | None) -> None:
        self._registry(registry).approval_threshold_credits = threshold  # an ORM write: the history records it
        self.session.flush()

    def add_proposal(self, proposal: ProposalRow, journal_seq: int) -> None:
        self.session.add(
            TransferProposal(
                key=proposal.key,
                from_account_id=proposal.from_account_id,
                to_account_id=proposal.to_account_id,
                credits=proposal.credits,
                serial=proposal.serial,
                proposed_by_id=proposal.proposed_by_id,
                proposed_by=proposal.proposed_by,
                proposed_seq=journal_seq,
                status="proposed",
                resolved_by="",
            )
        )
        self.session.flush()

    def lock_proposal(self, key: str) -> ProposalRow | None:
        found = self.session.get(TransferProposal, key, with_for_update=True)
        if found is None:
            return None
        return ProposalRow(
            found.key,
            found.from_account_id,
            found.to_account_id,
            found.credits,
            found.serial,
            found.proposed_by_id,
            found.proposed_by,
            found.status,
            found.proposed_seq,
        )

    def close_proposal(self, key: str, status: str, resolved_by: str, journal_seq: int) -> None:
        found = self.session.get(TransferProposal, key)
        assert found is not None  # locked by lock_proposal
        found.status, found.resolved_by, found.resolved_seq = status, resolved_by, journal_seq
        self.session.flush()

    @classmethod
    def lock_accounts_sql(cls, numbers: Sequence[str]) -> tuple[str, list[Any]]:
        """The statement that reads and locks the accounts ``numbers`` in id order, and its parameters."""
        marks = ", ".join(["%s"] * len(numbers))
        return (
            f"SELECT {cls.ACCOUNT_COLUMNS} FROM credit_accounts a "
            f"LEFT JOIN member_organizations o ON o.id = a.holder_id "
            f"WHERE a.number IN ({marks}) ORDER BY a.id FOR UPDATE OF a",
            list(numbers),
        )

    def system_account(self, registry: str, kind: str) -> int:
        found = self.find_system_account(registry, kind)
        assert found is not None, f"registry {registry} has no {kind} account"  # opened with the registry
        return found

    def find_system_account(self, registry: str, kind: str) -> int | None:
        """The registry's own account of ``kind``, or None while it is not opened yet."""
        found = self.rows("SELECT id FROM credit_accounts WHERE registry = %s AND kind = %s", (registry, kind))
        return int(found[0][0]) if found else None

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

    def blocks_starting_at(self, moves: Sequence[Move]) -> HeldBlocks:
        """The blocks that start where ``moves`` start (a pending transfer's blocks, still whole)."""
        held: HeldBlocks = {}
        for move in moves:
            found = self.rows(
                f"SELECT {self.BLOCK_COLUMNS} FROM credit_blocks b WHERE b.registry = %s AND b.start_serial = %s",
                (move.registry, move.start),
            )
            block = _block(found[0])
            held[(block.registry, block.start)] = (block, int(found[0][0]))
        return held

    def block_at(self, registry: str, unit: int) -> tuple[Any, ...] | None:
        """The block holding ``unit``: one index seek on (registry, start_serial)."""
        found = self.rows(
            f"SELECT {self.BLOCK_COLUMNS} FROM credit_blocks b WHERE b.registry = %s AND b.start_serial <= %s "
            "ORDER BY b.start_serial DESC LIMIT 1",
            (registry, unit),
        )
        return found[0] if found and found[0][3] >= unit else None

    def apply_moves(self, moves: Sequence[Move], rows: HeldBlocks) -> None:
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
            block, row_id = rows[holding_key(rows, move)]
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
        for sql, params in insert_blocks(inserts):
            self.queue(sql, params)

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
        now, at = self.clock()
        entry = Entry(self.next_seq(), key or new_key(), kind, at, actor, legs, moves, details or {})
        return self.append_entry(entry, now)

    def clock(self) -> tuple[dt.datetime, str]:
        """When an entry appended now is made, and that time as the entry says it."""
        now = dt.datetime.now(dt.UTC)
        return now, now.isoformat()

    def next_seq(self) -> int:
        """The number of the entry appended next where it is known before sealing; 0: numbered as it is sealed."""
        return 0

    def append_entry(self, entry: Entry, now: dt.datetime) -> Entry:
        """Number, seal and append ``entry`` (made at ``now``) after the queued writes (see :meth:`append`)."""
        writes, self._queued = self._queued, []
        if self.dialect == "sqlite":
            for sql, params in writes:
                self.run(sql, params)
            seq, previous = self.rows("SELECT seq, hash FROM credit_journal_head WHERE id = 1")[0]
            entry, row = sealed_row(entry, seq + 1, previous, occurred(now, self.dialect))
            self.run(JOURNAL_INSERT + "(%s, %s, %s, %s, %s, %s, %s, %s)", row)
            self.run(HEAD_SQL, (entry.seq, previous, row[-1]))
            return entry
        kind = entry.kind
        prefix = canonical_without_seq(entry.to_json())
        ctes = "".join(f"w{i} AS ({sql}), " for i, (sql, _p) in enumerate(writes))
        params = tuple(value for _sql, p in writes for value in p)
        found = self.rows(
            f"WITH {ctes}{_APPEND_SQL}", (*params, prefix, entry.key, str(kind), now, entry.credits, prefix)
        )
        return replace(entry, seq=int(found[0][0]))


#: the bits a version 4 (random) UUID fixes: its version, and its variant (RFC 4122)
_UUID4_MASK, _UUID4_BITS = ~(0xF000 << 64 | 0xC000 << 48), 4 << 76 | 0x8000 << 48


def new_key() -> str:
    """A new transaction key: a random UUID's hex, the bits of ``uuid.uuid4()`` without its object (half
    the cost)."""
    return f"{int.from_bytes(os.urandom(16)) & _UUID4_MASK | _UUID4_BITS:032x}"


ADJUSTMENT_SQL = (
    "INSERT INTO corresponding_adjustments (country, year, kind, credits, journal_seq) VALUES (%s, %s, %s, %s, %s)"
)
PENDING_SQL = (
    "INSERT INTO credit_pending_transfers (key, from_account_id, to_account_id, credits, moves, status, "
    "proposed_seq) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


HEAD_SQL = "UPDATE credit_journal_head SET seq = %s, previous_hash = %s, hash = %s WHERE id = 1"


def sealed_row(entry: Entry, seq: int, previous: str, stamp: object) -> tuple[Entry, tuple[Any, ...]]:
    """``entry`` numbered ``seq`` after the entry whose hash is ``previous``, and its journal row, sealed."""
    if entry.seq != seq:  # every other field as given: a field added to Entry is sealed too
        entry = replace(entry, seq=seq)
    text = canonical(entry.to_json())
    sealed = entry_hash(previous, text)
    return entry, (seq, entry.key, str(entry.kind), stamp, entry.credits, text, previous, sealed)


def adjustment_rows(adjustments: Sequence[Adjustment], journal_seq: int) -> list[tuple[Any, ...]]:
    return [(a.country, a.year, str(a.kind), a.credits, journal_seq) for a in adjustments]


def pending_row(entry: Entry, from_account_id: int, to_account_id: int) -> tuple[Any, ...]:
    moves = json.dumps([m.to_json() for m in entry.moves])
    return (entry.key, from_account_id, to_account_id, entry.credits, moves, "pending", entry.seq)


BLOCKS_INSERT = (
    "INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, first_transferred) VALUES "
)
JOURNAL_INSERT = "INSERT INTO credit_journal (seq, key, kind, occurred_at, credits, entry, previous_hash, hash) VALUES "


def insert_blocks(rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, tuple[Any, ...]]]:
    """Multi-row inserts of new blocks, each row (registry, start, end, account, issuance, first transferred)."""
    return multi_row(BLOCKS_INSERT, rows)


def multi_row(head: str, rows: Sequence[tuple[Any, ...]], size: int = 500) -> list[tuple[str, tuple[Any, ...]]]:
    """``head`` (a statement ending in ``VALUES``) with ``rows`` of equal width, ``size`` a statement."""
    statements = []
    for chunk in range(0, len(rows), size):
        part = rows[chunk : chunk + size]
        marks = "(" + ", ".join(["%s"] * len(part[0])) + ")"
        statements.append((head + ", ".join([marks] * len(part)), tuple(value for row in part for value in row)))
    return statements


def occurred(now: dt.datetime, dialect: str) -> object:
    """An entry's time as the journal stores it: a timestamp on PostgreSQL, fixed text on SQLite."""
    # the text of strftime("%Y-%m-%d %H:%M:%S.%f"), which costs twice as much
    return now.isoformat(" ", "microseconds")[:26] if dialect == "sqlite" else now


_MOVE_OUT_SQL = (
    "SELECT entry_seq, entry_moves, move_names FROM c3p_move_out("
    "%s::integer, %s, %s, %s::integer, %s::integer, %s, %s, %s::bigint, %s, %s, %s, %s)"
)


def move_out_call(
    sender: AccountRow, receiver: AccountRow, credits: int, entry: Entry
) -> tuple[str, tuple[str | int | None, ...]]:
    """The statement and parameters of one ``c3p_move_out`` call moving ``credits`` as ``entry``."""
    head = canonical_before_legs(entry.to_json())
    return _MOVE_OUT_SQL, (
        *(sender.id, sender.number, sender.kind, sender.holder_id),
        *(receiver.id, receiver.number, receiver.kind),
        *(credits, str(entry.kind), entry.key, entry.occurred_at, head),
    )


def server_move(row: Sequence[Any]) -> ServerMove:
    """The row ``c3p_move_out`` answers with, when it moved: its entry's number, its moves, their names."""
    seq, moves, names = row
    return ServerMove(
        int(seq),
        tuple(Move.from_json(move) for move in json.loads(moves)),
        tuple((str(h), str(p), int(n)) for h, p, n in json.loads(names)),
    )


def _threshold(found: Sequence[tuple[Any, ...]], registry: str) -> int | None:
    """The approval threshold of ``registry`` read with the parties (its last column)."""
    threshold = next((row[9] for row in found if row[1] == registry), None)
    return None if threshold is None else int(threshold)


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


# The sender's blocks with their issuance: the first few by (registry, serial) are read
# straight off the (account_id, registry, start_serial) index, then joined to their issuance.
_BLOCK_ROWS = (
    "SELECT id, registry, start_serial, end_serial, account_id, issuance_id, first_transferred "
    "FROM credit_blocks WHERE {where} ORDER BY registry, start_serial{limit}"
)
_SOURCE_SQL = (
    "SELECT b.id, b.registry, b.start_serial, b.end_serial, b.account_id, b.issuance_id, b.first_transferred, "
    "i.authorization_status, i.host_country, i.serial_code, i.period_number "
    f"FROM ({_BLOCK_ROWS}) b JOIN credit_issuances i ON i.id = b.issuance_id"
)
_BY_NUMBER = "account_id = (SELECT id FROM credit_accounts WHERE number = %s)"
_FIRST_BY_NUMBER = _SOURCE_SQL.format(where=_BY_NUMBER, limit=" LIMIT %s")
_IN_RANGE = " AND registry = %s AND end_serial >= %s AND start_serial <= %s"
_RANGE_BY_NUMBER = _SOURCE_SQL.format(where=_BY_NUMBER + _IN_RANGE, limit="")
_BY_ID, _AFTER = "account_id = %s", "account_id = %s AND (registry, start_serial) > (%s, %s)"
FIRST_BY_ID = _SOURCE_SQL.format(where=_BY_ID, limit=" LIMIT %s")
RANGE_BY_ID = _SOURCE_SQL.format(where=_BY_ID + _IN_RANGE, limit="")
NEXT_BY_ID = _SOURCE_SQL.format(where=_AFTER, limit=" LIMIT %s")
#: the same three reads of the blocks alone, without their issuance's terms (``ISSUANCE_TERMS`` reads those)
FIRST_ROWS_BY_ID = _BLOCK_ROWS.format(where=_BY_ID, limit=" LIMIT %s")
RANGE_ROWS_BY_ID = _BLOCK_ROWS.format(where=_BY_ID + _IN_RANGE, limit="")
NEXT_ROWS_BY_ID = _BLOCK_ROWS.format(where=_AFTER, limit=" LIMIT %s")
#: an issuance's terms, as the source reads join them to each block
ISSUANCE_TERMS = (
    "SELECT authorization_status, host_country, serial_code, period_number FROM credit_issuances WHERE id = %s"
)
#: PostgreSQL: the first blocks of each of several accounts (an array), read off the index account by account
FIRST_BY_IDS = (
    "SELECT b.id, b.registry, b.start_serial, b.end_serial, b.account_id, b.issuance_id, b.first_transferred, "
    "i.authorization_status, i.host_country, i.serial_code, i.period_number "
    "FROM unnest(%s::integer[]) AS a(id) CROSS JOIN LATERAL ("
    "SELECT id, registry, start_serial, end_serial, account_id, issuance_id, first_transferred "
    "FROM credit_blocks WHERE account_id = a.id ORDER BY registry, start_serial LIMIT %s) b "
    "JOIN credit_issuances i ON i.id = b.issuance_id"
)
#: how many of the sender's blocks the first read takes (enough for most transfers)
FIRST_SOURCE_LIMIT = 4


def source_blocks(rows: Sequence[Sequence[Any]], credits: int | None = None) -> list[SourceBlock]:
    """Source rows as named blocks, by (registry, serial) (the join does not keep the order); with ``credits``,
    only those a transfer of that many takes (see :func:`holding`)."""
    return holding(map(source_block, sorted(rows, key=BY_SERIAL)), credits)


def holding(source: Iterable[SourceBlock], credits: int | None) -> list[SourceBlock]:
    """The blocks of ``source``, in order, up to the first that with those before it holds ``credits`` (all of
    them if they hold fewer, or when ``credits`` is None).

    A transfer by amount takes whole blocks in order (:func:`~c3p.credits.rules.blocks.take`), so these are
    the blocks it moves, and the only ones its checks, plan and printed serials need: a line of 1-3 credits
    takes one or two of the four first read, and the others are never built.
    """
    found = []
    for block in source:
        found.append(block)
        if credits is not None:
            credits -= block.block.credits
            if credits <= 0:
                break
    return found


def source_block(row: Sequence[Any]) -> SourceBlock:
    """A source row (of ``FIRST_BY_ID`` and its kin) as a named block."""
    return SourceBlock(_block(row), int(row[0]), row[7] == "authorized", str(row[8]), str(row[9]), int(row[10]))


#: a source row's own (registry, start): no key function of ours to call
BY_SERIAL = itemgetter(1, 2)


def _account(row: Sequence[Any]) -> AccountRow:
    return AccountRow(int(row[0]), row[1], row[2], row[3], row[4], int(row[5]), row[6], row[7] or "", row[8] or "")


def by_number(rows: Sequence[Sequence[Any]]) -> dict[str, AccountRow]:
    return {account.number: account for account in map(_account, rows)}


def _block(row: Sequence[Any]) -> Block:
    return Block(row[1], int(row[2]), int(row[3]), int(row[4]), int(row[5]), bool(row[6]))


def authorized_range(row: CreditAuthorization) -> AuthorizedRange:
    """A stored authorization record as the rules see it."""
    return AuthorizedRange(
        row.issuance_id,
        row.registry_code,
        int(row.start_serial),
        int(row.end_serial),
        frozenset(Purpose(p) for p in row.purposes),
        tuple(row.entities),
        FirstTransfer(row.first_transfer),
        row.version,
        row.decision_ref,
        row.decided_on.isoformat(),
        row.recorded_by,
        row.journal_seq,
    )


def holding_key(rows: HeldBlocks, move: Move) -> tuple[str, int]:
    """The key in ``rows`` of the block ``move`` takes its range from."""
    for key, (block, _row_id) in rows.items():
        if key[0] == move.registry and block.start <= move.start and move.end <= block.end:
            return key
    raise LookupError(f"no block holds {move.registry} {move.start}-{move.end}")  # a planner bug, never input


def begin_write(session: Session) -> None:
    """Take SQLite's write lock now (``BEGIN IMMEDIATE``) so that writers queue instead of failing.

    PostgreSQL needs nothing here: its transactions lock the rows they change.
    """
    Store(session, write=True)
