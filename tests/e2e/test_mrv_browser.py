"""The MRV pages in a real browser (Debian's Chromium): equations, the ex-ante calculator.

The expected result comes from the engine itself (``engine.estimate``) for the same inputs.
"""

from __future__ import annotations

import pytest

from c3p.mrv import catalog, engine
from c3p.mrv.params import CalculationParams

pytestmark = pytest.mark.browser


def test_pv_methodology_calculator(live_server, page) -> None:  # type: ignore[no-untyped-def]
    expected = engine.estimate(
        catalog.get_methodology("MN_AM003"),
        CalculationParams.from_mapping({"EG_i,p": {"value": 1500, "unit": "MWh"},
                                        "EF_RE,i": {"factor": "MNG-captive@1"}}),
    )  # fmt: skip
    page.goto(live_server.url + "/methodologies?lang=ja")
    page.click("a[href='/methodologies/MN_AM003']")
    page.wait_for_url("**/methodologies/MN_AM003")
    equations = page.locator("#equations .equation")
    assert equations.count() == 3
    assert equations.first.is_visible()
    assert "Σ" in equations.first.inner_text()
    assert page.locator("#verification").is_visible()

    page.fill("#calc-EG_i_p", "1.5")
    page.select_option("#calc-EG_i_p-unit", "GWh")
    page.select_option("#calc-EF_RE_i-factor", "MNG-captive@1")
    page.click("#calculate")
    page.wait_for_selector("#result")
    assert page.locator("#result-er").get_attribute("data-value") == str(expected.emission_reductions_tco2)
    assert page.locator("#result-factors").inner_text() == "MNG-captive@1"
    assert page.input_value("#calc-EG_i_p") == "1.5"


def test_calculator_error_keeps_the_input(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/methodologies/TH_AM001?lang=en")
    page.fill("#calc-EG_i_p", "lots")
    page.click("#calculate")
    page.wait_for_selector("#error-summary")
    assert page.locator("#error-EG_i_p").is_visible()
    assert page.input_value("#calc-EG_i_p") == "lots"
    assert page.get_attribute("#calc-EG_i_p", "aria-invalid") == "true"
