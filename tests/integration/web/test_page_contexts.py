"""Every portal page declares its template context, and its JSON twin is that context serialized."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, create_model

from c3p.web import pages
from c3p.web.pages import accounts, admin
from c3p.web.pages.render import PageContext
from c3p.web.routes import install

#: GET routes of the page routers that answer something other than a page
NOT_PAGES = {
    "/charts/{name}.svg",
    "/credits/reports/{report_id}/workbook.xlsx",
    "/credits/reports/{report_id}/verification.json",
    "/applications/{application_id}/attachments/{attachment_id}",
    "/projects/{slug}/documents/{attachment_id}",
    "/calls/{slug}/documents/{document_id}",
    "/calls/{slug}/scores.xlsx",
    "/credits/article6/{country}/{year}.xlsx",
    "/credits/article6/{country}/{year}/versions/{version}.xlsx",
}


def page_routes() -> dict[str, APIRoute]:
    """The GET routes of the portal's pages, as the application builds them."""
    app = FastAPI()
    install(app, [*pages.routers, accounts.router, admin.router])
    return {
        route.path: route
        for route in app.routes
        if isinstance(route, APIRoute) and "GET" in route.methods and route.path not in NOT_PAGES
    }


def twin_type(context: type[PageContext]) -> TypeAdapter[Any]:
    """What the JSON twin of ``context`` holds: its ``data``, else its fields that are not page-only."""
    fields = context.model_fields
    if "data" in fields:
        return TypeAdapter(fields["data"].annotation)
    shown = {name: (f.annotation, f) for name, f in fields.items() if not f.exclude}
    return TypeAdapter(create_model(f"{context.__name__}Twin", __base__=PageContext, **shown))  # type: ignore[call-overload]


def test_every_page_route_declares_its_context() -> None:
    routes = page_routes()
    assert len(routes) >= 40  # the program, MRV, workflow, pipeline, credit and account pages
    undeclared = [
        path
        for path, route in routes.items()
        if not (isinstance(route.response_model, type) and issubclass(route.response_model, PageContext))
    ]
    assert undeclared == []


def test_page_only_fields_stay_out_of_the_json_twin() -> None:
    """What only the HTML offers (forms, choices, permissions, rows of the database) is not serialized."""
    for route in page_routes().values():
        context = route.response_model
        for name, field in context.model_fields.items():
            if name in {"form", "snap", "may", "members", "organization", "error"} or name.startswith("may_"):
                assert field.exclude, f"{context.__name__}.{name}"


@pytest.fixture(scope="module")
def client(live_server) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url, headers={"Accept": "text/html"}, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def project_slug(client: httpx.Client) -> str:
    return str(client.get("/api/v1/projects", params={"per_page": 1}).json()["items"][0]["slug"])


SAMPLE = {
    # page route: the URL asked
    "/": "/",
    "/stats": "/stats",
    "/about": "/about",
    "/map": "/map",
    "/projects": "/projects?per_page=5",
    "/countries/{key}": "/countries/VNM",
    "/methodologies": "/methodologies",
    "/methodologies/{methodology_id}": "/methodologies/MN_AM003",
    "/credits": "/credits",
    "/credits/issuances": "/credits/issuances",
    "/credits/retirements": "/credits/retirements",
    "/credits/projects": "/credits/projects",
    "/sign-in": "/sign-in?next=/credits",
    "/password-reset": "/password-reset",
}


@pytest.mark.parametrize("path", [*SAMPLE, "/projects/{key}"])
def test_json_twin_validates_against_its_context(client: httpx.Client, project_slug: str, path: str) -> None:
    url = SAMPLE.get(path) or f"/projects/{project_slug}"
    context = page_routes()[path].response_model
    twin = client.get(url, params={"format": "json"})
    assert twin.status_code == 200
    assert twin.headers["content-type"] == "application/json"
    body = twin.json()
    twin_type(context).validate_python(body)
    if "data" not in context.model_fields:
        assert set(body) == {name for name, f in context.model_fields.items() if not f.exclude}


def test_an_error_page_answers_the_problem_document(client: httpx.Client) -> None:
    """The error page's context holds the problem the API would answer, with the same status."""
    twin = client.get("/projects/no-such-project", params={"format": "json"})
    assert twin.status_code == 404
    problem = twin.json()
    assert problem["status"] == 404 and problem["instance"] == "/projects/no-such-project"
    assert client.get("/api/v1/projects/no-such-project").json()["title"] == problem["title"]


def test_the_page_shows_what_its_twin_says(client: httpx.Client) -> None:
    """HTML and JSON come from one object: each year's count of the twin is on the page."""
    stats = client.get("/stats", params={"format": "json", "lang": "en"}).json()
    html = client.get("/stats", params={"lang": "en"}).text
    assert stats["projects_by_fiscal_year"]
    for year in stats["projects_by_fiscal_year"]:
        assert year in html


def _contexts(cls: type[PageContext]) -> Iterator[type[PageContext]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _contexts(sub)


def test_every_page_context_is_fully_defined() -> None:
    """A context naming a type only imported for type checkers would fail on its first request."""
    found = list(_contexts(PageContext))
    assert len(found) > 20
    for context in found:
        context.model_rebuild(raise_errors=True)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_page_without_parameters_answers_in_each_language(client: httpx.Client, language: str) -> None:
    """No page fails in either language (a lone % in one translation once broke a page in Japanese only)."""
    failing = {}
    for path in page_routes():
        if "{" not in path:
            response = client.get(path, params={"lang": language})
            if response.status_code >= 500:
                failing[path] = response.status_code
    assert failing == {}
