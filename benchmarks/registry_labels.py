"""The "correspondingly adjusted" label at 10^6 blocks: the hosts' running totals against summing the blocks.

Builds a migrated SQLite database, issues one notification through the service, then bulk-loads
1,000,000 blocks of 10 credits, every other one first transferred, with the host's running total
and 10,000 recorded first-transfer adjustments that cover them (written in a few statements:
building them through the service would only time the loader). Then it times, in alternating
rounds, ``c3p.credits.labels.adjusted_hosts`` (the totals row and the adjustments, no block read)
and the baseline it replaced, the same answer from the first-transferred blocks summed per host,
and prints the medians and their ratio.

    python benchmarks/registry_labels.py [--blocks 1000000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

BLOCK_CREDITS = 10
ADJUSTMENT_ROWS = 10_000

#: the read the running totals replaced: the host's first-transferred blocks, summed on each view
BLOCKS_SUMMED = (
    "SELECT i.host_country, SUM(b.end_serial - b.start_serial + 1) FROM credit_blocks b "
    "JOIN credit_issuances i ON i.id = b.issuance_id WHERE b.first_transferred GROUP BY i.host_country"
)


def build(url: str, blocks: int) -> None:
    from _registry import prepare_registry
    from sqlalchemy import text

    from c3p.db.database import Database

    prepare_registry(url, 10, 1)
    database = Database(url)
    with database.engine.begin() as connection:
        account = connection.execute(text("SELECT id FROM credit_accounts WHERE kind = 'government_holding'")).first()
        host = connection.execute(text("SELECT host_country FROM credit_issuances WHERE id = 1")).scalar_one()
        connection.execute(text("DELETE FROM credit_blocks"))
        for chunk in range(0, blocks, 100_000):
            rows = [
                {"s": 1 + i * BLOCK_CREDITS, "e": (i + 1) * BLOCK_CREDITS, "a": account[0], "f": i % 2 == 0}
                for i in range(chunk, min(blocks, chunk + 100_000))
            ]
            connection.execute(
                text(
                    "INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, "
                    "first_transferred) VALUES ('JPN', :s, :e, :a, 1, :f)"
                ),
                rows,
            )
        first = (blocks + 1) // 2 * BLOCK_CREDITS
        connection.execute(text("DELETE FROM article6_first_transfer_totals"))
        connection.execute(
            text("INSERT INTO article6_first_transfer_totals (country, credits) VALUES (:h, :c)"),
            {"h": host, "c": first},
        )
        each = -(-first // ADJUSTMENT_ROWS)
        connection.execute(
            text(
                "INSERT INTO corresponding_adjustments (country, year, kind, credits, journal_seq) "
                "VALUES (:h, 2026, 'first_transfer', :c, 1)"
            ),
            [{"h": host, "c": each} for _ in range(ADJUSTMENT_ROWS)],
        )
        connection.execute(text("ANALYZE"))
    database.dispose()


def measure(url: str, rounds: int) -> None:
    from sqlalchemy import text

    from c3p.credits import labels
    from c3p.credits.rules import labels as rules
    from c3p.credits.rules.article6 import AdjustmentKind
    from c3p.db.database import Database

    database = Database(url)
    totals, summed = [], []
    with database.reading() as session:
        recorded = (
            "SELECT country, SUM(credits) FROM corresponding_adjustments "
            f"WHERE kind = '{AdjustmentKind.first_transfer}' GROUP BY country"
        )
        for _ in range(rounds):  # alternate, so the load of the moment weighs on both
            t = time.perf_counter()
            now = labels.adjusted_hosts(session)
            totals.append(time.perf_counter() - t)
            t = time.perf_counter()
            first = {str(h): int(c) for h, c in session.execute(text(BLOCKS_SUMMED))}
            done = {str(h): int(c) for h, c in session.execute(text(recorded))}
            before = rules.adjusted_hosts(first, done)
            summed.append(time.perf_counter() - t)
            assert now == before and now, (now, before)
        count = session.execute(text("SELECT count(*) FROM credit_blocks")).scalar_one()
    database.dispose()
    new, old = statistics.median(totals), statistics.median(summed)
    print(f"sqlite: {count:,} blocks, {rounds} alternating rounds")
    print(f"  adjusted_hosts (running totals):   median {new * 1e3:.2f} ms")
    print(f"  baseline (blocks summed per host): median {old * 1e3:.2f} ms")
    print(f"  ratio {new / old:.4f} of the baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='c3p-bench-')) / 'labels.sqlite3'}"
    build(url, args.blocks)
    measure(url, args.rounds)


if __name__ == "__main__":
    main()
