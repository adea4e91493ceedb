"""Plausibility of every value the engine uses, from each parameter's bounds.

The same rule holds for every entry point (CLI, API, portal; design values, factors,
methodology defaults and monitoring rows): a value outside the parameter's physical range
is refused, naming the parameter, the value and the range, because any treatment of an
impossible value would be a guess — and a guess can raise credits (566 tCO2/MWh typed for
0.566, a negative COP). A value outside the typical range is kept with a finding.
"""

from __future__ import annotations

import polars as pl

from c3p.errors import DataFileError, InvalidInput
from c3p.messages import N_, Message
from c3p.mrv.bounds import Interval
from c3p.mrv.findings import Finding
from c3p.mrv.results import ParameterUsed
from c3p.mrv.spec import Methodology, Parameter


def check_value(param: Parameter, value: float, origin: str) -> Finding | None:
    """Refuse ``value`` (in the parameter's unit) if impossible; a finding if unusual."""
    bounds = param.bounds
    if not bounds.physical.contains(value):
        raise InvalidInput(_impossible(param, value))
    if bounds.typical is None or bounds.typical.contains(value):
        return None
    return Finding(
        code="atypical", severity="warning", parameter=param.symbol, unit=param.unit, rows=1,
        treatment="kept; check the value and its unit",
        message=f"{param.symbol} = {value:g} {param.unit} ({origin}) is outside the typical "
        f"range {bounds.typical} ({bounds.source})",
    )  # fmt: skip


def _impossible(param: Parameter, value: float) -> Message:
    hint: Message | str = ""
    scaled = value / 1000
    if param.bounds.physical.contains(scaled) and (param.bounds.typical or param.bounds.physical).contains(scaled):
        slip = N_("; %(scaled)s would be plausible: was the value typed in a unit 1000 times smaller?")
        hint = Message(slip, {"scaled": f"{scaled:g}"})
    return Message(
        N_("%(field)s: %(value)s is impossible (the physical range is %(range)s)%(hint)s"),
        {"field": param.symbol, "value": f"{value:g}" + ("" if param.unit == "1" else f" {param.unit}"),
         "range": str(param.bounds.physical), "hint": hint},
    )  # fmt: skip


def check_readings(con, scan: pl.DataFrame, methodology: Methodology) -> list[Finding]:
    """Refuse monitoring rows outside a physical range (naming the first); note atypical groups.

    ``scan`` is the converted scan (values in specification units, ``factor`` per unit).
    """
    findings: list[Finding] = []
    for param in methodology.spec.parameters:
        rows = scan.filter(pl.col("key") == param.key)
        if not rows.height:
            continue
        low, high = rows["min_value"].min(), rows["max_value"].max()
        for extreme in (low, high):
            if isinstance(extreme, int | float) and not param.bounds.physical.contains(float(extreme)):
                raise _first_impossible_row(con, rows, param, float(extreme))
        typical = param.bounds.typical
        if typical is None:
            continue
        odd = rows.filter(_outside(pl.col("min_value"), typical) | _outside(pl.col("max_value"), typical))
        if odd.height:
            first = odd.sort("site_id", "month").row(0, named=True)
            findings.append(Finding(
                code="atypical", severity="warning", parameter=param.symbol, unit=param.unit,
                site_id=first["site_id"], month=first["month"], rows=int(odd["n"].sum()),
                treatment="kept; check the readings and their unit",
                message=f"readings of {param.symbol} outside the typical range {typical} "
                f"{param.unit} ({param.bounds.source})",
            ))  # fmt: skip
    return findings


def _outside(column: pl.Expr, interval: Interval) -> pl.Expr:
    below = pl.lit(False) if interval.low is None else (
        column < interval.low if interval.low_closed else column <= interval.low)  # fmt: skip
    above = pl.lit(False) if interval.high is None else (
        column > interval.high if interval.high_closed else column >= interval.high)  # fmt: skip
    return below | above


def _first_impossible_row(con, rows: pl.DataFrame, param: Parameter, extreme: float) -> DataFileError:
    """The first monitoring line whose converted value equals the impossible ``extreme``."""
    for raw, unit, factor in rows.select("parameter", "unit", "factor").unique().iter_rows():
        found = con.execute(
            "SELECT line, file, value FROM monitoring_lines WHERE parameter = ? AND unit IS NOT "
            "DISTINCT FROM ? AND value * ? = ? ORDER BY file, line LIMIT 1",
            [raw, unit, factor, extreme],
        ).fetchone()
        if found:
            line, file, value = found
            reason = _impossible(param, extreme)
            return DataFileError(file, line, f"row {line}, column value: {value:g} {unit or ''} — {reason}")
    return DataFileError("monitoring data", None, str(_impossible(param, extreme)))


def scalar_findings(methodology: Methodology, used: list[ParameterUsed]) -> list[Finding]:
    """Findings for design values, factors and defaults outside their typical range."""
    findings = []
    for item in used:
        param = methodology.parameter(item.symbol)
        if param is not None and item.value is not None:
            finding = check_value(param, item.value, item.factor or item.origin)
            if finding is not None:
                findings.append(finding)
    return findings
