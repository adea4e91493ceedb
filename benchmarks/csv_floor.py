"""Benchmark: the least any reader needs to add up one column from CSV against from Parquet.

The target "the engine on CSV within 2x of Parquet" can only be met if reading the text is
within 2x of reading the columnar file. This times, on the rows of ``mrv_expost.py``'s input
and its CSV copy, a bare sum of the value column through every reader installed: DuckDB,
pyarrow (``pyarrow.csv`` streaming and whole-file, against ``pyarrow.parquet``) and Polars
where it can be imported (it is no dependency of c3p). Each pair alternates, medians reported.

    python benchmarks/csv_floor.py --sites 1000 --runs 3     # 35 M rows, 1.5 GB of text
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from mrv_expost import csv_copy, input_files


def duckdb_sum(path: Path) -> float:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    (total,) = con.execute(f"SELECT sum(value) FROM {reader}('{path}')").fetchone()
    con.close()
    return total


def arrow_parquet_sum(path: Path) -> float:
    return pc.sum(pq.read_table(path, columns=["value"])["value"]).as_py()


def arrow_csv_sum(path: Path) -> float:
    """Whole file, multi-threaded, only the value column converted."""
    options = pcsv.ConvertOptions(include_columns=["value"])
    return pc.sum(pcsv.read_csv(path, convert_options=options)["value"]).as_py()


def arrow_csv_stream_sum(path: Path) -> float:
    """Batch by batch (memory flat, as the engine needs), only the value column converted."""
    options = pcsv.ConvertOptions(include_columns=["value"])
    total = 0.0
    for batch in pcsv.open_csv(path, convert_options=options):
        total += pc.sum(batch.column(0)).as_py() or 0.0
    return total


def polars_pair() -> tuple[Callable[[Path], float], Callable[[Path], float]] | None:
    try:
        import polars as pl  # type: ignore[import-not-found]
    except ImportError:
        return None
    return (lambda p: pl.scan_parquet(p).select(pl.col("value").sum()).collect().item(),
            lambda p: pl.scan_csv(p).select(pl.col("value").sum()).collect().item())  # fmt: skip


def alternate(parquet: Callable[[], float], text: Callable[[], float], runs: int) -> dict:
    times: tuple[list[float], list[float]] = ([], [])
    sums = [0.0, 0.0]
    for _ in range(runs):
        for index, function in enumerate((parquet, text)):
            start = time.perf_counter()
            sums[index] = function()
            times[index].append(time.perf_counter() - start)
    assert abs(sums[0] - sums[1]) <= 1e-9 * max(1.0, abs(sums[0])), sums
    parquet_s, csv_s = statistics.median(times[0]), statistics.median(times[1])
    return {"parquet_s": round(parquet_s, 3), "csv_s": round(csv_s, 3), "csv_over_parquet": round(csv_s / parquet_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000, help="Sites (35,040 rows each).")
    parser.add_argument("--runs", type=int, default=3, help="Alternating rounds; medians are reported.")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "c3p-mrv-bench")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    (parquet,) = input_files(args.dir, args.sites, 1)
    text = csv_copy([parquet], parquet.with_suffix(".csv"))
    report: dict = {"rows": pq.ParquetFile(parquet).metadata.num_rows,
                    "parquet_mib": round(parquet.stat().st_size / 2**20),
                    "csv_mib": round(text.stat().st_size / 2**20)}  # fmt: skip
    report["duckdb"] = alternate(lambda: duckdb_sum(parquet), lambda: duckdb_sum(text), args.runs)
    report["pyarrow"] = alternate(lambda: arrow_parquet_sum(parquet), lambda: arrow_csv_sum(text), args.runs)
    report["pyarrow_streaming_csv"] = alternate(
        lambda: arrow_parquet_sum(parquet), lambda: arrow_csv_stream_sum(text), args.runs
    )
    pair = polars_pair()
    report["polars"] = "not importable" if pair is None else alternate(
        lambda: pair[0](parquet), lambda: pair[1](text), args.runs)  # fmt: skip
    report["measured_at"] = datetime.now().isoformat(timespec="seconds")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
