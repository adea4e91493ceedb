"""The portal in a real browser (Debian's Chromium): figures, map, language, filters, errors.

Expected values come from the live server's API over HTTP, never from the test itself.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.browser

KPIS = {
    "kpi-countries": "countries",
    "kpi-partner-places": "partner_places",
    "kpi-japanese-governments": "japanese_governments",
    "kpi-jcm-partner-countries": "jcm_partner_countries",
    "kpi-projects": "projects",
}


def api(live_server, path: str, **params):  # type: ignore[no-untyped-def]
    response = httpx.get(live_server.url + path, params=params, timeout=30)
    response.raise_for_status()
    return response.json()


def test_home_shows_the_program_figures(live_server, page) -> None:  # type: ignore[no-untyped-def]
    stats = api(live_server, "/api/v1/stats")
    response = page.goto(live_server.url + "/")
    assert response.status == 200
    for element_id, field in KPIS.items():
        assert page.locator(f"#{element_id} .kpi-value").inner_text().strip() == str(stats[field])
    assert page.locator("a[href='/stats']").first.is_visible()


def test_map_shows_a_marker_for_every_point(live_server, page) -> None:  # type: ignore[no-untyped-def]
    geojson = api(live_server, "/api/v1/map/partnerships.geojson")
    points = [f for f in geojson["features"] if f["geometry"]["type"] == "Point"]
    assert points
    page.goto(live_server.url + "/map")
    page.wait_for_selector("#map[data-loaded='true']", timeout=20_000)
    assert shown_points(page) == len(points)
    assert page.locator("#map path.c3p-link").count() == len(geojson["features"]) - len(points)


def shown_points(page) -> int:  # type: ignore[no-untyped-def]
    """Markers drawn one by one plus those counted in the clusters of Japan's governments."""
    clustered = sum(int(n) for n in page.locator("#map .marker-cluster span").all_inner_texts())
    return page.locator("#map path.c3p-marker").count() + clustered


def test_map_filter_reloads_the_data(live_server, page) -> None:  # type: ignore[no-untyped-def]
    geojson = api(live_server, "/api/v1/map/partnerships.geojson", country="VNM")
    points = [f for f in geojson["features"] if f["geometry"]["type"] == "Point"]
    page.goto(live_server.url + "/map")
    page.wait_for_selector("#map[data-loaded='true']", timeout=20_000)
    page.select_option("#filter-country", "VNM")
    page.wait_for_function(
        "n => document.querySelector('#map').dataset.points === String(n) && "
        "document.querySelector('#map').dataset.loaded === 'true'",
        arg=len(points),
        timeout=20_000,
    )
    assert shown_points(page) == len(points)
    assert "country=VNM" in page.url


def test_language_switch_changes_the_ui_and_persists(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("#nav-projects").inner_text() == "採択案件"

    page.click("#lang-switch-en")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#nav-projects").inner_text() == "Projects"

    page.hover("#nav-section-network")  # the section opens its menu
    page.click("#nav-partnerships")  # a plain link, no ?lang: the cookie keeps English
    page.wait_for_load_state()
    assert page.url.endswith("/partnerships")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#nav-partnerships").inner_text() == "Partnerships"

    page.click("#lang-switch-ja")
    page.wait_for_load_state()
    page.click("#nav-home")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("#nav-partnerships").inner_text() == "都市間連携"


def test_filtering_projects_by_country(live_server, page) -> None:  # type: ignore[no-untyped-def]
    expected = api(live_server, "/api/v1/projects", country="VNM", per_page=1)["total"]
    viet_nam = api(live_server, "/api/v1/countries/VNM")
    assert expected > 0
    page.goto(live_server.url + "/projects")
    page.select_option("#filter-country", "VNM")
    page.select_option("#filter-per-page", "100")
    with page.expect_navigation():
        page.click("#filter-submit")
    assert "country=VNM" in page.url
    countries = page.locator("#results tbody td.col-country").all_inner_texts()
    assert len(countries) == expected
    assert all(text.strip() == viet_nam["name_ja"] for text in countries)
    assert str(expected) in page.locator("#result-count").inner_text()


def test_project_page_shows_its_proposer(live_server, page) -> None:  # type: ignore[no-untyped-def]
    projects = api(live_server, "/api/v1/projects", per_page=500)["items"]
    project = next(p for p in projects if p["proposers"])
    page.goto(live_server.url + f"/projects/{project['slug']}?lang=en")
    assert page.locator("h1").inner_text().strip() == project["title_en"]
    proposers = page.locator("#proposers")
    for proposer in project["proposers"]:
        link = proposers.locator(f"a[href='/organizations/{proposer['slug']}']")
        assert link.inner_text().strip() == proposer["name_en"]


def test_bad_filter_shows_the_friendly_error_page(live_server, page) -> None:  # type: ignore[no-untyped-def]
    response = page.goto(live_server.url + "/projects?country=12")
    assert response.status == 422
    assert page.locator("#error-status").inner_text().strip() == "422"
    assert page.locator("h1").is_visible()
    assert page.locator("nav.site-nav").is_visible()  # still the portal, with its navigation


def test_print_style_hides_navigation_and_filters(live_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server.url + "/projects")
    page.emulate_media(media="print")
    assert not page.locator("nav.site-nav").is_visible()
    assert not page.locator("form.filters").is_visible()
    assert page.locator("#results").is_visible()


def test_api_docs_render_every_operation(live_server, page) -> None:  # type: ignore[no-untyped-def]
    """Swagger UI reads the OpenAPI 3.1 document (version 4 showed "Unable to render this definition")."""
    spec = api(live_server, "/api/v1/openapi.json")
    operations = sum(len(methods) for methods in spec["paths"].values())
    page.goto(live_server.url + "/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert "Unable to render" not in page.content()
    assert page.locator(".opblock").count() == operations
