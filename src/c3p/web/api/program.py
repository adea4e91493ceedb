"""Read API of the program registry: list, filter and detail for every entity, and statistics.

Lists take a query object whose fields are the documented query parameters (unknown ones are
refused with 422); bodies are cached per registry revision, so repeated reads cost one tiny
revision query.
"""

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from c3p.program import queries as q
from c3p.program import schemas as v
from c3p.program.basemap import basemap_geojson
from c3p.program.geo import partnerships_geojson
from c3p.program.snapshot import RegistrySnapshot
from c3p.web.cache import JsonCache, json_cache
from c3p.web.deps import snapshot
from c3p.web.routes import Router

router = Router(tags=["registry"])
Cache = Annotated[JsonCache, Depends(json_cache)]
Snapshot = Annotated[RegistrySnapshot, Depends(snapshot)]


class GeoJsonResponse(JSONResponse):
    """Declares GeoJSON bodies; a JSON response class, so the OpenAPI document shows their schema."""

    media_type = "application/geo+json"


def _list_route(path: str, query_class: type[q.ListQuery], lister: Any, item: type[Any], summary: str) -> None:
    async def endpoint(
        request: Request,
        snap: Snapshot,
        cache: Cache,
        query: Annotated[query_class, Query()],  # type: ignore[valid-type]
    ) -> Response:
        return cache.respond(request, snap, lambda: lister(snap, query))

    endpoint.__name__ = f"list_{path.strip('/').replace('-', '_')}"
    router.add_api_route(path, endpoint, methods=["GET"], response_model=q.Page[item], summary=summary)  # type: ignore[valid-type]


def _detail_route(path: str, kind: q.Kind, item: type[Any], summary: str) -> None:
    async def endpoint(request: Request, snap: Snapshot, cache: Cache, key: str) -> Response:
        return cache.respond(request, snap, lambda: q.get_record(snap, kind, key))

    endpoint.__name__ = f"get_{kind}"
    router.add_api_route(path + "/{key}", endpoint, methods=["GET"], response_model=item, summary=summary)


#: path, query, list function, list item, detail item, record kind, name in the docs
REGISTRY_LISTS: tuple[tuple[str, type[q.ListQuery], Any, type[Any], type[Any], q.Kind, str], ...] = (
    ("/projects", q.ProjectQuery, q.list_projects, v.ProjectListItem, v.ProjectView, "project", "adopted projects"),
    (
        "/partnerships",
        q.PartnershipQuery,
        q.list_partnerships,
        v.PartnershipView,
        v.PartnershipView,
        "partnership",
        "partnerships",
    ),
    ("/partner-places", q.PlaceQuery, q.list_places, v.PlaceView, v.PlaceView, "partner_place", "partner places"),
    (
        "/japanese-governments",
        q.GovernmentQuery,
        q.list_governments,
        v.GovernmentView,
        v.GovernmentView,
        "japanese_government",
        "Japanese local governments",
    ),
    (
        "/organizations",
        q.OrganizationQuery,
        q.list_organizations,
        v.OrganizationView,
        v.OrganizationView,
        "organization",
        "organizations",
    ),
    ("/countries", q.CountryQuery, q.list_countries, v.CountryView, v.CountryView, "country", "countries"),
)
for _path, _query, _lister, _list_item, _detail_item, _kind, _name in REGISTRY_LISTS:
    _list_route(_path, _query, _lister, _list_item, f"List {_name}")
    _detail_route(
        _path,
        _kind,
        _detail_item,
        f"One of the {_name} by slug" + (" (ISO3 for countries)" if _kind == "country" else ""),
    )


@router.get("/stats", response_model=v.StatsView, summary="Program figures computed from the data")
async def get_stats(request: Request, snap: Snapshot, cache: Cache) -> Response:
    return cache.respond(request, snap, lambda: q.stats(snap))


@router.get("/vocabulary", response_model=list[v.TermView], summary="Sectors, technologies and activities")
def list_vocabulary(snap: Snapshot) -> list[v.TermView]:
    return list(snap.terms.values())


@router.get("/events", response_model=list[v.EventView], summary="Program events")
def list_events(snap: Snapshot) -> list[v.EventView]:
    return snap.events


@router.get("/related-programs", response_model=list[v.RelatedProgramView], summary="Related programs")
def list_related_programs(snap: Snapshot) -> list[v.RelatedProgramView]:
    return snap.related_programs


@router.get("/websites", response_model=list[v.WebsiteView], summary="Related websites")
def list_websites(snap: Snapshot) -> list[v.WebsiteView]:
    return snap.websites


@router.get(
    "/map/partnerships.geojson",
    response_model=v.FeatureCollection,
    response_class=GeoJsonResponse,
    summary="Partnerships as GeoJSON lines and points",
)
def map_partnerships(request: Request, snap: Snapshot, query: Annotated[q.PartnershipQuery, Query()]) -> Response:
    found = q.list_partnerships(snap, query.model_copy(update={"per_page": 500, "page": 1}))
    body = partnerships_geojson(snap, found.items, found.partial)
    return Response(body, media_type="application/geo+json")


@router.get(
    "/map/countries.geojson",
    response_model=v.FeatureCollection,
    response_class=GeoJsonResponse,
    summary="Offline base layer: simplified country outlines",
)
def map_countries(request: Request) -> Response:
    body = basemap_geojson(request.app.state.settings.data_dir)
    return Response(body, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"})
