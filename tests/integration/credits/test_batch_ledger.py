"""A batch writes what the same transfers sent one by one write, on both backends: balances, blocks,
journal entries (the same canonical JSON and chain), adjustments, pending transfers and proposals;
and a batch running beside single transfers on the same accounts loses and doubles no credit."""

from __future__ import annotations

import json
import random
import threading
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from c3p.credits import batches, service
from c3p.credits.batches import TransferLine
from c3p.credits.rules.serials import SerialFormat
from c3p.db.database import Database
from c3p.errors import InvalidInput
from tests.integration.credits.test_services import balances, check_clean
from tests.support.credits import OPERATOR, Registry, create_issuance

FMT = SerialFormat()


class Undo(Exception):
    """Raised to roll back the reference transaction once its ledger is read."""


def ledger(session: Session, after: int) -> dict[str, Any]:
    """The ledger as the rules define it, without what differs from one run to the next (keys, times)."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in session.execute(text(sql), {"after": after})]

    entries = []
    for seq, entry in rows("SELECT seq, entry FROM credit_journal WHERE seq > :after ORDER BY seq"):
        found = json.loads(entry)
        entries.append((seq, {k: v for k, v in found.items() if k not in ("key", "at")}))
    return {
        "balances": rows("SELECT number, balance FROM credit_accounts ORDER BY number"),
        "blocks": rows(
            "SELECT registry, start_serial, end_serial, account_id, issuance_id, first_transferred "
            "FROM credit_blocks ORDER BY registry, start_serial"
        ),
        "journal": entries,
        "adjustments": rows(
            "SELECT country, year, kind, credits, journal_seq FROM corresponding_adjustments "
            "WHERE journal_seq > :after ORDER BY journal_seq, country, kind"
        ),
        "pending": rows(
            "SELECT from_account_id, to_account_id, credits, moves, status, proposed_seq "
            "FROM credit_pending_transfers ORDER BY proposed_seq"
        ),
        "proposals": rows(
            "SELECT from_account_id, to_account_id, credits, serial, status, proposed_seq "
            "FROM credit_transfer_proposals ORDER BY proposed_seq"
        ),
    }


def head(registry: Registry) -> int:
    with registry.database.reading() as session:
        return int(session.scalar(text("SELECT seq FROM credit_journal_head WHERE id = 1")) or 0)


def one_by_one(registry: Registry, lines: list[TransferLine], after: int) -> dict[str, Any]:
    """The ledger the lines leave sent one by one through the single path, then rolled back."""
    found: dict[str, Any] = {}
    with pytest.raises(Undo), registry.database.unit_of_work() as session:
        for line in lines:
            service.transfer(session, OPERATOR, line.from_account, line.to_account, line.credits, line.serial)
        found.update(ledger(session, after))
        raise Undo
    return found


def setting(registry: Registry) -> str:
    """Authorized credits not yet first transferred in Japan's registry, a third account there, and a
    threshold of 100 credits in Japan's registry; the third account's number."""
    create_issuance(registry, {registry.jp_gov: 600, registry.vn_gov: 200}, authorized=False)
    with registry.database.unit_of_work() as session:
        service.authorize(session, OPERATOR, "JC-VN-001", "authorized")  # the legacy record: first transfers later
        third = service.open_account(session, OPERATOR, "JPN", "participant_holding", "acme-vn").number
        service.configure_registry(session, OPERATOR, "JPN", 100)
    return third


def test_a_batch_writes_what_the_same_transfers_sent_singly_write(registry: Registry) -> None:
    third = setting(registry)
    with registry.database.reading() as session:
        first = int(session.scalar(text("SELECT MIN(start_serial) FROM credit_blocks WHERE registry = 'JPN'")) or 0)
    serial = FMT.block("JPN", "VNM", "VN007", 1, first + 200, first + 209)
    lines = [
        TransferLine(registry.jp_gov, registry.jp_pp, 40),  # a first transfer: adjustments
        TransferLine(registry.jp_pp, third, 25),  # credits the line before brought
        TransferLine(registry.jp_gov, third, serial=serial),  # a serial range
        TransferLine(registry.jp_gov, registry.jp_pp, 150),  # above the threshold: proposed
        TransferLine(registry.vn_gov, registry.jp_pp, 20),  # to the other registry: pending
        TransferLine(third, registry.jp_gov, 30),  # back, from two blocks received in this batch
        TransferLine(registry.vn_gov, registry.vn_pp, 10),
    ]
    after = head(registry)
    expected = one_by_one(registry, lines, after)
    assert expected["adjustments"] and expected["pending"] and expected["proposals"]  # each case is exercised
    with registry.database.core_unit() as unit:
        views = batches.transfer_batch(unit, OPERATOR, lines)
    assert [view.status for view in views] == ["completed"] * 3 + ["awaiting_approval", "pending"] + ["completed"] * 2
    assert views[2].serials == [serial]
    with registry.database.reading() as session:
        assert ledger(session, after) == expected
    check_clean(registry)


def test_a_batch_over_accounts_of_many_blocks_writes_what_single_transfers_write(registry: Registry) -> None:
    """Accounts holding more blocks than a batch reads at first: it reads on, as the single path does."""
    third = setting(registry)
    accounts = [registry.jp_gov, registry.jp_pp, third]
    scatter = [TransferLine(registry.jp_gov, accounts[1 + n % 2], 1) for n in range(40)]  # 40 one-credit blocks
    with registry.database.core_unit() as unit:
        batches.transfer_batch(unit, OPERATOR, scatter)
    with registry.database.reading() as session:
        last = int(session.scalar(text("SELECT MAX(end_serial) FROM credit_blocks WHERE registry = 'JPN'")) or 0)
    far = FMT.block("JPN", "VNM", "VN007", 1, last - 4, last - 4)  # one of jp_pp's last blocks, not read at first
    rng, held = random.Random(16), {registry.jp_gov: 560, registry.jp_pp: 19, third: 21}
    lines = [TransferLine(registry.jp_pp, third, serial=far)]
    for _ in range(60):
        sender = rng.choice([a for a in accounts if held[a]])
        receiver = rng.choice([a for a in accounts if a != sender])
        credits = rng.randint(1, min(9, held[sender]))
        held[sender], held[receiver] = held[sender] - credits, held[receiver] + credits
        lines.append(TransferLine(sender, receiver, credits))
    after = head(registry)
    expected = one_by_one(registry, lines, after)
    with registry.database.core_unit() as unit:
        batches.transfer_batch(unit, OPERATOR, lines)
    with registry.database.reading() as session:
        assert ledger(session, after) == expected
    check_clean(registry)


def test_a_refused_batch_with_every_kind_of_line_applies_nothing(registry: Registry) -> None:
    third = setting(registry)
    lines = [
        TransferLine(registry.jp_gov, registry.jp_pp, 40),
        TransferLine(registry.jp_gov, registry.jp_pp, 150),  # proposed
        TransferLine(registry.vn_gov, registry.jp_pp, 20),  # pending
        TransferLine(third, registry.jp_gov, 1),  # refused: the third account holds nothing
        TransferLine(registry.jp_pp, third, 41),  # refused: 40 received
    ]
    after = head(registry)
    with registry.database.reading() as session:
        before = ledger(session, 0)
    with pytest.raises(InvalidInput) as refused, registry.database.core_unit() as unit:
        batches.transfer_batch(unit, OPERATOR, lines)
    assert [r["transfer"] for r in refused.value.extra["refused"]] == [4, 5]
    with registry.database.reading() as session:
        assert ledger(session, 0) == before
    assert head(registry) == after
    check_clean(registry)


def test_batches_and_single_transfers_on_the_same_accounts_lose_and_double_nothing(registry: Registry) -> None:
    """Batches and single transfers at once, crossing the same accounts both ways: every credit is where the
    transfers sent it, the journal replays, nothing deadlocks."""
    create_issuance(registry, {registry.jp_gov: 8000, registry.jp_pp: 4000, registry.vn_gov: 4000})
    jp_gov, jp_pp, vn_gov, vn_pp = registry.holding
    batch = [TransferLine(jp_gov, jp_pp, 3), TransferLine(jp_pp, jp_gov, 1), TransferLine(vn_gov, vn_pp, 2)] * 5
    singles = [(jp_pp, jp_gov, 1), (vn_gov, vn_pp, 1), (jp_gov, jp_pp, 2)]
    errors: list[BaseException] = []

    def run(send: Any) -> None:
        database = Database(registry.database.url)
        try:
            for _ in range(8):
                send(database)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            database.dispose()

    def send_batch(database: Database) -> None:
        with database.core_unit() as unit:
            batches.transfer_batch(unit, OPERATOR, batch)

    def send_singles(database: Database) -> None:
        for sender, receiver, credits in singles:
            with database.core_unit() as unit:
                service.transfer(unit, OPERATOR, sender, receiver, credits)

    threads = [threading.Thread(target=run, args=(send,)) for send in (send_batch, send_singles, send_batch)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    held = balances(registry)
    # per round: batches move jp_gov→jp_pp 5 × (3 - 1) = 10 each (two threads), singles 2 - 1 = 1
    assert held[jp_pp] == 4000 + 8 * (2 * 10 + 1)
    assert held[jp_gov] == 8000 - 8 * (2 * 10 + 1)
    assert held[vn_pp] == 8 * (2 * 10 + 1)
    check_clean(registry)
