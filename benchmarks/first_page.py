"""Fresh database to first page served, through ``c3p serve`` (target: ≤ 2 s).

Each run starts ``c3p serve`` on a database file that does not exist yet, so the time covers
creating the schema, loading the program's data, starting the server and rendering the home
page. The baseline, in the same run, is the same server command line serving a hello-world
app: the part of the time that is Python and uvicorn start-up.

Both run as an installed program does: Python's bytecode and the compiled templates are kept
between runs (one warm-up start of each before the rounds). Each round also starts c3p once
with an empty cache folder (``--first-start``): the first start after installing, which
compiles the templates.
Usage: python benchmarks/first_page.py [--runs 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _support import (
    c3p_command,
    cpu_seconds,
    free_port,
    installed_python,
    load_average,
    median,
    start,
    stop,
    wait_for,
)


def first_page_seconds(folder: Path, run: str, env: dict[str, str]) -> tuple[float, float]:
    port = free_port()
    db_url = f"sqlite:///{folder / f'fresh-{run}.sqlite3'}"
    begin = time.perf_counter()
    server = start([*c3p_command(), "serve", "--db", db_url, "--port", str(port)], {"C3P_DATA_DIR": str(folder), **env})
    try:
        wait_for(f"http://127.0.0.1:{port}/", timeout_s=60)
        return time.perf_counter() - begin, cpu_seconds(server.pid)
    finally:
        stop(server)


def hello_seconds(env: dict[str, str]) -> tuple[float, float]:
    port = free_port()
    begin = time.perf_counter()
    server = start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "hello_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--app-dir",
            str(Path(__file__).parent),
        ],
        env,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/hello")
        return time.perf_counter() - begin, cpu_seconds(server.pid)
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    fresh, hello, first_start = [], [], []
    cpu: dict[str, list[float]] = {"fresh": [], "hello": []}
    load_before = load_average()
    with tempfile.TemporaryDirectory() as folder:
        env = {**installed_python(Path(folder)), "XDG_CACHE_HOME": str(Path(folder) / "cache")}
        hello_seconds(env), first_page_seconds(Path(folder), "warm-up", env)
        for run in range(args.runs):
            wall, used = hello_seconds(env)
            hello.append(wall), cpu["hello"].append(used)
            wall, used = first_page_seconds(Path(folder), str(run), env)
            fresh.append(wall), cpu["fresh"].append(used)
            empty_cache = {**env, "XDG_CACHE_HOME": str(Path(folder) / f"cache-{run}")}
            first_start.append(first_page_seconds(Path(folder), f"first-{run}", empty_cache)[0])
    ratios = [f / h for f, h in zip(fresh, hello, strict=True)]
    print(f"load average (1, 5, 15 min): before {load_before}; after {load_average()}")
    print(
        f"fresh database → first page: median {median(fresh):.2f} s "
        f"(min {min(fresh):.2f}, max {max(fresh):.2f}); target ≤ 2 s"
    )
    print(f"  the same, first start after installing (templates compiled): median {median(first_start):.2f} s")
    print(f"hello-world server → first response: median {median(hello):.2f} s")
    print(f"ratio fresh/hello per run: {', '.join(f'{r:.1f}' for r in ratios)}; median {median(ratios):.1f}")
    print(
        f"CPU time to the first answer (user + system, server and its children): fresh {median(cpu['fresh']):.2f} s,"
        f" hello {median(cpu['hello']):.2f} s"
    )


if __name__ == "__main__":
    main()
