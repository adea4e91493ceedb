"""``verify`` against the length of the journal (target: 10^6 entries ≤ 60 s, flat memory).

The journal grows through the real service (batches of transfers between 64 holding accounts
on SQLite, WAL, synchronous=FULL); at each size, ``verify`` runs in a fresh process, which
reports its time and peak resident memory. Memory is flat when the peak does not grow with the
journal: ``verify`` streams the entries and keeps only the ledger's state (accounts, blocks).
The seconds per 10^6 entries are extrapolated from the largest size when it is smaller.

    python benchmarks/registry_verify.py --sizes 20000 100000
"""

from __future__ import annotations

import argparse
import json
import random
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

PROBE = """
import json, resource, sys, time
from c3p.credits.verify import verify
from c3p.db.database import Database
database = Database(sys.argv[1])
begin = time.perf_counter()
with database.reading() as session:
    report = verify(session)
seconds = time.perf_counter() - begin
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(json.dumps({"ok": report.ok, "entries": report.entries, "blocks": report.blocks,
                  "seconds": seconds, "peak_mib": peak}))
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


def probe(url: str) -> dict[str, float]:
    """``verify`` in a fresh process: its time and peak memory."""
    result = subprocess.run([sys.executable, "-c", PROBE, url], check=True, capture_output=True, text=True)
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["ok"], "verify found problems"
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000], help="Journal sizes to verify at.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'verify.sqlite3'}"
        accounts = prepare_registry(url, ACCOUNTS, CREDITS_PER_ACCOUNT)
        print("verify on SQLite (WAL, synchronous=FULL); each size verified in a fresh process")
        print(f"{'entries':>9} {'blocks':>8} {'verify s':>9} {'s per 10^6':>11} {'peak MiB':>9} {'grow s':>7}")
        grown = probe(url)["entries"]
        for size in sorted(args.sizes):
            begin = time.perf_counter()
            grow(url, accounts, int(size - grown), seed=size)
            took = time.perf_counter() - begin
            figures = probe(url)
            grown = figures["entries"]
            per_million = figures["seconds"] / figures["entries"] * 1_000_000
            print(
                f"{int(figures['entries']):>9} {int(figures['blocks']):>8} {figures['seconds']:>9.1f} "
                f"{per_million:>11.1f} {int(figures['peak_mib']):>9} {took:>7.0f}",
                flush=True,
            )
        print("target: 10^6 entries ≤ 60 s; peak memory should not grow with the journal beyond the ledger's blocks")


if __name__ == "__main__":
    main()
