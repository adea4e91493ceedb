"""Meter calibration and replacement windows.

JCM monitoring guidelines ask that readings taken after a meter's calibration lapsed be
corrected by the meter's maximum permissible error in the conservative direction; a
replacement leaves a window between removal and installation in which readings are suspect.
"""

from __future__ import annotations

from datetime import date, datetime

from c3p.mrv.direction import conservative_when_missing
from c3p.mrv.expressions import symbol_key
from c3p.mrv.findings import Finding
from c3p.mrv.units import scale_factor


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def check_meters(ctx) -> None:
    for meter in ctx.params.meters:
        param = ctx.methodology.parameter(meter.parameter)
        if param is None:
            continue
        if meter.calibrated_on is not None:
            _calibration(ctx, meter, param)
        if meter.removed_on is not None:
            ctx.note(Finding(code="meter-replacement", severity="info", site_id=meter.site_id,
                             parameter=param.symbol, treatment="none",
                             message=f"meter {meter.serial or ''} of {param.symbol} removed on "
                             f"{meter.removed_on}; check readings around the change"))  # fmt: skip


def _calibration(ctx, meter, param) -> None:
    expires = _add_months(meter.calibrated_on, meter.calibration_valid_months)
    lapse_start = max(datetime.combine(expires, datetime.min.time()), ctx.start)
    if lapse_start >= ctx.end:
        return
    rows = ctx.con.execute(
        """SELECT CAST(date_trunc('month', timestamp) AS DATE) AS month, count(*), sum(value),
                  any_value(unit), min(line)
           FROM monitoring_lines WHERE site_id = ? AND timestamp >= ? AND timestamp < ?
             AND parameter IN (SELECT unnest(?)) GROUP BY ALL ORDER BY month""",
        [meter.site_id, lapse_start, ctx.end, _spellings(param.symbol, meter.parameter)],
    ).fetchall()
    sign = -1.0 if conservative_when_missing(ctx.methodology, param.key) == "low" else 1.0
    for month, count, total, unit, first_line in rows:
        if total is None:
            continue
        delta = sign * total * scale_factor(unit, param.unit) * meter.accuracy_pct / 100
        ctx.note(Finding(code="calibration", severity="warning", site_id=meter.site_id,
                         parameter=param.symbol, month=month, rows=count, first_line=first_line,
                         unit=param.unit, adjustment=delta,
                         treatment=f"corrected by the meter's error ({meter.accuracy_pct:g}%)",
                         message=f"calibration of meter {meter.serial or ''} expired on "
                         f"{expires}; {count} reading(s) after it"), param.key, delta)  # fmt: skip


def _spellings(*symbols: str) -> list[str]:
    """The spellings of a symbol a file may use (document form, braces, underscores)."""
    found = set(symbols)
    for symbol in symbols:
        key = symbol_key(symbol)
        found |= {key, symbol.replace("_", "_{", 1) + "}" if "_" in symbol else symbol}
    return sorted(found)
