"""One pass over the monitoring rows: per site, month, parameter and unit statistics.

Everything the engine and QA/QC need from millions of rows comes from this single grouped
DuckDB scan (sums, counts, extremes, first/last timestamps, spread). Checks that need
individual rows — which timestamps are duplicated, which readings jump — run afterwards,
only for the few groups the statistics flag, so the cost stays one scan of the data.
"""

from __future__ import annotations

import duckdb
import polars as pl

from c3p.errors import DataFileError, InvalidInput
from c3p.mrv.expressions import symbol_key
from c3p.mrv.findings import Finding
from c3p.mrv.spec import Methodology
from c3p.mrv.units import scale_factor

SCAN_SQL = """
SELECT site_id, CAST(date_trunc('month', timestamp) AS DATE) AS month, parameter, unit,
  count(*) AS n, count(value) AS n_value, sum(value) AS total,
  min(value) AS min_value, max(value) AS max_value,
  min(timestamp) AS first_ts, max(timestamp) AS last_ts, stddev_pop(value) AS sd,
  count(DISTINCT timestamp) AS n_ts
FROM monitoring GROUP BY ALL
"""


def scan_monitoring(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The grouped statistics of the ``monitoring`` view (one row per group)."""
    try:
        return con.sql(SCAN_SQL).pl()
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise InvalidInput(f"cannot read the monitoring data: {str(exc).splitlines()[0]}") from None


def check_keys(con, scan: pl.DataFrame) -> None:
    """Refuse rows without site, time or parameter, naming the first such row."""
    bad = scan.filter(pl.col("site_id").is_null() | pl.col("month").is_null() | pl.col("parameter").is_null())
    if bad.height:
        line, file, column = con.execute(
            "SELECT line, file, CASE WHEN site_id IS NULL THEN 'site_id' WHEN timestamp IS NULL "
            "THEN 'timestamp' ELSE 'parameter' END FROM monitoring_lines WHERE site_id IS NULL OR "
            "timestamp IS NULL OR parameter IS NULL ORDER BY line LIMIT 1"
        ).fetchone()
        raise DataFileError(file, line, f"row {line}, column {column}: empty")


def check_values(con, scan: pl.DataFrame) -> None:
    """Refuse empty, null, NaN and infinite values naming the first such row.

    A blank reading is not a zero and not a gap to fill quietly: the participant must say
    what it is. The scan already counts non-null values and sums them (NaN and infinity
    survive a sum), so a clean file costs no extra pass.
    """
    total = pl.col("total")
    bad = scan.filter((pl.col("n_value") < pl.col("n")) | total.is_nan() | total.is_infinite())
    if not bad.height:
        return
    # "+ 0" keeps DuckDB from pruning the test with Parquet statistics, which omit NaN
    line, file, value = con.execute(
        "SELECT line, file, value FROM monitoring_lines WHERE value IS NULL "
        "OR NOT isfinite(value + 0) ORDER BY file, line LIMIT 1"
    ).fetchone()
    what = "is empty" if value is None else f"is {value!r}, not a finite number"
    raise DataFileError(file, line, f"row {line}, column value {what}; give the reading or "
                        "leave the row out (a missing reading is then treated conservatively)")  # fmt: skip


def convert_units(con, scan: pl.DataFrame, methodology: Methodology) -> tuple[pl.DataFrame, list]:
    """Keep rows of known symbols, converted to the specification's units.

    Unknown symbols become a warning finding (rows counted, not used); a unit that cannot be
    converted refuses the file naming the first row that uses it.
    """
    findings: list[Finding] = []
    raws = scan["parameter"].unique().to_list()
    keys = pl.DataFrame({"parameter": raws, "key": [symbol_key(r) for r in raws]},
                        schema={"parameter": pl.String, "key": pl.String})  # fmt: skip
    scan = scan.join(keys, on="parameter", how="left")
    known = {p.key for p in methodology.spec.parameters}
    unknown = scan.filter(~pl.col("key").is_in(list(known)))
    for row in unknown.group_by("parameter").agg(pl.col("n").sum()).iter_rows(named=True):
        findings.append(Finding(
            code="unknown-parameter", severity="warning", parameter=row["parameter"],
            rows=row["n"], treatment="rows not used",
            message=f"{row['n']} row(s) name parameter {row['parameter']!r}, which "
            f"{methodology.id} does not define",
        ))  # fmt: skip
    scan = scan.filter(pl.col("key").is_in(list(known)))
    factors = {}
    for key, unit, raw in scan.select("key", "unit", "parameter").unique().iter_rows():
        param = methodology.parameters[key]
        try:
            factors[(key, unit)] = scale_factor(unit or "", param.unit)
        except InvalidInput as exc:
            line, file = con.execute(
                "SELECT line, file FROM monitoring_lines WHERE parameter = ? AND unit IS NOT DISTINCT "
                "FROM ? ORDER BY line LIMIT 1",
                [raw, unit],
            ).fetchone()
            raise DataFileError(file, line, f"row {line}, column unit: {param.symbol} "
                                f"expects {param.unit}; {exc.detail}") from None  # fmt: skip
    table = pl.DataFrame([(k, u, f) for (k, u), f in factors.items()],
                         schema={"key": pl.String, "unit": pl.String, "factor": pl.Float64},
                         orient="row")  # fmt: skip
    scan = scan.join(table, on=["key", "unit"], how="left", nulls_equal=True).with_columns(
        (pl.col(c) * pl.col("factor")).alias(c) for c in ("total", "min_value", "max_value", "sd")
    )
    return scan, findings
