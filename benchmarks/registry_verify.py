"""``verify`` against the length of the journal (target: 10^6 entries ≤ 60 s, flat memory).

The registry is built through the real service (64 holding accounts on SQLite, WAL,
synchronous=FULL); the journal then grows by transfers of 1–3 credits between random holding
accounts. By default they are written straight into the tables (:func:`append_transfers`):
entries sealed as the service seals them (canonical JSON, the same SHA-256 chain), blocks and
balances updated to match, so 10^6 entries take a minute to build instead of most of an hour;
``--through-service`` grows it through ``batches.transfer_batch`` instead. Either way ``verify``
must find the registry sound. At each size, ``verify`` runs in a fresh process, which reports
its time, CPU time and peak resident memory. Memory is flat when the peak does not grow with
the journal: ``verify`` streams the entries and keeps only the ledger's state (accounts, blocks).

    python benchmarks/registry_verify.py --sizes 100000 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _registry import ROOT, prepare_registry

ACCOUNTS = 64
CREDITS_PER_ACCOUNT = 10_000_000
BATCH = 500
WIDTHS = (9, 8, 9, 7, 11, 9, 7)

PROBE = """
import json, resource, sys, time
from c3p.credits.verify import verify
from c3p.db.database import Database
database = Database(sys.argv[1])
begin, cpu = time.perf_counter(), time.process_time()
with database.reading() as session:
    report = verify(session)
seconds, cpu = time.perf_counter() - begin, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"ok": report.ok, "entries": report.entries, "blocks": report.blocks,
                  "seconds": seconds, "cpu_seconds": cpu, "peak_mib": peak,
                  "problems": [p.what for p in report.problems[:3]]}))
"""


def grow(url: str, accounts: list[str], transfers: int, seed: int) -> None:
    """Append ``transfers`` journal entries, ``BATCH`` transfers per unit of work."""
    sys.path.insert(0, str(ROOT))
    from tests.support.credits import OPERATOR

    from c3p.credits import batches
    from c3p.credits.batches import TransferLine
    from c3p.db.database import Database

    rng = random.Random(seed)
    database = Database(url)
    while transfers > 0:
        size = min(BATCH, transfers)
        lines = [TransferLine(*rng.sample(accounts, 2), rng.randint(1, 3)) for _ in range(size)]
        with database.unit_of_work() as session:
            batches.transfer_batch(session, OPERATOR, lines)
        transfers -= size
    database.dispose()


def append_transfers(path: Path, transfers: int, seed: int) -> None:
    """Append ``transfers`` sealed transfer entries straight into the tables, with the blocks and balances they leave.

    Each transfer moves the last 1–3 credits of the sender's most recently received block, so
    every move lies inside one block the sender holds, as the ledger's rules require.
    """
    from c3p.credits.rules.journal import canonical, entry_hash
    from c3p.credits.rules.transactions import Entry, Move, TransactionKind, legs_for

    rng = random.Random(seed)
    connection = sqlite3.connect(path)
    held: dict[int, list[list[int | str | bool]]] = {}
    holding = "SELECT id FROM credit_accounts WHERE kind = 'government_holding' ORDER BY id"
    for (account,) in connection.execute(holding):
        held[account] = []
    blocks = "SELECT registry, start_serial, end_serial, account_id, issuance_id, first_transferred FROM credit_blocks"
    for registry, start, end, account, issuance, first in connection.execute(blocks + " ORDER BY start_serial"):
        if account in held:
            held[account].append([registry, start, end, issuance, bool(first)])
    seq, previous = connection.execute("SELECT seq, hash FROM credit_journal_head WHERE id = 1").fetchone()
    accounts, change = list(held), dict.fromkeys(held, 0)
    rows: list[tuple[object, ...]] = []
    for _ in range(transfers):
        sender, receiver = rng.sample(accounts, 2)
        moves, wanted = [], rng.randint(1, 3)
        while wanted and held[sender]:
            top = held[sender][-1]
            registry, start, end, issuance, first = top
            taken = min(wanted, int(end) - int(start) + 1)
            moves.append(Move(str(registry), int(end) - taken + 1, int(end), sender, receiver, int(issuance)))
            held[receiver].append([registry, int(end) - taken + 1, end, issuance, first])
            if taken == int(end) - int(start) + 1:
                held[sender].pop()
            else:
                top[2] = int(end) - taken
            wanted -= taken
        seq += 1
        now = dt.datetime.now(dt.UTC)
        legs = legs_for(moves, {})
        entry = Entry(seq, f"{seq:032x}", TransactionKind.transfer, now.isoformat(), "bench", legs, tuple(moves))
        text = canonical(entry.to_json())
        sealed = entry_hash(previous, text)
        stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append((seq, entry.key, "transfer", stamp, entry.credits, text, previous, sealed))
        previous = sealed
        for leg in legs:
            change[leg.account_id] += leg.credits
        if len(rows) == 50_000:
            _insert_entries(connection, rows)
    _insert_entries(connection, rows)
    with connection:
        connection.execute("UPDATE credit_journal_head SET seq = ?, hash = ? WHERE id = 1", (seq, previous))
        for account, credits in change.items():
            connection.execute("UPDATE credit_accounts SET balance = balance + ? WHERE id = ?", (credits, account))
            connection.execute("DELETE FROM credit_blocks WHERE account_id = ?", (account,))
        connection.executemany(
            "INSERT INTO credit_blocks (registry, start_serial, end_serial, account_id, issuance_id, "
            "first_transferred) VALUES (?, ?, ?, ?, ?, ?)",
            [(r, s, e, account, i, f) for account, blocks in held.items() for r, s, e, i, f in blocks],
        )
    connection.close()


def _insert_entries(connection: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    with connection:
        connection.executemany(
            "INSERT INTO credit_journal (seq, key, kind, occurred_at, credits, entry, previous_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    rows.clear()


def probe(url: str) -> dict[str, float]:
    """``verify`` in a fresh process: its time and peak memory."""
    result = subprocess.run([sys.executable, "-c", PROBE, url], check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["ok"], f"verify found problems: {figures['problems']}"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000], help="Journal sizes to verify at.")
    parser.add_argument(
        "--through-service", action="store_true", help="Grow the journal through the credit service (slow)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "verify.sqlite3"
        url = f"sqlite:///{path}"
        accounts = prepare_registry(url, ACCOUNTS, CREDITS_PER_ACCOUNT)
        how = "the credit service" if args.through_service else "sealed entries written straight into the tables"
        print(f"verify on SQLite (WAL, synchronous=FULL); grown by {how}; each size verified in a fresh process")
        heads = ("entries", "blocks", "verify s", "CPU s", "s per 10^6", "peak MiB", "grow s")
        print(" ".join(f"{head:>{width}}" for head, width in zip(heads, WIDTHS, strict=True)))
        grown = probe(url)["entries"]
        for size in sorted(args.sizes):
            begin = time.perf_counter()
            if args.through_service:
                grow(url, accounts, int(size - grown), seed=size)
            else:
                append_transfers(path, int(size - grown), seed=size)
            took = time.perf_counter() - begin
            figures = probe(url)
            grown = figures["entries"]
            per_million = figures["seconds"] / figures["entries"] * 1_000_000
            print(
                f"{int(figures['entries']):>9} {int(figures['blocks']):>8} {figures['seconds']:>9.1f} "
                f"{figures['cpu_seconds']:>7.1f} {per_million:>11.1f} {int(figures['peak_mib']):>9} {took:>7.0f}",
                flush=True,
            )
        print("target: 10^6 entries ≤ 60 s; peak memory should not grow with the journal beyond the ledger's blocks")


if __name__ == "__main__":
    main()
