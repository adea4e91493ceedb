"""Plausibility bounds, explicit choices and unit spellings (issue 12, points 3 and 4).

Each ``*_is_refused`` test reproduces a way the engine accepted impossible data before.
"""

from __future__ import annotations

import re

import pytest

from c3p.errors import InvalidInput
from c3p.mrv.catalog import all_methodologies, get_methodology
from c3p.mrv.engine import estimate
from c3p.mrv.params import CalculationParams
from c3p.mrv.units import scale_factor


def v(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit}


def run(methodology_id: str, given: dict):
    return estimate(get_methodology(methodology_id), CalculationParams.from_mapping(given))


def test_grid_factor_typed_in_kg_is_refused():
    """566 tCO2/MWh is 0.566 typed in kg: accepted before (ER 566,000 for 1,000 MWh)."""
    with pytest.raises(InvalidInput, match=r"EF_RE,i: 566 tCO2/MWh is impossible.*\[0, 2\].*0\.566 would be plausible"):
        run("TH_AM001", {"EG_i,p": v(1000, "MWh"), "EF_RE,i": v(566, "tCO2/MWh")})


@pytest.mark.parametrize("cop", [0.0, -4.0])
def test_cop_of_zero_or_below_is_refused(cop):
    given = {"EC_PJ,i,p": v(100, "MWh"), "COP_PJ,i": v(cop, "1"), "COP_RE,i": v(4, "1"),
             "EF_elec": v(0.5, "tCO2/MWh")}  # fmt: skip
    with pytest.raises(InvalidInput, match=r"COP_PJ,i: .* is impossible \(the physical range is \(0, 20\]\)"):
        run("TH_AM005", given)


def test_negative_emission_factor_is_refused():
    with pytest.raises(InvalidInput, match=r"EF_elec: -0\.5 tCO2/MWh is impossible"):
        run("MM_AM002", {"EC_PJ,i,p": v(400, "MWh"), "COP_PJ,i": v(3, "1"), "COP_RE,i": v(2, "1"),
                         "EF_elec": v(-0.5, "tCO2/MWh")})  # fmt: skip


def test_value_outside_the_typical_range_is_kept_with_a_finding():
    """1.5 tCO2/MWh is possible but above every JCM grid factor: RE = 100 x 1.5 = 150."""
    result = run("TH_AM001", {"EG_i,p": v(100, "MWh"), "EF_RE,i": v(1.5, "tCO2/MWh")})
    assert result.reference_emissions_tco2 == pytest.approx(150)
    assert [(f.code, f.parameter) for f in result.findings] == [("atypical", "EF_RE,i")]
    assert "[0.2, 1]" in result.findings[0].message


def test_mn_am003_factor_is_a_required_choice():
    """The grid factor 0.797 was taken silently; the conservative 0.533 must be explained."""
    with pytest.raises(InvalidInput) as refused:
        run("MN_AM003", {"EG_i,p": v(1200, "MWh")})
    assert "EF_RE,i" in refused.value.detail
    assert '{"factor": "MNG-captive"}' in refused.value.detail
    assert "MNG-captive (0.533 tCO2/MWh, the most efficient diesel generator) is the conservative" in (
        refused.value.detail
    )


def test_choices_name_their_options_and_the_conservative_one():
    for methodology in all_methodologies():
        for param in methodology.spec.parameters:
            if len(param.factor_options) > 1:
                assert param.choice and "conservative" in param.choice, (methodology.id, param.symbol)


def test_every_parameter_carries_bounds_with_their_source():
    for methodology in all_methodologies():
        for param in methodology.spec.parameters:
            assert len(param.bounds.source) > 20, (methodology.id, param.symbol)
            if param.bounds.typical is not None:
                assert param.bounds.typical.low is None or param.bounds.physical.contains(param.bounds.typical.low)


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("t-CO2", "tCO2"), ("tCO2e", "tCO2"), ("kgCO2e", "kgCO2"), ("kwh", "kWh"), ("MWH", "MWh"),
    ("gj", "GJ"), ("t-CO2e/mwh", "tCO2/MWh"), ("kg CO2e/kWh", "kgCO2/kWh"), ("m³", "m3"),
])  # fmt: skip
def test_spellings_people_use_are_accepted(spelling, canonical):
    assert scale_factor(spelling, canonical) == 1.0


def test_spelled_units_give_the_same_result():
    """EG 1,000,000 kWh = 1,000 MWh; EF 500 kgCO2e/MWh = 0.5 tCO2/MWh; RE = 500."""
    result = run("TH_AM001", {"EG_i,p": v(1_000_000, "kwh"), "EF_RE,i": v(500, "kg-CO2e/MWh")})
    assert result.reference_emissions_tco2 == pytest.approx(500)


@pytest.mark.parametrize("spelling", ["kWhh", "tCO2/", "MWh MWh MWh(", "ｋＷｈ＄"])
def test_unknown_unit_is_refused_with_our_message(spelling):
    with pytest.raises(InvalidInput) as refused:
        run("TH_AM001", {"EG_i,p": v(1, spelling), "EF_RE,i": v(0.5, "tCO2/MWh")})
    detail = refused.value.detail
    assert detail.startswith(f"EG_i,p: unknown unit {spelling!r}; accepted spellings: kWh, MWh")
    assert "pint" not in detail.lower() and "Error" not in detail


@pytest.mark.parametrize(("text", "inside", "outside"), [
    ("[0, ∞)", [0.0, 1e300], [-1e-12, float("nan")]),
    ("(0, 2]", [1e-12, 2.0], [0.0, 2.000001, float("inf")]),
    ("[0.2, 1.0]", [0.2, 1.0], [0.19, 1.01]),
])  # fmt: skip
def test_intervals(text, inside, outside):
    from c3p.mrv.bounds import Interval

    interval = Interval.parse(text)
    assert all(interval.contains(x) for x in inside)
    assert not any(interval.contains(x) for x in outside)


@pytest.mark.parametrize("text", ["0, 1", "[1, 0]", "[a, 1]", "(0; 1)"])
def test_malformed_intervals_are_refused(text):
    from c3p.mrv.bounds import Interval

    with pytest.raises(ValueError):
        Interval.parse(text)


def design_values(methodology) -> dict:
    """A plausible value for every parameter: the middle of its typical (or physical) range."""
    values = {}
    for param in methodology.spec.parameters:
        span = param.bounds.typical or param.bounds.physical
        low = span.low if span.low is not None else 0.0
        high = span.high if span.high is not None else low + 10.0
        values[param.symbol] = v((low + high) / 2 or 1.0, param.unit)
    return values


@pytest.mark.parametrize("methodology", list(all_methodologies()), ids=lambda m: m.id)
def test_no_value_outside_a_physical_range_gives_a_result(methodology):
    """For every parameter of every methodology, a value just beyond either physical end is
    refused naming the parameter, whatever the other values are."""
    base = design_values(methodology)
    estimate(methodology, CalculationParams.from_mapping(base))  # the design point itself is fine
    for param in methodology.spec.parameters:
        physical = param.bounds.physical
        for end, closed, step in ((physical.low, physical.low_closed, -1.0),
                                  (physical.high, physical.high_closed, 1.0)):  # fmt: skip
            if end is None:
                continue
            beyond = end + step * max(abs(end) * 1e-6, 1e-9) if closed else end  # an open end is outside
            with pytest.raises(InvalidInput, match=rf"^{re.escape(param.symbol)}: "):
                estimate(methodology, CalculationParams.from_mapping({**base, param.symbol: v(beyond, param.unit)}))
