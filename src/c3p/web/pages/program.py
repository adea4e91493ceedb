"""Portal pages of the program registry. Each page renders the same data as its API twin."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from c3p.accounts.rules.policy import decide
from c3p.accounts.schemas import HistoryView
from c3p.db.history import entries_for
from c3p.errors import InvalidInput
from c3p.program import queries as q
from c3p.program import schemas as v
from c3p.program.keys import record_key
from c3p.program.overview import ProgramSection, program_overview
from c3p.program.rules.fiscal_years import PARTNERSHIP_CAVEATS, partnership_caveats
from c3p.program.snapshot import RegistrySnapshot
from c3p.web.auth import database, resolve_actor
from c3p.web.charts import chart_svg
from c3p.web.deps import snapshot
from c3p.web.pages.pipeline import program_links
from c3p.web.pages.render import PageContext, page_only, render
from c3p.web.routes import Router
from c3p.workflow.service import jcm

router = Router(include_in_schema=False)
Snapshot = Annotated[RegistrySnapshot, Depends(snapshot)]
QueryT = TypeVar("QueryT", bound=BaseModel)
PAGE_ONLY_PARAMETERS = {"lang", "format"}


class FilterChoices(PageContext):
    """The choices of a list page's filters."""

    countries: list[v.CountryView] = page_only()
    governments: list[v.GovernmentView] = page_only()
    sectors: list[v.TermView] = page_only()
    technologies: list[v.TermView] = page_only()
    proposers: list[v.OrganizationView] = page_only()
    fiscal_years: list[int] = page_only()
    place_kinds: list[str] = page_only()
    government_kinds: list[str] = page_only()
    organization_kinds: list[str] = page_only()


class HomePage(PageContext):
    data: v.StatsView
    projects: list[v.ProjectListItem] = page_only()
    latest_year: int | None = page_only()
    events: list[v.EventView] = page_only()


class MapPage(FilterChoices):
    """The map draws the API's partnerships itself; the page holds the filters it starts with,
    and every reason a filter may not be answered in full (the map shows those that apply)."""

    query: q.PartnershipQuery
    partial: list[str] = page_only()
    caveats: list[str] = page_only()


class StatsPage(PageContext):
    data: v.StatsView
    jcm_recorded: int = page_only(0)


class AboutPage(PageContext):
    overview: list[ProgramSection]
    related_programs: list[v.RelatedProgramView]
    websites: list[v.WebsiteView]
    events: list[v.EventView]


class ListPage(FilterChoices):
    """A record list: the API's page of items, with the query and the filters' choices."""

    data: q.Page[Any]
    query: q.ListQuery = page_only()
    figure_notes: list[v.DataNoteView] = page_only()


class DetailPage(PageContext):
    """A record: the API's view of it, with its change history for those who may read it."""

    data: BaseModel
    snap: RegistrySnapshot = page_only()
    history: list[HistoryView] | None = page_only()
    program: dict[str, Any] | None = page_only(None)


def page_query(request: Request, model: type[QueryT]) -> QueryT:
    """The list filters of a page, validated like the API's (page-only parameters aside)."""
    raw = {k: v for k, v in request.query_params.items() if k not in PAGE_ONLY_PARAMETERS and v != ""}
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None


@router.get("/", response_model=HomePage)
def home(request: Request, snap: Snapshot) -> Response:
    stats = q.stats(snap)
    latest_year = max(stats.projects_by_fiscal_year, default=None)
    projects = q.list_projects(snap, q.ProjectQuery(fiscal_year=latest_year, per_page=500)).items
    page = HomePage(data=stats, projects=projects, latest_year=latest_year, events=snap.events)
    return render(request, "home.html", page)


@router.get("/map", response_model=MapPage)
def map_page(request: Request, snap: Snapshot) -> Response:
    query = page_query(request, q.PartnershipQuery)
    partial = partnership_caveats(query.fiscal_year, query.sector)
    page = MapPage(query=query, partial=partial, caveats=list(PARTNERSHIP_CAVEATS), **_filter_choices(snap))
    return render(request, "map.html", page)


@router.get("/stats", response_model=StatsPage)
def stats_page(request: Request, snap: Snapshot) -> Response:
    with database(request).reading() as session:
        recorded = jcm.kpi(session).jcm_projects_realized
    return render(request, "stats.html", StatsPage(data=q.stats(snap), jcm_recorded=recorded))


@router.get("/about", response_model=AboutPage)
def about_page(request: Request, snap: Snapshot) -> Response:
    page = AboutPage(
        overview=list(program_overview()),
        related_programs=snap.related_programs,
        websites=snap.websites,
        events=snap.events,
    )
    return render(request, "about.html", page)


@router.get("/charts/{name}.svg")
def chart(request: Request, name: str, snap: Snapshot) -> Response:
    language = request.query_params.get("lang", "ja")
    return Response(chart_svg(q.stats(snap), name, language), media_type="image/svg+xml")


def _filter_choices(snap: RegistrySnapshot) -> dict[str, Any]:
    participating = [c for c in snap.countries.values() if c.partner_places > 0]
    return {
        "countries": sorted(participating, key=lambda c: c.name_en),
        "governments": list(snap.japanese_governments.values()),
        "sectors": [t for t in snap.terms.values() if t.kind == "sector"],
        "technologies": [t for t in snap.terms.values() if t.kind == "technology"],
        "proposers": [o for o in snap.organizations.values() if o.projects],
        "fiscal_years": sorted(
            {y for p in snap.partnerships.values() for y in p.fiscal_years}
            | {p.fiscal_year for p in snap.projects.values()},
            reverse=True,
        ),
        "place_kinds": sorted({p.kind for p in snap.partner_places.values()}),
        "government_kinds": sorted({g.kind for g in snap.japanese_governments.values()}),
        "organization_kinds": sorted({o.kind for o in snap.organizations.values()}),
    }


def _list_page(path: str, template: str, query_class: type[q.ListQuery], lister: Any) -> None:
    def endpoint(request: Request, snap: Snapshot) -> Response:
        query = page_query(request, query_class)
        page = ListPage(
            data=lister(snap, query), query=query, figure_notes=q.figure_notes(snap), **_filter_choices(snap)
        )
        return render(request, template, page)

    endpoint.__name__ = f"page_{template.removesuffix('.html')}"
    router.add_api_route(path, endpoint, methods=["GET"], response_model=ListPage)


def _detail_page(path: str, template: str, kind: q.Kind) -> None:
    def endpoint(request: Request, key: str, snap: Snapshot) -> Response:
        record = q.get_record(snap, kind, key)
        extra: dict[str, Any] = {"program": program_links(request, record.slug)} if kind == "project" else {}
        page = DetailPage(data=record, snap=snap, history=_history(request, kind, key), **extra)
        return render(request, template, page)

    endpoint.__name__ = f"page_{template.removesuffix('.html')}"
    router.add_api_route(path + "/{key}", endpoint, methods=["GET"], response_model=DetailPage)


def _history(request: Request, kind: q.Kind, key: str) -> list[HistoryView] | None:
    """The record's change history for those who may read it; None (no section) for others."""
    if not decide(resolve_actor(request), "history.read").allowed:
        return None
    with database(request).reading() as session:
        located = record_key(session, kind, key)
        return entries_for(session, *located) if located else []


for _path, _kind, _query, _lister in (
    ("/projects", "project", q.ProjectQuery, q.list_projects),
    ("/partnerships", "partnership", q.PartnershipQuery, q.list_partnerships),
    ("/partner-places", "partner_place", q.PlaceQuery, q.list_places),
    ("/japanese-governments", "japanese_government", q.GovernmentQuery, q.list_governments),
    ("/organizations", "organization", q.OrganizationQuery, q.list_organizations),
    ("/countries", "country", q.CountryQuery, q.list_countries),
):
    _list_page(_path, f"{_kind}_list.html", _query, _lister)
    _detail_page(_path, f"{_kind}_detail.html", _kind)  # type: ignore[arg-type]
