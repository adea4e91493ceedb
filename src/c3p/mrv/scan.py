"""One pass over the monitoring rows: per site, month, parameter and unit statistics.

Everything the engine and QA/QC need from millions of rows comes from this single grouped
DuckDB scan, kept as a small DuckDB table (one row per site, month, parameter and unit) that
the later steps query (sums, counts, extremes, first/last timestamps, spread). Checks that need
individual rows — which timestamps are duplicated, which readings jump — run afterwards,
only for the few groups the statistics flag, so the cost stays one scan of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from c3p.errors import DataFileError, InvalidInput
from c3p.mrv.expressions import symbol_key
from c3p.mrv.findings import Finding
from c3p.mrv.spec import Methodology
from c3p.mrv.units import scale_factor

SCAN_SQL = """
CREATE OR REPLACE TEMP TABLE scan_all AS
SELECT inside, site_id, make_date(month_index // 12, month_index % 12 + 1, 1) AS month, parameter, unit,
  n, n_value, total, min_value, max_value, first_ts, last_ts,
  sqrt(greatest(squares / n_value - (total / n_value) ** 2, 0)) AS sd, n_ts, n_doubtful
FROM (SELECT {inside} AS inside, site_id, year(timestamp) * 12 + month(timestamp) - 1 AS month_index,
  parameter, unit, count(*) AS n, count(value) AS n_value, sum(value) AS total,
  sum(value * value) AS squares, min(value) AS min_value, max(value) AS max_value, {times},
  bit_count(bitstring_agg(CAST({slot} AS INTEGER), 0, {last_slot})) AS n_ts, count_if(doubtful) AS n_doubtful
FROM monitoring_file GROUP BY ALL)
"""
# One pass over every row of the input, so each aggregate is the cheapest that serves:
# - rows outside the monitoring period are counted here (group ``inside``), not in a second pass;
# - the month is an integer year * 12 + month (date_trunc cost as much as the rest of the scan);
# - the spread comes from a sum of squares (it only flags jumps for a warning; stddev_pop's
#   running update cost a tenth of the scan);
# - first and last timestamps, needed only for an undeclared reading interval or period, are
#   skipped when both are declared;
# - n_ts counts the distinct slots with a reading in a bitmap per group: slots (the declared
#   reading interval, else a minute) since 1970, offset by 100,000 31-day spans to stay
#   positive back to 6500 BC, modulo a 31-day span's slots differ for distinct slots of one
#   month (2,976 bits for 15 minutes, 372 bytes; 44,640 for minutes, 5.6 kB). Each thread
#   keeps its own state per group, and these maps do not spill, so their size sets the scan's
#   memory as sites grow: 1,000 sites took 310 MiB against 174 MiB for 100 with minute maps,
#   183 against 163 with 15-minute ones, and the minute maps ran out of a 100 MB limit that
#   the 15-minute ones finished within. count(DISTINCT timestamp) kept every timestamp: ten
#   times slower, memory growing with rows. n_ts never exceeds the distinct timestamps, so every group with a
#   repeated timestamp has n > n_ts and gets the exact row-level check (qaqc._duplicates);
#   readings closer than a slot (off the declared grid) only cost that check.
_MONTH_MINUTES = 44_640
_EPOCH_MONTHS = 100_000  # 31-day spans added to keep times before 1970 positive
_TIMES = "min(timestamp) AS first_ts, max(timestamp) AS last_ts"
_NO_TIMES = "CAST(NULL AS TIMESTAMP) AS first_ts, CAST(NULL AS TIMESTAMP) AS last_ts"


def scan_monitoring(con: duckdb.DuckDBPyConnection, period: tuple[datetime, datetime] | None,
                    with_times: bool = True, interval_minutes: int | None = None) -> Scanned:  # fmt: skip
    """Table ``scan_raw``: grouped statistics of the rows of ``monitoring_file`` within ``period``
    (all rows without one; a row without a timestamp stays in, for :func:`check_keys`).

    ``with_times`` keeps each group's first and last timestamp (to infer interval or period);
    ``interval_minutes``, the declared reading interval, sizes the duplicate map.
    """
    inside = "true"
    if period is not None:
        start, end = (f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S}'" for moment in period)
        inside = f"coalesce(timestamp >= {start} AND timestamp < {end}, true)"
    try:
        con.execute(SCAN_SQL.format(inside=inside, times=_TIMES if with_times else _NO_TIMES,
                                    **_slots(interval_minutes)))  # fmt: skip
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as exc:
        raise InvalidInput(f"cannot read the monitoring data: {str(exc).splitlines()[0]}") from None
    con.execute(
        "CREATE OR REPLACE TEMP TABLE scan_raw AS SELECT * EXCLUDE (inside, n_doubtful) FROM scan_all WHERE inside"
    )
    found = con.execute(
        "SELECT coalesce(sum(n) FILTER (WHERE inside), 0), coalesce(sum(n) FILTER (WHERE NOT inside), 0), "
        "coalesce(sum(n_doubtful), 0) FROM scan_all"
    ).fetchone()
    within, outside, doubtful = found or (0, 0, 0)
    return Scanned(int(within), int(outside), int(doubtful))


def _slots(interval_minutes: int | None) -> dict[str, str | int]:
    """SQL of a reading's slot in the duplicate map and the map's last index.

    A slot is the declared interval, else one minute. Where the interval divides 31 days, the
    slots since 1970 modulo a month's count are already distinct within a month (one division
    less per row, a third of the map's cost); otherwise minutes modulo 31 days are divided.
    """
    width = interval_minutes if interval_minutes and interval_minutes < _MONTH_MINUTES else 1
    count = -(-_MONTH_MINUTES // width)
    if _MONTH_MINUTES % width == 0:
        slot = f"(epoch_us(timestamp) // {width * 60_000_000} + {_EPOCH_MONTHS * count}) % {count}"
    else:
        slot = f"(epoch_us(timestamp) // 60000000 + {_EPOCH_MONTHS * _MONTH_MINUTES}) % {_MONTH_MINUTES} // {width}"
    return {"slot": slot, "last_slot": count - 1}


@dataclass(frozen=True)
class Scanned:
    """Rows read within the monitoring period and outside it, and rows the fast CSV path doubts."""

    within: int
    outside: int
    doubtful: int = 0


def blank_keys(con) -> int:
    """Rows whose site, parameter or unit is missing, empty or padded with spaces, or whose
    time is missing: the fast CSV path's label tests, run on the scan's groups, not per row."""
    blank = " OR ".join(f"{c} IS NULL OR {c} = '' OR starts_with({c}, ' ') OR ends_with({c}, ' ')"
                        for c in ("site_id", "parameter", "unit"))  # fmt: skip
    (rows,) = con.execute(f"SELECT coalesce(sum(n), 0) FROM scan_all WHERE {blank} OR month IS NULL").fetchone()
    return int(rows)


def check_keys(con) -> None:
    """Refuse rows without site, time or parameter, naming the first such row."""
    (bad,) = con.execute(
        "SELECT count(*) FROM scan_raw WHERE site_id IS NULL OR month IS NULL OR parameter IS NULL"
    ).fetchone()
    if bad:
        line, file, column = con.execute(
            "SELECT line, file, CASE WHEN site_id IS NULL THEN 'site_id' WHEN timestamp IS NULL "
            "THEN 'timestamp' ELSE 'parameter' END FROM monitoring_file_lines WHERE site_id IS NULL OR "
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
