"""Impossible values in monitoring files are refused naming the row; unusual ones are noted.

Before, a per-site factor typed in kg (566) was multiplied in, and a negative COP per site
made reference emissions negative, so the site earned zero without a word.
"""

from __future__ import annotations

import pytest

from c3p.errors import DataFileError
from c3p.mrv.catalog import get_methodology
from c3p.mrv.engine import calculate
from c3p.mrv.params import CalculationParams
from conftest import write_csv

ONE_MONTH = {"period": {"start": "2024-01-01", "end": "2024-01-31"}}


def run(tmp_path, methodology_id, rows, values):
    columns = ("site_id", "timestamp", "parameter", "value", "unit")
    path = write_csv(tmp_path / "data.csv", [dict(zip(columns, row, strict=True)) for row in rows])
    params = CalculationParams.from_mapping({**ONE_MONTH, **values})
    return calculate(get_methodology(methodology_id), [path], params)


def test_per_site_grid_factor_typed_in_kg_is_refused(tmp_path):
    rows = [("A", "2024-01-31", "EG_i,p", "10", "MWh"), ("A", "2024-01-31", "EF_RE,i", "566", "tCO2/MWh")]
    with pytest.raises(DataFileError, match=r"data.csv:3: row 3, column value: 566 tCO2/MWh .*EF_RE,i"):
        run(tmp_path, "TH_AM001", rows, {"EF_RE,i": {"value": 0.5, "unit": "tCO2/MWh"}})


def test_negative_cop_per_site_is_refused(tmp_path):
    rows = [("A", "2024-01-31", "EC_PJ,i,p", "100", "MWh"), ("A", "2024-01-31", "COP_RE,i", "-3", "1")]
    values = {"COP_PJ,i": {"value": 6, "unit": "1"}, "COP_RE,i": {"value": 4, "unit": "1"},
              "EF_elec": {"value": 0.5, "unit": "tCO2/MWh"}}  # fmt: skip
    with pytest.raises(DataFileError, match=r"row 3, column value: -3 .*COP_RE,i.*\(0, 20\]"):
        run(tmp_path, "TH_AM005", rows, values)


def test_monitored_reading_in_spelled_units(tmp_path):
    """10,000 kwh = 10 MWh and 0.5 t-CO2/MWh: RE = 5."""
    rows = [("A", "2024-01-31", "EG_i,p", "10000", "kwh")]
    result = run(tmp_path, "TH_AM001", rows, {"EF_RE,i": {"value": 0.5, "unit": "t-CO2/MWh"}})
    assert result.reference_emissions_tco2 == pytest.approx(5)


def test_unknown_unit_in_a_row_names_the_column_and_the_spellings(tmp_path):
    rows = [("A", "2024-01-31", "EG_i,p", "10", "kWhh")]
    with pytest.raises(DataFileError, match=r"row 2, column unit: EG_i,p expects MWh; unknown unit 'kWhh'; "
                       r"accepted spellings: kWh"):  # fmt: skip
        run(tmp_path, "TH_AM001", rows, {"EF_RE,i": {"value": 0.5, "unit": "tCO2/MWh"}})


def test_unusual_per_site_cop_is_kept_with_a_finding(tmp_path):
    """COP_PJ 12 at site A is possible but above typical chillers: RE = 100 x 12/4 x 0.5 = 150,
    PE = 50, ER = 100."""
    rows = [("A", "2024-01-31", "EC_PJ,i,p", "100", "MWh"), ("A", "2024-01-31", "COP_PJ,i", "12", "1")]
    values = {"COP_PJ,i": {"value": 6, "unit": "1"}, "COP_RE,i": {"value": 4, "unit": "1"},
              "EF_elec": {"value": 0.5, "unit": "tCO2/MWh"}}  # fmt: skip
    result = run(tmp_path, "TH_AM005", rows, values)
    assert result.emission_reductions_tco2 == 100
    assert [(f.code, f.parameter, f.site_id) for f in result.findings] == [("atypical", "COP_PJ,i", "A")]
