"""Each packaged methodology reproduces a worked example computed by hand in the test."""

from __future__ import annotations

import pytest

from c3p.mrv.catalog import all_methodologies, get_methodology
from c3p.mrv.engine import estimate
from c3p.mrv.params import CalculationParams


def v(value: float, unit: str) -> dict:
    return {"value": value, "unit": unit}


def check(methodology_id: str, given: dict, re_tco2: float, pe_tco2: float, er_credits: int) -> None:
    """Estimate with ``given`` and compare with figures worked out by hand (not by the engine)."""
    result = estimate(get_methodology(methodology_id), CalculationParams.from_mapping(given))
    assert result.reference_emissions_tco2 == pytest.approx(re_tco2, rel=1e-9)
    assert result.project_emissions_tco2 == pytest.approx(pe_tco2, rel=1e-9, abs=1e-12)
    assert result.emission_reductions_tco2 == er_credits


GRID_MN = {"factor": "MNG-grid"}


def test_mn_am003_grid():
    """RE = 1,200 MWh x 0.797 = 956.4; PE = 0; ER = floor(956.4) = 956."""
    check("MN_AM003", {"EG_i,p": v(1200, "MWh"), "EF_RE,i": GRID_MN}, 956.4, 0, 956)


def test_mn_am003_captive():
    """RE = 1,200 MWh x 0.533 = 639.6; ER = 639."""
    check("MN_AM003", {"EG_i,p": v(1200, "MWh"), "EF_RE,i": {"factor": "MNG-captive"}}, 639.6, 0, 639)


def test_th_am001():
    """RE = 500 MWh x 0.5 = 250; ER = 250."""
    check("TH_AM001", {"EG_i,p": v(500, "MWh"), "EF_RE,i": v(0.5, "tCO2/MWh")}, 250, 0, 250)


def test_mv_am001():
    """RE = 800 MWh x 0.6 = 480; ER = 480."""
    check("MV_AM001", {"EG_i,p": v(800, "MWh"), "EF_RE,i": v(0.6, "tCO2/MWh")}, 480, 0, 480)


def test_kh_am002_day_categories():
    """Grid days 800 MWh x 0.6 = 480; off-grid days 200 MWh x 0.533 (diesel default) = 106.6;
    RE = 586.6; ER = 586."""
    given = {"EG_grid,i,p": v(800, "MWh"), "EG_off,i,p": v(200, "MWh"), "EF_grid": v(0.6, "tCO2/MWh")}
    check("KH_AM002", given, 586.6, 0, 586)


def test_ke_am002():
    """300,000 kWh = 300 MWh; 400 kgCO2/MWh = 0.4 tCO2/MWh; RE = 300 x 0.4 = 120; ER = 120."""
    check("KE_AM002", {"EG_i,p": v(300_000, "kWh"), "EF_RE,i": v(400, "kgCO2/MWh")}, 120, 0, 120)


def test_vn_am007():
    """RE = 2,000 MWh x 0.6592 (2023) = 1,318.4; ER = 1,318."""
    check("VN_AM007", {"EG_i,p": v(2000, "MWh"), "EF_RE,i": {"factor": "VNM-grid-2023"}}, 1318.4, 0, 1318)


def test_id_am017():
    """Net output 1,000 - 100 (battery charging) = 900 MWh; RE = 900 x 0.533 (Case 2) = 479.7; ER = 479."""
    given = {"EG_i,p": v(1000, "MWh"), "EC_BT,i,p": v(100, "MWh"), "EF_RE,i": {"factor": "IDN-jamali-case2"}}
    check("ID_AM017", given, 479.7, 0, 479)


def test_ph_am001():
    """RE = 10,000 MWh x 0.5979 = 5,979; ER = 5,979."""
    given = {"EG_i,p": v(10_000, "MWh"), "EF_RE,i": {"factor": "PHL-luzon-visayas-cm-other"}}
    check("PH_AM001", given, 5979, 0, 5979)


def test_ke_pm003():
    """Net = 5,000 - 200 = 4,800 MWh; RE = 4,800 x 0.5 = 2,400; ER = 2,400."""
    given = {"EG_gross,i,p": v(5000, "MWh"), "EC_aux,i,p": v(200, "MWh"), "EF_RE,i": v(0.5, "tCO2/MWh")}
    check("KE_PM003", given, 2400, 0, 2400)


CHILLER = {"EC_PJ,i,p": v(1000, "MWh"), "COP_PJ,i": v(6.0, ""), "COP_RE,i": v(5.0, ""),
           "EF_elec": v(0.5, "tCO2/MWh")}  # fmt: skip


def test_th_am005_grid():
    """RE = 1,000 MWh x 6/5 x 0.5 = 600; PE = 1,000 x 0.5 = 500; ER = 100."""
    check("TH_AM005", CHILLER, 600, 500, 100)


def test_th_am005_captive_power():
    """A quarter from captive power: EF = 0.25 x 0.533 + 0.75 x 0.5 = 0.13325 + 0.375 = 0.50825;
    RE = 1,000 x 1.2 x 0.50825 = 609.9; PE = 508.25; ER = 101.65 -> 101."""
    check("TH_AM005", {**CHILLER, "R_cap,i": v(0.25, "1")}, 609.9, 508.25, 101)


def test_id_am004():
    """RE = 200 MWh x 4.0/3.2 x 0.533 = 200 x 1.25 x 0.533 = 133.25; PE = 200 x 0.533 = 106.6;
    ER = 26.65 -> 26."""
    given = {"EC_PJ,i,p": v(200, "MWh"), "COP_PJ,i": v(4.0, ""), "COP_RE,i": v(3.2, ""),
             "EF_elec": {"factor": "IDN-jamali-case2"}}  # fmt: skip
    check("ID_AM004", given, 133.25, 106.6, 26)


def test_id_am020():
    """RE = 100 MWh x 100/50 x 0.619 = 123.8; PE = 100 x 0.619 = 61.9; ER = 61.9 -> 61."""
    given = {"EC_PJ,i,p": v(100, "MWh"), "LE_PJ,i": v(100, "lm/W"), "LE_RE,i": v(50, "lm/W"),
             "EF_elec": v(0.619, "tCO2/MWh")}  # fmt: skip
    check("ID_AM020", given, 123.8, 61.9, 61)


def test_th_am016():
    """50,000 kWh = 50 MWh; RE = 50 x 120/60 x 0.5 = 50; PE = 50 x 0.5 = 25; ER = 25."""
    given = {"EC_PJ,i,p": v(50_000, "kWh"), "LE_PJ,i": v(120, "lm/W"), "LE_RE,i": v(60, "lm/W"),
             "EF_elec": v(0.5, "tCO2/MWh")}  # fmt: skip
    check("TH_AM016", given, 50, 25, 25)


def test_mm_am002():
    """RE = 400 MWh x 3/2 x 0.8 = 480; PE = 400 x 0.8 = 320; ER = 160."""
    given = {"EC_PJ,i,p": v(400, "MWh"), "COP_PJ,i": v(3.0, ""), "COP_RE,i": v(2.0, ""),
             "EF_elec": v(0.8, "tCO2/MWh")}  # fmt: skip
    check("MM_AM002", given, 480, 320, 160)


def test_mm_am005():
    """30 GWh = 30,000 MWh; RE = 30,000 x 0.7 = 21,000; ER = 21,000."""
    check("MM_AM005", {"EG_WHR,i,p": v(30, "GWh"), "EF_RE,i": v(0.7, "tCO2/MWh")}, 21_000, 0, 21_000)


def test_mn_am001():
    """RE = 100,000 MWh x 0.03 x 0.797 = 2,391; PE = (100,000 - 98,000) x 0.797 = 1,594; ER = 797."""
    given = {"EG_send,i,p": v(100_000, "MWh"), "EG_recv,i,p": v(98_000, "MWh"), "LR_RE,i": v(0.03, "")}
    check("MN_AM001", given, 2391, 1594, 797)


FURNACE = {"FC_PJ,i,p": v(1_000_000, "m³"), "EC_PJ,i,p": v(100, "MWh"), "NCV_NG": v(0.036, "GJ/m³"),
           "η_PJ,i": v(0.6, ""), "η_RE,i": v(0.45, ""), "EF_elec": v(0.619, "tCO2/MWh"),
           "N_req,i,p": v(2, "")}  # fmt: skip


def test_id_am009_all_checks_done():
    """Gas 1,000,000 m³ x 0.036 GJ/m³ = 36,000 GJ; EF_NG lower bound 54,300 kg/TJ = 0.0543 t/GJ.
    RE = 36,000 x 0.6/0.45 x 0.0543 = 48,000 x 0.0543 = 2,606.4;
    PE = 36,000 x 0.0543 + 100 x 0.619 = 1,954.8 + 61.9 = 2,016.7; ER = 589.7 -> 589."""
    check("ID_AM009", {**FURNACE, "N_chk,i,p": v(2, "")}, 2606.4, 2016.7, 589)


def test_id_am009_half_the_checks():
    """One of two checks: η credited = 0.45 + (0.6 - 0.45) x 1/2 = 0.525;
    RE = 36,000 x 0.525/0.45 x 0.0543 = 42,000 x 0.0543 = 2,280.6; PE = 2,016.7; ER = 263.9 -> 263."""
    check("ID_AM009", {**FURNACE, "N_chk,i,p": v(1, "")}, 2280.6, 2016.7, 263)


def test_vn_am004():
    """Avoided CH4 = φ 0.85 x (1 - OX 0.1) x 16/12 x F 0.5 x DOC_f 0.5 x MCF 0.8 x 1,000 t x DOC 0.15
    x (1 - e^-0.4) = 0.765 x 4/3 = 1.02; x 0.25 = 0.255; x 0.8 = 0.204; x 150 = 30.6;
    x 0.329679954 = 10.08820659 tCH4; x GWP 25 = 252.2051648.
    Biogas 100,000 m³ x 0.02 GJ/m³ = 2,000 GJ x 0.0616 (LPG, lower bound) = 123.2.
    RE = 375.4051648; PE = 50 MWh x 0.6592 = 32.96; ER = 342.4451648 -> 342."""
    given = {"W_i,p": v(1000, "t"), "BG_i,p": v(100_000, "m3"), "EC_PJ,i,p": v(50, "MWh"),
             "NCV_BG": v(0.02, "GJ/m3")}  # fmt: skip
    check("VN_AM004", given, 375.4051648, 32.96, 342)


def test_cr_am003():
    """RE = 900 GJ / 0.9 x 0.0616 (LPG, lower bound) = 1,000 x 0.0616 = 61.6;
    PE = 100 MWh x 0.06 = 6; ER = 55.6 -> 55."""
    given = {"HS_PJ,i,p": v(900, "GJ"), "EC_PJ,i,p": v(100, "MWh"), "η_RE": v(0.9, ""),
             "EF_elec": v(0.06, "tCO2/MWh")}  # fmt: skip
    check("CR_AM003", given, 61.6, 6, 55)


def test_tn_pm001():
    """First-year CH4 per unit MCF = 0.85 x 0.9 x 16/12 x 0.5 x 0.5 x 1,000 t x 0.15 x (1 - e^-0.4)
    = 0.765 x 4/3 = 1.02; x 0.25 = 0.255; x 150 = 38.25; x 0.329679954 = 12.61025824 tCH4.
    RE = 12.61025824 x MCF 1.0 x 25 = 315.256456; PE = 12.61025824 x 0.5 x 25 = 157.628228
    + 20 MWh x 0.5 = 10 + 100 GJ diesel x 0.0748 (upper bound) = 7.48, so PE = 175.108228;
    ER = 140.148228 -> 140."""
    given = {"W_i,p": v(1000, "t"), "EC_PJ,i,p": v(20, "MWh"), "FC_PJ,i,p": v(100, "GJ"),
             "DOC": v(0.15, ""), "EF_elec": v(0.5, "tCO2/MWh")}  # fmt: skip
    check("TN_PM001", given, 315.256456, 175.108228, 140)


def test_every_packaged_methodology_has_a_worked_example():
    tests = {name for name in globals() if name.startswith("test_")}
    for methodology in all_methodologies():
        prefix = "test_" + methodology.id.lower()
        assert any(name.startswith(prefix) for name in tests), methodology.id
    assert len(all_methodologies()) >= 20


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
