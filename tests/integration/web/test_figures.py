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
    assert len(earlier["partial"]) == 1 and "FY2025" in earlier["partial"][0]
    assert api.get("/partnerships", params={"fiscal_year": 2025}).json()["partial"] == []
    assert api.get("/partnerships").json()["partial"] == []
    assert 'id="partial-list"' in page(api_server, "/partnerships", fiscal_year="2024")
    assert 'id="partial-list"' not in page(api_server, "/partnerships", fiscal_year="2025")


def a_sector(api: httpx.Client) -> str:
    return str(api.get("/stats").json()["projects_by_sector"][0]["key"])


def test_a_sector_filter_says_partnerships_without_a_project_are_not_found(api: httpx.Client, api_server) -> None:  # type: ignore[no-untyped-def]
    sector = a_sector(api)
    found = api.get("/partnerships", params={"sector": sector, "per_page": 500}).json()
    every = api.get("/partnerships", params={"per_page": 500}).json()
    without_project = [p for p in every["items"] if not p["projects"]]
    assert without_project, "the data hold partnerships no recorded project describes"
    assert len(found["partial"]) == 1 and "sector" in found["partial"][0]
    assert "分野は、このサイトに登録された採択案件" in page(api_server, "/partnerships", sector=sector)


def map_caveats(html: str) -> tuple[bool, list[str]]:
    """Whether the map's caveat box is shown, and the reasons shown in it (Japanese)."""
    box = re.search(
        r'<div class="notice partial-list map-partial" id="map-partial"[^>]*?( hidden)?>(.*?)</div>', html, re.S
    )
    assert box, "the map page holds its caveats"
    shown = re.findall(r"<p data-caveat=\"[^\"]*\">([^<]+)</p>", box.group(2))
    return box.group(1) is None, shown


def test_the_map_says_which_filters_it_cannot_answer(api: httpx.Client, api_server) -> None:  # type: ignore[no-untyped-def]
    assert map_caveats(page(api_server, "/map")) == (False, [])
    assert map_caveats(page(api_server, "/map", fiscal_year="2025")) == (False, [])
    visible, reasons = map_caveats(page(api_server, "/map", fiscal_year="2024"))
    assert visible and len(reasons) == 1 and "2025年度より前" in reasons[0]
    visible, reasons = map_caveats(page(api_server, "/map", fiscal_year="2019", sector=a_sector(api)))
    assert visible and len(reasons) == 2
    # the layer the map draws says so too, for the script (and any reader of the API)
    layer = api.get("/map/partnerships.geojson", params={"fiscal_year": 2024}).json()
    assert len(layer["partial"]) == 1 and "FY2025" in layer["partial"][0]
    assert api.get("/map/partnerships.geojson").json()["partial"] == []


@pytest.mark.parametrize(
    ("path", "key", "stated"),
    [("/partner-places", "partner-places", 67), ("/japanese-governments", "japanese-governments", 25)],
)
def test_a_list_shows_the_brochure_figure_it_cannot_reproduce(
    api: httpx.Client, api_server, path: str, key: str, stated: int
) -> None:  # type: ignore[no-untyped-def]
    html = page(api_server, path)
    shown = re.search(rf'id="listed-figure-{key}">(.*?)</details></div></div>', html, re.S)
    assert shown, path
    computed = api.get("/stats").json()[key.replace("-", "_")]
    assert f"<strong>{computed}</strong>" in shown.group(1)
    assert f"パンフレットの記載は{stated}です" in shown.group(1)
    assert "数値が異なる理由" in shown.group(1)


def test_a_list_whose_figure_matches_the_brochure_shows_no_second_figure(api_server) -> None:  # type: ignore[no-untyped-def]
    assert 'id="listed-figure-' not in page(api_server, "/countries")


def test_the_participation_chart_draws_no_lower_bound_nor_undated_figure_as_a_point(
    api: httpx.Client, api_server
) -> None:  # type: ignore[no-untyped-def]
    reach = api.get("/stats").json()["reach"]
    svg = httpx.get(api_server.url + "/charts/participation.svg", params={"lang": "en"}, timeout=30).text
    drawn = set(re.findall(r'<desc class="value">([^<]*)</desc>', svg))
    drawn_dates = {point.split(": ")[0] for point in drawn}
    jcm = [r for r in reach if r["jcm_projects_realized"] is not None]
    exact = [r for r in jcm if not r["jcm_projects_at_least"] and r["as_of_precision"] != "undated"]
    assert exact and len(exact) < len(jcm), "the data hold exact and lower-bound JCM counts"
    for r in exact:  # drawn, at the date as precisely as its source gives it
        assert (
            f"{r['as_of'][: {'day': 10, 'month': 7, 'year': 4}[r['as_of_precision']]]}: {r['jcm_projects_realized']}"
            in drawn
        )
    for r in reach:
        if r["as_of_precision"] == "undated" or (r["jcm_projects_at_least"] and r["countries"] is None):
            assert not any(d.startswith(r["as_of"][:7]) for d in drawn_dates), r["as_of"]
    html = page(api_server, "/")
    undrawn = re.search(r'id="undrawn-figures">(.*?)</div>', html, re.S)
    assert undrawn and "30以上 (日付の記載なし（2025年度パンフレット）)" in undrawn.group(1)
    assert "2025年11月12日" not in undrawn.group(1) and "2025-11-12" not in undrawn.group(1)


def test_a_project_year_before_the_brochure_says_its_projects_are_not_recorded(api: httpx.Client, api_server) -> None:  # type: ignore[no-untyped-def]
    earlier = api.get("/projects", params={"fiscal_year": 2024}).json()
    assert earlier["total"] == 0 and len(earlier["partial"]) == 1 and "FY2025" in earlier["partial"][0]
    assert api.get("/projects", params={"fiscal_year": 2025}).json()["partial"] == []
    assert "それより前の年度の案件はデータにない" in page(api_server, "/projects", fiscal_year="2024")
