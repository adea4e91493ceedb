"""Routes are built on first use (``c3p.web.routes.DeferredRoute``): a fresh server answers its
first page without building the others, and whatever reaches a route first, alone or with
others at once, gets the route FastAPI would have built when it was installed."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic.warnings import UnsupportedFieldAttributeWarning

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.settings import Settings
from c3p.web import api, pages
from c3p.web.pages import accounts as account_pages
from c3p.web.pages import admin, approvals
from c3p.web.routes import DeclaredRoute, DeferredRoute
from tests.conftest import LiveServer

#: reads of the public API, each answered by a route of its own
FIRST_READS = (
    "/api/v1/stats",
    "/api/v1/projects",
    "/api/v1/partnerships",
    "/api/v1/countries",
    "/api/v1/vocabulary",
    "/api/v1/mrv/methodologies",
    "/api/v1/registry/stats",
    "/api/v1/registry/projects",
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    folder = tmp_path_factory.mktemp("deferred-routes")
    database = Database(f"sqlite:///{folder / 'c3p.sqlite3'}")
    init_database(database)
    database.dispose()
    yield Settings(data_dir=folder, database_url=database.url)


def fresh_app(settings: Settings) -> FastAPI:
    from c3p.web.app import create_app

    return create_app(settings)


def deferred_routes(app: FastAPI) -> list[DeferredRoute]:
    return [route for route in app.routes if isinstance(route, DeferredRoute)]


def built(app: FastAPI) -> list[str]:
    return [f"{route.methods} {route.path}" for route in deferred_routes(app) if route.built]


def serving(app: FastAPI, settings: Settings) -> LiveServer:
    server = LiveServer(app, settings.data_dir)
    server.thread.start()
    while not server.server.started:
        server.thread.join(0.02)
    return server


def test_the_first_page_builds_its_own_route_only(settings: Settings) -> None:
    app = fresh_app(settings)
    assert len(deferred_routes(app)) > 200 and built(app) == []
    server = serving(app, settings)
    try:
        assert httpx.get(server.url + "/?lang=en", timeout=30).status_code == 200
    finally:
        server.stop()
    assert built(app) == ["{'GET'} /"]


def test_an_api_request_as_the_very_first_request_is_answered(settings: Settings) -> None:
    server = serving(fresh_app(settings), settings)
    try:
        answer = httpx.get(server.url + "/api/v1/projects", timeout=30)
    finally:
        server.stop()
    assert answer.status_code == 200
    assert answer.json()["items"]


def test_a_write_without_credentials_as_the_very_first_request_is_refused_before_its_body(settings: Settings) -> None:
    """The refusal reads the permissions of every API route, so it builds them all first."""
    server = serving(fresh_app(settings), settings)
    try:
        answer = httpx.post(server.url + "/api/v1/tokens", json={"name": "x"}, timeout=30)
    finally:
        server.stop()
    assert answer.status_code == 401


def test_many_first_requests_at_once_each_get_their_answer(settings: Settings) -> None:
    """Sixteen requests reach eight routes not built yet at the same moment; each route is built once."""
    server = serving(fresh_app(settings), settings)
    try:
        with httpx.Client(timeout=60) as client, ThreadPoolExecutor(16) as pool:
            at_once = list(pool.map(lambda path: client.get(server.url + path), FIRST_READS * 2))
            one_by_one = [client.get(server.url + path) for path in FIRST_READS * 2]
    finally:
        server.stop()
    assert [answer.status_code for answer in at_once] == [200] * len(at_once)
    assert [answer.json() for answer in at_once] == [answer.json() for answer in one_by_one]


def test_a_route_built_on_first_use_is_the_route_fastapi_builds_when_installed(settings: Settings) -> None:
    """The OpenAPI description of every route, deferred, equals that of FastAPI's own route built from
    the same declaration at once; and it does not depend on which routes answered before."""
    app = fresh_app(settings)
    declared = [
        (prefix, route)
        for routers, prefix in (
            ([account_pages.router, admin.router, approvals.router], ""),
            (api.routers, "/api/v1"),
            (pages.routers, ""),
        )
        for router in routers
        for route in router.routes
        if isinstance(route, DeclaredRoute)
    ]
    at_once = [APIRoute(prefix + route.path, route.endpoint, **route.options) for prefix, route in declared]
    server = serving(app, settings)
    try:
        for path in FIRST_READS[:3]:
            assert httpx.get(server.url + path, timeout=30).status_code == 200
    finally:
        server.stop()
    deferred = deferred_routes(app)
    assert len(deferred) == len(at_once)

    def described(routes: list[APIRoute]) -> str:
        return json.dumps(get_openapi(title="c3p", version="1", routes=routes), sort_keys=True)

    with warnings.catch_warnings():  # FastAPI's own route leaves a deferred model's adapters to first use
        warnings.simplefilter("ignore", UnsupportedFieldAttributeWarning)
        assert described(deferred) == described(at_once)
    for deferred_route, route in zip(deferred, at_once, strict=True):
        assert set(vars(route)) <= set(vars(deferred_route)), route.path
        assert deferred_route.unique_id == route.unique_id


def test_building_every_route_warns_of_nothing(settings: Settings) -> None:
    """FastAPI hides pydantic's warning about the aliases it puts on parameters while it builds their
    adapters; a model built on first use (``c3p.schema``) must not bring the warning back later."""
    app = fresh_app(settings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.openapi()
    assert all(route.built for route in deferred_routes(app))
    assert [str(warning.message) for warning in caught] == []
