"""QA/QC as a verifier would do it, with each methodology's conservative treatment.

Statistics from the single scan flag groups (site, month, parameter); the rows behind a
flag are then fetched by small targeted queries to list and quantify them. The side that
lowers emission reductions, derived from the equations (:mod:`c3p.mrv.direction`), decides
the treatment: for ``low`` parameters (e.g. PV output feeding
reference emissions) doubtful data counts as zero or its smaller reading; for ``high``
parameters (e.g. project electricity use) gaps are filled with the highest observed rate.
Nothing is dropped silently: every treatment is a finding carrying its adjustment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Literal

import pyarrow as pa

from c3p.mrv.direction import conservative_when_missing
from c3p.mrv.findings import Adjustment, Finding
from c3p.mrv.params import CalculationParams
from c3p.mrv.spec import Methodology, Parameter
from c3p.mrv.units import scale_factor

CapacityLookup = Callable[[str, str], float | None]  # (site_id, power symbol) -> kW


class QaqcContext:
    """What the checks need besides the scan: connection, spec, period and interval."""

    def __init__(self, con, methodology: Methodology, params: CalculationParams,
                 start: datetime, end: datetime, interval_min: int | None,
                 capacity_kw: CapacityLookup) -> None:  # fmt: skip
        self.con, self.methodology, self.params = con, methodology, params
        self.start, self.end, self.interval_min = start, end, interval_min
        self.capacity_kw = capacity_kw
        self.findings: list[Finding] = []
        self.sides: dict[str, Literal["low", "high"]] = {}  # parameter key -> "low"/"high", settled by the engine
        self.adjustments: list[Adjustment] = []

    def note(self, finding: Finding, key: str | None = None, delta: float = 0.0) -> None:
        self.findings.append(finding)
        if key is not None and delta and finding.site_id and finding.month:
            self.adjustments.append(Adjustment(site_id=finding.site_id, month=finding.month,
                                               key=key, delta=delta))  # fmt: skip


def infer_interval_minutes(con) -> int | None:
    """The typical reading interval, or None for monthly/periodic readings."""
    groups, minutes = con.execute(
        "SELECT count(*), median(epoch(last_ts - first_ts) / (n - 1)) / 60 FROM scan WHERE n >= 3"
    ).fetchone()
    if not groups or minutes is None:
        return None
    return max(1, round(minutes)) if minutes < 1440 * 27 else None


GROUPS_SQL = """
CREATE OR REPLACE TEMP TABLE scan_groups AS SELECT site_id, month, key,
  list(DISTINCT parameter ORDER BY parameter) AS raws, sum(n) AS n, sum(n_value) AS n_value,
  sum(total) AS total, min(min_value) AS min_value, max(max_value) AS max_value, max(sd) AS sd,
  sum(n_ts) AS n_ts
FROM scan GROUP BY ALL
"""


def run_qaqc(ctx: QaqcContext) -> None:
    """Apply every check to the converted scan; findings and adjustments land on ``ctx``.

    Flags are computed for all groups at once (one DuckDB query); only flagged groups are
    visited one by one, so a clean project of thousands of sites costs no Python loop per group.
    """
    ctx.con.execute(GROUPS_SQL)
    for group in _flagged(ctx):
        param = ctx.methodology.parameters[group["key"]]
        _negative(ctx, group, param)
        duplicates = _duplicates(ctx, group, param) if group["n"] > group["n_ts"] else 0
        if ctx.interval_min and param.kind == "monitored":
            _count_check(ctx, group, param, ctx.interval_min, duplicates)
        if param.rated_power and ctx.interval_min:
            _impossible(ctx, group, param, param.rated_power, ctx.interval_min)
        _jump(ctx, group, param)
    _missing_months(ctx)
    _meters(ctx)


def _flagged(ctx: QaqcContext) -> list[dict]:
    """Groups that may hold a finding: negatives, wrong counts, spikes, readings over a cap."""
    con, interval = ctx.con, ctx.interval_min
    sigma = float(ctx.methodology.spec.qaqc.jump_sigma)
    flags = (f"min_value < 0 OR n > n_ts OR (sd > 0 AND n_value >= 10 "
             f"AND max_value > total / n_value + {sigma!r} * sd)")  # fmt: skip
    if interval:
        months = [row[0] for row in con.execute("SELECT DISTINCT month FROM scan_groups").fetchall()]
        con.register("expected_slots", pa.table({
            "month": pa.array(months, pa.date32()),
            "expected": pa.array([_slots(ctx, m, interval) for m in months], pa.int64())}))  # fmt: skip
        con.register("capacity_caps", _capacity_caps(ctx, interval))
        flags += " OR n <> expected OR n_value <> expected OR max_value > cap * (1 + 1e-9)"
        source = ("scan_groups LEFT JOIN expected_slots USING (month) "
                  "LEFT JOIN capacity_caps USING (key, site_id)")  # fmt: skip
    else:
        source = "scan_groups"
    cursor = con.execute(f"SELECT scan_groups.* FROM {source} WHERE {flags} ORDER BY site_id, month, key")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _capacity_caps(ctx: QaqcContext, interval_min: int) -> pa.Table:
    """The largest reading each site's rated power allows per interval, per parameter key."""
    keys, sites, caps = [], [], []
    for param in ctx.methodology.spec.parameters:
        power = param.rated_power
        if not power:
            continue
        hours = interval_min / 60 * scale_factor("kWh", param.unit)
        found = ctx.con.execute("SELECT DISTINCT site_id FROM scan_groups WHERE key = ?", [param.key]).fetchall()
        for (site,) in found:
            capacity = ctx.capacity_kw(site, power)
            if capacity is not None:
                keys.append(param.key)
                sites.append(site)
                caps.append(capacity * hours)
    return pa.table({"key": pa.array(keys, pa.string()), "site_id": pa.array(sites, pa.string()),
                     "cap": pa.array(caps, pa.float64())})  # fmt: skip


def _base(group: dict, param: Parameter, **extra) -> dict:
    return {"site_id": group["site_id"], "month": group["month"], "parameter": param.symbol,
            "unit": param.unit, **extra}  # fmt: skip


def _negative(ctx: QaqcContext, group: dict, param: Parameter) -> None:
    if group["min_value"] is None or group["min_value"] >= 0:
        return
    rows, total, first_line = ctx.con.execute(
        """SELECT count(*), sum(value), min(line) FROM monitoring_lines WHERE site_id = ?
           AND parameter IN (SELECT unnest(?)) AND value < 0
           AND CAST(date_trunc('month', timestamp) AS DATE) = ?""",
        [group["site_id"], group["raws"], group["month"]],
    ).fetchone()
    delta = -total * _raw_factor(ctx, group, param)
    ctx.note(Finding(code="negative", severity="warning", rows=rows, first_line=first_line,
                     treatment="counted as zero", adjustment=delta,
                     message=f"{rows} negative reading(s) of {param.symbol}",
                     **_base(group, param)), group["key"], delta)  # fmt: skip


def _slots(ctx: QaqcContext, month: date, interval_min: int) -> int:
    first = max(ctx.start, datetime(month.year, month.month, 1))
    next_month = (datetime(month.year, month.month, 1) + timedelta(days=32)).replace(day=1)
    last = min(ctx.end, next_month)
    return max(0, int((last - first).total_seconds() // (interval_min * 60)))


def _side(ctx: QaqcContext, param: Parameter) -> str:
    """``low`` if smaller values of ``param`` lower the emission reductions, else ``high``."""
    return ctx.sides.get(param.key) or conservative_when_missing(ctx.methodology, param.key)


def _count_check(ctx: QaqcContext, group: dict, param: Parameter, interval_min: int,
                 duplicates: int) -> None:  # fmt: skip
    """Missing intervals, counted after removing duplicates so that one cannot hide the other."""
    expected = _slots(ctx, group["month"], interval_min)
    missing = expected - (group["n_value"] - duplicates)
    if missing <= 0:
        return
    delta, treatment = 0.0, "counted as zero"
    if _side(ctx, param) == "high" and group["max_value"] is not None:
        delta, treatment = missing * max(group["max_value"], 0.0), "filled with the highest reading"
    ctx.note(Finding(code="gap", severity="warning", rows=missing, treatment=treatment,
                     adjustment=delta, message=f"{missing} of {expected} {interval_min}-minute "
                     f"readings of {param.symbol} missing or empty", **_base(group, param)),
             group["key"], delta)  # fmt: skip


def _duplicates(ctx: QaqcContext, group: dict, param: Parameter) -> int:
    keep = "min" if _side(ctx, param) == "low" else "max"
    stamps, extra_raw, n_extra, first_line = ctx.con.execute(
        f"""SELECT count(*), coalesce(sum(extra), 0), coalesce(sum(n_extra), 0), min(first_line)
            FROM (SELECT count(*) - 1 AS n_extra, sum(value) - {keep}(value) AS extra,
                         min(line) AS first_line
                  FROM monitoring_lines WHERE site_id = ? AND parameter IN (SELECT unnest(?))
                    AND CAST(date_trunc('month', timestamp) AS DATE) = ?
                  GROUP BY timestamp HAVING count(*) > 1)""",
        [group["site_id"], group["raws"], group["month"]],
    ).fetchone()
    if not stamps:
        return 0
    extra = extra_raw * _raw_factor(ctx, group, param)
    ctx.note(Finding(code="duplicate", severity="warning", rows=int(n_extra), first_line=first_line,
                     treatment=f"kept the {'smaller' if keep == 'min' else 'larger'} reading",
                     adjustment=-extra, message=f"{stamps} timestamp(s) of {param.symbol} "
                     "appear more than once", **_base(group, param)), group["key"], -extra)  # fmt: skip
    return int(n_extra)


def _raw_factor(ctx: QaqcContext, group: dict, param: Parameter) -> float:
    """Drill-down sums come in the file's unit; the first unit of the group converts them."""
    unit = ctx.con.execute(
        "SELECT any_value(unit) FROM monitoring_lines WHERE site_id = ? AND parameter IN (SELECT unnest(?)) LIMIT 1",
        [group["site_id"], group["raws"]],
    ).fetchone()[0]
    return scale_factor(unit, param.unit)


def _impossible(ctx: QaqcContext, group: dict, param: Parameter, power: str, interval_min: int) -> None:
    capacity_kw = ctx.capacity_kw(group["site_id"], power)
    if capacity_kw is None or group["max_value"] is None:
        return
    limit = capacity_kw * interval_min / 60 * scale_factor("kWh", param.unit)
    if group["max_value"] <= limit * (1 + 1e-9):
        return
    factor = _raw_factor(ctx, group, param)
    rows, total, first_line = ctx.con.execute(
        """SELECT count(*), sum(value), min(line) FROM monitoring_lines WHERE site_id = ?
           AND parameter IN (SELECT unnest(?)) AND value * ? > ?
           AND CAST(date_trunc('month', timestamp) AS DATE) = ?""",
        [group["site_id"], group["raws"], factor, limit * (1 + 1e-9), group["month"]],
    ).fetchone()
    delta = -total * factor if _side(ctx, param) == "low" else 0.0
    ctx.note(Finding(code="impossible", severity="error", rows=rows, first_line=first_line,
                     treatment="counted as zero" if delta else "kept (conservative)",
                     adjustment=delta, message=f"{rows} reading(s) of {param.symbol} above "
                     f"{param.rated_power} x interval = {limit:.6g} {param.unit}",
                     **_base(group, param)), group["key"], delta)  # fmt: skip


def _jump(ctx: QaqcContext, group: dict, param: Parameter) -> None:
    sd, top, n = group["sd"], group["max_value"], group["n_value"]
    if not sd or top is None or n < 10:
        return
    mean = group["total"] / n
    if top <= mean + ctx.methodology.spec.qaqc.jump_sigma * sd:
        return
    first_line = ctx.con.execute(
        """SELECT min(line) FROM monitoring_lines WHERE site_id = ? AND parameter IN (SELECT unnest(?))
           AND CAST(date_trunc('month', timestamp) AS DATE) = ? AND value * ? = ?""",
        [group["site_id"], group["raws"], group["month"], _raw_factor(ctx, group, param), top],
    ).fetchone()[0]
    ctx.note(Finding(code="jump", severity="warning", rows=1, first_line=first_line,
                     treatment="kept; verify against the meter's log",
                     message=f"a reading of {top:.6g} {param.unit} is more than "
                     f"{ctx.methodology.spec.qaqc.jump_sigma:g} standard deviations above the "
                     f"month's mean {mean:.6g}", **_base(group, param)))  # fmt: skip


def _missing_months(ctx: QaqcContext) -> None:
    """A site with some data but no rows at all for a monitored symbol in a month."""
    monitored = [p.key for p in ctx.methodology.spec.parameters if p.kind == "monitored"]
    missing = ctx.con.execute(
        """SELECT site_id, month, key FROM (SELECT DISTINCT site_id FROM scan_groups)
        CROSS JOIN (SELECT unnest(?::DATE[]) AS month) CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS key)
        ANTI JOIN scan_groups USING (site_id, month, key) ORDER BY site_id, month, key""",
        [_period_months(ctx), monitored],
    ).fetchall()
    for site, month, key in missing:
        param = ctx.methodology.parameters[key]
        slots = _slots(ctx, month, ctx.interval_min) if ctx.interval_min else 1
        ctx.note(Finding(code="gap", severity="warning", site_id=site, month=month,
                         parameter=param.symbol, unit=param.unit, rows=slots,
                         treatment="counted as zero" if _side(ctx, param) == "low"
                         else "site-month not credited — supply data",
                         message=f"no readings of {param.symbol} in {month:%Y-%m}"))  # fmt: skip


def _period_months(ctx: QaqcContext) -> list[date]:
    months, current = [], date(ctx.start.year, ctx.start.month, 1)
    while datetime(current.year, current.month, 1) < ctx.end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _meters(ctx: QaqcContext) -> None:
    from c3p.mrv.meters import check_meters

    check_meters(ctx)
