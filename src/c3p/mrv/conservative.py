"""Conservative substitution for months without data, chosen by what it does to ER.

A site-month with no reading of a monitored parameter cannot simply count it as zero: for
a parameter that lowers ER (project electricity) or moves it both ways (electricity sent
over a line, which feeds reference and project losses), zero over-credits. The engine
therefore evaluates the cell with each candidate (zero, and the highest monthly value the
site reported) and keeps the lowest ER; and because no observed month bounds the true
value from above, such a site-month is credited at most zero. Project emissions are never
negative: :func:`project_floor` names the equation the evaluation clamps.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from c3p.mrv import expressions as ex
from c3p.mrv.cells import Cells
from c3p.mrv.direction import directions
from c3p.mrv.evaluate import evaluate_cells
from c3p.mrv.findings import Finding
from c3p.mrv.spec import Methodology


def project_floor(methodology: Methodology) -> frozenset[str]:
    """Equations that must not go negative: project emissions."""
    return frozenset({ex.symbol_key(methodology.spec.project_emissions)})


def evaluate_conservatively(
    methodology: Methodology,
    cells: Cells,
    columns: Mapping[str, np.ndarray | float],
    missing: Mapping[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], list[Finding]]:
    """Every equation per cell, with missing months substituted so that ER can only fall."""
    floor = project_floor(methodology)
    values = evaluate_cells(methodology, columns, cells.height, floor)
    er_key = ex.symbol_key(methodology.spec.emission_reductions)
    findings = _clamp_findings(methodology, cells, columns, floor)
    worried = {key: mask for key, mask in missing.items()
               if mask.any() and directions(methodology)[key] != "raises"}  # fmt: skip
    if not worried:
        return values, findings
    high = dict(columns)
    for key, mask in worried.items():
        high[key] = np.where(mask, _site_highest(cells, columns[key], mask), columns[key])
    with_high = evaluate_cells(methodology, high, cells.height, floor)
    uncredited = np.logical_or.reduce(list(worried.values()))
    er = np.minimum(values[er_key], with_high[er_key])
    values[er_key] = np.where(uncredited, np.minimum(er, 0.0), values[er_key])
    for key, mask in worried.items():
        findings.append(_uncredited_finding(methodology, cells, key, mask))
    return values, findings


def _site_highest(cells: Cells, column: np.ndarray | float, mask: np.ndarray) -> np.ndarray:
    """Per cell, the highest value its site reported in any month (0 if none)."""
    _, site = np.unique(np.asarray(cells.site_id, dtype=object), return_inverse=True)
    values = np.broadcast_to(np.asarray(column, dtype=float), mask.shape)
    top = np.full(int(site.max()) + 1, -np.inf)
    np.maximum.at(top, site[~mask], values[~mask])
    return np.where(np.isneginf(top), 0.0, top)[site]


def _uncredited_finding(methodology: Methodology, cells: Cells, key: str, mask: np.ndarray) -> Finding:
    param = methodology.parameters[key]
    site, month = cells.first(mask)
    count = int(mask.sum())
    return Finding(
        code="missing-month", severity="warning", site_id=site,
        parameter=param.symbol, month=month, unit=param.unit, rows=count,
        treatment="site-month not credited (ER at most 0; the lower of zero and the site's "
        "highest month substituted)",
        message=f"{count} site-month(s) have no reading of {param.symbol}, which "
        f"{'lowers' if directions(methodology)[key] == 'lowers' else 'moves'} the emission "
        "reductions; zero would over-credit",
    )  # fmt: skip


def _clamp_findings(methodology: Methodology, cells: Cells,
                    columns: Mapping[str, np.ndarray | float], floor: frozenset[str]) -> list[Finding]:  # fmt: skip
    raw = evaluate_cells(methodology, columns, cells.height)
    findings = []
    for key in sorted(floor):
        negative = raw[key] < 0
        if not negative.any():
            continue
        symbol = methodology.equation(key).symbol
        site, month = cells.first(negative)
        findings.append(Finding(
            code="negative-component", severity="warning", site_id=site,
            month=month, parameter=symbol, rows=int(negative.sum()),
            adjustment=float(-raw[key][negative].sum()), unit=methodology.equation(key).unit,
            treatment="counted as zero",
            message=f"{symbol} is negative in {int(negative.sum())} site-month(s), which the "
            "methodology does not allow; check the readings",
        ))  # fmt: skip
    return findings
