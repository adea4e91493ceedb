"""Eight processes transfer at once, each with its own engine: every credit is still accounted for.

PostgreSQL serializes through row locks taken in one order; SQLite through ``BEGIN
IMMEDIATE``. Afterwards the totals are what was issued, the journal has one entry per
transfer that succeeded, and ``verify`` replays it to the same state.
"""

from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

from c3p.credits import queries, service
from c3p.credits.tables import JournalEntry
from c3p.credits.verify import verify
from tests.support.credits import OPERATOR, Registry, create_issuance, transfer_worker

PROCESSES = 8
TRANSFERS = 25


def test_eight_processes_transfer_concurrently_and_conserve_every_credit(registry: Registry) -> None:
    with registry.database.unit_of_work() as session:
        extra = [
            service.open_account(session, OPERATOR, "JPN", "participant_holding", "acme-jp").number for _ in range(3)
        ]
    accounts = [registry.jp_gov, registry.jp_pp, *extra]
    create_issuance(registry, {a: 500 if a != registry.jp_gov else 2000 for a in accounts}, authorized=False)
    with registry.database.reading() as session:
        entries_before = session.scalar(select(func.count()).select_from(JournalEntry))
    registry.database.dispose()
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.starmap(
            transfer_worker, [(registry.database.url, accounts, seed, TRANSFERS) for seed in range(PROCESSES)]
        )
    done = sum(d for d, _ in results)
    assert done + sum(r for _, r in results) == PROCESSES * TRANSFERS
    assert done > PROCESSES * TRANSFERS // 2
    with registry.database.reading() as session:
        held = {a.number: a.balance_credits for a in queries.accounts(session)}
        entries_after = session.scalar(select(func.count()).select_from(JournalEntry))
        report = verify(session)
    assert sum(held[a] for a in accounts) == 4000
    assert min(held.values()) >= -4000 and all(held[a] >= 0 for a in accounts)
    assert entries_after - entries_before == done
    assert report.ok, report.problems
