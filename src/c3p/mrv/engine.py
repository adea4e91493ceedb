"""The MRV engine: ex-ante estimates from design values, ex-post from monitoring data.

Ex-post work is one DuckDB scan of the monitoring files (grouped by site, month,
parameter and unit), QA/QC on those statistics plus targeted drill-downs, then numpy
evaluation of the methodology over one cell per site and month. Memory therefore grows
with sites × months, not with rows, and Parquet inputs larger than memory stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import polars as pl

from c3p import __version__
from c3p.mrv.cells import build_cells, per_site_fixed
from c3p.mrv.conservative import evaluate_conservatively, project_floor
from c3p.mrv.direction import settled_sides
from c3p.mrv.evaluate import evaluate_cells, round_down
from c3p.mrv.factors import FactorRegistry, default_registry
from c3p.mrv.monitoring import Decimal, hash_files_in_background, open_monitoring
from c3p.mrv.params import CalculationParams
from c3p.mrv.plausibility import check_readings, scalar_findings
from c3p.mrv.qaqc import QaqcContext, infer_interval_minutes, run_qaqc
from c3p.mrv.results import Breakdown, CalculationResult, ParameterUsed, Provenance
from c3p.mrv.scan import check_keys, check_values, convert_units, scan_monitoring
from c3p.mrv.spec import Methodology
from c3p.mrv.values import given_values, missing_value_error, resolve

ENGINE_VERSION = f"c3p-mrv {__version__}"
Progress = Callable[[str], None]


def estimate(methodology: Methodology, params: CalculationParams,
             factors: FactorRegistry | None = None) -> CalculationResult:  # fmt: skip
    """Ex-ante: one year (or the design period) from design values for every parameter.

    Monitored parameters take their expected annual value, e.g. EG_i,p = 1,200 MWh.
    """
    factors = factors or default_registry()
    given = given_values(methodology, params)
    columns, used = {}, []
    for param in methodology.spec.parameters:
        resolved = resolve(param, given.get(param.key), factors)
        if resolved is None and param.key not in methodology.referenced:
            continue
        if resolved is None:
            raise missing_value_error(param, "ex-ante")
        columns[param.key] = np.array([resolved[0]])
        used.append(resolved[1])
    values = evaluate_cells(methodology, columns, 1, project_floor(methodology))
    findings = scalar_findings(methodology, used)
    return _result(methodology, "ex-ante", values, ["design"], [None], used, findings, params, {})


def calculate(
    methodology: Methodology,
    paths: Sequence[Path | str],
    params: CalculationParams,
    mapping: dict[str, str] | None = None,
    factors: FactorRegistry | None = None,
    progress: Progress | None = None,
    decimal: Decimal | None = None,
) -> CalculationResult:
    """Ex-post: evaluate the methodology over monitoring files for a monitoring period.

    ``decimal`` is the decimal mark of numbers in CSV files ("." or ","), see
    :func:`~c3p.mrv.monitoring.open_monitoring`.
    """
    import duckdb

    step = progress or (lambda _stage: None)
    factors = factors or default_registry()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        step("reading")
        open_monitoring(con, paths, mapping, decimal)
        digests = hash_files_in_background(paths)
        start, end = _period(con, params)
        within = (
            f"WHERE timestamp >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' "
            f"AND timestamp < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'"
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring AS SELECT * FROM monitoring_file {within}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_lines AS SELECT * FROM monitoring_file_lines {within}")
        step("scanning")
        raw_scan = scan_monitoring(con)
        check_keys(con, raw_scan)
        check_values(con, raw_scan)
        scan, findings = convert_units(con, raw_scan, methodology)
        findings += check_readings(con, scan, methodology)
        findings += _outside_period(con, start, end)
        step("checking")
        fixed_by_site = per_site_fixed(scan, methodology)
        scalars, used = _scalars(methodology, params, factors, fixed_by_site, scan)
        findings += scalar_findings(methodology, used)
        ctx = QaqcContext(con, methodology, params, start, end,
                          params.interval_minutes or infer_interval_minutes(scan),
                          lambda site, sym: _lookup(site, sym, methodology, scalars,
                                                    fixed_by_site))  # fmt: skip
        ctx.sides = settled_sides(methodology, _design_point(scan, scalars, fixed_by_site))
        run_qaqc(ctx, scan)
        step("calculating")
        cells, columns, missing = build_cells(scan, methodology, ctx.adjustments, scalars, fixed_by_site)
        values, treated = evaluate_conservatively(methodology, cells, columns, missing)
        rows = int(raw_scan["n"].sum() or 0)
    finally:
        con.close()
    extra = {"files": digests.result(), "rows": rows, "start": start, "end": end,
             "interval": ctx.interval_min}  # fmt: skip
    return _result(methodology, "ex-post", values, cells["site_id"].to_list(),
                   cells["month"].to_list(), used, findings + ctx.findings + treated, params, extra)  # fmt: skip


def _period(con, params: CalculationParams) -> tuple[datetime, datetime]:
    if params.period is not None:
        start = datetime.combine(params.period.start, datetime.min.time())
        return start, datetime.combine(params.period.end + timedelta(days=1), datetime.min.time())
    first, last = con.execute("SELECT min(timestamp), max(timestamp) FROM monitoring_file").fetchone()
    if first is None:
        from c3p.errors import InvalidInput

        raise InvalidInput("the monitoring data has no timestamps")
    return (datetime(first.year, first.month, 1),
            datetime.combine(last.date() + timedelta(days=1), datetime.min.time()))  # fmt: skip


def _outside_period(con, start: datetime, end: datetime) -> list:
    from c3p.mrv.findings import Finding

    count, line = con.execute(
        "SELECT count(*), min(line) FROM monitoring_file_lines WHERE timestamp < ? OR timestamp >= ?",
        [start, end],
    ).fetchone()
    if not count:
        return []
    return [
        Finding(
            code="outside-period",
            severity="info",
            rows=count,
            first_line=line,
            treatment="rows not used",
            message=f"{count} row(s) fall outside the "
            f"monitoring period {start:%Y-%m-%d} to {end - timedelta(days=1):%Y-%m-%d}",
        )
    ]


def _scalars(methodology, params, factors, fixed_by_site, scan: pl.DataFrame):
    given = given_values(methodology, params)
    in_data = set(scan["key"].unique().to_list())
    scalars: dict[str, float] = {}
    used: list[ParameterUsed] = []
    for param in methodology.spec.parameters:
        if param.key in in_data:
            used.append(ParameterUsed(symbol=param.symbol, kind=param.kind, unit=param.unit,
                                      origin="monitoring data", source=param.source))  # fmt: skip
            default = resolve(param, given.get(param.key), factors) if param.kind != "monitored" else None
            if default is not None:  # sites without their own value keep the default
                scalars[param.key] = default[0]
            continue
        resolved = resolve(param, given.get(param.key), factors)
        if resolved is None and param.key not in methodology.referenced:
            continue
        if resolved is None:
            raise missing_value_error(param, "ex-post")
        scalars[param.key] = resolved[0]
        used.append(resolved[1])
    return scalars, used


def _design_point(scan: pl.DataFrame, scalars: dict[str, float], fixed_by_site) -> dict[str, float]:
    """A typical value of every parameter: scalars, mean per-site values, mean readings."""
    import polars as pl

    point = dict(scalars)
    for key, by_site in fixed_by_site.items():
        point[key] = sum(by_site.values()) / len(by_site)
    means = scan.group_by("key").agg((pl.col("total").sum() / pl.col("n_value").sum()).alias("v"))
    for key, value in means.iter_rows():
        point.setdefault(key, float(value or 0.0))
    return point


def _lookup(site, symbol, methodology, scalars, fixed_by_site) -> float | None:
    param = methodology.parameter(symbol)
    if param is None:
        return None
    by_site = fixed_by_site.get(param.key)
    value = by_site.get(site) if by_site is not None else scalars.get(param.key)
    return None if value is None else value * _kw(param.unit)


def _kw(unit: str) -> float:
    from c3p.mrv.units import scale_factor

    return scale_factor(unit, "kW")


def _result(methodology, mode, values, sites, months, used, findings, params, extra):
    import polars as pl

    spec = methodology.spec
    re_key, pe_key, er_key = (methodology.equation(s).key for s in (
        spec.reference_emissions, spec.project_emissions, spec.emission_reductions))  # fmt: skip
    frame = pl.DataFrame({"site_id": sites, "month": months, "re": values[re_key],
                          "pe": values[pe_key], "er": values[er_key]})  # fmt: skip
    re_t, pe_t, er_t = (float(frame[c].sum()) for c in ("re", "pe", "er"))
    er_clamped = max(er_t, 0.0) if spec.non_negative else er_t
    provenance = Provenance(
        methodology_id=spec.id, methodology_version=spec.version,
        methodology_sha256=methodology.sha256, verification=spec.verification,
        factors=tuple(sorted({u.factor for u in used if u.factor})),
        input_files=extra.get("files", {}), input_rows=extra.get("rows", 0),
        engine_version=ENGINE_VERSION, computed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )  # fmt: skip
    start, end = extra.get("start"), extra.get("end")
    return CalculationResult(
        mode=mode, methodology_id=spec.id, reference_emissions_tco2=re_t,
        project_emissions_tco2=pe_t, emission_reductions_unrounded_tco2=er_clamped,
        emission_reductions_tco2=round_down(er_clamped), sites=frame["site_id"].n_unique(),
        parameters=tuple(used), by_site=_breakdown(frame, "site_id") if mode == "ex-post" else (),
        by_month=_breakdown(frame, "month") if mode == "ex-post" else (),
        intermediate={methodology.equation(e.symbol).symbol: float(np.sum(values[e.key]))
                      for e in spec.equations},
        findings=tuple(findings), provenance=provenance,
        period_start=start.date() if start else None,
        period_end=(end - timedelta(days=1)).date() if end else None,
        interval_minutes=extra.get("interval"),
    )  # fmt: skip


def _breakdown(frame: pl.DataFrame, by: str) -> tuple[Breakdown, ...]:
    import polars as pl

    grouped = frame.group_by(by).agg(pl.col("re").sum(), pl.col("pe").sum(), pl.col("er").sum())
    return tuple(
        Breakdown(**{by: key}, reference_emissions_tco2=re, project_emissions_tco2=pe, emission_reductions_tco2=er)
        for key, re, pe, er in grouped.sort(by).iter_rows()
    )
