"""The PostgreSQL transfer core: the server-side call against the Python path and pgbench, with CPU.

On a throwaway cluster with PostgreSQL's durable defaults (fsync and synchronous_commit on),
for N = 1, 4, 16 clients, alternating round by round: pgbench's TPC-B (scale 1), the whole
service (``unit_of_work`` + ``service.transfer``: policy, one server call ``c3p_move_out``,
result view), and the same service forced onto the Python path (``REFERENCE_PATH``). CPU per
transaction: the clients' own CPU (each process's, or pgbench's from ``RUSAGE_CHILDREN``) and
the server's (the postmaster's children, reaped after each run, from ``/proc``). Prints
medians, ratios to TPC-B in the same run, and the load average.

    python benchmarks/registry_transfer_core.py --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _registry import prepare_registry  # noqa: E402
from tests.support.pgcluster import PostgresCluster, pg_bin  # noqa: E402

ACCOUNTS = 64
CREDITS_PER_ACCOUNT = 10_000_000
TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # fields from the state on


def server_cpu_seconds(cluster: PostgresCluster) -> float:
    """CPU of the postmaster, of the processes it reaped (backends of finished runs) and of its living
    children (checkpointer, WAL writer, …)."""
    postmaster = (cluster.datadir / "postmaster.pid").read_text().split()[0]
    ticks = sum(int(x) for x in _stat(postmaster)[11:15])  # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(entry.name)
            except OSError:
                continue  # exited meanwhile
            if fields[1] == postmaster:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS


def service_client(url: str, accounts: list[str], seconds: float, seed: int, start_at: float, reference: bool):  # type: ignore[no-untyped-def]
    """One client process: transfers until the deadline; (committed, CPU seconds of this process)."""
    from tests.support.credits import OPERATOR

    from c3p.credits import service
    from c3p.credits.store import REFERENCE_PATH
    from c3p.db.database import Database

    rng = random.Random(seed)
    database = Database(url)
    with database.unit_of_work():  # connect before the clock starts, like pgbench
        pass
    while time.time() < start_at:
        time.sleep(0.001)
    cpu, deadline, done = time.process_time(), time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        source, target = rng.sample(accounts, 2)
        with database.unit_of_work() as session:
            session.info[REFERENCE_PATH] = reference
            service.transfer(session, OPERATOR, source, target, rng.randint(1, 3))
        done += 1
    cpu = time.process_time() - cpu
    database.dispose()
    return done, cpu


def run_service(cluster, url, accounts, clients, seconds, reference):  # type: ignore[no-untyped-def]
    """(transfers/s, client CPU ms per transfer, server CPU ms per transfer)."""
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 2.0 + 0.1 * clients
    server = server_cpu_seconds(cluster)
    with context.Pool(clients) as pool:
        results = pool.starmap(
            service_client, [(url, accounts, seconds, i, start_at, reference) for i in range(clients)]
        )
    time.sleep(0.3)  # the backends exit and are reaped
    done = sum(d for d, _ in results)
    return (
        done / seconds,
        1000 * sum(c for _, c in results) / done,
        1000 * (server_cpu_seconds(cluster) - server) / done,
    )


def run_pgbench(cluster, clients, seconds):  # type: ignore[no-untyped-def]
    command = [pg_bin("pgbench"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "-n"]
    command += ["-c", str(clients), "-j", str(clients), "-T", str(seconds), "-b", "tpcb-like", "pgb"]
    before, server = resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu_seconds(cluster)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    time.sleep(0.3)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))  # type: ignore[union-attr]
    done = tps * seconds
    client = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / done
    return tps, client, 1000 * (server_cpu_seconds(cluster) - server) / done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (median reported)")
    parser.add_argument("--clients", default="1,4,16", help="client counts")
    args = parser.parse_args()
    cluster = PostgresCluster(durable=True).start()
    try:
        cluster._run(pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "pgb")
        cluster._run(
            pg_bin("pgbench"), "-i", "-q", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "pgb"
        )
        url = cluster.create_database("registry")
        accounts = prepare_registry(url, ACCOUNTS, CREDITS_PER_ACCOUNT)
        print(f"PostgreSQL ({args.seconds} s per run, {args.rounds} rounds, alternating; {cluster.settings()})")
        print(f"load average at start: {os.getloadavg()}")
        print("clients  side              tps   ratio  client ms/tx  server ms/tx  (client+server)/TPC-B")
        for clients in [int(c) for c in args.clients.split(",")]:
            sides: dict[str, list[tuple[float, float, float]]] = {"TPC-B": [], "service": [], "Python path": []}
            for _ in range(args.rounds):
                sides["TPC-B"].append(run_pgbench(cluster, clients, args.seconds))
                sides["service"].append(run_service(cluster, url, accounts, clients, args.seconds, False))
                sides["Python path"].append(run_service(cluster, url, accounts, clients, args.seconds, True))
            medians = {side: [statistics.median(r[i] for r in runs) for i in range(3)] for side, runs in sides.items()}
            base = medians["TPC-B"]
            for side, (tps, client, server) in medians.items():
                print(
                    f"{clients:>7}  {side:<12} {tps:>8.0f}  {tps / base[0]:>6.2f}  {client:>12.3f}  {server:>12.3f}  "
                    f"{(client + server) / (base[1] + base[2]):>6.2f}   runs {[round(r[0]) for r in sides[side]]}",
                    flush=True,
                )
        print(f"load average at end: {os.getloadavg()}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
