"""Benchmark: `GET /` latency while a large MRV calculation runs through the API on the same server.

One server process (uvicorn, the real app, a SQLite database) answers `GET /` in a loop from a
client thread. Rounds alternate: without an upload (the baseline) and while a signed-in client
uploads a Parquet file of ``--sites`` x one year of 15-minute readings to
`POST /api/v1/mrv/methodologies/MN_AM003/calculate`. The engine runs in a worker thread, so
`GET /` should stay fast; reported are p50/p99 of each kind of round and the calculation's time.

    python benchmarks/mrv_upload_latency.py --sites 300 --rounds 3   # ~1 GB of rows in memory
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import free_port
from mrv_expost import PARAMS, generate

TOKEN_LIFETIME = dt.timedelta(days=1)


def start_server(folder: Path) -> tuple[str, str, uvicorn.Server]:
    """The app on loopback with a member's API token; upload limits raised for the input."""
    from c3p.accounts.rules.policy import Actor
    from c3p.accounts.service import api_tokens
    from c3p.accounts.service import members as svc
    from c3p.db.database import Database
    from c3p.program.seed_loader import init_database
    from c3p.settings import Settings
    from c3p.web.app import create_app

    database = Database(f"sqlite:///{folder / 'c3p.db'}")
    init_database(database)
    with database.unit_of_work() as session:
        svc.create_organization(session, Actor.operator(), "bench", "BENCH", "company")
        organization = svc.organization_by_slug(session, "bench")
        user = svc.create_user(session, Actor.operator(), "bench@example.org", "bench", organization, None)
        token = api_tokens.create_token(session, Actor.operator(), user, "bench", ["mrv.*"], TOKEN_LIFETIME).token
    settings = Settings(data_dir=folder, database_url=database.url, mrv_upload_max_bytes=4 << 30,
                        mrv_upload_max_rows=10**9, rate_limit_anonymous="1000000/minute")  # fmt: skip
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, database), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))  # fmt: skip
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    return url, token, server


def latencies(url: str, until: threading.Event, seconds: float) -> list[float]:
    """`GET /` one after another until ``until`` is set (or ``seconds`` pass); milliseconds each."""
    found = []
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=url, timeout=60) as client:
        while not until.is_set() and time.perf_counter() < deadline:
            start = time.perf_counter()
            assert client.get("/").status_code == 200
            found.append((time.perf_counter() - start) * 1000)
    return found


def upload(url: str, token: str, path: Path, done: threading.Event, result: dict) -> None:
    start = time.perf_counter()
    with open(path, "rb") as handle, httpx.Client(base_url=url, timeout=3600) as client:
        answer = client.post("/api/v1/mrv/methodologies/MN_AM003/calculate", data={"params": json.dumps(PARAMS)},
                             files={"monitoring": (path.name, handle, "application/octet-stream")},
                             headers={"authorization": f"Bearer {token}"})  # fmt: skip
    result.update(status=answer.status_code, seconds=time.perf_counter() - start)
    done.set()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=300, help="Sites in the uploaded file (35,040 rows each).")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating rounds of each kind.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="c3p-latency-"))
    path = folder / f"pv_{args.sites}.parquet"
    generate(path, args.sites)
    url, token, server = start_server(folder)
    quiet: list[float] = []
    busy: list[float] = []
    calculations = []
    for _ in range(args.rounds):
        result: dict = {}
        done = threading.Event()
        worker = threading.Thread(target=upload, args=(url, token, path, done, result))
        worker.start()
        busy += latencies(url, done, 3600)
        worker.join()
        calculations.append(result)
        quiet += latencies(url, threading.Event(), max(2.0, result["seconds"] / 3))
    server.should_exit = True
    report = {
        "rows": args.sites * 35_040, "upload_mib": round(path.stat().st_size / 2**20),
        "calculation_statuses": [c["status"] for c in calculations],
        "calculation_median_s": round(statistics.median(c["seconds"] for c in calculations), 2),
        "get_during_calculation": {"n": len(busy), "p50_ms": round(percentile(busy, 50), 1),
                                   "p99_ms": round(percentile(busy, 99), 1)},
        "get_baseline": {"n": len(quiet), "p50_ms": round(percentile(quiet, 50), 1),
                         "p99_ms": round(percentile(quiet, 99), 1)},
    }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
