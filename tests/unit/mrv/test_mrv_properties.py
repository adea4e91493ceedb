"""Hypothesis properties of the engine: scaling, unit invariance, order, non-negativity."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from c3p.mrv.catalog import get_methodology
from c3p.mrv.engine import calculate, estimate
from c3p.mrv.params import CalculationParams

PARAMS = CalculationParams.from_mapping(
    {"period": {"start": "2024-01-01", "end": "2024-01-01"}, "interval_minutes": 60, "EF_RE,i": {"factor": "MNG-grid"}}
)
readings = st.lists(st.floats(0, 5000, allow_nan=False), min_size=24, max_size=24)
FAST = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def frame(values: list[float], unit: str = "kWh", factor: float = 1.0) -> pa.Table:
    start = datetime(2024, 1, 1)
    return pa.table({
        "site_id": ["S1"] * len(values),
        "timestamp": [start + timedelta(hours=h) for h in range(len(values))],
        "parameter": ["EG_i,p"] * len(values),
        "value": [v * factor for v in values], "unit": [unit] * len(values),
    })  # fmt: skip


def run(tmp_path, data: pa.Table, name="d.parquet"):
    path = tmp_path / name
    pq.write_table(data, path)
    return calculate(get_methodology("MN_AM003"), [path], PARAMS)


@FAST
@given(values=readings, scale=st.floats(0.1, 10))
def test_scaling_output_scales_reference_emissions(tmp_path, values, scale):
    base = run(tmp_path, frame(values), "a.parquet").reference_emissions_tco2
    scaled = run(tmp_path, frame([v * scale for v in values]), "b.parquet")
    assert scaled.reference_emissions_tco2 == pytest.approx(base * scale, rel=1e-9, abs=1e-9)


@FAST
@given(values=readings)
def test_unit_of_the_input_does_not_matter(tmp_path, values):
    in_kwh = run(tmp_path, frame(values), "a.parquet")
    in_mwh = run(tmp_path, frame(values, "MWh", 0.001), "b.parquet")
    assert in_mwh.reference_emissions_tco2 == pytest.approx(in_kwh.reference_emissions_tco2)
    assert in_mwh.emission_reductions_tco2 in {
        in_kwh.emission_reductions_tco2, in_kwh.emission_reductions_tco2 - 1,
        in_kwh.emission_reductions_tco2 + 1}  # fmt: skip


@FAST
@given(values=readings, seed=st.integers(0, 1000))
def test_row_order_does_not_matter(tmp_path, values, seed):
    data = frame(values)
    shuffled = data.take(np.random.default_rng(seed).permutation(data.num_rows))
    assert (run(tmp_path, data, "a.parquet").reference_emissions_tco2
            == pytest.approx(run(tmp_path, shuffled, "b.parquet").reference_emissions_tco2))  # fmt: skip


@settings(max_examples=50, deadline=None)
@given(energy=st.floats(0, 1e6), cop_pj=st.floats(0.5, 10), cop_re=st.floats(0.5, 10))
def test_reductions_are_never_negative(energy, cop_pj, cop_re):
    result = estimate(get_methodology("TH_AM005"), CalculationParams.from_mapping({
        "EC_PJ,i,p": {"value": energy, "unit": "MWh"}, "COP_PJ,i": {"value": cop_pj, "unit": ""},
        "COP_RE,i": {"value": cop_re, "unit": ""}, "EF_elec": {"value": 0.5, "unit": "tCO2/MWh"},
    }))  # fmt: skip
    assert result.emission_reductions_tco2 >= 0
    expected = max(energy * 0.5 * (cop_pj / cop_re - 1), 0)
    assert result.emission_reductions_tco2 == math.floor(round(expected, 6))
