"""Credit transfers per second through the service layer, against baselines in the same run.

PostgreSQL: a throwaway cluster (tests/support/pgcluster.py) runs pgbench's built-in TPC-B
(``pgbench -c N -j N -T s -b tpcb-like``, scale 1) and the registry's transfer loop (N client
processes, each ``unit_of_work`` + ``service.transfer`` between random holding accounts), for
N = 1, 4, 16, alternating round by round; the cluster runs with PostgreSQL's durable defaults
(fsync and synchronous_commit on), printed with the results. SQLite: the service loop against a
bare ``sqlite3`` loop doing two UPDATEs and one INSERT per transaction with the same pragmas
(WAL, synchronous=FULL, the application's setting), and the service loop again with
synchronous=NORMAL (the setting before FULL), all three alternating. Prints medians and
same-run ratios (target: ≥ 0.5).

    python benchmarks/registry_transfers.py --seconds 10 --rounds 3
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _registry import prepare_registry  # noqa: E402
from tests.support.pgcluster import PostgresCluster, pg_bin  # noqa: E402

ACCOUNTS = 64
CREDITS_PER_ACCOUNT = 10_000_000


def service_client(
    url: str, accounts: list[str], seconds: float, seed: int, start_at: float, synchronous: str | None = None
) -> int:
    """One client process: transfers until the deadline; returns how many committed.

    ``synchronous`` overrides SQLite's sync mode after the application's own pragmas.
    """
    from sqlalchemy import event
    from tests.support.credits import OPERATOR

    from c3p.credits import service
    from c3p.db.database import Database

    rng = random.Random(seed)
    database = Database(url)
    if synchronous is not None:
        event.listen(
            database.engine, "connect", lambda dbapi, _record: dbapi.execute(f"PRAGMA synchronous={synchronous}")
        )
    with database.unit_of_work() as session:  # connect before the clock starts, like pgbench
        pass
    while time.time() < start_at:
        time.sleep(0.001)
    deadline, done = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        source, target = rng.sample(accounts, 2)
        with database.unit_of_work() as session:
            service.transfer(session, OPERATOR, source, target, rng.randint(1, 3))
        done += 1
    database.dispose()
    return done


def service_tps(url: str, accounts: list[str], clients: int, seconds: float, synchronous: str | None = None) -> float:
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 2.0 + 0.1 * clients
    with context.Pool(clients) as pool:
        counts = pool.starmap(
            service_client, [(url, accounts, seconds, i, start_at, synchronous) for i in range(clients)]
        )
    return sum(counts) / seconds


def pgbench_tps(cluster: PostgresCluster, database: str, clients: int, seconds: int) -> float:
    command = [
        pg_bin("pgbench"),
        "-h",
        "127.0.0.1",
        "-p",
        str(cluster.port),
        "-U",
        cluster.user,
        "-n",
        "-c",
        str(clients),
        "-j",
        str(clients),
        "-T",
        str(seconds),
        "-b",
        "tpcb-like",
        database,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))  # type: ignore[union-attr]


def sqlite_settings() -> str:
    """The pragmas the application's SQLite connections run with."""
    from c3p.db.engine import SQLITE_SYNCHRONOUS

    return f"journal_mode=WAL, synchronous={SQLITE_SYNCHRONOUS}"


def bare_sqlite_tps(path: Path, seconds: float) -> float:
    """Two UPDATEs and one INSERT per transaction on the raw sqlite3 module, with the application's pragmas."""
    from c3p.db.engine import SQLITE_SYNCHRONOUS

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    connection.execute("CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS moves (id INTEGER PRIMARY KEY, source INTEGER, target INTEGER, credits INTEGER)"
    )
    connection.executemany("INSERT OR IGNORE INTO accounts VALUES (?, ?)", [(i, 10**9) for i in range(ACCOUNTS)])
    rng = random.Random(1)
    deadline, done = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        a, b = rng.sample(range(ACCOUNTS), 2)
        n = rng.randint(1, 3)
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE accounts SET balance = balance - ? WHERE id = ?", (n, a))
        connection.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (n, b))
        connection.execute("INSERT INTO moves (source, target, credits) VALUES (?, ?, ?)", (a, b, n))
        connection.execute("COMMIT")
        done += 1
    connection.close()
    return done / seconds


def verify_clean(url: str) -> str:
    from c3p.credits.verify import verify
    from c3p.db.database import Database

    database = Database(url)
    with database.reading() as session:
        report = verify(session)
    database.dispose()
    assert report.ok, report.problems
    return f"verify: OK, {report.entries} entries, {report.blocks} blocks, {report.supply_credits} credits"


def postgresql(seconds: int, rounds: int, client_counts: list[int]) -> None:
    cluster = PostgresCluster(durable=True).start()
    try:
        subprocess.run(
            [pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "pgb"], check=True
        )
        subprocess.run(
            [pg_bin("pgbench"), "-i", "-q", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "pgb"],
            check=True,
            capture_output=True,
        )
        url = cluster.create_database("registry")
        accounts = prepare_registry(url, ACCOUNTS, CREDITS_PER_ACCOUNT)
        print(f"PostgreSQL ({seconds} s per run, {rounds} rounds, alternating; {cluster.settings()})")
        print(f"{'clients':>8} {'pgbench TPC-B tps':>18} {'registry transfers/s':>21} {'ratio':>6}")
        for clients in client_counts:
            base, mine = [], []
            for _ in range(rounds):
                base.append(pgbench_tps(cluster, "pgb", clients, seconds))
                mine.append(service_tps(url, accounts, clients, seconds))
            b, m = statistics.median(base), statistics.median(mine)
            print(
                f"{clients:>8} {b:>18.0f} {m:>21.0f} {m / b:>6.2f}   runs: {[round(x) for x in base]} vs "
                f"{[round(x) for x in mine]}",
                flush=True,
            )
        print(verify_clean(url))
    finally:
        cluster.stop()


def sqlite(seconds: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="c3p-bench-"))
    url = f"sqlite:///{folder / 'registry.sqlite3'}"
    accounts = prepare_registry(url, ACCOUNTS, CREDITS_PER_ACCOUNT)
    base, mine, normal = [], [], []
    for _ in range(rounds):
        base.append(bare_sqlite_tps(folder / "bare.sqlite3", seconds))
        mine.append(service_tps(url, accounts, 1, seconds))
        normal.append(service_tps(url, accounts, 1, seconds, synchronous="NORMAL"))
    b, m, n = statistics.median(base), statistics.median(mine), statistics.median(normal)
    print(f"SQLite, 1 client ({seconds} s per run, {rounds} rounds, alternating; {sqlite_settings()})")
    print(f"  bare sqlite3 (2 UPDATE + 1 INSERT): {b:.0f} tx/s   runs {[round(x) for x in base]}")
    print(f"  registry service transfers:         {m:.0f} tx/s   runs {[round(x) for x in mine]}")
    print(f"  ratio: {m / b:.2f}")
    print(f"  not durable, synchronous=NORMAL:   {n:.0f} tx/s   runs {[round(x) for x in normal]}")
    print(f"  FULL / NORMAL: {m / n:.2f}")
    print(verify_clean(url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (median reported)")
    parser.add_argument("--clients", default="1,4,16", help="PostgreSQL client counts")
    parser.add_argument("--only", choices=["postgresql", "sqlite"], help="run one backend only")
    args = parser.parse_args()
    if args.only != "sqlite":
        postgresql(args.seconds, args.rounds, [int(c) for c in args.clients.split(",")])
    if args.only != "postgresql":
        sqlite(args.seconds, args.rounds)


if __name__ == "__main__":
    main()
