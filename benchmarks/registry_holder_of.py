""" "Who holds serial X" with 10 million credits in 100,000 blocks: median look-up time.

Builds a migrated database (SQLite by default; ``--postgresql`` adds a throwaway cluster),
opens 100 holding accounts, issues one notification through the service, then bulk-loads
100,000 blocks of 100 credits each into ``credit_blocks`` (a row per block, as the ledger
keeps them, but written in one statement: building them through 100,000 transactions would
only time the loader). Then it times ``c3p.credits.queries.holder_of`` (parse the serial,
one index seek on (registry, start_serial), the account and issuance) and the bare index
seek, over many random serials, and prints medians (target: < 1 ms) and the query plan.

    python benchmarks/registry_holder_of.py --lookups 5000 [--postgresql]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

BLOCKS = 100_000
BLOCK_CREDITS = 100


def build(url: str) -> None:
    from _registry import prepare_registry
    from sqlalchemy import text

    from c3p.db.database import Database

    prepare_registry(url, 100, 1)
    database = Database(url)
    with database.engine.begin() as connection:
        ids = [
            row[0]
            for row in connection.execute(text("SELECT id FROM credit_accounts WHERE kind = 'government_holding'"))
        ]
        connection.execute(text("DELETE FROM credit_blocks"))
        rows = [
            {"r": "JPN", "s": 1 + i * BLOCK_CREDITS, "e": (i + 1) * BLOCK_CREDITS, "a": ids[i % len(ids)], "i": 1}
            for i in range(BLOCKS)
        ]
        connection.execute(
            text(
                "INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, "
                "first_transferred) VALUES (:r, :s, :e, :a, :i, false)"
            ),
            rows,
        )
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE credit_blocks"))
        else:
            connection.execute(text("ANALYZE"))
    database.dispose()


def measure(url: str, lookups: int) -> None:
    from sqlalchemy import text

    from c3p.credits import queries
    from c3p.credits.rules.serials import DEFAULT_FORMAT
    from c3p.credits.store import Store
    from c3p.db.database import Database

    database = Database(url)
    rng = random.Random(7)
    units = [rng.randint(1, BLOCKS * BLOCK_CREDITS) for _ in range(lookups)]
    with database.reading() as session:
        # the serials of the bench issuance: its host, its project's serial code and its period
        issued = "SELECT host_country, serial_code, period_number FROM credit_issuances WHERE id = 1"
        host, project, period = session.execute(text(issued)).one()
        serials = [DEFAULT_FORMAT.unit("JPN", host, project, period, u) for u in units]
        store = Store(session)
        for serial in serials[:200]:  # warm caches
            queries.holder_of(session, serial)
        full, seek = [], []
        for serial, unit in zip(serials, units, strict=True):
            t = time.perf_counter()
            view = queries.holder_of(session, serial)
            full.append(time.perf_counter() - t)
            t = time.perf_counter()
            row = store.block_at("JPN", unit)
            seek.append(time.perf_counter() - t)
            assert row is not None and row[2] <= unit <= row[3] and view.serial == serial
        count = session.execute(text("SELECT count(*), sum(end_serial - start_serial + 1) FROM credit_blocks")).one()
        explain = "EXPLAIN QUERY PLAN " if database.engine.dialect.name == "sqlite" else "EXPLAIN "
        plan = session.execute(
            text(
                explain + "SELECT id FROM credit_blocks WHERE registry = 'JPN' AND start_serial <= 5000000 "
                "ORDER BY start_serial DESC LIMIT 1"
            )
        ).all()
    database.dispose()
    name = database.engine.dialect.name
    print(f"{name}: {count[0]:,} blocks, {count[1]:,} credits, {lookups} random serials")
    print(
        f"  holder_of (parse, seek, account, issuance): median {statistics.median(full) * 1e3:.3f} ms, "
        f"p99 {sorted(full)[int(lookups * 0.99)] * 1e3:.3f} ms"
    )
    print(f"  index seek alone:                          median {statistics.median(seek) * 1e3:.3f} ms")
    print("  plan: " + " | ".join(str(r[-1]) for r in plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=5000)
    parser.add_argument("--postgresql", action="store_true", help="also measure on a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='c3p-bench-')) / 'holder.sqlite3'}"
    build(url)
    measure(url, args.lookups)
    if args.postgresql:
        from tests.support.pgcluster import PostgresCluster

        cluster = PostgresCluster().start()
        try:
            print(f"PostgreSQL settings (a read benchmark, durability not measured): {cluster.settings()}")
            url = cluster.create_database("holder")
            build(url)
            measure(url, args.lookups)
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
