"""Transfers in batches of 100 against single transfers, on durable settings (target: ≥ 5×).

One client, the same service and accounts. Single: each transfer in its own Core unit (one
commit each), the product's own single path (the API's and the forms'; on PostgreSQL one call
of ``c3p_move_out``). Batch: ``credits.batches.transfer_batch`` with 100 transfers per Core
unit, every transfer checked as if alone. The two alternate round by round; medians of transfers
per second and their ratio, and of the client process's CPU per transfer (the part a loaded disk
does not blur), on a throwaway PostgreSQL cluster with its durable defaults and on SQLite with
the application's pragmas (WAL, synchronous=FULL). ``verify`` runs at the end.

    python benchmarks/registry_batches.py --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _registry import ROOT, prepare_registry

sys.path.insert(0, str(ROOT))
from tests.support.pgcluster import PostgresCluster

ACCOUNTS = 64
CREDITS_PER_ACCOUNT = 10_000_000
BATCH = 100


def rate(url: str, accounts: list[str], seconds: float, batch: int, seed: int) -> tuple[float, float]:
    """Transfers per second committed in ``seconds``, ``batch`` per unit of work (1: single transfers), and
    this process's CPU milliseconds per transfer (on SQLite the database's work too, on PostgreSQL the
    client's alone)."""
    from tests.support.credits import OPERATOR

    from c3p.credits import batches, service
    from c3p.credits.batches import TransferLine
    from c3p.db.database import Database

    rng = random.Random(seed)
    database = Database(url)
    done, deadline = 0, time.perf_counter() + seconds
    begin, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() < deadline:
        lines = [TransferLine(*rng.sample(accounts, 2), rng.randint(1, 3)) for _ in range(batch)]
        with database.core_unit() as unit:
            if batch == 1:
                service.transfer(unit, OPERATOR, lines[0].from_account, lines[0].to_account, lines[0].credits)
            else:
                batches.transfer_batch(unit, OPERATOR, lines)
        done += batch
    elapsed, cpu = time.perf_counter() - begin, time.process_time() - cpu
    database.dispose()
    return done / elapsed, 1000 * cpu / done


def compare(name: str, url: str, settings: str, seconds: int, rounds: int) -> None:
    from registry_transfers import verify_clean

    accounts = prepare_registry(url, ACCOUNTS, CREDITS_PER_ACCOUNT)
    single, batched = [], []
    for round_ in range(rounds):
        single.append(rate(url, accounts, seconds, 1, round_))
        batched.append(rate(url, accounts, seconds, BATCH, round_))
    s, b = statistics.median(r for r, _ in single), statistics.median(r for r, _ in batched)
    s_cpu, b_cpu = statistics.median(c for _, c in single), statistics.median(c for _, c in batched)
    print(f"{name} ({settings}; {seconds} s per run, {rounds} rounds, alternating; load {os.getloadavg()[0]:.1f})")
    print(f"  single transfers:      {s:8.0f} /s   CPU {s_cpu:.3f} ms each   runs {[round(x) for x, _ in single]}")
    print(f"  batches of {BATCH}:      {b:8.0f} /s   CPU {b_cpu:.3f} ms each   runs {[round(x) for x, _ in batched]}")
    print(f"  ratio: {b / s:.1f} (target ≥ 5); of CPU per transfer: {s_cpu / b_cpu:.1f}")
    print(f"  {verify_clean(url)}", flush=True)


def main() -> None:
    from registry_transfers import sqlite_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    args = parser.parse_args()
    if args.only != "sqlite":
        cluster = PostgresCluster(durable=True).start()
        try:
            compare("PostgreSQL", cluster.create_database("batches"), cluster.settings(), args.seconds, args.rounds)
        finally:
            cluster.stop()
    if args.only != "postgresql":
        folder = Path(tempfile.mkdtemp(prefix="c3p-bench-"))
        compare("SQLite", f"sqlite:///{folder / 'batches.sqlite3'}", sqlite_settings(), args.seconds, args.rounds)


if __name__ == "__main__":
    main()
