"""One truth per figure: every page that shows a figure shows the same value, with its caveats.

The registry's counts come from one function and are the same on the home page, the statistics
page and the API. Where the brochure states a figure the data cannot reproduce (67 places, 25
governments), each page that shows the figure shows the brochure's too, with the reason. The
JCM projects the program published as realized (「30件以上」, an undated brochure) are never shown
as exactly 30 nor with a date the source does not give, and the pipeline's own count is named
as what it is. A year filter the data cannot answer says so, on the page and in the API.
"""

from __future__ import annotations

import re

import httpx
import pytest

PAGES_WITH_JCM_FIGURE = ("/", "/stats", "/outcomes", "/jcm-projects")


def page(server, path: str, **params: str) -> str:  # type: ignore[no-untyped-def]
    response = httpx.get(server.url + path, params={"lang": "ja", **params}, timeout=30)
    assert response.status_code == 200, path
    return response.text


def kpi(html: str, key: str) -> int:
    found = re.search(rf'id="kpi-{key}".*?<span data-value="(\d+)"[^>]*class="kpi-value"', html, re.S)
    assert found, key
    return int(found.group(1))


def figure(html: str, key: str) -> int:
    found = re.search(rf'id="figure-{key}".*?<td[^>]*class="num">(\d+)</td>', html, re.S)
    assert found, key
    return int(found.group(1))


def test_home_stats_and_api_agree(api: httpx.Client, api_server) -> None:  # type: ignore[no-untyped-def]
    stats = api.get("/stats").json()
    home, stats_page = page(api_server, "/"), page(api_server, "/stats")
    for key in ("countries", "partner_places", "japanese_governments", "jcm_partner_countries", "projects"):
        html_key = key.replace("_", "-")
        assert kpi(home, html_key) == stats[key] == figure(stats_page, html_key), key


@pytest.mark.parametrize(("key", "stated"), [("partner-places", 67), ("japanese-governments", 25)])
def test_a_brochure_figure_the_data_cannot_reproduce_is_shown_with_its_reason(
    api_server, key: str, stated: int
) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/stats"):
        html = page(api_server, path)
        shown = re.search(rf'id="(?:kpi|figure)-{key}".*?</(?:li|tr)>', html, re.S)
        assert shown, (path, key)
        assert str(stated) in shown.group(0), (path, key)
        assert "数値が異なる理由" in shown.group(0) or "パンフレット" in shown.group(0), (path, key)


@pytest.mark.parametrize("path", PAGES_WITH_JCM_FIGURE)
def test_the_published_jcm_figure_is_a_lower_bound_without_an_invented_date(api_server, path: str) -> None:  # type: ignore[no-untyped-def]
    html = page(api_server, path)
    value = re.search(r'id="jcm-published-value">([^<]+)<', html)
    assert value, path
    assert value.group(1) == "30以上"
    around = html[value.end() : value.end() + 400]
    assert "2025年11月12日" not in around and "2025-11-12" not in around
    assert "日付の記載なし" in around


@pytest.mark.parametrize("path", ("/outcomes", "/jcm-projects"))
def test_the_pipeline_count_says_it_counts_this_portal(api_server, path: str) -> None:  # type: ignore[no-untyped-def]
    html = page(api_server, path)
    recorded = re.search(r'id="kpi-jcm-realized">(.*?)</p>', html, re.S)
    assert recorded and "このサイトに登録された" in recorded.group(1)
    assert "公表値" in html


def test_a_year_before_fy2025_says_the_list_is_partial(api: httpx.Client, api_server) -> None:  # type: ignore[no-untyped-def]
    earlier = api.get("/partnerships", params={"fiscal_year": 2024}).json()
    assert earlier["partial"] and "FY2025" in earlier["partial"]
    assert api.get("/partnerships", params={"fiscal_year": 2025}).json()["partial"] is None
    assert api.get("/partnerships").json()["partial"] is None
    assert 'id="partial-list"' in page(api_server, "/partnerships", fiscal_year="2024")
    assert 'id="partial-list"' not in page(api_server, "/partnerships", fiscal_year="2025")
