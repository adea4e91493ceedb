"""Plausibility of every value the engine uses, from each parameter's bounds.

The same rule holds for every entry point (CLI, API, portal; design values, factors,
methodology defaults and monitoring rows): a value outside the parameter's physical range
is refused, naming the parameter, the value and the range, because any treatment of an
impossible value would be a guess — and a guess can raise credits (566 tCO2/MWh typed for
0.566, a negative COP). A value outside the typical range is kept with a finding.
"""

from __future__ import annotations

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


def check_readings(con, methodology: Methodology) -> list[Finding]:
    """Refuse monitoring rows outside a physical range (naming the first); note atypical groups.

    Reads the converted scan table ``scan`` (values in specification units, ``factor`` per
    unit): its extremes per group decide, so no monitoring row is read unless one is refused.
    """
    findings: list[Finding] = []
    extremes = {key: (low, high) for key, low, high in con.execute(
        "SELECT key, min(min_value), max(max_value) FROM scan GROUP BY key").fetchall()}  # fmt: skip
    for param in methodology.spec.parameters:
        if param.key not in extremes:
            continue
        for extreme in extremes[param.key]:
            if extreme is not None and not param.bounds.physical.contains(float(extreme)):
                raise _first_impossible_row(con, param, float(extreme))
        typical = param.bounds.typical
        if typical is not None:
            findings += _atypical(con, param, typical)
    return findings


def _atypical(con, param: Parameter, typical: Interval) -> list[Finding]:
    outside = f"({_outside('min_value', typical)} OR {_outside('max_value', typical)})"
    rows, site, month = con.execute(
        f"SELECT sum(n), arg_min(site_id, (site_id, month)), arg_min(month, (site_id, month)) "
        f"FROM scan WHERE key = ? AND {outside}",
        [param.key],
    ).fetchone()
    if not rows:
        return []
    return [Finding(
        code="atypical", severity="warning", parameter=param.symbol, unit=param.unit,
        site_id=site, month=month, rows=int(rows),
        treatment="kept; check the readings and their unit",
        message=f"readings of {param.symbol} outside the typical range {typical} "
        f"{param.unit} ({param.bounds.source})",
    )]  # fmt: skip


def _outside(column: str, interval: Interval) -> str:
    """SQL true where ``column`` lies outside ``interval`` (bounds are floats from the spec)."""
    below = "false" if interval.low is None else f"{column} {'<' if interval.low_closed else '<='} {interval.low!r}"
    above = "false" if interval.high is None else f"{column} {'>' if interval.high_closed else '>='} {interval.high!r}"
    return f"({below} OR {above})"


def _first_impossible_row(con, param: Parameter, extreme: float) -> DataFileError:
    """The first monitoring line whose converted value equals the impossible ``extreme``."""
    units = con.execute("SELECT DISTINCT parameter, unit, factor FROM scan WHERE key = ?", [param.key]).fetchall()
    for raw, unit, factor in units:
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
