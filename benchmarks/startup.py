"""Start-up of the command line: ``c3p --help`` and ``c3p stats`` against ``python -c pass``.

Targets (issue #16): ``c3p --help`` ≤ 0.3 s and ≤ 15 × ``python -c pass``. Rounds alternate
the baseline and each command, so load on the machine falls on all of them alike; the
figures are medians. ``c3p stats`` reads a database made once before the rounds. All run as
an installed program does, with Python's bytecode kept between runs (``installed_python``).
Usage: python benchmarks/startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _support import c3p_command, installed_python, load_average, median


def seconds(command: list[str], env: dict[str, str]) -> float:
    begin = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, **installed_python(Path(folder)), "C3P_DATA_DIR": folder}
        db = ["--db", f"sqlite:///{Path(folder) / 'c3p.sqlite3'}"]
        subprocess.run([*c3p_command(), "db", "upgrade", *db], env=env, check=True, stdout=subprocess.DEVNULL)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "c3p --help": [*c3p_command(), "--help"],
            "c3p stats": [*c3p_command(), "stats", *db],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm-up: writes the bytecode, as installing does
            seconds(command, env)
        load_before = load_average()
        for _ in range(args.rounds):
            for name, command in commands.items():
                times[name].append(seconds(command, env))
    base = median(times["python -c pass"])
    print(f"load average (1, 5, 15 min): before {load_before}; after {load_average()}")
    for name, values in times.items():
        print(
            f"{name:16} median {median(values):.3f} s (min {min(values):.3f}), {median(values) / base:.1f} × baseline"
        )
    print("targets: c3p --help ≤ 0.3 s and ≤ 15 × python -c pass")


if __name__ == "__main__":
    main()
