"""Missing, repeated and malformed monitoring data never raises the emission reductions.

Each test reproduces a way today's engine over-credited (issue 12) with a small file whose
result can be worked out by hand.
"""

from __future__ import annotations

import csv

import pytest

from c3p.errors import DataFileError
from c3p.mrv.catalog import get_methodology
from c3p.mrv.engine import calculate
from c3p.mrv.params import CalculationParams

THREE_MONTHS = {"period": {"start": "2024-01-01", "end": "2024-03-31"}}


def monthly_csv(path, rows, header=("site_id", "timestamp", "parameter", "value", "unit")):
    """Rows are (site, 'YYYY-MM-DD', symbol, value text, unit), written as a CSV file."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(tmp_path, methodology_id, rows, values=None, period=None, **options):
    path = monthly_csv(tmp_path / "data.csv", rows)
    params = CalculationParams.from_mapping({**(period or THREE_MONTHS), **(values or {})})
    return calculate(get_methodology(methodology_id), [path], params, **options)


def codes(result):
    return sorted({f.code for f in result.findings})


def line_rows(send, recv):
    """MN_AM001 monthly totals: electricity sent and received per month (None = no row)."""
    rows = []
    for month, (s, r) in enumerate(zip(send, recv, strict=True), start=1):
        if s is not None:
            rows.append(("L1", f"2024-{month:02d}-01", "EG_send,i,p", str(s), "MWh"))
        if r is not None:
            rows.append(("L1", f"2024-{month:02d}-01", "EG_recv,i,p", str(r), "MWh"))
    return rows


LR = {"LR_RE,i": {"value": 0.05, "unit": "1"}}


def test_transmission_month_without_sent_electricity_is_not_credited(tmp_path):
    """Months 1-2: sent 1,000, received 980 MWh; month 3 has received 980 and no sent row.

    RE = 1,000 x 0.05 x 0.797 = 39.85 and PE = 20 x 0.797 = 15.94 per full month, so
    ER = 2 x 23.91 = 47.82 -> 47. Counting the missing 'sent' as zero made month 3's
    PE = -980 x 0.797 and ER 781 more; now PE is clamped at zero and the month earns
    nothing.
    """
    result = run(tmp_path, "MN_AM001", line_rows([1000, 1000, None], [980, 980, 980]), LR)
    assert result.emission_reductions_tco2 == 47
    assert result.emission_reductions_unrounded_tco2 == pytest.approx(2 * 23.91)
    assert {"missing-month", "negative-component"} <= set(codes(result))


def test_negative_project_emissions_are_clamped(tmp_path):
    """One month: sent 1,000, received 1,010 MWh (meters disagree).

    RE = 1,000 x 0.05 x 0.797 = 39.85; PE = -10 x 0.797 would add 7.97 -> clamped to 0,
    ER = 39.85 -> 39.
    """
    one = {"period": {"start": "2024-01-01", "end": "2024-01-31"}}
    result = run(tmp_path, "MN_AM001", line_rows([1000], [1010]), LR, period=one)
    assert result.project_emissions_tco2 == 0
    assert result.emission_reductions_tco2 == 39
    assert codes(result) == ["negative-component"]


def composting_rows(electricity):
    rows = []
    for month, ec in enumerate(electricity, start=1):
        day = f"2024-{month:02d}-01"
        rows.append(("P1", day, "W_i,p", "100", "t"))
        rows.append(("P1", day, "BG_i,p", "1000", "m**3"))
        if ec is not None:
            rows.append(("P1", day, "EC_PJ,i,p", str(ec), "MWh"))
    return rows


VN_VALUES = {"NCV_BG": {"value": 0.02, "unit": "GJ/m**3"}, "EF_fuel": {"value": 0.063, "unit": "tCO2/GJ"},
             "EF_elec": {"value": 0.9, "unit": "tCO2/MWh"}}  # fmt: skip


def test_missing_month_of_project_electricity_never_raises_credits(tmp_path):
    """Project electricity is 10 MWh in months 1-2 and missing in month 3.

    The same file with month 3 = 10 MWh is the reference; without the row month 3 earns at
    most zero, so the result is at most two thirds of it (never above it, as counting the
    missing electricity as zero did).
    """
    full = run(tmp_path, "VN_AM004", composting_rows([10, 10, 10]), VN_VALUES)
    gap = run(tmp_path, "VN_AM004", composting_rows([10, 10, None]), VN_VALUES)
    assert gap.emission_reductions_unrounded_tco2 == pytest.approx(full.emission_reductions_unrounded_tco2 * 2 / 3)
    assert "missing-month" in codes(gap)


ONE_MONTH = {"period": {"start": "2024-01-01", "end": "2024-01-31"}, "EF_RE,i": {"factor": "MNG-grid"}}
SOLAR = [("S1", "2024-01-01", "EG_i,p", "1,5", "MWh")]


def test_decimal_comma_is_refused_unless_declared(tmp_path):
    """'1,5' MWh was read as 15 (ER 11 instead of 1); now the file is refused naming the cell."""
    with pytest.raises(DataFileError, match=r"row 2, column value \('1,5'\): has a comma") as info:
        run(tmp_path, "MN_AM003", SOLAR, period=ONE_MONTH)
    assert info.value.line == 2


def test_decimal_comma_when_declared(tmp_path):
    """With decimal ',' the reading is 1.5 MWh: RE = 1.5 x 0.797 = 1.1955 -> 1."""
    result = run(tmp_path, "MN_AM003", SOLAR, period=ONE_MONTH, decimal=",")
    assert result.reference_emissions_tco2 == pytest.approx(1.1955)
    assert result.emission_reductions_tco2 == 1


def test_point_is_refused_when_the_decimal_mark_is_a_comma(tmp_path):
    rows = [("S1", "2024-01-01", "EG_i,p", "1.500", "MWh")]
    with pytest.raises(DataFileError, match="has a point, but the decimal mark is a comma"):
        run(tmp_path, "MN_AM003", rows, period=ONE_MONTH, decimal=",")


@pytest.mark.parametrize("text", ["", "nan", "inf", "-inf", "1 500", "1.5.0"])
def test_blank_and_non_finite_csv_values_are_refused(tmp_path, text):
    rows = [("S1", "2024-01-01", "EG_i,p", "10", "MWh"), ("S1", "2024-01-02", "EG_i,p", text, "MWh")]
    with pytest.raises(DataFileError, match=r"row 3, column value"):
        run(tmp_path, "MN_AM003", rows, period=ONE_MONTH)


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf")])
def test_parquet_nulls_and_non_finite_values_are_refused(tmp_path, bad):
    from datetime import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pa.table({"site_id": ["S1", "S1"], "timestamp": [datetime(2024, 1, 1), datetime(2024, 1, 2)],
                      "parameter": ["EG_i,p"] * 2, "value": pa.array([10.0, bad], pa.float64()),
                      "unit": ["MWh"] * 2})  # fmt: skip
    pq.write_table(frame, tmp_path / "d.parquet")
    params = CalculationParams.from_mapping(ONE_MONTH)
    with pytest.raises(DataFileError, match=r"row 2, column value"):
        calculate(get_methodology("MN_AM003"), [tmp_path / "d.parquet"], params)


def test_xlsx_formula_without_cached_value_is_refused(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["site_id", "timestamp", "parameter", "value", "unit"])
    sheet.append(["S1", "2024-01-01", "EG_i,p", 10, "MWh"])
    sheet.append(["S1", "2024-01-02", "EG_i,p", "=B2*2", "MWh"])  # never opened in Excel
    book.save(tmp_path / "d.xlsx")
    params = CalculationParams.from_mapping(ONE_MONTH)
    with pytest.raises(DataFileError, match=r"row 3, column value.*empty"):
        calculate(get_methodology("MN_AM003"), [tmp_path / "d.xlsx"], params)


def test_monthly_total_listed_twice_is_counted_once(tmp_path):
    """Month total 100 MWh listed twice (100 and 99.5): the smaller is kept, RE = 99.5 x 0.797
    = 79.3015 -> 79 (summing both gave 158)."""
    rows = [("S1", "2024-01-31", "EG_i,p", "100", "MWh"), ("S1", "2024-01-31", "EG_i,p", "99.5", "MWh")]
    result = run(tmp_path, "MN_AM003", rows, period=ONE_MONTH)
    assert result.emission_reductions_tco2 == 79
    assert codes(result) == ["duplicate"]


def test_a_gap_does_not_hide_a_duplicate(tmp_path):
    """One day of hourly readings of 1 MWh: hour 5 missing, hour 6 listed twice (1 and 1).

    24 rows as expected, but 23 distinct hours: the duplicate is dropped and the gap
    counted as zero, RE = 23 x 0.797 = 18.331 -> 18 (24 x 0.797 = 19.128 -> 19 before).
    """
    rows = [("S1", f"2024-01-01 {h:02d}:00", "EG_i,p", "1", "MWh") for h in range(24) if h != 5]
    rows.append(("S1", "2024-01-01 06:00", "EG_i,p", "1", "MWh"))
    day = {
        "period": {"start": "2024-01-01", "end": "2024-01-01"},
        "interval_minutes": 60,
        "EF_RE,i": {"factor": "MNG-grid"},
    }
    result = run(tmp_path, "MN_AM003", rows, period=day)
    assert result.emission_reductions_tco2 == 18
    assert codes(result) == ["duplicate", "gap"]


def test_per_site_factor_overrides_the_default_site_by_site(tmp_path):
    """Site A states its own factor 0.533 (captive diesel); site B keeps the project's
    stated factor 0.797 (MNG-grid).

    10 MWh each: RE = 10 x 0.533 + 10 x 0.797 = 13.3 -> 13. Before, site B was refused for
    lacking a value once any site gave one.
    """
    rows = [("A", "2024-01-31", "EG_i,p", "10", "MWh"), ("B", "2024-01-31", "EG_i,p", "10", "MWh"),
            ("A", "2024-01-31", "EF_RE,i", "0.533", "tCO2/MWh")]  # fmt: skip
    result = run(tmp_path, "MN_AM003", rows, period=ONE_MONTH)
    assert result.reference_emissions_tco2 == pytest.approx(13.3)
    assert result.emission_reductions_tco2 == 13
