"""Portal pages over real HTTP: every page renders in both languages and matches its API twin."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

LANGUAGES = ("ja", "en")
KINDS = {
    # page and API path, key field of a record
    "/projects": "slug",
    "/partnerships": "slug",
    "/partner-places": "slug",
    "/japanese-governments": "slug",
    "/organizations": "slug",
    "/countries": "iso3",
}
STATIC_PAGES = ("/", "/map", "/stats", "/about")


@pytest.fixture(scope="module")
def client(live_server) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url, headers={"Accept": "text/html"}, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def keys(client: httpx.Client) -> dict[str, list[str]]:
    """Every record's key, per kind, as the API lists them."""
    found = {}
    for path, field in KINDS.items():
        body = client.get(f"/api/v1{path}", params={"per_page": 500}).json()
        assert body["total"] == len(body["items"]) > 0, path
        found[path] = [item[field] for item in body["items"]]
    return found


def html_lang(html: str) -> str | None:
    match = re.search(r"<html[^>]*\blang=\"([a-z]+)\"", html)
    return match.group(1) if match else None


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", [*STATIC_PAGES, *KINDS])
def test_page_renders(client: httpx.Client, path: str, language: str) -> None:
    response = client.get(path, params={"lang": language})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert html_lang(response.text) == language


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", list(KINDS))
def test_every_detail_page_renders(client: httpx.Client, keys: dict[str, list[str]], path: str, language: str) -> None:
    for key in keys[path]:
        response = client.get(f"{path}/{key}", params={"lang": language})
        assert response.status_code == 200, f"{path}/{key}"
        assert html_lang(response.text) == language


@pytest.mark.parametrize("path", list(KINDS))
def test_detail_json_twin_equals_api(client: httpx.Client, keys: dict[str, list[str]], path: str) -> None:
    for key in keys[path]:
        page = client.get(f"{path}/{key}", params={"format": "json"})
        api = client.get(f"/api/v1{path}/{key}")
        assert page.status_code == api.status_code == 200
        assert page.headers["content-type"].startswith("application/json")
        assert page.json() == api.json(), f"{path}/{key}"


@pytest.mark.parametrize("path", list(KINDS))
def test_list_json_twin_equals_api(client: httpx.Client, path: str) -> None:
    params = {"per_page": 10, "page": 2, "q": ""}
    page = client.get(path, params={**params, "format": "json"})
    api = client.get(f"/api/v1{path}", params={"per_page": 10, "page": 2})
    assert page.json() == api.json()


def test_filtered_list_json_twin_equals_api(client: httpx.Client) -> None:
    params = {"country": "VNM", "sort": "-number"}
    page = client.get("/projects", params={**params, "format": "json"})
    assert page.json() == client.get("/api/v1/projects", params=params).json()


def test_stats_json_twin_equals_api(client: httpx.Client) -> None:
    assert client.get("/stats", params={"format": "json"}).json() == client.get("/api/v1/stats").json()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", list(KINDS))
def test_unknown_key_is_a_404_page(client: httpx.Client, path: str, language: str) -> None:
    response = client.get(f"{path}/no-such-record-xyz", params={"lang": language})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="error-status"' in response.text
    assert html_lang(response.text) == language


def test_bad_filter_is_a_422_page(client: httpx.Client) -> None:
    response = client.get("/projects", params={"fiscal_year": "soon"})
    assert response.status_code == 422
    assert 'id="error-status">422<' in response.text


class AssetCollector(HTMLParser):
    """The URLs a page loads by itself: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("script", "img", "source", "iframe", "embed") and attributes.get("src"):
            self.urls.append(attributes["src"] or "")
        if tag == "img" and attributes.get("srcset"):
            self.urls.append(attributes["srcset"] or "")
        if tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"] or "")


def test_no_page_loads_anything_from_the_internet(client: httpx.Client, keys: dict[str, list[str]]) -> None:
    paths = [*STATIC_PAGES, *KINDS, *(f"{path}/{values[0]}" for path, values in keys.items())]
    for path in paths:
        for language in LANGUAGES:
            text = client.get(path, params={"lang": language}).text
            collector = AssetCollector()
            collector.feed(text)
            assert collector.urls, path
            external = [url for url in collector.urls if re.match(r"^(https?:)?//", url)]
            assert external == [], path
            assert "@import" not in text


def test_static_assets_are_served(client: httpx.Client) -> None:
    for asset in (
        "/static/css/c3p.css",
        "/static/js/map.js",
        "/static/leaflet/leaflet.js",
        "/static/leaflet/leaflet.css",
    ):
        assert client.get(asset).status_code == 200, asset
    css = client.get("/static/css/c3p.css").text
    assert "http://" not in css and "https://" not in css


def test_language_switch_keeps_the_other_parameters(client: httpx.Client) -> None:
    text = client.get("/projects", params={"lang": "ja", "country": "VNM", "page": 1}).text
    match = re.search(r'id="lang-switch-en" href="([^"]+)"', text)
    assert match is not None
    href = match.group(1).replace("&amp;", "&")
    assert href.startswith("/projects?")
    assert {"country=VNM", "page=1", "lang=en"} <= set(href.split("?", 1)[1].split("&"))


def test_chart_images_carry_the_page_language_and_alt_text(client: httpx.Client) -> None:
    for language in LANGUAGES:
        text = client.get("/stats", params={"lang": language}).text
        images = re.findall(r"<img ([^>]+)>", text)
        assert len(images) == 1  # the participation chart; the bar charts are HTML
        for image in images:
            assert f'.svg?lang={language}"' in image
            assert re.search(r'alt="[^"]{5,}"', image)
            src = re.search(r'src="([^"]+)"', image).group(1)  # type: ignore[union-attr]
            assert client.get(src).headers["content-type"].startswith("image/svg+xml")


BAR_CHARTS = {
    "projects-by-country": "projects_by_country",
    "projects-by-sector": "projects_by_sector",
    "projects-by-proposer": "projects_by_proposer",
}
BAR = re.compile(
    r'<span class="bar-label">([^<]*)</span>.*?<rect width="([\d.]+)".*?<span class="bar-value">(\d+)</span>', re.S
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_bar_charts_name_every_item_in_full(client: httpx.Client, language: str) -> None:
    """インドネシア stays インドネシア: the bar labels are page text, never cut to fit a drawing."""
    stats = client.get("/api/v1/stats").json()
    text = client.get("/stats", params={"lang": language}).text
    for key, field in BAR_CHARTS.items():
        figure = re.search(rf'<figure class="bar-chart" id="chart-{key}">(.*?)</figure>', text, re.S)
        assert figure is not None, key
        bars = BAR.findall(figure.group(1))
        largest = max(item["count"] for item in stats[field])
        assert [(name, count) for name, _width, count in bars] == [
            (item[f"name_{language}"], str(item["count"])) for item in stats[field]
        ], key
        widths = [float(width) for _name, width, _count in bars]
        assert widths == pytest.approx([100 * item["count"] / largest for item in stats[field]], abs=0.01)


@pytest.mark.parametrize("name", sorted(BAR_CHARTS))
def test_chart_drawings_never_truncate_a_label(client: httpx.Client, name: str) -> None:
    stats = client.get("/api/v1/stats").json()
    svg = client.get(f"/charts/{name}.svg", params={"lang": "ja"}).text
    assert "…" not in svg
    plot_left = float(re.search(r'translate\(([\d.]+), [\d.]+\)" class="plot"', svg).group(1))  # type: ignore[union-attr]
    for item in stats[BAR_CHARTS[name]]:
        label = re.search(rf'<text x="(-?[\d.]+)"[^>]*>{re.escape(item["name_ja"])}</text>', svg)
        assert label is not None, item["name_ja"]
        # right-aligned at x; a full-width character is 1 em (13 px) wide, others at most 0.6 em
        width_px = sum(13 if ord(ch) > 0x2E80 else 7.8 for ch in item["name_ja"])
        assert plot_left + float(label.group(1)) - width_px >= 0, f"{item['name_ja']} is cut at the left edge"


def test_participation_chart_spaces_dates_in_proportion_and_counts_from_zero(client: httpx.Client) -> None:
    stats = client.get("/api/v1/stats").json()
    dated = [r for r in stats["reach"] if r["countries"] is not None and r["as_of_precision"] != "undated"]
    dates = sorted(dt.date.fromisoformat(r["as_of"]) for r in dated)  # an undated figure is listed, not drawn
    assert len(dates) >= 3
    svg = client.get("/charts/participation.svg", params={"lang": "ja"}).text
    line = re.search(r'serie-0 color-0"><path d="M([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    xs = [float(x) for x in re.findall(r"([\d.]+) [\d.]+", line.replace("L", ""))]
    assert len(xs) == len(dates)
    span_days = (dates[-1] - dates[0]).days
    for x, day in zip(xs, dates, strict=True):
        assert (x - xs[0]) / (xs[-1] - xs[0]) == pytest.approx((day - dates[0]).days / span_days, abs=0.01)
    y_axis = svg.split('class="axis y', 1)[1]
    assert re.search(r"<text [^>]*>([\d,.]+)</text>", y_axis).group(1) == "0"  # type: ignore[union-attr]
    sizes = [int(size) for size in re.findall(r"font-size:(\d+)px", svg)]
    assert min(sizes) >= 12
