"""From scan statistics to one row ("cell") per site and month, in specification units."""

from __future__ import annotations

import numpy as np
import polars as pl

from c3p.errors import InvalidInput
from c3p.mrv.findings import Adjustment
from c3p.mrv.spec import Methodology

_AGG = {
    "sum": pl.col("total").sum(),
    "mean": pl.col("total").sum() / pl.col("n_value").sum(),
    "max": pl.col("max_value").max(),
    "min": pl.col("min_value").min(),
}


def per_site_fixed(scan: pl.DataFrame, methodology: Methodology) -> dict[str, dict[str, float]]:
    """Non-monitored parameters given per site in the data (e.g. capacity PC_i), by key."""
    found: dict[str, dict[str, float]] = {}
    for param in methodology.spec.parameters:
        if param.kind == "monitored":
            continue
        rows = scan.filter(pl.col("key") == param.key)
        if rows.height:
            agg = _AGG[param.aggregate if param.aggregate != "sum" else "mean"]
            by_site = rows.group_by("site_id").agg(agg.alias("v"))
            found[param.key] = dict(by_site.iter_rows())
    return found


def build_cells(scan, methodology, adjustments: list[Adjustment], scalars, fixed_by_site):
    """The cell table (site_id, month), one array or scalar per parameter key, and the cells
    where each monitored parameter has no reading at all (counted as zero there)."""
    monitored = [p for p in methodology.spec.parameters if p.kind == "monitored"]
    rows = scan.filter(pl.col("key").is_in([p.key for p in monitored]))
    cells = rows.select("site_id", "month").unique().sort("site_id", "month")
    if cells.height == 0:
        raise InvalidInput("no monitoring rows within the monitoring period")
    columns: dict[str, np.ndarray | float] = dict(scalars)
    missing: dict[str, np.ndarray] = {}
    adjusted = _adjustments_frame(adjustments)
    for param in monitored:
        if param.key in scalars:
            continue
        sub = rows.filter(pl.col("key") == param.key)
        agg = sub.group_by("site_id", "month").agg(_AGG[param.aggregate].alias("v"))
        if param.aggregate == "sum" and adjusted.height:
            extra = adjusted.filter(pl.col("key") == param.key).drop("key")
            agg = agg.join(extra, on=["site_id", "month"], how="full", coalesce=True)
            agg = agg.with_columns((pl.col("v").fill_null(0) + pl.col("delta").fill_null(0))
                                   .alias("v")).drop("delta")  # fmt: skip
        joined = cells.join(agg, on=["site_id", "month"], how="left")
        missing[param.key] = joined["v"].is_null().to_numpy()
        columns[param.key] = joined["v"].fill_null(0.0).to_numpy().astype(float)
    for key, by_site in fixed_by_site.items():
        if key not in methodology.referenced:
            continue  # used by QA/QC only (e.g. capacity)
        site_values = cells["site_id"].replace_strict(by_site, default=None, return_dtype=pl.Float64)
        if site_values.null_count():
            site = cells.filter(site_values.is_null())["site_id"][0]
            fallback = scalars.get(key)
            if fallback is None:
                symbol = methodology.parameters[key].symbol
                raise InvalidInput(f"site {site!r} has no value for {symbol}")
            site_values = site_values.fill_null(fallback)
        columns[key] = site_values.to_numpy()
    return cells, columns, missing


def _adjustments_frame(adjustments: list[Adjustment]) -> pl.DataFrame:
    schema = {"site_id": pl.String, "month": pl.Date, "key": pl.String, "delta": pl.Float64}
    frame = pl.DataFrame([a.model_dump() for a in adjustments], schema=schema)
    return frame.group_by("site_id", "month", "key").agg(pl.col("delta").sum())
