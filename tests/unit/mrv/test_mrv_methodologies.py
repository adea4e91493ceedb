"""Each packaged methodology reproduces a worked example computed by hand in the test."""

from __future__ import annotations

import math

import pytest

from c3p.mrv.catalog import all_methodologies, get_methodology
from c3p.mrv.engine import estimate
from c3p.mrv.params import CalculationParams


def v(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit}


# (methodology, params, expected RE tCO2, expected PE tCO2); ER = floor(RE - PE). Laid out as a table.
# fmt: off
WORKED = [
    ("MN_AM003", {"EG_i,p": v(1200, "MWh"), "EF_RE,i": {"factor": "MNG-grid"}}, 1200 * 0.797, 0.0),
    ("MN_AM003", {"EG_i,p": v(1200, "MWh"), "EF_RE,i": {"factor": "MNG-captive"}}, 1200 * 0.533, 0),
    ("TH_AM001", {"EG_i,p": v(500, "MWh"), "EF_RE,i": v(0.5, "tCO2/MWh")}, 250.0, 0.0),
    ("MV_AM001", {"EG_i,p": v(800, "MWh"), "EF_RE,i": v(0.6, "tCO2/MWh")}, 480.0, 0.0),
    ("KH_AM002", {"EG_i,p": v(1000, "MWh"), "EF_RE,i": v(0.55, "tCO2/MWh")}, 550.0, 0.0),
    ("KE_AM002", {"EG_i,p": v(300_000, "kWh"), "EF_RE,i": v(400, "kgCO2/MWh")}, 120.0, 0.0),
    ("VN_AM007", {"EG_i,p": v(2000, "MWh"), "EF_RE,i": {"factor": "VNM-grid-2023"}},
     2000 * 0.6592, 0.0),
    ("ID_AM017", {"EG_i,p": v(1000, "MWh"), "EC_BT,i,p": v(100, "MWh"),
                  "EF_RE,i": {"factor": "IDN-jamali-case1"}}, 900 * 0.619, 0.0),
    ("PH_AM001", {"EG_i,p": v(10_000, "MWh"), "EF_RE,i": {"factor": "PHL-luzon-visayas-cm-other"}},
     10_000 * 0.5979, 0.0),
    ("KE_PM003", {"EG_gross,i,p": v(5000, "MWh"), "EC_aux,i,p": v(200, "MWh"),
                  "EF_RE,i": v(0.5, "tCO2/MWh")}, 4800 * 0.5, 0.0),
    ("TH_AM005", {"EC_PJ,i,p": v(1000, "MWh"), "COP_PJ,i": v(6.0, ""), "COP_RE,i": v(5.0, ""),
                  "EF_elec": v(0.5, "tCO2/MWh")}, 1000 * 6 / 5 * 0.5, 1000 * 0.5),
    ("ID_AM004", {"EC_PJ,i,p": v(200, "MWh"), "COP_PJ,i": v(4.0, ""), "COP_RE,i": v(3.2, ""),
                  "EF_elec": {"factor": "IDN-jamali-case1"}}, 200 * 1.25 * 0.619, 200 * 0.619),
    ("ID_AM020", {"EC_PJ,i,p": v(100, "MWh"), "LE_PJ,i": v(100, "lm/W"), "LE_RE,i": v(50, "lm/W"),
                  "EF_elec": v(0.619, "tCO2/MWh")}, 100 * 2 * 0.619, 100 * 0.619),
    ("TH_AM016", {"EC_PJ,i,p": v(50_000, "kWh"), "LE_PJ,i": v(120, "lm/W"),
                  "LE_RE,i": v(60, "lm/W"), "EF_elec": v(0.5, "tCO2/MWh")}, 50.0, 25.0),
    ("MM_AM002", {"EC_PJ,i,p": v(400, "MWh"), "COP_PJ,i": v(3.0, ""), "COP_RE,i": v(2.0, ""),
                  "EF_elec": v(0.8, "tCO2/MWh")}, 480.0, 320.0),
    ("MM_AM005", {"EG_WHR,i,p": v(30, "GWh"), "EF_RE,i": v(0.7, "tCO2/MWh")}, 21_000.0, 0.0),
    ("MN_AM001", {"EG_send,i,p": v(100_000, "MWh"), "EG_recv,i,p": v(98_000, "MWh"),
                  "LR_RE,i": v(0.03, "")}, 100_000 * 0.03 * 0.797, 2000 * 0.797),
    ("ID_AM009", {"FC_PJ,i,p": v(1_000_000, "m³"), "EC_PJ,i,p": v(100, "MWh"),
                  "NCV_NG": v(0.036, "GJ/m³"), "η_PJ,i": v(0.6, ""), "η_RE,i": v(0.45, ""),
                  "EF_elec": v(0.619, "tCO2/MWh")},
     36_000 * 0.6 / 0.45 * 0.0543, 36_000 * 0.0543 + 100 * 0.619),
    ("VN_AM004", {"W_i,p": v(1000, "t"), "BG_i,p": v(100_000, "m3"), "EC_PJ,i,p": v(50, "MWh"),
                  "NCV_BG": v(0.02, "GJ/m3")},
     0.85 * 0.9 * 16 / 12 * 0.5 * 0.5 * 0.8 * 1000 * 0.15 * (1 - math.exp(-0.4)) * 25
     + 100_000 * 0.02 * 0.0616, 50 * 0.6592),
]
# fmt: on


@pytest.mark.parametrize(("methodology_id", "given", "re_tco2", "pe_tco2"), WORKED,
                         ids=[w[0] for w in WORKED])  # fmt: skip
def test_worked_example(methodology_id, given, re_tco2, pe_tco2):
    result = estimate(get_methodology(methodology_id), CalculationParams.from_mapping(given))
    assert result.reference_emissions_tco2 == pytest.approx(re_tco2, rel=1e-9)
    assert result.project_emissions_tco2 == pytest.approx(pe_tco2, rel=1e-9)
    assert result.emission_reductions_tco2 == math.floor(round(re_tco2 - pe_tco2, 6))


def test_every_packaged_methodology_has_a_worked_example():
    assert {m.id for m in all_methodologies()} <= {w[0] for w in WORKED}
    assert len(all_methodologies()) >= 15


def test_reconstructed_specifications_say_so():
    for methodology in all_methodologies():
        assert methodology.spec.verification in {"verbatim", "partly-confirmed", "reconstructed"}
        assert len(methodology.spec.verification_note) > 40


def test_factor_version_is_recorded():
    result = estimate(get_methodology("MN_AM003"),
                      CalculationParams.from_mapping({"EG_i,p": v(1, "MWh"),
                                                      "EF_RE,i": {"factor": "MNG-grid"}}))  # fmt: skip
    assert result.provenance.factors == ("MNG-grid@1",)


def test_missing_fixed_value_names_the_symbol():
    from c3p.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"EF_RE,i.*params.json"):
        estimate(get_methodology("TH_AM001"),
                 CalculationParams.from_mapping({"EG_i,p": v(1, "MWh")}))  # fmt: skip


def test_wrong_unit_in_params_is_refused():
    from c3p.errors import InvalidInput

    with pytest.raises(InvalidInput, match="cannot be converted"):
        estimate(get_methodology("MN_AM003"),
                 CalculationParams.from_mapping({"EG_i,p": v(1, "m3")}))  # fmt: skip
