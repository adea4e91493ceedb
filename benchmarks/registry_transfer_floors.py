"""How fast could any transfer go? Floors for the credit-transfer targets, measured in one run.

``registry_transfers.py`` compares the service layer with pgbench's TPC-B (PostgreSQL) and a
bare sqlite3 loop doing two UPDATEs and one INSERT (SQLite), target ≥ 0.5. This script
measures, against the same baselines and in the same run, what lies between:

SQLite
  ``minimal ledger``: the least a transfer of serial-numbered credits with a sealed journal
  entry can do, on a bare ``sqlite3`` connection with a schema cut to the bone (blocks
  clustered on (registry, start serial) so a split touches one page, balances derived from
  blocks, no policy, no views): read both accounts, read the sender's last block, shrink it,
  insert the receiver's block, read the journal tip, append the entry sealed with
  :func:`c3p.credits.rules.journal.entry_hash`, commit.

PostgreSQL
  ``TPC-B from Python``: pgbench's own five statements from a Python (psycopg) client, one
  process per client: the most any Python client can get from this cluster for TPC-B's work.

    python benchmarks/registry_transfer_floors.py --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from registry_transfers import ACCOUNTS, bare_sqlite_tps, pgbench_tps, sqlite_settings  # noqa: E402
from tests.support.pgcluster import PostgresCluster, pg_bin  # noqa: E402

from c3p.db.engine import SQLITE_SYNCHRONOUS  # noqa: E402

MINIMAL_SCHEMA = """
CREATE TABLE accounts (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
  status TEXT NOT NULL, holder_id INTEGER);
CREATE TABLE blocks (registry TEXT NOT NULL, start_serial INTEGER NOT NULL, end_serial INTEGER NOT NULL,
  account_id INTEGER NOT NULL, issuance_id INTEGER NOT NULL, PRIMARY KEY (registry, start_serial)) WITHOUT ROWID;
CREATE INDEX blocks_by_account ON blocks (account_id, registry, start_serial);
CREATE TABLE journal (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, occurred_at TEXT NOT NULL,
  credits INTEGER NOT NULL, entry TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL);
"""


def minimal_ledger(path: Path) -> sqlite3.Connection:
    """The bone-cut schema with ACCOUNTS accounts of 10 M credits each, same pragmas as the baseline."""
    from c3p.credits.rules.journal import GENESIS

    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
    connection.executescript(MINIMAL_SCHEMA)
    connection.execute("BEGIN")
    for i in range(1, ACCOUNTS + 1):
        connection.execute("INSERT INTO accounts VALUES (?, ?, 'holding', 'open', 1)", (i, f"A{i:06d}"))
        connection.execute("INSERT INTO blocks VALUES ('JPN', ?, ?, ?, 1)", ((i - 1) * 10**7 + 1, i * 10**7, i))
    connection.execute("INSERT INTO journal VALUES (0, 'genesis', '', 0, '{}', '', ?)", (GENESIS,))
    connection.execute("COMMIT")
    return connection


def minimal_transfer(connection: sqlite3.Connection, source: str, target: str, credits: int) -> None:
    """Move ``credits`` from the top of the sender's last block to the receiver, sealed in the journal."""
    from c3p.credits.rules.journal import canonical, entry_hash

    connection.execute("BEGIN IMMEDIATE")
    found = connection.execute(
        "SELECT number, id, kind, status, holder_id FROM accounts WHERE number IN (?, ?)", (source, target)
    ).fetchall()
    accounts = {row[0]: row for row in found}
    sender, receiver = accounts[source][1], accounts[target][1]
    registry, start, end, issuance = connection.execute(
        "SELECT registry, start_serial, end_serial, issuance_id FROM blocks WHERE account_id = ? "
        "ORDER BY registry DESC, start_serial DESC LIMIT 1",
        (sender,),
    ).fetchone()
    if end - start + 1 <= credits:  # the whole block changes hands
        credits = end - start + 1
        connection.execute(
            "UPDATE blocks SET account_id = ? WHERE registry = ? AND start_serial = ?", (receiver, registry, start)
        )
    else:
        connection.execute(
            "UPDATE blocks SET end_serial = ? WHERE registry = ? AND start_serial = ?", (end - credits, registry, start)
        )
        connection.execute(
            "INSERT INTO blocks VALUES (?, ?, ?, ?, ?)", (registry, end - credits + 1, end, receiver, issuance)
        )
    seq, previous = connection.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    now = dt.datetime.now(dt.UTC).isoformat()
    entry = {
        "at": now,
        "key": uuid.uuid4().hex,
        "kind": "transfer",
        "legs": [[sender, -credits], [receiver, credits]],
        "moves": [[registry, end - credits + 1, end, sender, receiver, issuance]],
        "seq": seq + 1,
    }
    text = canonical(entry)
    connection.execute(
        "INSERT INTO journal VALUES (?, 'transfer', ?, ?, ?, ?, ?)",
        (seq + 1, now, credits, text, previous, entry_hash(previous, text)),
    )
    connection.execute("COMMIT")


def minimal_ledger_tps(path: Path, seconds: float) -> float:
    connection = minimal_ledger(path)
    numbers = [f"A{i:06d}" for i in range(1, ACCOUNTS + 1)]
    rng = random.Random(1)
    deadline, done = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        source, target = rng.sample(numbers, 2)
        minimal_transfer(connection, source, target, rng.randint(1, 3))
        done += 1
    connection.close()
    return done / seconds


def tpcb_client(dsn: str, seconds: float, seed: int, start_at: float) -> int:
    """pgbench's tpcb-like script (scale 1) from psycopg: five statements in a transaction."""
    import psycopg

    rng = random.Random(seed)
    connection = psycopg.connect(dsn)
    while time.time() < start_at:
        time.sleep(0.001)
    deadline, done = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        aid, tid, delta = rng.randint(1, 100_000), rng.randint(1, 10), rng.randint(-5000, 5000)
        connection.execute("UPDATE pgbench_accounts SET abalance = abalance + %s WHERE aid = %s", (delta, aid))
        connection.execute("SELECT abalance FROM pgbench_accounts WHERE aid = %s", (aid,)).fetchall()
        connection.execute("UPDATE pgbench_tellers SET tbalance = tbalance + %s WHERE tid = %s", (delta, tid))
        connection.execute("UPDATE pgbench_branches SET bbalance = bbalance + %s WHERE bid = 1", (delta,))
        connection.execute(
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (%s, 1, %s, %s, CURRENT_TIMESTAMP)",
            (tid, aid, delta),
        )
        connection.commit()
        done += 1
    connection.close()
    return done


def python_tpcb_tps(dsn: str, clients: int, seconds: float) -> float:
    start_at = time.time() + 1.0 + 0.1 * clients
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        counts = pool.starmap(tpcb_client, [(dsn, seconds, i, start_at) for i in range(clients)])
    return sum(counts) / seconds


def postgresql(seconds: int, rounds: int, client_counts: list[int]) -> None:
    cluster = PostgresCluster(durable=True).start()
    try:
        address = ["-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user]
        subprocess.run([pg_bin("createdb"), *address, "pgb"], check=True)
        subprocess.run([pg_bin("pgbench"), "-i", "-q", *address, "pgb"], check=True, capture_output=True)
        dsn = f"postgresql://{cluster.user}@127.0.0.1:{cluster.port}/pgb"
        print(f"PostgreSQL ({seconds} s per run, {rounds} rounds, alternating; {cluster.settings()})")
        print(f"{'clients':>8} {'pgbench TPC-B tps':>18} {'TPC-B from Python':>18} {'ratio':>6}")
        for clients in client_counts:
            base, python = [], []
            for _ in range(rounds):
                base.append(pgbench_tps(cluster, "pgb", clients, seconds))
                python.append(python_tpcb_tps(dsn, clients, seconds))
            b, p = statistics.median(base), statistics.median(python)
            print(
                f"{clients:>8} {b:>18.0f} {p:>18.0f} {p / b:>6.2f}   runs: {[round(x) for x in base]} vs "
                f"{[round(x) for x in python]}",
                flush=True,
            )
    finally:
        cluster.stop()


def sqlite(seconds: int, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="c3p-floor-"))
    base, floor = [], []
    for i in range(rounds):
        base.append(bare_sqlite_tps(folder / f"bare{i}.sqlite3", seconds))
        floor.append(minimal_ledger_tps(folder / f"minimal{i}.sqlite3", seconds))
    b, f = statistics.median(base), statistics.median(floor)
    print(f"SQLite, 1 client ({seconds} s per run, {rounds} rounds, alternating; {sqlite_settings()})")
    print(f"  bare sqlite3 (2 UPDATE + 1 INSERT): {b:.0f} tx/s   runs {[round(x) for x in base]}")
    print(f"  minimal serial-block ledger:        {f:.0f} tx/s   runs {[round(x) for x in floor]}")
    print(f"  ratio: {f / b:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (median reported)")
    parser.add_argument("--clients", default="1,4,16", help="PostgreSQL client counts")
    parser.add_argument("--only", choices=["postgresql", "sqlite"], help="run one backend only")
    args = parser.parse_args()
    if args.only != "postgresql":
        sqlite(args.seconds, args.rounds)
    if args.only != "sqlite":
        postgresql(args.seconds, args.rounds, [int(c) for c in args.clients.split(",")])


if __name__ == "__main__":
    main()
