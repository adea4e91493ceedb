"""Ex-post calculations over real files: readers, QA/QC treatments and malformed input."""

from __future__ import annotations

import math

import pytest

from c3p.errors import DataFileError, InvalidInput
from c3p.mrv.catalog import get_methodology
from c3p.mrv.engine import calculate
from c3p.mrv.params import CalculationParams
from conftest import ONE_DAY, create_rows, write_csv, write_parquet

MN = get_methodology("MN_AM003")


def run(tmp_path, rows, extra=None, name="data.csv"):
    path = write_csv(tmp_path / name, rows)
    params = CalculationParams.from_mapping({**ONE_DAY, **(extra or {})})
    return calculate(MN, [path], params)


def codes(result):
    return sorted(f.code for f in result.findings)


def test_clean_day(tmp_path):
    result = run(tmp_path, create_rows(sites=("S1", "S2")))
    # 2 sites x 96 x 0.4 MWh x 0.797 tCO2/MWh
    assert result.reference_emissions_tco2 == pytest.approx(2 * 38.4 * 0.797)
    assert result.emission_reductions_tco2 == math.floor(2 * 38.4 * 0.797)
    assert result.findings == ()
    assert [b.site_id for b in result.by_site] == ["S1", "S2"]
    assert result.by_month[0].emission_reductions_tco2 == pytest.approx(2 * 38.4 * 0.797)
    assert result.provenance.input_rows == 192
    assert len(next(iter(result.provenance.input_files.values()))) == 64


def test_gap_in_output_counts_as_zero(tmp_path):
    rows = create_rows()
    del rows[10:14]
    result = run(tmp_path, rows)
    assert codes(result) == ["gap"]
    assert result.findings[0].rows == 4
    assert result.reference_emissions_tco2 == pytest.approx(92 * 0.4 * 0.797)


def test_duplicate_keeps_the_smaller_reading(tmp_path):
    rows = create_rows()
    rows.append({**rows[5], "value": 350.0})
    result = run(tmp_path, rows)
    assert codes(result) == ["duplicate"]
    assert result.findings[0].rows == 1
    assert result.reference_emissions_tco2 == pytest.approx((38.4 - 0.05) * 0.797)


def test_negative_reading_is_refused_naming_its_row(tmp_path):
    """Negative output is physically impossible: refused, not counted as zero (line 5 = header + 4)."""
    rows = create_rows()
    rows[3]["value"] = -50.0
    with pytest.raises(DataFileError, match=r"data.csv:5: row 5, column value: -50 kWh.*physical range is \[0, ∞\)"):
        run(tmp_path, rows)


def test_output_above_capacity_is_impossible_and_excluded(tmp_path):
    rows = create_rows()
    rows[7]["value"] = 900.0  # 2,000 kW x 0.25 h = 500 kWh at most
    result = run(tmp_path, rows, {"PC_i": {"value": 2, "unit": "MW"}})
    assert "impossible" in codes(result)
    assert result.reference_emissions_tco2 == pytest.approx(95 * 0.4 * 0.797)
    assert result.emission_reductions_tco2 == 30  # 31 if the impossible reading counted


def test_sudden_jump_is_flagged_with_its_line(tmp_path):
    rows = create_rows()
    rows[50]["value"] = 499.0
    result = run(tmp_path, rows, {"PC_i": {"value": 2000, "unit": "kW"}})
    jump = next(f for f in result.findings if f.code == "jump")
    assert jump.first_line == 52  # header is line 1, rows[0] is line 2


def test_expired_calibration_corrects_by_the_meter_error(tmp_path):
    meters = [{"site_id": "S1", "parameter": "EG_i,p", "calibrated_on": "2023-01-01",
               "calibration_valid_months": 12, "accuracy_pct": 2.0}]  # fmt: skip
    result = run(tmp_path, create_rows(), {"meters": meters})
    assert codes(result) == ["calibration"]
    assert result.reference_emissions_tco2 == pytest.approx(38.4 * 0.98 * 0.797)
    assert result.emission_reductions_tco2 == 29


def test_rows_outside_the_period_and_unknown_symbols_are_reported(tmp_path):
    rows = create_rows(intervals=100)  # 4 rows fall on 2024-01-02
    rows.append({**rows[0], "parameter": "XYZ"})
    result = run(tmp_path, rows)
    assert codes(result) == ["outside-period", "unknown-parameter"]
    assert result.reference_emissions_tco2 == pytest.approx(38.4 * 0.797)


def test_mixed_units_are_converted(tmp_path):
    rows = create_rows()
    for row in rows[:48]:
        row["value"], row["unit"] = 0.4, "MWh"
    assert run(tmp_path, rows).reference_emissions_tco2 == pytest.approx(38.4 * 0.797)


def test_parquet_and_excel_give_the_same_result(tmp_path):
    rows = create_rows(sites=("A", "B"))
    expected = run(tmp_path, rows).reference_emissions_tco2
    write_parquet(tmp_path / "d.parquet", rows)
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(list(rows[0]))
    for row in rows:
        workbook.active.append(list(row.values()))
    workbook.save(tmp_path / "d.xlsx")
    params = CalculationParams.from_mapping(ONE_DAY)
    for name in ("d.parquet", "d.xlsx"):
        result = calculate(MN, [tmp_path / name], params)
        assert result.reference_emissions_tco2 == pytest.approx(expected), name


def test_mapped_columns(tmp_path):
    rows = [{"Meter": r["site_id"], "Time": r["timestamp"], "Symbol": r["parameter"],
             "Reading": r["value"], "Unit": r["unit"]} for r in create_rows()]  # fmt: skip
    path = write_csv(tmp_path / "m.csv", rows, columns=tuple(rows[0]))
    mapping = {"site_id": "Meter", "timestamp": "Time", "parameter": "Symbol", "value": "Reading"}
    result = calculate(MN, [path], CalculationParams.from_mapping(ONE_DAY), mapping)
    assert result.reference_emissions_tco2 == pytest.approx(38.4 * 0.797)


@pytest.mark.parametrize(("change", "line", "column"), [
    ({"timestamp": "31/02/2024 xx"}, 5, "timestamp"),
    ({"value": "four hundred"}, 5, "value"),
    ({"site_id": ""}, 5, "site_id"),
])  # fmt: skip
def test_bad_cells_name_row_and_column(tmp_path, change, line, column):
    rows = create_rows()
    rows[3].update(change)
    with pytest.raises(DataFileError) as info:
        run(tmp_path, rows)
    assert info.value.line == line
    assert f"row {line}, column {column}" in info.value.reason


def test_wrong_unit_names_the_row(tmp_path):
    rows = create_rows()
    rows[6]["unit"] = "m3"
    with pytest.raises(DataFileError, match="row 8, column unit: EG_i,p expects MWh") as info:
        run(tmp_path, rows)
    assert info.value.line == 8


def test_wrong_columns(tmp_path):
    path = write_csv(tmp_path / "x.csv", create_rows(), columns=("site_id", "timestamp", "value"))
    with pytest.raises(DataFileError, match="missing column 'parameter'"):
        calculate(MN, [path], CalculationParams.from_mapping(ONE_DAY))


@pytest.mark.parametrize("content", ["", "site_id,timestamp,parameter,value,unit\n"])
def test_empty_files(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    with pytest.raises(DataFileError, match=r"empty|no data rows"):
        calculate(MN, [path], CalculationParams.from_mapping(ONE_DAY))


def test_project_side_gap_is_filled_with_the_highest_reading(tmp_path):
    rows = create_rows(parameter="EC_BT,i,p", value=100.0) + create_rows(value=500.0)
    del rows[20]  # one project-consumption reading missing
    path = write_csv(tmp_path / "b.csv", rows)
    params = CalculationParams.from_mapping({**ONE_DAY, "EF_RE,i": {"value": 0.5,
                                             "unit": "tCO2/MWh"}})  # fmt: skip
    result = calculate(get_methodology("ID_AM017"), [path], params)
    gap = next(f for f in result.findings if f.code == "gap")
    assert gap.treatment == "filled with the highest reading"
    # RE = (96 x 0.5 - 96 x 0.1) MWh x 0.5; the gap is filled with 0.1 MWh
    assert result.reference_emissions_tco2 == pytest.approx((48 - 9.6) * 0.5)


def test_params_with_unknown_symbol_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="no parameter 'EF_WRONG'"):
        run(tmp_path, create_rows(), {"EF_WRONG": {"value": 1, "unit": "tCO2/MWh"}})


def test_several_parquet_files_are_read_as_one(tmp_path):
    write_parquet(tmp_path / "a.parquet", create_rows(sites=("A",)))
    write_parquet(tmp_path / "b.parquet", create_rows(sites=("B",)))
    result = calculate(MN, [tmp_path / "a.parquet", tmp_path / "b.parquet"],
                       CalculationParams.from_mapping(ONE_DAY))  # fmt: skip
    assert result.reference_emissions_tco2 == pytest.approx(2 * 38.4 * 0.797)
    assert len(result.provenance.input_files) == 2
