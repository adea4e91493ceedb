"""MRV portal pages over real HTTP: list and methodology pages, JSON twins, the calculator."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from c3p.mrv import catalog, engine
from c3p.mrv.params import CalculationParams

LANGUAGES = ("ja", "en")
METHODOLOGY_IDS = sorted({m.id for m in catalog.all_methodologies()})


@pytest.fixture(scope="module")
def client(live_server) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url, headers={"Accept": "text/html"}, timeout=30) as http:
        yield http


def html_lang(html: str) -> str | None:
    match = re.search(r"<html[^>]*\blang=\"([a-z]+)\"", html)
    return match.group(1) if match else None


@pytest.mark.parametrize("language", LANGUAGES)
def test_list_renders_every_methodology(client: httpx.Client, language: str) -> None:
    response = client.get("/methodologies", params={"lang": language})
    assert response.status_code == 200
    assert html_lang(response.text) == language
    for methodology_id in METHODOLOGY_IDS:
        assert f'href="/methodologies/{methodology_id}"' in response.text
    assert 'id="nav-methodologies" href="/methodologies" aria-current="page"' in response.text


def test_list_names_are_translated(client: httpx.Client) -> None:
    ja = client.get("/methodologies", params={"lang": "ja"}).text
    assert "JCM方法論" in ja and "再構成" in ja and ">方法論</a>" in ja


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("methodology_id", METHODOLOGY_IDS)
def test_every_methodology_page_renders(client: httpx.Client, methodology_id: str, language: str) -> None:
    response = client.get(f"/methodologies/{methodology_id}", params={"lang": language})
    assert response.status_code == 200
    assert html_lang(response.text) == language
    methodology = catalog.get_methodology(methodology_id)
    assert 'id="verification"' in response.text
    assert response.text.count('class="equation"') == len(methodology.spec.equations)
    assert 'id="calculator-form"' in response.text
    assert "<script" not in response.text  # equations need no script and no CDN


def test_list_json_twin_equals_api(client: httpx.Client) -> None:
    page = client.get("/methodologies", params={"format": "json"})
    api = client.get("/api/v1/mrv/methodologies")
    assert page.status_code == api.status_code == 200
    assert page.headers["content-type"].startswith("application/json")
    assert page.json() == api.json()
    assert len(page.json()) == len(catalog.all_methodologies())


@pytest.mark.parametrize(("params", "expected"), [
    ({"country": "IDN"}, {"ID_AM004", "ID_AM009", "ID_AM017", "ID_AM020"}),
    ({"country": "mng", "q": "solar"}, {"MN_AM003"}),
    ({"sector": "Waste handling and disposal"}, {"VN_AM004", "TN_PM001"}),
])  # fmt: skip
def test_list_filters_match_the_api(client: httpx.Client, params: dict[str, str], expected: set[str]) -> None:
    page = client.get("/methodologies", params={**params, "format": "json"}).json()
    api = client.get("/api/v1/mrv/methodologies", params=params).json()
    assert page == api
    assert {item["id"] for item in page} == expected
    html = client.get("/methodologies", params=params).text
    assert set(re.findall(r'href="/methodologies/([A-Z]{2}_[AP]M\d{3})"', html)) == expected


def test_list_refuses_an_unknown_filter(client: httpx.Client) -> None:
    response = client.get("/methodologies", params={"colour": "green"})
    assert response.status_code == 422
    assert "colour" in response.text


@pytest.mark.parametrize("methodology_id", METHODOLOGY_IDS)
def test_methodology_json_twin_equals_api(client: httpx.Client, methodology_id: str) -> None:
    page = client.get(f"/methodologies/{methodology_id}", params={"format": "json"})
    api = client.get(f"/api/v1/mrv/methodologies/{methodology_id}")
    assert page.status_code == api.status_code == 200
    assert page.json() == api.json()


def test_unknown_methodology_is_a_404_page(client: httpx.Client) -> None:
    response = client.get("/methodologies/XX_AM999")
    assert response.status_code == 404
    assert 'id="error"' in response.text


def test_equations_are_html_with_subscripts_and_fractions(client: httpx.Client) -> None:
    html = client.get("/methodologies/TH_AM005", params={"lang": "en"}).text
    assert "<var>RE</var><sub>p</sub>" in html
    assert '<span class="sum">Σ<sub>i</sub></span>' in html
    assert '<span class="frac-den"><var>COP</var><sub>RE,i</sub></span>' in html


def test_methodology_page_shows_factor_versions_and_sources(client: httpx.Client) -> None:
    html = client.get("/methodologies/MN_AM003", params={"lang": "en"}).text
    assert "MNG-grid@1" in html and "MNG-captive@1" in html
    assert 'href="https://docslib.org/doc/5116172/"' in html
    assert 'href="https://www.jcm-mongolia.com/?page_id=12462&amp;lang=en"' in html


def test_methodology_page_shows_verification_bounds_and_choices(client: httpx.Client) -> None:
    html = client.get("/methodologies/MN_AM003", params={"lang": "en"}).text
    assert html.count("Reconstructed: not yet checked against the published text.") == 3
    assert "[0, 2]" in html and "[0.2, 1]" in html  # EF_RE,i: possible and typical values
    assert "MNG-captive (0.533 tCO2/MWh, the most efficient diesel generator) is the conservative" in html
    assert '<option value="">Choose…</option>' in html  # no factor is preselected
    ja = client.get("/methodologies/TN_PM001", params={"lang": "ja"}).text
    assert "再構成した式です" in ja and "取り得る値" in ja


def test_calculator_equals_the_engine(client: httpx.Client) -> None:
    form = {"EG_i_p": "1,250.5", "EG_i_p__unit": "MWh", "EF_RE_i__factor": "MNG-captive@1"}
    expected = engine.estimate(
        catalog.get_methodology("MN_AM003"),
        CalculationParams.from_mapping({"EG_i,p": {"value": 1250.5, "unit": "MWh"},
                                        "EF_RE,i": {"factor": "MNG-captive@1"}}),
    )  # fmt: skip
    html = client.get("/methodologies/MN_AM003/estimate", params={**form, "lang": "ja"})
    assert html.status_code == 200
    shown = re.search(r'id="result-er" data-value="(\d+)"', html.text)
    assert shown is not None and int(shown.group(1)) == expected.emission_reductions_tco2 == 666
    assert 'id="result-factors">MNG-captive@1<' in html.text
    assert 'value="1,250.5"' in html.text  # what the user typed stays in the form
    twin = client.get("/methodologies/MN_AM003/estimate", params={**form, "format": "json"}).json()
    assert twin["emission_reductions_tco2"] == expected.emission_reductions_tco2
    assert twin["reference_emissions_tco2"] == pytest.approx(expected.reference_emissions_tco2)
    assert twin["provenance"]["factors"] == ["MNG-captive@1"]


def test_calculator_converts_units(client: httpx.Client) -> None:
    form = {"EC_PJ_i_p": "800000", "EC_PJ_i_p__unit": "kWh", "COP_PJ_i": "6.2", "COP_RE_i": "4.9",
            "EF_elec": "0.5", "EF_elec__unit": "kgCO2/kWh"}  # fmt: skip
    methodology = catalog.get_methodology("TH_AM005")
    symbols = {p.key: p.symbol for p in methodology.spec.parameters}
    params = {symbols[k]: {"value": float(v), "unit": form.get(k + "__unit", methodology.parameters[k].unit)}
              for k, v in form.items() if not k.endswith("__unit")}  # fmt: skip
    expected = engine.estimate(methodology, CalculationParams.from_mapping(params))
    twin = client.get("/methodologies/TH_AM005/estimate", params={**form, "format": "json"})
    assert twin.status_code == 200, twin.text
    assert twin.json()["emission_reductions_tco2"] == expected.emission_reductions_tco2


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"EG_i_p": "twelve hundred"}, "EG_i_p", "Enter a number"),
    ({"EG_i_p": ""}, "EG_i_p", "Enter the expected value"),
    ({"EG_i_p": "-5"}, "EG_i_p", "at least 0"),
    ({"EG_i_p": "1200", "EG_i_p__unit": "m3"}, "EG_i_p", "listed units"),
    ({"EG_i_p": "1200", "EF_RE_i__factor": "IDN-grid@9"}, "EF_RE_i", "listed emission factors"),
    ({"EG_i_p": "1200"}, "EF_RE_i", "Choose an emission factor or enter your own value"),
    ({"EG_i_p": "1200", "EF_RE_i": "566"}, "EF_RE_i", "must lie in [0, 2]"),
])  # fmt: skip
def test_bad_input_is_a_422_page_naming_the_field(
    client: httpx.Client, form: dict[str, str], field: str, message: str
) -> None:
    response = client.get("/methodologies/MN_AM003/estimate", params={**form, "lang": "en"})
    assert response.status_code == 422
    assert f'id="error-{field}"' in response.text
    assert f'href="#calc-{field}"' in response.text
    error = re.search(rf'<p class="field-error" id="error-{field}">(.*?)</p>', response.text, re.S)
    assert error is not None and message in error.group(1)
    assert 'id="result"' not in response.text
    for name, value in form.items():
        if not name.endswith("__unit") and not name.endswith("__factor"):
            assert f'name="{name}" value="{value}"' in response.text  # nothing typed is lost


def test_bad_input_in_japanese(client: httpx.Client) -> None:
    response = client.get("/methodologies/MN_AM003/estimate", params={"EG_i_p": "abc", "lang": "ja"})
    assert response.status_code == 422
    assert "数値を入力してください" in response.text


def test_bad_input_json_is_a_problem(client: httpx.Client) -> None:
    response = client.get(
        "/methodologies/MN_AM003/estimate",
        params={"EG_i_p": "abc", "EF_RE_i__factor": "MNG-grid@1", "format": "json"},
        headers={"Accept": "*/*"},
    )
    assert response.status_code == 422
    assert response.json()["parameters"] == ["EG_i,p"]
