"""One pass over the monitoring rows: per site, month, parameter and unit statistics.

Everything the engine and QA/QC need from millions of rows comes from this single grouped
DuckDB scan, kept as a small DuckDB table (one row per site, month, parameter and unit) that
the later steps query (sums, counts, extremes, first/last timestamps, spread). Checks that need
individual rows — which timestamps are duplicated, which readings jump — run afterwards,
only for the few groups the statistics flag, so the cost stays one scan of the data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from c3p.errors import DataFileError, InvalidInput
from c3p.mrv.expressions import symbol_key
from c3p.mrv.findings import Finding
from c3p.mrv.spec import Methodology
from c3p.mrv.units import scale_factor

PART_SQL = """
SELECT {inside} AS inside, site_id, make_date(year(day), month(day), 1) AS month, {labels},
  sum(n) AS n, sum(n_value) AS n_value, sum(total) AS total, sum(squares) AS squares,
  min(min_value) AS min_value, max(max_value) AS max_value, min(first_ts) AS first_ts,
  max(last_ts) AS last_ts, sum(n_ts) AS n_ts, {doubtful_sum} AS n_doubtful
FROM (SELECT site_id, {day} AS day, {keys} count(*) AS n, {counted} AS n_value,
  sum(value) AS total, sum(value * value) AS squares, min(value) AS min_value, max(value) AS max_value,
  {times}, {n_ts} AS n_ts {doubtful}
FROM {source} GROUP BY ALL)
GROUP BY ALL
"""
FOLD_SQL = """
CREATE OR REPLACE TEMP TABLE scan_all AS
SELECT inside, site_id, month, parameter, unit, sum(n) AS n, sum(n_value) AS n_value,
  sum(total) AS total, min(min_value) AS min_value, max(max_value) AS max_value,
  min(first_ts) AS first_ts, max(last_ts) AS last_ts,
  sqrt(greatest(sum(squares) / sum(n_value) - (sum(total) / sum(n_value)) ** 2, 0)) AS sd,
  CASE WHEN bool_and(apart) THEN sum(n_ts) ELSE least(sum(n_ts), sum(n) - 1) END AS n_ts,
  sum(n_doubtful) AS n_doubtful
FROM (SELECT *, {apart} AS apart FROM scan_parts) GROUP BY ALL
"""
#: Whether a part's span starts after the spans of the parts before it in its group. One part
#: (one file) is always apart; the window's sort then cost 0.02-0.05 s for 12,000 month rows.
APART_SQL = """coalesce(max(last_ts) OVER (PARTITION BY inside, site_id, month, parameter, unit
  ORDER BY first_ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) < first_ts, true)"""
# One pass over every row of the input, so each aggregate is the cheapest that serves; each
# Parquet file of several is a part of its own (see :func:`scan_monitoring`). The rows
# are grouped by calendar day (a cast, where year * 12 + month cost two date functions per row),
# and the days are then folded into months, a second step over one row per day (rows / 96 for
# 15-minute data):
# - rows outside the monitoring period are counted here (group ``inside``, tested per day, not
#   per row: the period is whole days), not in a second pass;
# - a label with one value in every row (parameter or unit, known from Parquet statistics) is
#   no group key: each string key cost about a tenth of the hand-written query;
# - the spread comes from a sum of squares (it only flags jumps for a warning; stddev_pop's
#   running update cost a tenth of the scan);
# - first and last timestamps, needed only for an undeclared reading interval or period, are
#   skipped when both are declared;
# - n_ts counts the distinct slots with a reading (see :func:`_slots`): an OR of one bit per
#   reading in a 128-bit integer per day (per 128 slots where a day has more), the bits
#   counted and added up over the days of a month. It replaced a bitmap per month
#   (``bitstring_agg``, 2,976 bits for 15 minutes), which cost about as much per row and kept
#   372 bytes per site, month and parameter in each thread. Text input keeps the month bitmap
#   (``month_map``): a CSV is one file, so its day groups grew with it, where a month's map
#   holds a thirtieth of the groups (DuckDB's hash table 76-83 MiB -> 3-4 MiB for 35 M rows).
_DAY_MINUTES = 1440
_TIMES = "min(timestamp) AS first_ts, max(timestamp) AS last_ts"
_NO_TIMES = "CAST(NULL AS TIMESTAMP) AS first_ts, CAST(NULL AS TIMESTAMP) AS last_ts"


def scan_monitoring(con: duckdb.DuckDBPyConnection, period: tuple[date, date] | None,
                    with_times: bool = True, interval_minutes: int | None = None,
                    constant: Mapping[str, str] | None = None, doubtful: bool = False,
                    parts: Sequence[str] = (), month_map: bool = False) -> Scanned:  # fmt: skip
    """Table ``scan_raw``: grouped statistics of the rows of ``monitoring_file`` within ``period``
    (its first day and the day after its last; all rows without one; a row without a timestamp
    stays in, for :func:`check_keys`).

    ``with_times`` keeps each group's first and last timestamp (to infer interval or period);
    ``interval_minutes``, the declared reading interval, sizes the duplicate map; ``constant``
    gives the labels (``parameter``, ``unit``) that hold one value in every row; ``doubtful``
    says whether rows may be marked doubtful (the fast CSV path), to count them.

    ``parts`` are the input's files as relations, scanned one after the other (all of
    ``monitoring_file`` at once without them). The day groups of the scan cost about 175
    bytes each until they are folded into months, so one scan of ten files of 100 sites held
    ten times the day groups of one file (peak RSS 1.34x from 1 to 10 files, 1.09x with the
    month map before); a file at a time holds one file's. The parts' month rows are then
    added up. The files' slots were counted apart, so a reading repeated in two files would
    go unseen: a group whose files' first-to-last spans overlap gets ``n_ts`` below ``n``,
    which sends it to the row-level duplicate check (files split by time do not overlap, so
    they cost no check; a repeated timestamp lies within both files' spans).

    ``month_map`` groups the rows by month with a bitmap of its slots (:func:`_month_slots`)
    where the declared interval is at least :data:`_MONTH_MAP_MINUTES`: a CSV is one file,
    so its day groups grew with it (peak RSS 1.22-1.36 x from 150 MB to 1.5 GB of text); the
    map costs more per row than the day word, little next to parsing text.
    """
    month_map = month_map and (interval_minutes or 0) >= _MONTH_MAP_MINUTES
    fixed = constant or {}
    labels = ", ".join(f"{_literal(fixed[c])} AS {c}" if c in fixed else c for c in _LABELS)
    keys = "".join(f"{c}, " for c in _LABELS if c not in fixed)
    inside, day = "true", "CAST(timestamp AS DATE)"
    if period is not None:
        start, end = (f"DATE '{first:%Y-%m-%d}'" for first in period)
        inside = f"coalesce(day >= {start} AND day < {end}, true)"
        if month_map:  # the period is whole days, but the groups are months: tested per row
            keys = f"{inside.replace('day', day)} AS inside_row, {keys}"
            inside = "inside_row"
    if month_map:
        day = "make_date(year(timestamp), month(timestamp), 1)"
    slots = _month_slots(interval_minutes or 1, keys) if month_map else _slots(interval_minutes, keys)
    counted = {"doubtful": ", count_if(doubtful) AS n_doubtful" if doubtful else "",
               "doubtful_sum": "sum(n_doubtful)" if doubtful else "0", "counted": _counted_values(fixed)}  # fmt: skip
    with_times = with_times or len(parts) > 1  # the fold compares the files' spans
    sql = PART_SQL.format(inside=inside, day=day, times=_TIMES if with_times else _NO_TIMES, labels=labels,
                          **slots, **counted, source="{source}")  # fmt: skip
    try:
        for index, source in enumerate(parts or ["monitoring_file"]):
            into = "INSERT INTO scan_parts " if index else "CREATE OR REPLACE TEMP TABLE scan_parts AS "
            con.execute(into + sql.replace("{source}", source))
        _check_constant(con, fixed)
        con.execute(FOLD_SQL.format(apart=APART_SQL if len(parts) > 1 else "true"))
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
    within, outside, doubtful_rows = found or (0, 0, 0)
    return Scanned(int(within), int(outside), int(doubtful_rows))


_LABELS = ("parameter", "unit")


def _counted_values(fixed: Mapping[str, str]) -> str:
    """SQL counting the values a group may use: where labels are taken as constant, only the
    values whose row holds those labels.

    One count then serves two checks: ``n_value < n`` flags a blank reading and a label that
    differs from the footer's word alike (:func:`_check_constant` tells them apart). It cost
    what a separate count of differing labels cost (CPU 1.41-1.44 x against 1.39-1.43 x the
    hand query, scan statement alone, 35 M rows). That every count reads the rows, not the
    footer's null counts, is the connection's doing (``engine.UNTRUSTED_STATISTICS``).
    """
    if not fixed:
        return "count(value)"
    same = " AND ".join(f"{label} = {_literal(value)}" for label, value in fixed.items())
    return f"count(CASE WHEN {same} THEN value END)"


def _check_constant(con: duckdb.DuckDBPyConnection, fixed: Mapping[str, str]) -> None:
    """Refuse a file whose rows disagree with the one value its statistics gave a label.

    The labels taken as constant come from the Parquet footer, which a hand-edited file can
    state falsely; a row in ``kWh`` read as the footer's ``MWh`` would raise the reductions a
    thousandfold. The scan counts only values whose row holds the labels, so a clean file
    costs nothing more here; where some rows were not counted (a differing label or a blank
    value), the rows are read again to count the differing labels.
    """
    if not fixed:
        return
    (uncounted,) = con.execute("SELECT coalesce(sum(n) - sum(n_value), 0) FROM scan_parts").fetchone() or (0,)
    if not uncounted:
        return
    unlike = " OR ".join(f"{label} IS DISTINCT FROM {_literal(value)}" for label, value in fixed.items())
    (found,) = con.execute(f"SELECT count_if({unlike}) FROM monitoring_file").fetchone() or (0,)
    if found:
        said = ", ".join(f"{label} {value!r}" for label, value in fixed.items())
        raise InvalidInput(
            f"the Parquet file's statistics say every row has {said}, but {found} rows hold another value; "
            "write the file again"
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _slots(interval_minutes: int | None, keys: str) -> dict[str, str]:
    """SQL of the inner group keys after the day (``keys``, plus a reading's word where a day
    has more slots than a word holds) and of the count of bits its word's ``bit_or`` sets.

    A slot is the declared interval where it divides a day (else the largest width that divides
    both, down to a minute; a minute without a declared interval). Its number is the slots since
    1970 (DuckDB's ``//`` truncates towards zero before 1970, so there one number spans two
    slots: still a function of the time), and its bit in a 128-bit word is that number modulo
    128, ``& 127``: the slots of a day are at most 121 consecutive numbers (1,440 / 12 + 1),
    distinct modulo 128, where a day has fewer than 128; otherwise the word (``>> 7``, the number
    divided by 128) is a group key too. ``UHUGEINT`` holds bit 127 (``HUGEINT`` overflows) but
    has no ``bit_count``, so its two halves are counted.

    Why ``n_ts`` is exact for what it is used for (``n > n_ts`` sends a group to the row-level
    duplicate check, :func:`c3p.mrv.qaqc._duplicates`): the day and the word are group keys,
    so ``bit_or`` of ``1 << bit`` over a (day, word) group has one bit set per distinct
    (day, word, bit), and ``n_ts``, the sum of those bit counts over the month, is at most the
    number of distinct timestamps. Two readings with the same timestamp have the same day, word
    and bit, so every repeated timestamp makes ``n > n_ts``, whatever else the month lacks: a
    missing reading sets no bit and cannot add one to the repeated slot (a sum of slot numbers
    could be balanced that way; an OR cannot). Readings at distinct times within one slot (off
    the declared grid) also give ``n > n_ts``; they only cost the row-level check, which
    compares timestamps.
    """
    width = math.gcd(interval_minutes, _DAY_MINUTES) if interval_minutes else 1
    slot = f"epoch_us(timestamp) // {width * 60_000_000}"
    bit = f"1::UHUGEINT << CAST({slot} & 127 AS UHUGEINT)"
    halves = (f"bit_or({bit}) >> 64::UHUGEINT", f"bit_or({bit}) & {(1 << 64) - 1}::UHUGEINT")
    n_ts = " + ".join(f"bit_count(CAST({half} AS UBIGINT))" for half in halves)
    if _DAY_MINUTES // width < 128:
        return {"keys": keys, "n_ts": n_ts}
    return {"keys": f"{slot} >> 7 AS word, {keys}", "n_ts": n_ts}


_MONTH_MINUTES = 44_640  # 31 days
_EPOCH_MONTHS = 100_000  # 31-day spans added to keep times before 1970 positive
#: the shortest declared interval given a month map (4,464 bits, 558 bytes, a site and month)
_MONTH_MAP_MINUTES = 10


def _month_slots(interval_minutes: int, keys: str) -> dict[str, str]:
    """SQL of the group keys and of ``n_ts`` for a bitmap of a month's slots (``bitstring_agg``).

    A slot is the declared interval. Where it divides 31 days, the slots since 1970 (offset by
    100,000 31-day spans to stay positive back to 6500 BC) modulo a 31-day span's count differ
    for distinct slots of one month; otherwise minutes modulo 31 days are divided by the
    interval. Two readings with one timestamp set one bit, so a repeat leaves ``n > n_ts``.
    """
    width = min(interval_minutes, _MONTH_MINUTES)
    count = -(-_MONTH_MINUTES // width)
    if _MONTH_MINUTES % width == 0:
        slot = f"(epoch_us(timestamp) // {width * 60_000_000} + {_EPOCH_MONTHS * count}) % {count}"
    else:
        slot = f"(epoch_us(timestamp) // 60000000 + {_EPOCH_MONTHS * _MONTH_MINUTES}) % {_MONTH_MINUTES} // {width}"
    return {"keys": keys, "n_ts": f"bit_count(bitstring_agg(CAST({slot} AS INTEGER), 0, {count - 1}))"}


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
    """Refuse rows without site, time or parameter, naming the first such row.

    An empty site or parameter is as blank as a null one: a blank site must not become a site
    named ``''`` whose readings are credited.
    """
    blank = "nullif(site_id, '') IS NULL OR {time} IS NULL OR nullif(parameter, '') IS NULL"
    (bad,) = con.execute(f"SELECT count(*) FROM scan_raw WHERE {blank.format(time='month')}").fetchone()
    if bad:
        line, file, column = con.execute(
            "SELECT line, file, CASE WHEN nullif(site_id, '') IS NULL THEN 'site_id' WHEN timestamp IS NULL "
            f"THEN 'timestamp' ELSE 'parameter' END FROM monitoring_file_lines WHERE {blank.format(time='timestamp')} "
            "ORDER BY line LIMIT 1"
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
    line, file, value = con.execute(
        "SELECT line, file, value FROM monitoring_lines WHERE value IS NULL OR NOT isfinite(value) "
        "ORDER BY file, line LIMIT 1"
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
