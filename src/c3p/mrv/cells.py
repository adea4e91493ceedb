"""From scan statistics to one row ("cell") per site and month, in specification units.

The statistics live in DuckDB table ``scan``; each parameter's per-cell value comes from one
grouped query, joined to the cells there, so Python only sees one number per cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from c3p.errors import InvalidInput
from c3p.mrv.findings import Adjustment
from c3p.mrv.spec import Methodology

_AGG = {
    "sum": "sum(total)",
    "mean": "sum(total) / sum(n_value)",
    "max": "max(max_value)",
    "min": "min(min_value)",
}


@dataclass(frozen=True)
class Cells:
    """The site-months evaluated, sorted by site then month; columns are numpy arrays in this order."""

    site_id: tuple[str, ...]
    month: tuple[date, ...]

    @property
    def height(self) -> int:
        return len(self.site_id)

    def first(self, mask: np.ndarray) -> tuple[str, date]:
        """Site and month of the first cell where ``mask`` holds."""
        index = int(np.argmax(mask))
        return self.site_id[index], self.month[index]


def per_site_fixed(con, methodology: Methodology) -> dict[str, dict[str, float]]:
    """Non-monitored parameters given per site in the data (e.g. capacity PC_i), by key."""
    found: dict[str, dict[str, float]] = {}
    for param in methodology.spec.parameters:
        if param.kind == "monitored":
            continue
        agg = _AGG[param.aggregate if param.aggregate != "sum" else "mean"]
        rows = con.execute(f"SELECT site_id, {agg} FROM scan WHERE key = ? GROUP BY site_id", [param.key]).fetchall()
        if rows:
            found[param.key] = dict(rows)
    return found


def build_cells(con, methodology, adjustments: list[Adjustment], scalars, fixed_by_site):
    """The cells (site_id, month), one array or scalar per parameter key, and the cells
    where each monitored parameter has no reading at all (counted as zero there)."""
    monitored = [p for p in methodology.spec.parameters if p.kind == "monitored"]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cells AS SELECT DISTINCT site_id, month FROM scan WHERE list_contains(?, key)",
        [[p.key for p in monitored]],
    )
    listed = con.execute("SELECT site_id, month FROM cells ORDER BY site_id, month").fetchall()
    if not listed:
        raise InvalidInput("no monitoring rows within the monitoring period")
    cells = Cells(tuple(r[0] for r in listed), tuple(r[1] for r in listed))
    columns: dict[str, np.ndarray | float] = dict(scalars)
    missing: dict[str, np.ndarray] = {}
    for param in monitored:
        if param.key in scalars:
            continue
        found = con.execute(
            f"""SELECT a.v IS NULL AS missing, coalesce(a.v, 0.0) AS v FROM cells c LEFT JOIN
            (SELECT site_id, month, {_AGG[param.aggregate]} AS v FROM scan WHERE key = ? GROUP BY ALL) a
            USING (site_id, month) ORDER BY c.site_id, c.month""",
            [param.key],
        ).fetchnumpy()
        missing[param.key] = np.asarray(found["missing"], dtype=bool)
        values = np.asarray(found["v"], dtype=float)
        if param.aggregate == "sum":
            values = values + _deltas(cells, adjustments, param.key)
        columns[param.key] = values
    for key, by_site in fixed_by_site.items():
        if key in methodology.referenced:  # others are used by QA/QC only (e.g. capacity)
            columns[key] = _site_values(cells, methodology, key, by_site, scalars.get(key))
    return cells, columns, missing


def _deltas(cells: Cells, adjustments: list[Adjustment], key: str) -> np.ndarray:
    """QA/QC adjustments of ``key`` added up per cell."""
    index = {cell: i for i, cell in enumerate(zip(cells.site_id, cells.month, strict=True))}
    deltas = np.zeros(cells.height)
    for adjustment in adjustments:
        where = index.get((adjustment.site_id, adjustment.month))
        if adjustment.key == key and where is not None:
            deltas[where] += adjustment.delta
    return deltas


def _site_values(cells: Cells, methodology: Methodology, key: str, by_site: dict[str, float],
                 fallback: float | None) -> np.ndarray:  # fmt: skip
    """A per-site value for every cell; a site without its own takes the default, if any."""
    values = []
    for site in cells.site_id:
        value = by_site.get(site, fallback)
        if value is None:
            raise InvalidInput(f"site {site!r} has no value for {methodology.parameters[key].symbol}")
        values.append(value)
    return np.asarray(values, dtype=float)
