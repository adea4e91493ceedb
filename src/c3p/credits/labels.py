"""Reads of the Article 6.2 labels the public sees: on issuances, retirements, blocks and histories.

The facts come from the tables (authorization records, the blocks' first-transfer flags, the
recorded corresponding adjustments) and the labels from one rule,
:class:`c3p.credits.rules.labels.Labels`, so every page and the open data agree.
"""

from __future__ import annotations

import datetime as dt
import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.credits.rules import labels as rules
from c3p.credits.rules.article6 import AdjustmentKind
from c3p.credits.rules.authorizations import AuthorizedRange, record_at
from c3p.credits.rules.history import RecordsInForce
from c3p.credits.rules.holding_accounts import AccountKind
from c3p.credits.rules.transactions import Entry, Move, TransactionKind
from c3p.credits.schemas import AuthorizationView, IssuanceView, RetirementView
from c3p.credits.store import Store
from c3p.credits.tables import (
    CorrespondingAdjustment,
    CreditAccount,
    CreditBlock,
    CreditIssuance,
    FirstTransferTotal,
    JournalEntry,
)


def adjusted_hosts(session: Session, hosts: Iterable[str] | None = None) -> frozenset[str]:
    """The hosts (of ``hosts``, or all) whose recorded first-transfer adjustments cover every credit
    they first transferred.

    Both sides are small reads: the hosts' running totals of first-transferred credits (kept by the
    credit service with the adjustments, recomputed by ``verify`` from the blocks' marks) and the
    recorded adjustments, one row per journal entry; no block is read.
    """
    first = select(FirstTransferTotal.country, FirstTransferTotal.credits).where(FirstTransferTotal.credits > 0)
    recorded = (
        select(CorrespondingAdjustment.country, func.sum(CorrespondingAdjustment.credits))
        .where(CorrespondingAdjustment.kind == str(AdjustmentKind.first_transfer))
        .group_by(CorrespondingAdjustment.country)
    )
    if hosts is not None:
        wanted = sorted(set(hosts))
        first = first.where(FirstTransferTotal.country.in_(wanted))
        recorded = recorded.where(CorrespondingAdjustment.country.in_(wanted))
    return rules.adjusted_hosts(_totals(session.execute(first)), _totals(session.execute(recorded)))


def _totals(rows: Iterable[tuple[str, int]]) -> dict[str, int]:
    return {str(key): int(total) for key, total in rows}


def authorization_view(notification_ref: str, record: AuthorizedRange) -> AuthorizationView:
    return AuthorizationView(
        notification_ref=notification_ref,
        registry=record.registry,
        start_serial=record.start,
        end_serial=record.end,
        credits=record.credits,
        purposes=sorted(record.purposes),
        entities=list(record.entities),
        first_transfer=str(record.first_transfer),
        version=record.version,
        decision_ref=record.decision,
        decided_on=dt.date.fromisoformat(record.decided_on),
        recorded_by=record.recorded_by,
        journal_seq=record.journal_seq,
    )


def with_authorizations(view: IssuanceView, records: Sequence[AuthorizedRange]) -> IssuanceView:
    """The issuance with its records, its authorized credits and whether they are all of it."""
    authorized = sum(r.credits for r in records)
    return view.model_copy(
        update={
            "authorized_credits": authorized,
            "authorization_scope": str(rules.scope_of(authorized, view.credits)),
            "authorizations": [authorization_view(view.notification_ref, r) for r in records],
        }
    )


def issuances_with_authorizations(session: Session, views: list[IssuanceView]) -> list[IssuanceView]:
    records = Store(session).authorizations(v.id for v in views)
    return [with_authorizations(v, records.get(v.id, [])) for v in views]


def with_retirement_labels(session: Session, views: list[RetirementView], entries: list[Entry]) -> list[RetirementView]:
    """Each retirement with the credits of each label among the blocks it put in the retirement account,
    under the authorization records in force when it was made (as a credit's history shows them)."""
    moves = [m for e in entries for m in e.moves]
    issuances = {m.issuance_id for m in moves}
    records, blocks = records_at_retirements(session, entries), _retired_blocks(session, issuances)
    host_query = select(CreditIssuance.id, CreditIssuance.host_country).where(CreditIssuance.id.in_(issuances))
    hosts = {int(i): str(h) for i, h in session.execute(host_query)}
    adjusted = adjusted_hosts(session, hosts.values())
    found = []
    for view, entry in zip(views, entries, strict=True):
        then = records[entry.seq]
        pieces = [
            (high - low + 1, rules.Labels.of(_purposes(then, m, low, high), first, hosts[m.issuance_id] in adjusted))
            for m in entry.moves
            for low, high, first in blocks.overlapping(m)
        ]
        counts = rules.counted(pieces)
        found.append(
            view.model_copy(
                update={
                    "authorized_credits": counts.authorized,
                    "purposes": sorted(counts.purposes),
                    "first_transferred_credits": counts.first_transferred,
                    "adjusted_credits": counts.correspondingly_adjusted,
                }
            )
        )
    return found


def records_at_retirements(session: Session, retirements: list[Entry]) -> dict[int, dict[int, list[AuthorizedRange]]]:
    """For each retirement (by journal seq), the authorization records of its issuances in force when it was made.

    The issuances' own entries and the authorization entries before the last retirement are
    replayed oldest first by the rule a credit's history uses (:class:`RecordsInForce`); the
    records table holds only today's versions.
    """
    if not retirements:
        return {}
    issuances = {m.issuance_id for e in retirements for m in e.moves}
    last = max(e.seq for e in retirements)
    issued_at = select(CreditIssuance.journal_seq).where(CreditIssuance.id.in_(issuances))
    query = (
        select(JournalEntry.entry)
        .where(
            JournalEntry.seq.in_(issued_at)
            | ((JournalEntry.kind == str(TransactionKind.authorization)) & (JournalEntry.seq < last))
        )
        .order_by(JournalEntry.seq)
    )
    in_force, found = RecordsInForce(), {}
    waiting = sorted(retirements, key=lambda e: e.seq)
    for entry in (Entry.from_json(json.loads(text)) for text in session.scalars(query)):
        while waiting and waiting[0].seq < entry.seq:
            found[waiting[0].seq] = _snapshot(in_force, waiting.pop(0))
        in_force.apply(entry)
    for retirement in waiting:
        found[retirement.seq] = _snapshot(in_force, retirement)
    return found


def _snapshot(in_force: RecordsInForce, retirement: Entry) -> dict[int, list[AuthorizedRange]]:
    return {m.issuance_id: in_force.of(m.issuance_id) for m in retirement.moves}


def _purposes(records: dict[int, list[AuthorizedRange]], move: Move, low: int, high: int) -> list[str] | None:
    record = record_at(records.get(move.issuance_id, []), move.registry, low, high)
    return None if record is None else sorted(record.purposes)


class _Blocks:
    """Blocks by registry in serial order, to find the pieces of them a range covers."""

    def __init__(self, rows: Iterable[tuple[str, int, int, bool]]) -> None:
        self.by_registry: dict[str, list[tuple[int, int, bool]]] = defaultdict(list)
        for registry, start, end, first in rows:
            self.by_registry[registry].append((int(start), int(end), bool(first)))
        for blocks in self.by_registry.values():
            blocks.sort()

    def overlapping(self, move: Move) -> list[tuple[int, int, bool]]:
        """``(low, high, first_transferred)`` of each block clipped to the move's serials."""
        blocks = self.by_registry.get(move.registry, [])
        i = max(bisect_right(blocks, (move.start, 2**62, True)) - 1, 0)
        found = []
        for start, end, first in blocks[i:]:
            if start > move.end:
                break
            if end >= move.start:
                found.append((max(start, move.start), min(end, move.end), first))
        return found


def _retired_blocks(session: Session, issuances: set[int]) -> _Blocks:
    """The blocks in retirement accounts (they never move again) of the issuances."""
    query = (
        select(
            CreditBlock.registry_code, CreditBlock.start_serial, CreditBlock.end_serial, CreditBlock.first_transferred
        )
        .join(CreditAccount, CreditAccount.id == CreditBlock.account_id)
        .where(CreditAccount.kind == str(AccountKind.retirement), CreditBlock.issuance_id.in_(issuances))
    )
    return _Blocks(session.execute(query))
