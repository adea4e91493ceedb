"""The registry API over real HTTP, on SQLite and PostgreSQL: the contract outside checks use."""

from __future__ import annotations

import re

import httpx
import pytest

from c3p.program.seed import read_seed

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def dataset():  # type: ignore[no-untyped-def]
    return read_seed()


def test_stats_are_integers_computed_from_the_data(api: httpx.Client, dataset) -> None:  # type: ignore[no-untyped-def]
    stats = api.get("/stats").json()
    members = [item.record for item in dataset.partnership_members]
    places = {m.member_slug for m in members if m.role == "partner_place"}
    country_of = {item.record.slug: item.record.country_iso3 for item in dataset.partner_places}
    assert stats["partner_places"] == len(places)
    assert stats["countries"] == len({country_of[slug] for slug in places})
    assert stats["japanese_governments"] == len({m.member_slug for m in members if m.role == "japanese_government"})
    assert stats["jcm_partner_countries"] == sum(
        item.record.jcm_partner_order is not None for item in dataset.countries
    )
    assert stats["countries"] == 14 and stats["jcm_partner_countries"] == 31  # as the brochure states
    for field in ("countries", "partner_places", "japanese_governments", "jcm_partner_countries"):
        assert isinstance(stats[field], int)
    noted = {note["figure"]: note for note in stats["notes"]}
    for field in ("partner_places", "japanese_governments"):
        if noted.get(field) and noted[field]["stated"] != stats[field]:
            assert noted[field]["note_en"] and noted[field]["note_ja"]


def test_fy2025_projects_carry_the_contract_fields(api: httpx.Client) -> None:
    body = api.get("/projects", params={"fiscal_year": 2025, "per_page": 100}).json()
    assert body["total"] == 25 and len(body["items"]) == 25
    for item in body["items"]:
        assert isinstance(item["number"], int) and item["title_ja"] and item["title_en"]
        for field in ("japanese_governments", "partner_places", "proposers"):
            assert item[field], field
            assert all(ref["name_ja"] and ref["name_en"] for ref in item[field])
        assert all(len(place["country_iso3"]) == 3 for place in item["partner_places"])
        assert isinstance(item["sectors"], list) and item["sectors"]
    assert sorted(item["number"] for item in body["items"]) == list(range(1, 26))


def test_a_client_holding_the_list_is_answered_304_without_the_body(api: httpx.Client, api_server) -> None:  # type: ignore[no-untyped-def]
    first, again = api.get("/projects"), api.get("/projects")  # the second is answered from the cache
    etag = first.headers["etag"]
    assert again.headers["etag"] == etag and again.content == first.content
    assert api.get("/projects", params={"per_page": 5}).headers["etag"] != etag  # one tag per body
    for through_the_route in (False, True):
        if through_the_route:  # as after a write: the revision is read again, the request routed
            api_server.server.config.app.state.revision_watch.expire()
        held = api.get("/projects", headers={"if-none-match": f'"stale", W/{etag}'})
        assert held.status_code == 304 and held.content == b"" and held.headers["etag"] == etag
        assert held.headers["x-content-type-options"] == "nosniff"  # the security headers are still there
    stale = api.get("/projects", headers={"if-none-match": '"stale"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_projects_filter_by_country_and_paginate(api: httpx.Client) -> None:
    vietnam = api.get("/projects", params={"country": "VNM", "per_page": 100}).json()
    assert vietnam["total"] > 0
    assert all(any(c["iso3"] == "VNM" for c in p["countries"]) for p in vietnam["items"])
    first = api.get("/projects", params={"per_page": 10, "page": 1, "sort": "number"}).json()
    second = api.get("/projects", params={"per_page": 10, "page": 2, "sort": "number"}).json()
    assert first["pages"] == 3 and [p["number"] for p in first["items"]] == list(range(1, 11))
    assert [p["number"] for p in second["items"]] == list(range(11, 21))


def test_partnerships_filter_by_government_country_and_year(api: httpx.Client) -> None:
    everything = api.get("/partnerships", params={"per_page": 500}).json()
    kitakyushu = api.get("/partnerships", params={"japanese_government": "kitakyushu", "per_page": 500}).json()
    assert 0 < kitakyushu["total"] < everything["total"]
    assert all(any(g["slug"] == "kitakyushu" for g in p["japanese_governments"]) for p in kitakyushu["items"])
    thai = api.get("/partnerships", params={"country": "THA", "fiscal_year": 2025}).json()
    assert thai["total"] > 0
    assert all(p["country_iso3"] == "THA" and 2025 in p["fiscal_years"] for p in thai["items"])


def test_details_cross_link(api: httpx.Client) -> None:
    project = api.get("/projects", params={"fiscal_year": 2025, "sort": "number", "per_page": 1}).json()["items"][0]
    detail = api.get(f"/projects/{project['slug']}").json()
    government = api.get(f"/japanese-governments/{detail['japanese_governments'][0]['slug']}").json()
    assert project["slug"] in {p["slug"] for p in government["projects"]}
    place = api.get(f"/partner-places/{detail['partner_places'][0]['slug']}").json()
    assert government["slug"] in {g["slug"] for g in place["japanese_governments"]}
    country = api.get(f"/countries/{place['country_iso3'].lower()}").json()
    assert country["iso3"] == place["country_iso3"]


@pytest.mark.parametrize(
    ("path", "params", "status", "parameter"),
    [
        ("/projects/no-such-project", {}, 404, None),
        ("/countries/XYZ", {}, 404, None),
        ("/projects", {"fiscal_year": "twenty"}, 422, "fiscal_year"),
        ("/projects", {"per_page": 0}, 422, "per_page"),
        ("/projects", {"colour": "green"}, 422, "colour"),
        ("/projects", {"country": "VIETNAM"}, 422, "country"),
        ("/partnerships", {"japanese_government": "atlantis"}, 422, "japanese_government"),
        ("/projects", {"sort": "budget"}, 422, "sort"),
        ("/nothing-here", {}, 404, None),
    ],
)
def test_bad_requests_are_problem_json(
    api: httpx.Client, path: str, params: dict, status: int, parameter: str | None
) -> None:  # type: ignore[type-arg]
    response = api.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if parameter:
        assert parameter in problem["detail"]


def test_openapi_documents_every_list(api_server) -> None:  # type: ignore[no-untyped-def]
    # the first document builds every route: give a busy machine time
    spec = httpx.get(api_server.url + "/api/v1/openapi.json", timeout=60).json()
    for path in ("/api/v1/projects", "/api/v1/partnerships", "/api/v1/stats", "/api/v1/countries/{key}"):
        assert path in spec["paths"]
    parameters = {p["name"] for p in spec["paths"]["/api/v1/partnerships"]["get"]["parameters"]}
    assert {"japanese_government", "country", "fiscal_year"} <= parameters
    docs = httpx.get(api_server.url + "/docs")
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
    assert docs.status_code == 200 and assets
    for asset in assets:  # offline: Swagger UI comes from an installed package, not a CDN
        assert asset.startswith("/static/"), asset
        assert httpx.get(api_server.url + asset).status_code == 200


def test_map_layers_are_geojson(api: httpx.Client) -> None:
    links = api.get("/map/partnerships.geojson", params={"fiscal_year": 2025}).json()
    kinds = {f["properties"]["kind"] for f in links["features"]}
    assert kinds == {"partnership", "partner_place", "japanese_government"}
    outlines = api.get("/map/countries.geojson").json()
    assert len(outlines["features"]) > 200
    assert {"JPN", "VNM", "IDN"} <= {f["properties"]["iso3"] for f in outlines["features"]}
