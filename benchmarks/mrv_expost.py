"""Benchmark: ex-post MRV over N sites x one year of 15-minute PV data (MN_AM003).

Times, in the same run: the c3p engine end to end (read, QA/QC, calculate, write the JSON
record); a hand-written DuckDB query computing the same formula per site and month from
the same file; and a straightforward per-row Python loop doing the same work on a subset,
scaled to rows per second. Peak RSS of the engine is measured in a fresh child process.

    python benchmarks/mrv_expost.py --sites 1000     # 35 million rows (the target size)
    python benchmarks/mrv_expost.py --sites 20       # quick CI-size run
    python benchmarks/mrv_expost.py --files 10 --runs 1   # streaming: 10 files, one input

With ``--files N`` the input is N Parquet files of ``--sites`` sites each (distinct site
ids, 350 million rows for 10 x 1,000 sites) read as one input, as a monitoring period of
a large programme would be; peak RSS is reported against the size of the whole input.

``--growth N`` measures only peak RSS (fresh process each): Parquet as 1 file and as N files
of ``--sites`` sites, and CSV as one file holding the rows of 1 and of N such files (a
calculation takes one CSV), against the target "flat within ±20 % from 1 to N files".
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

INTERVALS = 35_040  # 365 days x 96 quarter-hours
EF_TCO2_PER_MWH = 0.797
PARAMS = {
    "period": {"start": "2024-01-01", "end": "2024-12-30"},
    "interval_minutes": 15,
    "EF_RE,i": {"factor": "MNG-grid"},
}


def generate(path: Path, sites: int, chunk: int = 50, first_site: int = 0) -> None:
    """A PV-shaped series per site (zero at night), in kWh, written chunk by chunk."""
    schema = pa.schema([("site_id", pa.string()), ("timestamp", pa.timestamp("us")),
                        ("parameter", pa.string()), ("value", pa.float64()),
                        ("unit", pa.string())])  # fmt: skip
    stamps = np.datetime64("2024-01-01T00:00") + np.arange(INTERVALS) * np.timedelta64(15, "m")
    hour = (np.arange(INTERVALS) % 96) / 4
    shape = np.clip(np.sin((hour - 6) / 12 * np.pi), 0, None)
    rng = np.random.default_rng(1 + first_site)
    with pq.ParquetWriter(path, schema) as writer:
        for first in range(first_site, first_site + sites, chunk):
            k = min(chunk, first_site + sites - first)
            names = np.array([f"S{i:05d}" for i in range(first, first + k)])
            value = (np.tile(shape, k) * rng.uniform(5, 20, k * INTERVALS) / 4).round(3)
            n = k * INTERVALS
            table = pa.table({
                "site_id": np.repeat(names, INTERVALS),
                "timestamp": np.tile(stamps.astype("datetime64[us]"), k),
                "parameter": pa.array(["EG_i,p"] * n), "value": value,
                "unit": pa.array(["kWh"] * n),
            })  # fmt: skip
            writer.write_table(table.cast(schema), row_group_size=1_000_000)


def run_engine(paths: list[Path], out: Path) -> dict:
    from c3p.mrv import catalog, engine, monitoring_report
    from c3p.mrv.params import CalculationParams

    methodology = catalog.get_methodology("MN_AM003")
    result = engine.calculate(methodology, paths, CalculationParams.from_mapping(PARAMS))
    record = monitoring_report.monitoring_record(result, methodology)
    out.write_text(json.dumps(record, default=str), encoding="utf-8")
    return {"re": result.reference_emissions_tco2, "findings": len(result.findings)}


def run_duckdb(paths: list[Path]) -> float:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    files = ", ".join(f"'{path}'" for path in paths)
    rows = con.execute(
        f"""SELECT site_id, date_trunc('month', timestamp) AS month,
                   sum(value * 0.001 * {EF_TCO2_PER_MWH}) AS re_tco2
            FROM read_parquet([{files}]) WHERE parameter = 'EG_i,p' GROUP BY ALL"""
    ).fetchall()
    con.close()
    return sum(r[2] for r in rows)


def run_loop(path: Path, max_rows: int) -> tuple[int, float]:
    """Per-row Python: unit conversion, negative and duplicate checks, sums per site-month."""
    to_mwh = {"kWh": 0.001, "MWh": 1.0}
    sums: dict[tuple, float] = defaultdict(float)
    seen: set[tuple] = set()
    negatives = duplicates = done = 0
    start = time.perf_counter()
    for batch in pq.ParquetFile(path).iter_batches(batch_size=100_000):
        for row in batch.to_pylist():
            key = (row["site_id"], row["parameter"], row["timestamp"])
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            value = row["value"] * to_mwh[row["unit"]]
            if value < 0:
                negatives += 1
                continue
            month = row["timestamp"].strftime("%Y-%m")
            sums[(row["site_id"], month)] += value * EF_TCO2_PER_MWH
            done += 1
        if done >= max_rows:
            break
    return done, time.perf_counter() - start


def _child_engine(paths: list[str], out: str, queue) -> None:
    run_engine([Path(p) for p in paths], Path(out))
    queue.put(own_peak_rss_bytes())


def own_peak_rss_bytes() -> int:
    """This process's peak RSS since it started (VmHWM).

    Not ``ru_maxrss``: Linux carries the parent's RSS at fork over the exec into the child's
    ``ru_maxrss``, so a child spawned after the parent ran the engine on a 1.5 GB CSV reported
    2.1-3.4 GiB that the child never used.
    """
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes(paths: list[Path], out: Path) -> int:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child_engine, args=([str(p) for p in paths], str(out), queue))
    child.start()
    child.join()
    return queue.get()


def timed_pair(first, second, runs: int) -> tuple[float, object, float, object]:
    """Alternate the two so that load from other processes hits both alike; medians."""
    times: tuple[list[float], list[float]] = ([], [])
    values: list[object] = [None, None]
    for _ in range(runs):
        for index, function in enumerate((first, second)):
            start = time.perf_counter()
            values[index] = function()
            times[index].append(time.perf_counter() - start)
    return statistics.median(times[0]), values[0], statistics.median(times[1]), values[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000, help="Sites per file (35,040 rows each).")
    parser.add_argument("--files", type=int, default=1, help="Parquet files read as one input.")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs; medians are reported.")
    parser.add_argument("--loop-rows", type=int, default=1_000_000, help="Rows for the loop.")
    parser.add_argument("--csv", action="store_true", help="Also time the engine on CSV copies of the input.")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "c3p-mrv-bench")
    parser.add_argument("--growth", type=int, default=0, help="Only peak RSS: 1 file against this many.")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    paths = input_files(args.dir, args.sites, max(args.files, args.growth))
    if args.growth:
        print(json.dumps(rss_growth(paths, args.dir, args.sites), indent=2))
        return
    rows = sum(pq.ParquetFile(path).metadata.num_rows for path in paths)
    out = args.dir / "result.json"
    if args.files == 1:  # warm caches (file pages, imports); a multi-file input is too big to cache
        run_engine(paths, out)
    engine_s, summary, duck_s, duck_re = timed_pair(
        lambda: run_engine(paths, out), lambda: run_duckdb(paths), args.runs
    )
    first_rows = pq.ParquetFile(paths[0]).metadata.num_rows
    loop_rows, loop_s = run_loop(paths[0], min(args.loop_rows, first_rows))
    loop_projected_s = loop_s / loop_rows * rows
    rss = peak_rss_bytes(paths, out)
    # One file at a time, so that measuring the input never holds all of it in this process.
    input_bytes = sum(pq.read_table(path).nbytes for path in paths)
    disk_bytes = sum(path.stat().st_size for path in paths)
    assert abs(summary["re"] - duck_re) <= 1e-9 * max(1.0, duck_re), (summary, duck_re)
    report = {
        "rows": rows, "files": args.files, "sites": args.sites * args.files, "runs": args.runs,
        "engine_median_s": round(engine_s, 3), "duckdb_median_s": round(duck_s, 3),
        "duckdb_rows_per_s": round(rows / duck_s), "engine_rows_per_s": round(rows / engine_s),
        "loop_rows_per_s": round(loop_rows / loop_s), "loop_projected_s": round(loop_projected_s, 1),
        "engine_over_duckdb": round(engine_s / duck_s, 2),
        "loop_over_engine": round(loop_projected_s / engine_s, 1),
        "peak_rss_mib": round(rss / 2**20), "input_in_memory_mib": round(input_bytes / 2**20),
        "rss_over_input": round(rss / input_bytes, 2), "input_on_disk_mib": round(disk_bytes / 2**20),
        "findings": summary["findings"],
        "measured_at": datetime.now().isoformat(timespec="seconds"),
    }  # fmt: skip
    if args.csv and args.files == 1:  # several CSV files are not one input (one CSV per calculation)
        report.update(csv_against_parquet(paths, out, args.runs))
    print(json.dumps(report, indent=2))


def input_files(folder: Path, sites: int, files: int) -> list[Path]:
    """``files`` Parquet files of ``sites`` distinct sites each, generated once."""
    paths = [folder / (f"pv_{sites}_sites.parquet" if index == 0 else f"pv_{sites}_sites_part{index}.parquet")
             for index in range(files)]  # fmt: skip
    for index, path in enumerate(paths):
        if not path.exists():
            print(f"generating {path} ...", flush=True)
            generate(path, sites, first_site=index * sites)
    return paths


def csv_copy(paths: list[Path], copy: Path) -> Path:
    """One CSV holding the rows of ``paths``, written once."""
    if not copy.exists():
        files = ", ".join(f"'{path}'" for path in paths)
        duckdb.sql(f"COPY (SELECT * FROM read_parquet([{files}])) TO '{copy}' (HEADER)")
    return copy


def rss_growth(paths: list[Path], folder: Path, sites: int) -> dict:
    """Peak RSS of the engine (fresh process) on 1 and on len(paths) files' rows, both formats."""
    out, many = folder / "result.json", len(paths)
    parquet = [peak_rss_bytes(paths[:1], out), peak_rss_bytes(paths, out)]
    texts = [
        csv_copy(paths[:1], paths[0].with_suffix(".csv")),
        csv_copy(paths, folder / f"pv_{sites}x{many}_sites.csv"),
    ]
    csv = [peak_rss_bytes([text], out) for text in texts]
    return {
        "rows_per_file": pq.ParquetFile(paths[0]).metadata.num_rows, "files": many,
        "peak_rss_parquet_mib": [round(b / 2**20) for b in parquet],
        "peak_rss_csv_mib": [round(b / 2**20) for b in csv],
        "csv_on_disk_mib": [round(t.stat().st_size / 2**20) for t in texts],
        "parquet_growth": round(parquet[1] / parquet[0], 2), "csv_growth": round(csv[1] / csv[0], 2),
        "measured_at": datetime.now().isoformat(timespec="seconds"),
    }  # fmt: skip


def bare_sum(paths: list[Path]) -> float:
    """The least any engine must do: DuckDB reading the value column and adding it up."""
    reader = "read_parquet" if paths[0].suffix == ".parquet" else "read_csv"
    files = ", ".join(f"'{path}'" for path in paths)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    (total,) = con.execute(f"SELECT sum(value) FROM {reader}([{files}])").fetchone()
    con.close()
    return total


def csv_against_parquet(paths: list[Path], out: Path, runs: int) -> dict:
    """The engine on CSV copies of the same rows, alternating with Parquet; RSS of each; and the
    reader's floor: a bare sum of the value column from each format, alternating."""
    copies = [csv_copy([path], path.with_suffix(".csv")) for path in paths]
    parquet_s, summary, csv_s, csv_summary = timed_pair(
        lambda: run_engine(paths, out), lambda: run_engine(copies, out), runs
    )
    assert abs(summary["re"] - csv_summary["re"]) <= 1e-9 * max(1.0, summary["re"]), (summary, csv_summary)
    bare_parquet_s, _, bare_csv_s, _ = timed_pair(lambda: bare_sum(paths), lambda: bare_sum(copies), runs)
    return {
        "bare_sum_parquet_s": round(bare_parquet_s, 3), "bare_sum_csv_s": round(bare_csv_s, 3),
        "reader_floor_csv_over_parquet": round(bare_csv_s / bare_parquet_s, 1),
        "engine_parquet_median_s": round(parquet_s, 3), "engine_csv_median_s": round(csv_s, 3),
        "csv_over_parquet": round(csv_s / parquet_s, 2),
        "csv_on_disk_mib": round(sum(c.stat().st_size for c in copies) / 2**20),
        "peak_rss_csv_mib": round(peak_rss_bytes(copies, out) / 2**20),
    }  # fmt: skip


if __name__ == "__main__":
    main()
