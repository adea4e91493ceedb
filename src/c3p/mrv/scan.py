"""One pass over the monitoring rows: per site, month, parameter and unit statistics.

Everything the engine and QA/QC need from millions of rows comes from this single grouped
DuckDB scan, kept as a small DuckDB table (one row per site, month, parameter and unit) that
the later steps query (sums, counts, extremes, first/last timestamps, spread). Checks that need
individual rows — which timestamps are duplicated, which readings jump — run afterwards,
only for the few groups the statistics flag, so the cost stays one scan of the data.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from c3p.errors import DataFileError, InvalidInput
from c3p.mrv.expressions import symbol_key
from c3p.mrv.findings import Finding
from c3p.mrv.spec import Methodology
from c3p.mrv.units import scale_factor

SCAN_SQL = """
CREATE OR REPLACE TEMP TABLE scan_raw AS
SELECT site_id, CAST(date_trunc('month', timestamp) AS DATE) AS month, parameter, unit,
  count(*) AS n, count(value) AS n_value, sum(value) AS total,
  min(value) AS min_value, max(value) AS max_value,
  min(timestamp) AS first_ts, max(timestamp) AS last_ts, stddev_pop(value) AS sd,
  bit_count(bitstring_agg(CAST((epoch_us(timestamp) - epoch_us(date_trunc('month', timestamp)))
    // 60000000 AS INTEGER), 0, 44639)) AS n_ts
FROM monitoring GROUP BY ALL
"""
# n_ts counts the distinct minutes of a month that have a reading, in a 44,640-bit map per group
# (5.6 kB), where count(DISTINCT timestamp) kept every timestamp: ten times slower and memory
# growing with rows. It never exceeds the distinct timestamps, so every group with a repeated
# timestamp still has n > n_ts and gets the exact row-level check (qaqc._duplicates); readings
# closer than a minute only cost that check.


def scan_monitoring(con: duckdb.DuckDBPyConnection) -> int:
    """Table ``scan_raw``: the grouped statistics of the ``monitoring`` view; returns its rows read."""
    try:
        con.execute(SCAN_SQL)
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise InvalidInput(f"cannot read the monitoring data: {str(exc).splitlines()[0]}") from None
    found = con.execute("SELECT coalesce(sum(n), 0) FROM scan_raw").fetchone()
    return int(found[0]) if found else 0


def check_keys(con) -> None:
    """Refuse rows without site, time or parameter, naming the first such row."""
    (bad,) = con.execute(
        "SELECT count(*) FROM scan_raw WHERE site_id IS NULL OR month IS NULL OR parameter IS NULL"
    ).fetchone()
    if bad:
        line, file, column = con.execute(
            "SELECT line, file, CASE WHEN site_id IS NULL THEN 'site_id' WHEN timestamp IS NULL "
            "THEN 'timestamp' ELSE 'parameter' END FROM monitoring_lines WHERE site_id IS NULL OR "
            "timestamp IS NULL OR parameter IS NULL ORDER BY line LIMIT 1"
        ).fetchone()
        raise DataFileError(file, line, f"row {line}, column {column}: empty")


def check_values(con) -> None:
    """Refuse empty, null, NaN and infinite values naming the first such row.

    A blank reading is not a zero and not a gap to fill quietly: the participant must say
    what it is. The scan already counts non-null values and sums them (NaN and infinity
    survive a sum), so a clean file costs no extra pass.
    """
    (bad,) = con.execute("SELECT count(*) FROM scan_raw WHERE n_value < n OR isnan(total) OR isinf(total)").fetchone()
    if not bad:
        return
    # "+ 0" keeps DuckDB from pruning the test with Parquet statistics, which omit NaN
    line, file, value = con.execute(
        "SELECT line, file, value FROM monitoring_lines WHERE value IS NULL "
        "OR NOT isfinite(value + 0) ORDER BY file, line LIMIT 1"
    ).fetchone()
    what = "is empty" if value is None else f"is {value!r}, not a finite number"
    raise DataFileError(file, line, f"row {line}, column value {what}; give the reading or "
                        "leave the row out (a missing reading is then treated conservatively)")  # fmt: skip


def convert_units(con, methodology: Methodology) -> list[Finding]:
    """Table ``scan``: rows of known symbols from ``scan_raw``, converted to the specification's units.

    Unknown symbols become a warning finding (rows counted, not used); a unit that cannot be
    converted refuses the file naming the first row that uses it.
    """
    raws = [row[0] for row in con.execute("SELECT DISTINCT parameter FROM scan_raw").fetchall()]
    keys = pa.table({"parameter": pa.array(raws, pa.string()),
                     "key": pa.array([symbol_key(r) for r in raws], pa.string())})  # fmt: skip
    known = sorted({p.key for p in methodology.spec.parameters})
    con.register("parameter_keys", keys)
    unknown = con.execute(
        "SELECT parameter, sum(n) FROM scan_raw JOIN parameter_keys USING (parameter) "
        "WHERE NOT list_contains(?, key) GROUP BY parameter ORDER BY parameter",
        [known],
    ).fetchall()
    findings = [Finding(
        code="unknown-parameter", severity="warning", parameter=raw, rows=int(rows),
        treatment="rows not used",
        message=f"{rows} row(s) name parameter {raw!r}, which {methodology.id} does not define",
    ) for raw, rows in unknown]  # fmt: skip
    used = con.execute(
        "SELECT DISTINCT key, unit, parameter FROM scan_raw JOIN parameter_keys USING (parameter) "
        "WHERE list_contains(?, key)",
        [known],
    ).fetchall()
    factors: dict[tuple[str, str | None], float] = {}
    for key, unit, raw in used:
        factors[(key, unit)] = _unit_factor(con, methodology, key, unit, raw)
    table = pa.table({"key": pa.array([k for k, _ in factors], pa.string()),
                      "unit": pa.array([u for _, u in factors], pa.string()),
                      "factor": pa.array(list(factors.values()), pa.float64())})  # fmt: skip
    con.register("unit_factors", table)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE scan AS SELECT s.site_id, s.month, s.parameter, s.unit,
        s.n, s.n_value, s.total * f.factor AS total, s.min_value * f.factor AS min_value,
        s.max_value * f.factor AS max_value, s.first_ts, s.last_ts, s.sd * f.factor AS sd, s.n_ts,
        k.key, f.factor FROM scan_raw s JOIN parameter_keys k USING (parameter)
        JOIN unit_factors f ON f.key = k.key AND f.unit IS NOT DISTINCT FROM s.unit"""
    )
    con.unregister("parameter_keys")
    con.unregister("unit_factors")
    return findings


def _unit_factor(con, methodology: Methodology, key: str, unit: str | None, raw: str) -> float:
    param = methodology.parameters[key]
    try:
        return scale_factor(unit or "", param.unit)
    except InvalidInput as exc:
        line, file = con.execute(
            "SELECT line, file FROM monitoring_lines WHERE parameter = ? AND unit IS NOT DISTINCT "
            "FROM ? ORDER BY line LIMIT 1",
            [raw, unit],
        ).fetchone()
        raise DataFileError(file, line, f"row {line}, column unit: {param.symbol} "
                            f"expects {param.unit}; {exc.detail}") from None  # fmt: skip
