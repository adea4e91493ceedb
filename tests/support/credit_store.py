"""The credit ledger's store in memory: the real credit service runs over it in the property tests.

It implements :class:`~c3p.credits.store.LedgerStore` with plain dictionaries and no
transactions, so a command that wrote anything before refusing would be seen as a change.
Blocks are carved exactly as the SQL store carves them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from c3p.credits.rules.article6 import Adjustment
from c3p.credits.rules.authorizations import AuthorizedRange
from c3p.credits.rules.blocks import Block
from c3p.credits.rules.reports import Party, Period, check_new_period, check_verified_amount, next_period_number
from c3p.credits.rules.serials import SerialFormat
from c3p.credits.rules.transactions import Entry, Leg, Move, TransactionKind
from c3p.credits.schemas import IssuanceView
from c3p.credits.store import (
    FIRST_SOURCE_LIMIT,
    AccountRow,
    HeldBlocks,
    IssuanceRow,
    IssuanceTerms,
    NewIssuance,
    OpenedAccount,
    Organization,
    PendingRow,
    ProposalRow,
    ReportRow,
    SerialRange,
    SourceBlock,
    holding,
)
from c3p.errors import Conflict


@dataclass
class StoredIssuance:
    id: int
    new: NewIssuance
    authorization: str
    journal_seq: int = 0


@dataclass
class StoredRegistry:
    next_unit: int = 1
    next_account: int = 1
    approval_threshold: int | None = None


class MemoryStore:
    """Accounts, blocks, issuances, pending transfers and the journal, in dictionaries."""

    def __init__(self) -> None:
        self.organizations: dict[str, Organization] = {}
        self.registries: dict[str, StoredRegistry] = {}
        self.accounts: dict[int, AccountRow] = {}
        self.blocks: dict[int, Block] = {}
        self.reports: dict[int, ReportRow] = {}
        self.periods: dict[int, Period] = {}
        self.claimed: dict[int, int] = {}
        self.issuances: dict[int, StoredIssuance] = {}
        self.pending: dict[str, PendingRow] = {}
        self.proposals: dict[str, ProposalRow] = {}
        self.adjustments: list[tuple[Adjustment, int]] = []
        self.first_transfer_totals: dict[str, int] = {}
        self.journal: list[Entry] = []
        #: Article 6.2 authorization records by (registry, start serial)
        self.records: dict[tuple[str, int], AuthorizedRange] = {}
        self._next_block = 1

    # ---- test data ----
    def add_organization(self, slug: str) -> None:
        self.organizations[slug] = Organization(len(self.organizations) + 1, slug, slug.upper())

    def submit_report(
        self, project: str, host: str, start: dt.date, end: dt.date, claimed_tco2: int, input_sha256: str
    ) -> int:
        """A monitoring report for the project's next period, under the rules the report service applies."""
        periods = [p for p in self.periods.values() if self.reports[p.report_id].project == project]
        check_new_period(periods, start, end, input_sha256)
        report_id = len(self.reports) + 1
        number = next_period_number(periods)
        self.reports[report_id] = ReportRow(report_id, project, host, number, end.year, "submitted", 0, project)
        self.periods[report_id] = Period(number, report_id, start, end, input_sha256)
        self.claimed[report_id] = claimed_tco2
        return report_id

    def verify_report(self, report_id: int, verified_tco2: int, verifier: Party) -> None:
        """The assigned TPE's verification, under the rules the verification service applies."""
        report = self.reports[report_id]
        if report.status != "submitted":
            raise Conflict(f"monitoring report {report_id} is already {report.status}")
        check_verified_amount(verified_tco2, self.claimed[report_id])
        self.reports[report_id] = report._replace(status="verified", verified_tco2=verified_tco2, verifier=verifier)

    def set_open_corrective_actions(self, report_id: int, count: int) -> None:
        self.reports[report_id] = self.reports[report_id]._replace(open_corrective_actions=count)

    def add_report(self, host: str, project: str, verified_tco2: int, status: str = "verified") -> int:
        """A verified report of the project's next period (one day after the last), for issuance tests."""
        last = max((p.end for p in self.periods.values()), default=dt.date(2024, 12, 31))
        day = last + dt.timedelta(days=1)
        report_id = self.submit_report(project, host, day, day, verified_tco2, uuid.uuid4().hex)
        self.verify_report(report_id, verified_tco2, Party(None, "tpe"))
        self.reports[report_id] = self.reports[report_id]._replace(status=status)
        return report_id

    def state(self) -> tuple[Any, ...]:
        """Everything the store holds, to compare before and after a command."""
        return (
            {code: replace(registry) for code, registry in self.registries.items()},
            dict(self.accounts),
            dict(self.blocks),
            dict(self.reports),
            dict(self.periods),
            {i: (s.authorization, s.journal_seq) for i, s in self.issuances.items()},
            dict(self.pending),
            dict(self.proposals),
            len(self.adjustments),
            len(self.journal),
            dict(self.records),
        )

    # ---- LedgerStore ----
    def begin_write(self) -> None:
        pass

    def organization(self, slug: str) -> Organization | None:
        return self.organizations.get(slug)

    def lock_registry(self, code: str) -> bool:
        return code in self.registries

    def add_registry(self, code: str) -> bool:
        self.registries[code] = StoredRegistry()
        return True

    def take_account_serial(self, registry: str) -> int:
        row = self.registries[registry]
        serial, row.next_account = row.next_account, row.next_account + 1
        return serial

    def take_units(self, registry: str, count: int) -> int:
        row = self.registries[registry]
        first, row.next_unit = row.next_unit, row.next_unit + count
        return first

    def add_account(self, registry: str, number: str, kind: str, holder_id: int | None, name: str) -> OpenedAccount:
        account_id = len(self.accounts) + 1
        holder = next((o.slug for o in self.organizations.values() if o.id == holder_id), "")
        self.accounts[account_id] = AccountRow(account_id, registry, number, kind, "open", 0, holder_id, holder, name)
        return OpenedAccount(account_id, dt.datetime.now(dt.UTC))

    def lock_accounts(self, numbers: Sequence[str]) -> dict[str, AccountRow]:
        return {a.number: a for a in self.accounts.values() if a.number in numbers}

    def lock_accounts_by_id(self, ids: Iterable[int]) -> dict[int, AccountRow]:
        return {i: self.accounts[i] for i in set(ids)}

    def _source(self, account_id: int) -> list[SourceBlock]:
        held = sorted(
            ((b, i) for i, b in self.blocks.items() if b.account_id == account_id),
            key=lambda pair: (pair[0].registry, pair[0].start),
        )
        source = []
        for block, row_id in held:
            issuance = self.issuances[block.issuance_id]
            report = issuance.new.report
            authorized = issuance.authorization == "authorized"
            source.append(
                SourceBlock(block, row_id, authorized, report.host_country, report.serial_code, report.period_number)
            )
        return source

    def lock_with_source(
        self, numbers: Sequence[str], sender: str, serials: SerialRange | None, credits: int | None = None
    ) -> tuple[dict[str, AccountRow], list[SourceBlock]]:
        accounts = self.lock_accounts(numbers)
        if sender not in accounts:
            return accounts, []
        source = self._source(accounts[sender].id)
        if serials is None:
            return accounts, holding(source[:FIRST_SOURCE_LIMIT], credits)
        covering = [
            s
            for s in source
            if s.block.registry == serials.registry and s.block.end >= serials.start and s.block.start <= serials.end
        ]
        return accounts, covering

    def first_source(self, account_id: int, limit: int, credits: int | None = None) -> list[SourceBlock]:
        return holding(self._source(account_id)[:limit], credits)

    def system_account(self, registry: str, kind: str) -> int:
        found = self.find_system_account(registry, kind)
        assert found is not None
        return found

    def find_system_account(self, registry: str, kind: str) -> int | None:
        return next((a.id for a in self.accounts.values() if a.registry == registry and a.kind == kind), None)

    def set_account_status(self, account_id: int, status: str) -> None:
        self.accounts[account_id] = self.accounts[account_id]._replace(status=status)

    def lock_report(self, report_id: int) -> ReportRow | None:
        return self.reports.get(report_id)

    def mark_report_used(self, report_id: int) -> None:
        self.reports[report_id] = self.reports[report_id]._replace(status="used")

    def issuance_by_ref(self, notification_ref: str, *, lock: bool = False) -> IssuanceRow | None:
        for s in self.issuances.values():
            if s.new.notification_ref == notification_ref:
                return IssuanceRow(s.id, s.new.request_sha256, s.new.report.host_country, s.authorization)
        return None

    def issued_credits(self, report_id: int) -> int:
        return sum(s.new.credits for s in self.issuances.values() if s.new.report.id == report_id)

    def add_issuance(self, issuance: NewIssuance) -> int:
        issuance_id = len(self.issuances) + 1
        authorization = "authorized" if issuance.authorized else "not_authorized"
        self.issuances[issuance_id] = StoredIssuance(issuance_id, issuance, authorization)
        return issuance_id

    def seal_issuance(self, issuance_id: int, journal_seq: int) -> None:
        self.issuances[issuance_id].journal_seq = journal_seq

    def set_authorization(self, issuance_id: int, authorization: str) -> None:
        self.issuances[issuance_id].authorization = authorization

    def first_transferred_credits(self, issuance_id: int) -> int:
        return sum(b.credits for b in self.blocks.values() if b.issuance_id == issuance_id and b.first_transferred)

    def first_transferred_in(self, issuance_id: int, registry: str, start: int, end: int) -> int:
        return sum(
            b.credits
            for b in self.blocks.values()
            if (b.issuance_id, b.registry) == (issuance_id, registry)
            and start <= b.start <= b.end <= end
            and b.first_transferred
        )

    def issued_ranges(self, issuance_id: int) -> list[tuple[str, int, int]]:
        ranges: dict[str, tuple[int, int]] = {}
        for b in self.blocks.values():
            if b.issuance_id == issuance_id:
                low, high = ranges.get(b.registry, (b.start, b.end))
                ranges[b.registry] = (min(low, b.start), max(high, b.end))
        return [(r, low, high) for r, (low, high) in sorted(ranges.items())]

    def authorizations_of(self, issuance_id: int) -> list[AuthorizedRange]:
        return sorted((r for r in self.records.values() if r.issuance_id == issuance_id), key=lambda r: r.start)

    def hold_authorizations(self, issuance_ids: Sequence[int]) -> None:
        pass  # one writer at a time in memory

    def authorizations(self, issuance_ids: Iterable[int]) -> dict[int, list[AuthorizedRange]]:
        return {i: self.authorizations_of(i) for i in set(issuance_ids)}

    def save_authorization(self, record: AuthorizedRange) -> None:
        self.records[(record.registry, record.start)] = record

    def drop_authorizations(self, issuance_id: int) -> None:
        self.records = {k: r for k, r in self.records.items() if r.issuance_id != issuance_id}

    def split_blocks(self, registry: str, start: int, end: int) -> None:
        for at in (start, end + 1):
            found = next(
                ((i, b) for i, b in self.blocks.items() if b.registry == registry and b.start < at <= b.end), None
            )
            if found is not None:
                row_id, block = found
                self.blocks[row_id], right = block.cut(at)
                self._insert(right)

    def holders(self, spans: Sequence[tuple[str, int, int]]) -> set[int]:
        return {
            b.account_id
            for registry, start, end in spans
            for b in self.blocks.values()
            if b.registry == registry and b.end >= start and b.start <= end
        }

    def blocks_in(self, registry: str, start: int, end: int) -> list[tuple[Block, int, str]]:
        meeting = (b.registry == registry and b.end >= start and b.start <= end for b in self.blocks.values())
        inside = [(b, i) for (i, b), meets in zip(self.blocks.items(), meeting, strict=True) if meets]
        return [(b, i, self.accounts[b.account_id].kind) for b, i in sorted(inside, key=lambda pair: pair[0].start)]

    def issuance_terms(self, ids: Iterable[int]) -> dict[int, IssuanceTerms]:
        return {
            i: IssuanceTerms(self.issuances[i].authorization == "authorized", self.issuances[i].new.report.host_country)
            for i in set(ids)
        }

    def issuance_view(self, issuance_id: int, serials: SerialFormat) -> IssuanceView:
        stored = self.issuances[issuance_id]
        new, report = stored.new, stored.new.report
        moves = self.journal[stored.journal_seq - 1].moves if stored.journal_seq else ()
        return IssuanceView(
            id=issuance_id,
            notification_ref=new.notification_ref,
            project=report.project,
            serial_code=report.serial_code,
            host_country=report.host_country,
            period_number=report.period_number,
            vintage_year=report.vintage_year,
            credits=new.credits,
            authorization=stored.authorization,
            issued_at=dt.datetime.now(dt.UTC),
            report_id=report.id,
            allocation=new.allocation,
            serials=[
                serials.block(m.registry, report.host_country, report.serial_code, report.period_number, m.start, m.end)
                for m in moves
            ],
            journal_seq=stored.journal_seq,
        )

    def blocks_starting_at(self, moves: Sequence[Move]) -> HeldBlocks:
        wanted = {(m.registry, m.start) for m in moves}
        return {(b.registry, b.start): (b, i) for i, b in self.blocks.items() if (b.registry, b.start) in wanted}

    def _insert(self, block: Block) -> None:
        self.blocks[self._next_block] = block
        self._next_block += 1

    def apply_moves(self, moves: Sequence[Move], rows: HeldBlocks) -> None:
        for move in moves:
            if move.from_account is None:
                self._insert(
                    Block(move.registry, move.start, move.end, move.to_account, move.issuance_id, move.first_transfer)
                )
                continue
            block, row_id = next(
                (b, i) for b, i in rows.values() if b.registry == move.registry and b.contains(move.start, move.end)
            )
            assert self.blocks[row_id] == block, "the service carved from a block it did not read"
            head, *rest = block.carve(move.start, move.end, move.to_account, move.first_transfer)
            self.blocks[row_id] = head
            for piece in rest:
                self._insert(piece)

    def add_to_balances(self, legs: Sequence[Leg]) -> None:
        for leg in legs:
            account = self.accounts[leg.account_id]
            balance = account.balance + leg.credits
            assert balance >= 0 or account.kind == "issuance", f"{account.number} would go negative"
            self.accounts[leg.account_id] = account._replace(balance=balance)

    def append(
        self,
        kind: TransactionKind,
        actor: str,
        legs: tuple[Leg, ...] = (),
        moves: tuple[Move, ...] = (),
        details: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> Entry:
        now = dt.datetime.now(dt.UTC).isoformat()
        entry = Entry(len(self.journal) + 1, key or uuid.uuid4().hex, kind, now, actor, legs, moves, details or {})
        self.journal.append(entry)
        return entry

    def add_adjustments(self, adjustments: Sequence[Adjustment], journal_seq: int) -> None:
        self.adjustments += [(a, journal_seq) for a in adjustments]

    def add_first_transfers(self, credits_by_host: Mapping[str, int]) -> None:
        for host, credits in credits_by_host.items():
            self.first_transfer_totals[host] = self.first_transfer_totals.get(host, 0) + credits

    def journal_entry(self, seq: int) -> Entry | None:
        return self.journal[seq - 1] if 0 < seq <= len(self.journal) else None

    def add_pending(self, entry: Entry, from_account_id: int, to_account_id: int) -> None:
        self.pending[entry.key] = PendingRow(
            entry.key, from_account_id, to_account_id, "pending", entry.moves, entry.seq
        )

    def lock_pending(self, key: str) -> PendingRow | None:
        return self.pending.get(key)

    def approval_threshold(self, registry: str) -> int | None:
        return self.registries[registry].approval_threshold if registry in self.registries else None

    def set_approval_threshold(self, registry: str, threshold: int | None) -> None:
        self.registries[registry].approval_threshold = threshold

    def add_proposal(self, proposal: ProposalRow, journal_seq: int) -> None:
        self.proposals[proposal.key] = proposal

    def lock_proposal(self, key: str) -> ProposalRow | None:
        return self.proposals.get(key)

    def close_proposal(self, key: str, status: str, resolved_by: str, journal_seq: int) -> None:
        self.proposals[key] = self.proposals[key]._replace(status=status)

    def close_pending(self, key: str, status: str, journal_seq: int) -> None:
        self.pending[key] = self.pending[key]._replace(status=status)
