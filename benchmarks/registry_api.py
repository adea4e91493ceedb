"""GET /api/v1/projects at 50 concurrent connections vs a hello-world endpoint, same run.

Targets (issue #16): p99 ≤ 30 ms, throughput ≥ 30 % of hello-world. Both servers run with the
same uvicorn settings, one after the other, alternating for several rounds; wrk generates the
load from another process on loopback. The portal's limit on anonymous API requests per client
address is raised for the run (the limiter still counts every request): from one address,
wrk would otherwise measure the speed of 429 answers. Any answer other than 200 fails the run.
Needs wrk (``apt-get install wrk``). Usage: python benchmarks/registry_api.py [--rounds 3]

``--against SRC`` serves the same endpoint from a second copy of c3p's sources too (for example
``git archive <commit> src | tar -x -C /tmp/before``, then ``--against /tmp/before/src``), in the
same alternating rounds, so a change is measured before and after under the same load.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _support import c3p_command, cpu_seconds, free_port, load_average, median, run_wrk, start, stop, wait_for

UVICORN_FLAGS = ["--log-level", "warning", "--no-access-log"]
#: anonymous requests per client address allowed during the run: more than wrk can send
UNLIMITED = "1000000000/minute"


def measure(kind: str, db_url: str, connections: int, seconds: int, sources: str | None = None) -> dict[str, float]:
    port = free_port()
    if kind == "hello":
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "hello_app:app",
            "--port",
            str(port),
            *UVICORN_FLAGS,
            "--app-dir",
            str(Path(__file__).parent),
        ]
        url = f"http://127.0.0.1:{port}/hello"
        env = None
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "c3p.web.app:create_app",
            "--factory",
            "--port",
            str(port),
            *UVICORN_FLAGS,
        ]
        url = f"http://127.0.0.1:{port}/api/v1/projects"
        env = {"C3P_DATABASE_URL": db_url, "C3P_RATE_LIMIT_ANONYMOUS": UNLIMITED}
        if sources:
            env["PYTHONPATH"] = sources
    server = start(command, env)
    try:
        wait_for(url)
        run_wrk(url, connections, 2)  # warm-up
        cpu_before = cpu_seconds(server.pid)
        result = run_wrk(url, connections, seconds)
        # the server's CPU per answer hardly moves with the load others put on the machine
        result["cpu_us"] = (cpu_seconds(server.pid) - cpu_before) / (result["rps"] * seconds) * 1e6
        return result
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--against", help="a second copy of c3p's src folder to measure in the same rounds")
    args = parser.parse_args()
    servers = {"hello": None, "projects": None} | ({"against": args.against} if args.against else {})
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        import subprocess

        subprocess.run([*c3p_command(), "db", "init", "--db", db_url], check=True, capture_output=True)
        results: dict[str, list[dict[str, float]]] = {kind: [] for kind in servers}
        for _ in range(args.rounds):
            for kind, sources in servers.items():
                results[kind].append(measure(kind, db_url, args.connections, args.seconds, sources))
    print(f"load average after: {load_average()}")
    report(results, args.rounds, args.connections)


def report(results: dict[str, list[dict[str, float]]], rounds: int, connections: int) -> None:
    print(
        f"{'endpoint':<10} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11}"
        f"  (medians of {rounds} rounds, {connections} connections)"
    )
    for kind, rows in results.items():
        print(
            f"{kind:<10} {median([r['rps'] for r in rows]):>9.0f} {median([r['p50_ms'] for r in rows]):>8.2f} "
            f"{median([r['p90_ms'] for r in rows]):>8.2f} {median([r['p99_ms'] for r in rows]):>8.2f}"
            f" {median([r['cpu_us'] for r in rows]):>11.0f}"
        )
    for kind in [kind for kind in results if kind != "hello"]:
        pairs = list(zip(results[kind], results["hello"], strict=True))
        ratios = [p["rps"] / h["rps"] for p, h in pairs]
        tails = [p["p99_ms"] / h["p99_ms"] for p, h in pairs]
        print(
            f"{kind}/hello per round: throughput {', '.join(f'{r:.2f}' for r in ratios)} (median {median(ratios):.2f},"
            f" target ≥ 0.30); p99 {', '.join(f'{t:.2f}' for t in tails)} (median {median(tails):.2f})"
        )
    print(f"projects p99: {median([r['p99_ms'] for r in results['projects']]):.2f} ms (target ≤ 30 ms)")
    refused = sum(r["non_2xx"] for rows in results.values() for r in rows)
    if refused:
        raise SystemExit(f"{refused:.0f} answers were not 2xx or 3xx: the figures above do not measure the endpoint")


if __name__ == "__main__":
    main()
