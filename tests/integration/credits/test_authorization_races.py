"""On PostgreSQL, with real connections: an authorization and a move of the same credits at the same time.

An authorization of a range splits the blocks crossing its bounds and may mark credits first
transferred; a transfer reads the sender's blocks and then writes them by row id with the bounds
it computed. Each test lets the authorization split the blocks and wait at the journal's head
(held by a third connection) while the transfer comes in, then releases it: whichever order the
two take, no stale bounds may land (no overlapping blocks, every balance the sum of its blocks),
``verify`` finds nothing, and credits of the range move under its record. Before authorizations
locked the accounts holding their credits, the tests that mark credits (and the acceptance's, and
the deadlock's) failed; the split ones passed, a split's insert locking the holder through its
foreign key.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select

from c3p.credits import service
from c3p.credits.batches import TransferLine, transfer_batch
from c3p.credits.tables import CreditAccount, CreditBlock
from c3p.credits.verify import verify
from c3p.errors import C3PError
from tests.integration.credits.test_authorizations import (
    HEAD_LOCK,
    _serial,
    adjustments,
    authorize,
    issue_unauthorized,
    race,
)
from tests.support.credits import OPERATOR, Registry

SQLITE_SKIP = "SQLite serializes writers: BEGIN IMMEDIATE takes the write lock before a writer reads anything"


def _by_server(registry: Registry) -> Any:
    """30 credits by amount: on PostgreSQL the one-call ``c3p_move_out`` (it takes the block's last 30)."""
    with registry.database.unit_of_work() as session:
        return service.transfer(session, OPERATOR, registry.vn_pp, registry.vn_gov, 30)


def _by_range(registry: Registry) -> Any:
    """Serials 5-25 (across the authorized range): the Python path, which reads and carves the blocks."""
    with registry.database.unit_of_work() as session:
        return service.transfer(session, OPERATOR, registry.vn_pp, registry.vn_gov, None, _serial(5, 25))


def _by_batch(registry: Registry) -> Any:
    """A batch of two lines (20 credits, then serials 30-35): the batch store reads once and writes at the end."""
    lines = [
        TransferLine(registry.vn_pp, registry.vn_gov, 20),
        TransferLine(registry.vn_pp, registry.vn_gov, None, _serial(30, 35)),
    ]
    with registry.database.unit_of_work() as session:
        return transfer_batch(session, OPERATOR, lines)


def _holdings(registry: Registry) -> tuple[dict[int, list[tuple[int, int]]], dict[int, int]]:
    """The VNM blocks by holder, and the balance of every VNM account but the issuance account (which
    goes below zero by what it issued)."""
    with registry.database.reading() as session:
        blocks = session.execute(
            select(CreditBlock.account_id, CreditBlock.start_serial, CreditBlock.end_serial).where(
                CreditBlock.registry_code == "VNM"
            )
        ).all()
        accounts = session.execute(
            select(CreditAccount.id, CreditAccount.balance).where(
                CreditAccount.registry_code == "VNM", CreditAccount.kind != "issuance"
            )
        ).all()
    held: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for account, start, end in blocks:
        held[int(account)].append((int(start), int(end)))
    return held, {int(a): int(b) for a, b in accounts}


def _check_ledger(registry: Registry) -> None:
    """No serial held twice, each balance the sum of its blocks, and ``verify`` clean."""
    held, balances = _holdings(registry)
    ranges = sorted(r for blocks in held.values() for r in blocks)
    assert all(a[1] < b[0] for a, b in pairwise(ranges)), f"overlapping blocks: {ranges}"
    assert sum(end - start + 1 for start, end in ranges) == 100, ranges
    sums = {account: sum(e - s + 1 for s, e in held.get(account, [])) for account in balances}
    assert sums == balances, f"blocks {dict(held)} against balances {balances}"
    with registry.database.reading() as session:
        report = verify(session)
    assert report.ok, report.problems


def _race(
    registry: Registry, backend: str, move: Callable[[Registry], Any], holding: str = HEAD_LOCK, **terms: Any
) -> dict[str, Any]:
    """Authorize ``terms`` (serials 11-20 unless told) while ``move`` runs (see :func:`race`): the
    authorization does its work and waits for the row ``holding`` locks (the journal's head unless
    told); the move comes in; both are released. What the
    authorization's record was made at (``authorization``) and what the move returned or the refusal
    (``transfer``)."""
    if backend != "postgresql":
        pytest.skip(SQLITE_SKIP)
    authorizing = lambda: authorize(registry, **{"serials": "11-20", **terms}).journal_seq  # noqa: E731
    done = race(registry, authorizing, lambda: move(registry), holding)
    return {"authorization": done["amendment"], "transfer": done["transfer"]}


MOVES = pytest.mark.parametrize("move", [_by_server, _by_range, _by_batch], ids=["server", "range", "batch"])


@MOVES
def test_a_transfer_racing_an_authorization_that_splits_its_block_writes_no_stale_bounds(
    registry: Registry, backend: str, move: Callable[[Registry], Any]
) -> None:
    """acme-vn holds serials 1-100 in one block. The host authorizes 11-20 (splitting the block in three)
    while acme-vn sends credits to vn-mone. The transfer must move the credits as they are once the
    split is made (11-20 under their record, vn-mone an authorized entity), never write the block it
    read before it."""
    issue_unauthorized(registry)
    outcome = _race(registry, backend, move, entities=["acme-vn", "vn-mone"])
    assert not isinstance(outcome["transfer"], C3PError), outcome["transfer"]
    _check_ledger(registry)
    held, _balances = _holdings(registry)
    inside = [r for blocks in held.values() for r in blocks if r[0] <= 20 and r[1] >= 11]
    assert inside == [(11, 20)], f"the authorized range is not one block of its own: {dict(held)}"


@MOVES
def test_a_transfer_racing_an_authorization_that_first_transfers_its_credits_keeps_the_marks(
    registry: Registry, backend: str, move: Callable[[Registry], Any]
) -> None:
    """The host authorizes all of 1-100 (no split: the block is the range) as first transferred when
    recorded, which marks acme-vn's block in place, while acme-vn sends credits to vn-mone. The transfer
    must see the credits authorized and marked (vn-mone is an authorized entity): no move may carry the
    marks it read before the authorization, nor leave credits of the range unmarked."""
    issue_unauthorized(registry)
    terms = {"serials": "1-100", "entities": ["acme-vn", "vn-mone"], "first_transfer": "authorization"}
    outcome = _race(registry, backend, move, **terms)
    assert not isinstance(outcome["transfer"], C3PError), outcome["transfer"]
    _check_ledger(registry)
    with registry.database.reading() as session:
        unmarked = session.execute(
            select(CreditBlock.start_serial, CreditBlock.end_serial).where(CreditBlock.first_transferred.is_(False))
        ).all()
    assert unmarked == [], f"credits of the range left unmarked: {unmarked}"


def test_accepting_a_transfer_racing_an_authorization_that_marks_its_credits_in_transit_keeps_the_marks(
    registry: Registry, backend: str
) -> None:
    """acme-vn's serials 1-30 wait in Viet Nam's pending account for Japan to accept them. The host
    authorizes 1-30 as first transferred when recorded (marking the block in transit) while Japan
    accepts: the acceptance must see the mark (no second first transfer, no mark written back off)."""
    issue_unauthorized(registry)
    with registry.database.unit_of_work() as session:
        sent = service.transfer(session, OPERATOR, registry.vn_pp, registry.jp_pp, None, _serial(1, 30))

    def accept(registry: Registry) -> Any:
        with registry.database.unit_of_work() as session:
            return service.resolve_pending(session, OPERATOR, sent.key, True)

    terms = {"serials": "1-30", "entities": ["acme-vn", "acme-jp"], "first_transfer": "authorization"}
    outcome = _race(registry, backend, accept, **terms)
    assert not isinstance(outcome["transfer"], C3PError), outcome["transfer"]
    with registry.database.reading() as session:
        report = verify(session)
        marked = session.execute(
            select(CreditBlock.registry_code, CreditBlock.start_serial, CreditBlock.end_serial).where(
                CreditBlock.first_transferred.is_(True)
            )
        ).all()
    assert report.ok, report.problems
    assert [tuple(row) for row in marked] == [("VNM", 1, 30)]
    assert adjustments(registry) == [("VNM", "first_transfer", 30)]  # first transferred once, when recorded


def test_a_transfer_that_read_its_blocks_before_an_authorization_split_them_waits_without_deadlock(
    registry: Registry, backend: str
) -> None:
    """The issuance is authorized (serials 61-70). The host authorizes 11-20 and is held just before it
    locks the block 1-60 (a third connection holds it); acme-vn's transfer of serials 5-25 comes in
    meanwhile; the block is released. Before, the transfer had locked acme-vn and read the block, then
    waited for the issuance the authorization held, while the split's new block waited (through its
    foreign key) for acme-vn: a deadlock, one side failed. Now the authorization holds acme-vn first, the
    transfer waits for it, and both succeed."""
    issue_unauthorized(registry)
    authorize(registry, "61-70", entities=["acme-vn", "vn-mone"])
    block = "SELECT id FROM credit_blocks WHERE registry = 'VNM' AND start_serial = 1 FOR UPDATE"
    outcome = _race(registry, backend, _by_range, block, entities=["acme-vn", "vn-mone"])
    assert not isinstance(outcome["transfer"], C3PError), outcome["transfer"]
    assert outcome["transfer"].seq > outcome["authorization"]
    _check_ledger(registry)
