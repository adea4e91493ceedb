"""The MRV engine: ex-ante estimates from design values, ex-post from monitoring data.

Ex-post work is one DuckDB scan of the monitoring files (grouped by site, month,
parameter and unit, kept as a small DuckDB table), QA/QC on those statistics plus targeted
drill-downs, then numpy evaluation of the methodology over one cell per site and month.
DuckDB is the one columnar engine: it streams every input format and spills to disk. Memory therefore grows
with sites × months, not with rows, and Parquet inputs larger than memory stream.
"""

from __future__ import annotations

import resource
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import duckdb

from c3p import __version__
from c3p.errors import InvalidInput
from c3p.mrv.cells import build_cells, per_site_fixed
from c3p.mrv.conservative import evaluate_conservatively, project_floor
from c3p.mrv.direction import settled_sides
from c3p.mrv.evaluate import evaluate_cells, round_down
from c3p.mrv.factors import FactorRegistry, default_registry
from c3p.mrv.monitoring import (
    Decimal,
    MonitoringInput,
    MonitoringLimits,
    TextFormat,
    Thousands,
    check_rows,
    hash_files_in_background,
    open_monitoring,
)
from c3p.mrv.params import CalculationParams
from c3p.mrv.plausibility import check_readings, scalar_findings
from c3p.mrv.qaqc import QaqcContext, infer_interval_minutes, run_qaqc
from c3p.mrv.results import Breakdown, CalculationResult, ParameterUsed, Provenance
from c3p.mrv.scan import Scanned, blank_keys, check_keys, check_values, convert_units, scan_monitoring
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
    thousands: Thousands | None = None,
    limits: MonitoringLimits | None = None,
) -> CalculationResult:
    """Ex-post: evaluate the methodology over monitoring files for a monitoring period.

    ``decimal`` and ``thousands`` say how numbers are written in CSV and xlsx text ("." or
    ","; thousands separators only where declared), see
    :func:`~c3p.mrv.monitoring.open_monitoring`; ``limits`` caps rows and unzipped size.
    Running out of memory is refused with a clear error (DuckDB spills to disk first).
    """
    import duckdb

    try:
        with bounded_connection((limits or MonitoringLimits()).threads) as con:
            return _calculate(con, methodology, paths, params, mapping, factors, progress,
                              TextFormat(decimal, thousands, params.timezone), limits)  # fmt: skip
    except (duckdb.OutOfMemoryException, MemoryError):
        raise InvalidInput(
            "the monitoring data needs more memory than this process may use; "
            "split it into shorter periods or run it where more memory is available"
        ) from None


def _calculate(con, methodology, paths, params, mapping, factors, progress, text, limits) -> CalculationResult:
    step = progress or (lambda _stage: None)
    factors = factors or default_registry()
    step("reading")
    opened = open_monitoring(con, paths, mapping, text=text, limits=limits)
    digests = hash_files_in_background(paths)
    step("scanning")
    opened, scanned = _scan(con, opened, params)
    check_rows(opened.paths[0], scanned.within + scanned.outside, (limits or MonitoringLimits()).max_rows)
    check_keys(con)
    start, end = _within_period(con, params)
    check_values(con)
    findings = convert_units(con, methodology)
    findings += check_readings(con, methodology)
    findings += _outside_period(con, start, end, scanned.outside)
    step("checking")
    fixed_by_site = per_site_fixed(con, methodology)
    scalars, used = _scalars(con, methodology, params, factors)
    findings += scalar_findings(methodology, used)
    ctx = QaqcContext(con, methodology, params, start, end,
                      params.interval_minutes or infer_interval_minutes(con),
                      lambda site, sym: _lookup(site, sym, methodology, scalars,
                                                fixed_by_site))  # fmt: skip
    ctx.sides = settled_sides(methodology, _design_point(con, scalars, fixed_by_site))
    run_qaqc(ctx)
    step("calculating")
    cells, columns, missing = build_cells(con, methodology, ctx.adjustments, scalars, fixed_by_site)
    values, treated = evaluate_conservatively(methodology, cells, columns, missing)
    extra = {"files": digests.result(), "rows": scanned.within, "start": start, "end": end,
             "interval": ctx.interval_min, "timezone": opened.timezone}  # fmt: skip
    return _result(methodology, "ex-post", values, list(cells.site_id),
                   list(cells.month), used, findings + ctx.findings + treated, params, extra)  # fmt: skip


def _scan(con, opened: MonitoringInput, params: CalculationParams) -> tuple[MonitoringInput, Scanned]:
    """The one scan of the input; a CSV the fast path cannot read is read again strictly.

    The strict path refuses the first bad cell by row and column; if it finds none (the fast
    path's tests are a superset), the scan runs again over the strictly typed views.
    """
    given = _given_period(params)
    period = None if given is None else (given[0].date(), given[1].date())
    with_times = not params.interval_minutes or period is None
    text = Path(opened.paths[0]).suffix.lower() not in {".parquet", ".pq"}
    within = _within_text_scan_limit if text else lambda _con, scan: scan()

    def scan() -> Scanned:
        return scan_monitoring(con, period, with_times, params.interval_minutes, opened.constant,
                               doubtful=opened.strict is not None, parts=opened.parts, month_map=text)  # fmt: skip

    try:
        scanned = within(con, scan)
        if not scanned.doubtful and (opened.strict is None or not blank_keys(con)):
            return opened, scanned
    except InvalidInput:
        if opened.strict is None:
            raise
    assert opened.strict is not None  # only the fast CSV path marks rows doubtful
    opened = replace(opened, timezone=opened.strict(), strict=None)
    return opened, within(con, scan)


#: DuckDB's memory for the scan of a CSV or xlsx, tried before the connection's whole limit.
#: Under the whole limit DuckDB kept 91 MiB of the text's buffers against 61 MiB here, and the
#: scan's day groups (before text got the month map) took what room there was. Peak RSS for
#: 150 MB and 1.5 GB of CSV (3.5 M and 35 M rows), day groups: 292-322 -> 403-432 MiB at
#: 512 MiB, 246-260 -> 297-307 at 192, 251 -> 289 at 160; 128 MiB ran out at 35 M rows.
TEXT_SCAN_LIMIT_BYTES = 160 << 20


def _within_text_scan_limit(con, scan: Callable[[], Scanned]) -> Scanned:
    """``scan()`` under :data:`TEXT_SCAN_LIMIT_BYTES`; where that runs out, again under the
    connection's whole limit, so a larger input costs a second read, never a refusal."""
    import duckdb

    (whole,) = con.execute("SELECT current_setting('memory_limit')").fetchone()
    if _setting_bytes(whole) <= TEXT_SCAN_LIMIT_BYTES:
        return scan()
    con.execute(f"SET memory_limit = '{TEXT_SCAN_LIMIT_BYTES >> 20}MiB'")
    try:
        return scan()
    except duckdb.OutOfMemoryException:
        pass
    finally:
        con.execute(f"SET memory_limit = '{whole}'")
    return scan()


def _setting_bytes(text: str) -> float:
    """Bytes of a DuckDB memory setting as it reads it back (``512.0 MiB``)."""
    number, _, unit = text.partition(" ")
    return float(number) * {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}.get(unit, 1)


def _given_period(params: CalculationParams) -> tuple[datetime, datetime] | None:
    if params.period is None:
        return None
    start = datetime.combine(params.period.start, datetime.min.time())
    return start, datetime.combine(params.period.end + timedelta(days=1), datetime.min.time())


def _within_period(con, params: CalculationParams) -> tuple[datetime, datetime]:
    """The monitoring period; views ``monitoring`` and ``monitoring_lines`` hold its rows."""
    start, end = _period(con, params)
    within = (
        f"WHERE timestamp >= TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' AND timestamp < TIMESTAMP '{end:%Y-%m-%d %H:%M:%S}'"
    )
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring AS SELECT * FROM monitoring_file {within}")
    con.execute(f"CREATE OR REPLACE TEMP VIEW monitoring_lines AS SELECT * FROM monitoring_file_lines {within}")
    return start, end


#: DuckDB's memory for one calculation, beyond which it spills to disk. The scan needs far
#: less; under a larger limit (DuckDB's default is 80 % of RAM) it keeps more of a CSV's
#: buffers, so memory grew with the file: peak RSS 311 MiB for 150 MB of text and 390 MiB for
#: 1.5 GB at a 1 GiB limit, 349 MiB at this one.
MEMORY_LIMIT_BYTES = 512 << 20

#: DuckDB's optimizers that act on a Parquet footer's statistics, off for every calculation.
#: The footer is the file's own word and one byte of it can be edited: with statistics
#: propagation on, a footer whose timestamps end within the monitoring period made DuckDB fold
#: the per-row period test to true (a second day outside the period was credited, RE x 2); with
#: filters pushed into the scan, a footer naming another site let DuckDB skip the row group
#: when the duplicate check read that site's rows (a repeated reading and the gap it hid went
#: unseen); with partitioned execution on, a scan of a file of many row groups (from about
#: 32 per thread) was split into ranges of a group key by the row groups' statistics, so a row
#: group whose footer names other sites was read only in a range whose filter dropped its rows
#: (a repeated reading went unseen and the larger one was credited). Every answer is then read
#: from the rows; what it costs is in benchmarks/README.md.
UNTRUSTED_STATISTICS = ("statistics_propagation", "filter_pushdown", "partitioned_execution")


@contextmanager
def bounded_connection(threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection that spills to a private temporary folder beyond
    :data:`MEMORY_LIMIT_BYTES` and, under an address-space limit (``ulimit -v``), keeps its
    memory within half of what is left, so that a large input finishes or is refused with an
    out-of-memory error instead of aborting the process; ``threads`` caps DuckDB's threads.

    Under such a limit DuckDB starts no thread after it opens: one worker at most (the
    calling thread) and no asynchronous I/O threads. Its thread count and limit are given
    to ``connect`` because it starts its threads there, and it started its I/O threads
    (``async_threads``, 8 by default) again at the end of each query; a thread started while
    the scan holds most of the room may find none for its thread-local data, and glibc then
    aborts the process ("cannot allocate memory for thread-local data") instead of failing
    an allocation DuckDB could report."""
    import duckdb

    headroom = _address_space_headroom()
    limit = MEMORY_LIMIT_BYTES if headroom is None else min(max(headroom // 2, 64 << 20), MEMORY_LIMIT_BYTES)
    settings: dict[str, str | bool | int | float | list[str]] = {"memory_limit": f"{limit >> 20}MiB"}
    if headroom is not None:
        settings["async_threads"] = 0
        threads = min(threads or 2, 1 if headroom < 1 << 30 else 2)
    if threads is not None:
        settings["threads"] = max(threads, 1)
    with tempfile.TemporaryDirectory(prefix="c3p-mrv-") as spill:
        con = duckdb.connect(config=settings | {"temp_directory": spill})
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute(f"SET disabled_optimizers = '{','.join(UNTRUSTED_STATISTICS)}'")
            yield con
        finally:
            con.close()


def _address_space_headroom() -> int | None:
    """Bytes this process may still map under RLIMIT_AS, or None without such a limit."""
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm") as handle:
            mapped = int(handle.read().split()[0]) * resource.getpagesize()
    except OSError:
        mapped = 0
    return max(limit - mapped, 0)


def _period(con, params: CalculationParams) -> tuple[datetime, datetime]:
    """The declared period, else the months the readings span (from the scan's timestamps)."""
    given = _given_period(params)
    if given is not None:
        return given
    first, last = con.execute("SELECT min(first_ts), max(last_ts) FROM scan_raw").fetchone()
    if first is None:
        raise InvalidInput("the monitoring data has no timestamps")
    return (datetime(first.year, first.month, 1),
            datetime.combine(last.date() + timedelta(days=1), datetime.min.time()))  # fmt: skip


def _outside_period(con, start: datetime, end: datetime, count: int) -> list:
    from c3p.mrv.findings import Finding

    if not count:
        return []
    (line,) = con.execute(
        "SELECT min(line) FROM monitoring_file_lines WHERE timestamp < ? OR timestamp >= ?", [start, end]
    ).fetchone()
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


def _scalars(con, methodology, params, factors):
    given = given_values(methodology, params)
    in_data = {row[0] for row in con.execute("SELECT DISTINCT key FROM scan").fetchall()}
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


def _design_point(con, scalars: dict[str, float], fixed_by_site) -> dict[str, float]:
    """A typical value of every parameter: scalars, mean per-site values, mean readings."""
    point = dict(scalars)
    for key, by_site in fixed_by_site.items():
        point[key] = sum(by_site.values()) / len(by_site)
    means = con.execute("SELECT key, sum(total) / sum(n_value) FROM scan GROUP BY key ORDER BY key").fetchall()
    for key, value in means:
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
    spec = methodology.spec
    re_key, pe_key, er_key = (methodology.equation(s).key for s in (
        spec.reference_emissions, spec.project_emissions, spec.emission_reductions))  # fmt: skip
    figures = {"re": values[re_key], "pe": values[pe_key], "er": values[er_key]}
    re_t, pe_t, er_t = (float(np.sum(figures[c])) for c in ("re", "pe", "er"))
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
        emission_reductions_tco2=round_down(er_clamped), sites=len(set(sites)),
        parameters=tuple(used), by_site=_breakdown(sites, figures, "site_id") if mode == "ex-post" else (),
        by_month=_breakdown(months, figures, "month") if mode == "ex-post" else (),
        intermediate={methodology.equation(e.symbol).symbol: float(np.sum(values[e.key]))
                      for e in spec.equations},
        findings=tuple(findings), provenance=provenance,
        period_start=start.date() if start else None,
        period_end=(end - timedelta(days=1)).date() if end else None,
        interval_minutes=extra.get("interval"), timezone=extra.get("timezone"),
    )  # fmt: skip


def _breakdown(labels: list, figures: dict[str, np.ndarray], by: str) -> tuple[Breakdown, ...]:
    """RE, PE and ER added up per label (site or month), sorted by label."""
    order, index = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    sums = {name: np.bincount(index, weights=np.broadcast_to(column, index.shape), minlength=len(order))
            for name, column in figures.items()}  # fmt: skip
    return tuple(
        Breakdown(**{by: key}, reference_emissions_tco2=float(sums["re"][i]),
                  project_emissions_tco2=float(sums["pe"][i]), emission_reductions_tco2=float(sums["er"][i]))
        for i, key in enumerate(order)
    )  # fmt: skip
