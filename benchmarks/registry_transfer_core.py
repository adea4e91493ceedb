"""The transfer core: the service in a Core unit of work and in an ORM one, against pgbench and bare statements.

PostgreSQL, on a throwaway cluster with its durable defaults (fsync and synchronous_commit on),
for N = 1, 4, 16 clients, alternating round by round: pgbench's TPC-B (scale 1); the registry's
own statements for a transfer between parties met before (``BEGIN``, one call of ``c3p_move_out``,
``COMMIT``, in one pipeline) run bare by ``pgbench -f -M prepared``; and the whole service (policy,
one server call, result view) in a :class:`~c3p.db.database.CoreUnit` (what the API, the portal
forms and the CLI use) and in an ORM unit of work (before). The Core unit runs twice: each client a
process of its own, and ("Core, threads") the clients as threads of one process per core (``--processes``),
the shape in which ``c3p serve --workers N`` answers concurrent requests from each worker's thread pool.
``--python-path`` adds the service
forced onto the Python path; ``--floor`` adds the same server call sent from Python with nothing
else around it (:func:`floor_client`): how near a Python client of this design can come to the
bare statements. CPU per transaction: the clients' own (each process's, or pgbench's from
``RUSAGE_CHILDREN``) and the server's (the postmaster's children, reaped after each run, from
``/proc``).

SQLite (``synchronous=FULL``, WAL), one client, alternating: the service in a Core unit and in
an ORM unit, the very statements the service ran replayed on a bare ``sqlite3`` connection (each
round's transfers traced, then replayed on a copy of the database as it was), and the bare
2-UPDATE + 1-INSERT loop. Prints medians, ratios to each baseline in the same run, and the load.

    python benchmarks/registry_transfer_core.py --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _registry import prepare_registry  # noqa: E402
from tests.support.pgcluster import PostgresCluster, pg_bin  # noqa: E402

ACCOUNTS = 64
CREDITS_PER_ACCOUNT = 10_000_000
TICKS = os.sysconf("SC_CLK_TCK")
#: the processes of the side "Core, threads" unless ``--processes`` says otherwise: one per core, as
#: ``c3p serve --workers`` is set on a server
PROCESSES = os.cpu_count() or 1


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


_READY: Any = None  # each client process's copy of the run's barrier (see run_service)


def _share_barrier(barrier: Any) -> None:
    global _READY
    _READY = barrier


def timed(
    transfer: Callable[[str, str], object], accounts: list[str], seconds: float, rng: random.Random
) -> tuple[int, float]:
    """Warm up (a transfer out of every account), wait at the run's barrier, then transfer between random accounts
    for ``seconds``: (committed, CPU seconds of this process)."""
    _warm(transfer, accounts)
    _READY.wait()
    cpu = time.process_time()
    return _transfer_for(transfer, accounts, seconds, rng), time.process_time() - cpu


def timed_threads(
    transfers: list[Callable[[str, str], object]], accounts: list[str], seconds: float, rngs: list[random.Random]
) -> tuple[int, float]:
    """:func:`timed` for several clients, each a thread of this process: every one warms up, the process waits
    at the run's barrier once, then they transfer together; (committed by all, CPU seconds of this process)."""
    warmed, go, done = threading.Barrier(len(transfers) + 1), threading.Event(), [0] * len(transfers)

    def client(i: int) -> None:
        _warm(transfers[i], accounts)
        warmed.wait()
        go.wait()
        done[i] = _transfer_for(transfers[i], accounts, seconds, rngs[i])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(transfers))]
    for thread in threads:
        thread.start()
    warmed.wait()
    _READY.wait()
    cpu = time.process_time()
    go.set()
    for thread in threads:
        thread.join()
    return sum(done), time.process_time() - cpu


def _warm(transfer: Callable[[str, str], object], accounts: list[str]) -> None:
    for source, target in zip(accounts[::2], accounts[1::2], strict=True):
        transfer(source, target)


def _transfer_for(
    transfer: Callable[[str, str], object], accounts: list[str], seconds: float, rng: random.Random
) -> int:
    deadline, done = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        transfer(*rng.sample(accounts, 2))
        done += 1
    return done


def service_client(url: str, accounts: list[str], seconds: float, seed: int, mode: str, threads: int = 1):  # type: ignore[no-untyped-def]
    """One client process, or ``threads`` clients as threads of one process: transfers until the deadline;
    (committed, CPU seconds of this process).

    ``mode``: "core" (a Core unit, as the edges run it), "threads" (the same, ``threads`` clients in this
    process), "orm" (an ORM unit of work), "python" (ORM, Python path).
    Before the clock starts it connects and moves credits out of every account once, as a long-lived server
    has long done: a connection's first transfer plans its statements and compiles ``c3p_move_out`` (~7–10 ms
    of server CPU, ~40 µs a transfer at 16 clients in a 3 s run), and a process's first transfer between two
    accounts reads them, later ones not (``c3p.credits.known_parties``); then it waits at the run's barrier
    with the others. Its start-up (imports, the database) is frozen out of the collector's reach as
    ``c3p serve``'s is: unfrozen, a full collection walks those ~110,000 objects every few thousand
    transfers (~40 ms, ~13 µs a transfer), which the server does not.
    """
    from c3p.cli._startup import collector_paused

    with collector_paused(freeze=True):  # as ``c3p serve`` starts: what start-up built is out of the collector's reach
        from tests.support.credits import OPERATOR

        from c3p.credits import service
        from c3p.credits.store import REFERENCE_PATH
        from c3p.db.database import Database

        database = Database(url)
    unit_of_work = database.unit_of_work if mode in ("orm", "python") else partial(database.core_unit, one_command=True)

    def client(rng: random.Random) -> Callable[[str, str], None]:
        def transfer(source: str, target: str) -> None:
            with unit_of_work() as work:
                work.info[REFERENCE_PATH] = mode == "python"
                service.transfer(work, OPERATOR, source, target, rng.randint(1, 3))

        return transfer

    rngs = [random.Random(seed + 1000 * i) for i in range(threads)]  # the first as a lone client's
    if threads == 1:
        done, cpu = timed(client(rngs[0]), accounts, seconds, rngs[0])
    else:
        done, cpu = timed_threads([client(rng) for rng in rngs], accounts, seconds, rngs)
    database.dispose()
    return done, cpu


def floor_client(url: str, accounts: list[str], seconds: float, seed: int, mode: str):  # type: ignore[no-untyped-def]
    """One client process at the least a Python client of this design does: on one psycopg connection, through
    the service's own one-trip pipeline (:func:`c3p.db.one_trip.write_alone`), the service's ``c3p_move_out`` call
    (:func:`~c3p.credits.store.move_out_call`) with a fresh key, its answer read as the service reads it
    (:func:`~c3p.credits.store.server_move`); no pool, policy, parties or view. Warmed up and started as
    :func:`service_client`; (committed, CPU seconds of this process)."""
    import datetime as dt

    import psycopg
    from sqlalchemy.engine import make_url
    from tests.support.credits import OPERATOR

    from c3p.cli._startup import collector_paused
    from c3p.credits.rules.transactions import Entry, TransactionKind
    from c3p.credits.store import Store, by_number, move_out_call, new_key, server_move
    from c3p.db import one_trip

    with collector_paused(freeze=True):
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = psycopg.connect(dsn, autocommit=True)
        # the store's own read of the parties (its locks end with the statement: the connection commits each)
        parties = by_number(connection.execute(*Store.lock_accounts_sql(accounts)).fetchall())
    rng, info = random.Random(seed), {}  # info: what the pool keeps per connection (its prepared statements)

    def transfer(source: str, target: str) -> object:
        at = dt.datetime.now(dt.UTC).isoformat()
        entry = Entry(0, new_key(), TransactionKind.transfer, at, OPERATOR.label, details={})
        sql, params = move_out_call(parties[source], parties[target], rng.randint(1, 3), entry)
        return server_move(one_trip.write_alone(connection, info, sql, params)[0])

    done, cpu = timed(transfer, accounts, seconds, rng)
    connection.close()
    return done, cpu


def run_service(cluster, url, accounts, clients, seconds, mode, processes=PROCESSES):  # type: ignore[no-untyped-def]
    """(transfers/s, client CPU ms per transfer, server CPU ms per transfer), the server's counted from the
    moment every client has connected and warmed up (pgbench's connections are counted from its start).

    Each client is a process of its own; in mode "threads" the clients are threads spread over ``processes``
    processes, as ``c3p serve --workers N`` serves concurrent requests from each worker's thread pool."""
    context = multiprocessing.get_context("spawn")
    threads = _spread(clients, processes) if mode == "threads" else [1] * clients
    # the clients start together: 16 spawned processes reached a fixed start time 11-13 s late
    # under load, spread over ~2 s, each then ran its own `seconds`, and the rate divided by
    # `seconds` what took longer
    ready = context.Barrier(len(threads) + 1)
    with context.Pool(len(threads), initializer=_share_barrier, initargs=(ready,)) as pool:
        if mode == "floor":
            work = [(url, accounts, seconds, i, mode) for i in range(clients)]
            pending = pool.starmap_async(floor_client, work)
        else:
            work = [(url, accounts, seconds, i, mode, n) for i, n in enumerate(threads)]
            pending = pool.starmap_async(service_client, work)
        ready.wait()
        server = server_cpu_seconds(cluster)
        results = pending.get()
    time.sleep(0.3)  # the backends exit and are reaped
    done = sum(d for d, _ in results)
    return (
        done / seconds,
        1000 * sum(c for _, c in results) / done,
        1000 * (server_cpu_seconds(cluster) - server) / done,
    )


def _spread(clients: int, processes: int) -> list[int]:
    """The clients of each process: ``clients`` over at most ``processes``, as evenly as they go.

    >>> _spread(16, 2), _spread(4, 2), _spread(1, 2), _spread(5, 2)
    ([8, 8], [2, 2], [1], [3, 2])
    """
    count = min(clients, processes)
    return [clients // count + (i < clients % count) for i in range(count)]


def run_pgbench(cluster, clients, seconds, database="pgb", script=None):  # type: ignore[no-untyped-def]
    """pgbench's TPC-B, or ``script`` with prepared statements: (tps, client and server CPU ms per transaction)."""
    command = [pg_bin("pgbench"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "-n"]
    command += ["-c", str(clients), "-j", str(clients), "-T", str(seconds)]
    command += ["-f", str(script), "-M", "prepared", database] if script else ["-b", "tpcb-like", database]
    before, server = resource.getrusage(resource.RUSAGE_CHILDREN), server_cpu_seconds(cluster)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    time.sleep(0.3)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))  # type: ignore[union-attr]
    done = tps * seconds
    client = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000 / done
    return tps, client, 1000 * (server_cpu_seconds(cluster) - server) / done


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def bare_script(url: str, accounts: list[str], folder: Path) -> Path:
    """The registry's statements for one transfer between parties met before, as a pgbench script: ``BEGIN``, one
    ``c3p_move_out`` call with a fresh key (its parties' facts given as the service gives them) and ``COMMIT``,
    sent in one pipeline as the service sends them."""
    from sqlalchemy import text
    from tests.support.credits import OPERATOR

    from c3p.credits.rules.journal import canonical_before_legs
    from c3p.credits.rules.transactions import Entry, TransactionKind
    from c3p.db.database import Database

    database = Database(url)
    with database.reading() as session:
        found = session.execute(
            text("SELECT id, number, kind, holder_id FROM credit_accounts WHERE number = ANY(:n) ORDER BY id"),
            {"n": accounts},
        ).all()
    database.dispose()
    low, high = found[0].id, found[-1].id
    assert high - low + 1 == len(accounts), "bench accounts are not consecutive"
    assert len({(row.kind, row.holder_id) for row in found}) == 1, "bench accounts differ in kind or holder"
    kind, holder = found[0].kind, found[0].holder_id
    numbers = f"(ARRAY[{', '.join(_literal(row.number) for row in found)}])"
    at = "2026-12-06T00:00:00+00:00"
    head = canonical_before_legs(Entry(0, "KEY0", TransactionKind.transfer, at, OPERATOR.label, details={}).to_json())
    script = folder / "registry_transfer.sql"
    script.write_text(
        f"\\set s random({low}, {high})\n"
        f"\\set d random(1, {high - low})\n"
        f"\\set r {low} + (:s - {low} + :d) % {high - low + 1}\n"
        "\\set n random(1, 3)\n"
        "\\startpipeline\n"
        "BEGIN;\n"
        "SELECT m.entry_seq, m.entry_moves, m.move_names FROM (SELECT md5(random()::text) AS k) g, "
        f"LATERAL c3p_move_out(:s, {numbers}[:s - {low - 1}], {_literal(kind)}, {holder}, "
        f":r, {numbers}[:r - {low - 1}], {_literal(kind)}, :n, 'transfer', g.k, {_literal(at)}, "
        f"replace({_literal(head)}, 'KEY0', g.k)) m;\n"
        "END;\n"
        "\\endpipeline\n"
    )
    return script


SIDES = {
    "TPC-B": None,
    "bare statements": None,
    "Python floor": "floor",
    "Core unit": "core",
    "Core, threads": "threads",
    "ORM unit": "orm",
    "Python path": "python",
}
#: sides run only when asked for
OPTIONAL = {"Python floor": "floor", "Python path": "python_path"}


def postgresql(args: argparse.Namespace) -> None:
    cluster = PostgresCluster(durable=True).start()
    try:
        cluster._run(pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "pgb")
        cluster._run(
            pg_bin("pgbench"), "-i", "-q", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user, "pgb"
        )
        url = cluster.create_database("registry")
        accounts = prepare_registry(url, ACCOUNTS, CREDITS_PER_ACCOUNT)
        script = bare_script(url, accounts, cluster.datadir.parent)
        sides = [side for side in SIDES if side not in OPTIONAL or getattr(args, OPTIONAL[side])]
        print(f"PostgreSQL ({args.seconds} s per run, {args.rounds} rounds, alternating; {cluster.settings()})")
        print(f"load average at start: {os.getloadavg()}")
        print("clients  side                 tps  /TPC-B  /bare  client ms/tx  server ms/tx  CPU/TPC-B's")
        for clients in [int(c) for c in args.clients.split(",")]:
            runs: dict[str, list[tuple[float, float, float]]] = {side: [] for side in sides}
            for _ in range(args.rounds):
                runs["TPC-B"].append(run_pgbench(cluster, clients, args.seconds))
                runs["bare statements"].append(run_pgbench(cluster, clients, args.seconds, "registry", script))
                for side in sides[2:]:
                    mode = SIDES[side]
                    runs[side].append(run_service(cluster, url, accounts, clients, args.seconds, mode, args.processes))
            medians = {side: [statistics.median(r[i] for r in rs) for i in range(3)] for side, rs in runs.items()}
            base, bare = medians["TPC-B"], medians["bare statements"]
            for side, (tps, client, server) in medians.items():
                print(
                    f"{clients:>7}  {side:<16} {tps:>7.0f}  {tps / base[0]:>6.2f}  {tps / bare[0]:>5.2f}  "
                    f"{client:>12.3f}  {server:>12.3f}  {(client + server) / (base[1] + base[2]):>6.2f}   "
                    f"runs {[round(r[0]) for r in runs[side]]}",
                    flush=True,
                )
        print(f"load average at end: {os.getloadavg()}")
        print(f"the registry after every run: {verified(url)}")
    finally:
        cluster.stop()


def verified(url: str) -> str:
    """What ``verify`` says of the ledger the runs left: "OK", or its problems."""
    from c3p.credits.verify import verify
    from c3p.db.database import Database

    database = Database(url)
    with database.reading() as session:
        report = verify(session)
    database.dispose()
    return f"verify OK ({report.entries} entries)" if report.ok else f"verify FAILED: {report.problems[:3]}"


def sqlite_service(url: str, accounts: list[str], seconds: float, mode: str, trace: list[str] | None = None):  # type: ignore[no-untyped-def]
    """Transfers through the service for ``seconds`` in this process: (transfers/s, CPU ms per transfer).

    With ``trace``, every statement the driver runs is appended to it (its values written in)."""
    from tests.support.credits import OPERATOR

    from c3p.credits import service
    from c3p.db.database import Database

    rng, database = random.Random(len(trace or ())), Database(url)
    unit_of_work = database.core_unit if mode == "core" else database.unit_of_work
    cpu, deadline, done = time.process_time(), time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        source, target = rng.sample(accounts, 2)
        with unit_of_work() as work:
            if trace is not None:
                work.dbapi.set_trace_callback(trace.append)
            service.transfer(work, OPERATOR, source, target, rng.randint(1, 3))
        done += 1
    cpu = time.process_time() - cpu
    if trace is not None:
        with database.core_unit() as work:
            work.dbapi.set_trace_callback(None)
    database.dispose()
    return done / seconds, 1000 * cpu / done


def replayed(path: Path, seconds: float, accounts: list[str]) -> tuple[float, float]:
    """The service's own statements on bare ``sqlite3``: trace ``seconds`` of transfers, then replay them on a
    copy of the database as it was before, with the application's pragmas; (transfers/s, CPU ms per transfer)
    of the replay."""
    from c3p.db.engine import SQLITE_SYNCHRONOUS

    copy = path.with_name("replay.db")
    copy.unlink(missing_ok=True)
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    statements: list[str] = []
    rate, _cpu = sqlite_service(f"sqlite:///{path}", accounts, seconds, "core", statements)
    transfers = rate * seconds
    connection = sqlite3.connect(copy, isolation_level=None)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", f"synchronous={SQLITE_SYNCHRONOUS}"):
        connection.execute(f"PRAGMA {pragma}")
    started, cpu = time.perf_counter(), time.process_time()
    for statement in statements:
        connection.execute(statement).fetchall()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    connection.close()
    return transfers / elapsed, 1000 * cpu / transfers


def bare_loop(path: Path, seconds: float) -> tuple[float, float]:
    """The bare 2-UPDATE + 1-INSERT loop: (transactions/s, CPU ms per transaction)."""
    from registry_transfers import bare_sqlite_tps

    cpu = time.process_time()
    rate = bare_sqlite_tps(path, seconds)
    return rate, 1000 * (time.process_time() - cpu) / (rate * seconds)


def sqlite(args: argparse.Namespace) -> None:
    from registry_transfers import sqlite_settings

    folder = Path(tempfile.mkdtemp(prefix="c3p-bench-core-"))
    path = folder / "registry.db"
    accounts = prepare_registry(f"sqlite:///{path}", ACCOUNTS, CREDITS_PER_ACCOUNT)
    print(f"SQLite, 1 client ({args.seconds} s per run, {args.rounds} rounds, alternating; {sqlite_settings()})")
    print(f"load average at start: {os.getloadavg()}")
    runs: dict[str, list[tuple[float, float]]] = {
        "bare loop": [],
        "bare statements": [],
        "Core unit": [],
        "ORM unit": [],
    }
    for _ in range(args.rounds):
        runs["bare loop"].append(bare_loop(folder / "bare.db", args.seconds))
        runs["bare statements"].append(replayed(path, args.seconds, accounts))
        runs["Core unit"].append(sqlite_service(f"sqlite:///{path}", accounts, args.seconds, "core"))
        runs["ORM unit"].append(sqlite_service(f"sqlite:///{path}", accounts, args.seconds, "orm"))
    medians = {side: [statistics.median(r[i] for r in rs) for i in range(2)] for side, rs in runs.items()}
    loop, bare = medians["bare loop"][0], medians["bare statements"][0]
    print("side                   tx/s  /loop  /bare  CPU ms/tx")
    for side, (tps, cpu) in medians.items():
        print(
            f"{side:<18} {tps:>8.0f}  {tps / loop:>5.2f}  {tps / bare:>5.2f}  {cpu:>9.3f}   "
            f"runs {[round(r[0]) for r in runs[side]]}"
        )
    print(f"load average at end: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each side (median reported)")
    parser.add_argument("--clients", default="1,4,16", help="client counts (PostgreSQL)")
    parser.add_argument("--only", choices=["postgresql", "sqlite"], help="one backend only")
    parser.add_argument("--python-path", action="store_true", help="add the service on PostgreSQL's Python path")
    parser.add_argument(
        "--floor", action="store_true", help="add the least a Python client does for the same call (PostgreSQL)"
    )
    parser.add_argument(
        "--processes", type=int, default=PROCESSES, help="processes of the side 'Core, threads' (default: one per core)"
    )
    args = parser.parse_args()
    if args.processes < 1:
        parser.error(f"--processes: at least 1, got {args.processes}")
    if args.only != "sqlite":
        postgresql(args)
    if args.only != "postgresql":
        sqlite(args)


if __name__ == "__main__":
    main()
