"""Queries over the registry snapshot: filters, search, sort, pagination and statistics.

Every function takes the snapshot and a frozen filter object and returns new data, so the
same call serves the API, the pages, the CLI and the exports.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from c3p.errors import InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.program import schemas as v
from c3p.program.rules.figures import latest_published_jcm_projects
from c3p.program.rules.fiscal_years import partnership_caveats, project_caveats
from c3p.program.snapshot import RegistrySnapshot
from c3p.schema import Schema

ItemT = TypeVar("ItemT", bound=BaseModel)


class Page(Schema, Generic[ItemT]):
    items: list[ItemT]
    total: int = Field(description="items matching the filters, over all pages")
    page: int
    per_page: int
    pages: int
    partial: list[str] = Field(
        default_factory=list,
        description="why the list is incomplete for the filters asked, one reason each (empty when it is complete)",
    )


class ListQuery(Schema):
    """Paging, search and sort shared by every list; unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str | None = Field(None, max_length=200, description="words to find in names, titles and summaries")
    page: int = Field(1, ge=1, description="page number, from 1")
    per_page: int = Field(25, ge=1, le=500, description="items per page")
    sort: str | None = Field(None, description="field to sort by; prefix with - for descending")


class ProjectQuery(ListQuery):
    fiscal_year: int | None = Field(None, ge=2013, le=2100)
    country: str | None = Field(None, pattern=r"^[A-Za-z]{3}$", description="ISO 3166 alpha-3 code")
    sector: str | None = Field(None, description="sector or technology slug")
    japanese_government: str | None = Field(None, description="slug of a Japanese local government")
    partner_place: str | None = Field(None, description="slug of a partner place")
    proposer: str | None = Field(None, description="slug of the proposing organization")


class PartnershipQuery(ListQuery):
    fiscal_year: int | None = Field(None, ge=2013, le=2100)
    country: str | None = Field(None, pattern=r"^[A-Za-z]{3}$", description="ISO 3166 alpha-3 code")
    japanese_government: str | None = None
    partner_place: str | None = None
    sector: str | None = None


class PlaceQuery(ListQuery):
    country: str | None = Field(None, pattern=r"^[A-Za-z]{3}$")
    kind: str | None = None


class GovernmentQuery(ListQuery):
    kind: str | None = None


class OrganizationQuery(ListQuery):
    kind: str | None = None


class CountryQuery(ListQuery):
    jcm_partner: bool | None = None
    participating: bool | None = Field(None, description="has partner places in the program")


def paginate(items: list[ItemT], query: ListQuery) -> Page[ItemT]:
    pages = max(1, math.ceil(len(items) / query.per_page))
    start = (query.page - 1) * query.per_page
    return Page[Any](
        items=items[start : start + query.per_page],
        total=len(items),
        page=query.page,
        per_page=query.per_page,
        pages=pages,
    )


def _search(items: Iterable[ItemT], q: str | None, fields: tuple[str, ...]) -> list[ItemT]:
    if not q:
        return list(items)
    words = q.casefold().split()
    return [
        item for item in items if all(any(word in str(getattr(item, f)).casefold() for f in fields) for word in words)
    ]


def _sort(items: list[ItemT], sort: str | None, allowed: tuple[str, ...]) -> list[ItemT]:
    if not sort:
        return items
    name = sort.removeprefix("-")
    if name not in allowed:
        refusal = N_("sort: unknown field '%(field)s'; choose from %(fields)s")
        raise InvalidInput(Message(refusal, {"field": name, "fields": ", ".join(allowed)}), parameter="sort")
    return sorted(items, key=lambda item: _sort_key(getattr(item, name)), reverse=sort.startswith("-"))


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


def _known(slug: str | None, known: dict[str, Any], parameter: str) -> None:
    if slug is not None and slug not in known:
        refusal = N_("%(parameter)s: no such record '%(slug)s'")
        raise InvalidInput(Message(refusal, {"parameter": parameter, "slug": slug}), parameter=parameter)


def _where(items: list[ItemT], keep: Callable[[ItemT], bool]) -> list[ItemT]:
    return [item for item in items if keep(item)]


def list_projects(snapshot: RegistrySnapshot, query: ProjectQuery) -> Page[v.ProjectListItem]:
    """Projects matching ``query``, as list items (the detail holds the long texts)."""
    page = find_projects(snapshot, query)
    items = [v.ProjectListItem.model_validate(p.model_dump(include=LIST_ITEM_FIELDS)) for p in page.items]
    return Page[v.ProjectListItem](
        items=items,
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        pages=page.pages,
        partial=project_caveats(query.fiscal_year),
    )


LIST_ITEM_FIELDS = set(v.ProjectListItem.model_fields)


def find_projects(snapshot: RegistrySnapshot, query: ProjectQuery) -> Page[v.ProjectView]:
    _known(query.japanese_government, snapshot.japanese_governments, "japanese_government")
    _known(query.partner_place, snapshot.partner_places, "partner_place")
    _known(query.proposer, snapshot.organizations, "proposer")
    _known(query.sector, snapshot.terms, "sector")
    items = list(snapshot.projects.values())
    if query.fiscal_year is not None:
        items = _where(items, lambda p: p.fiscal_year == query.fiscal_year)
    if query.country:
        iso3 = query.country.upper()
        items = _where(items, lambda p: any(c.iso3 == iso3 for c in p.countries))
    if query.sector:
        items = _where(
            items,
            lambda p: any(term.slug == query.sector for term in [*p.sectors, *p.technologies, *p.activities]),
        )
    if query.japanese_government:
        items = _where(
            items,
            lambda p: any(g.slug == query.japanese_government for g in p.japanese_governments),
        )
    if query.partner_place:
        items = _where(items, lambda p: any(pl.slug == query.partner_place for pl in p.partner_places))
    if query.proposer:
        items = _where(items, lambda p: any(o.slug == query.proposer for o in p.proposers))
    items = _search(
        items,
        query.q,
        (
            "title_ja",
            "title_en",
            "summary_ja",
            "summary_en",
            "proposers",
            "partner_places",
            "japanese_governments",
        ),
    )
    items = _sort(items, query.sort, ("fiscal_year", "number", "title_ja", "title_en"))
    return paginate(items, query)


def list_partnerships(snapshot: RegistrySnapshot, query: PartnershipQuery) -> Page[v.PartnershipView]:
    _known(query.japanese_government, snapshot.japanese_governments, "japanese_government")
    _known(query.partner_place, snapshot.partner_places, "partner_place")
    _known(query.sector, snapshot.terms, "sector")
    items = list(snapshot.partnerships.values())
    if query.fiscal_year is not None:
        items = _where(items, lambda p: query.fiscal_year in p.fiscal_years)
    if query.country:
        items = _where(items, lambda p: p.country_iso3 == query.country.upper())  # type: ignore[union-attr]
    if query.japanese_government:
        items = _where(
            items,
            lambda p: any(g.slug == query.japanese_government for g in p.japanese_governments),
        )
    if query.partner_place:
        items = _where(items, lambda p: any(pl.slug == query.partner_place for pl in p.partner_places))
    if query.sector:
        with_sector = {
            p.partnership.slug for p in find_projects(snapshot, ProjectQuery(sector=query.sector, per_page=500)).items
        }
        items = _where(items, lambda p: p.slug in with_sector)
    items = _search(
        items,
        query.q,
        ("partner_entry_ja", "japan_entry_ja", "partner_places", "japanese_governments"),
    )
    items = _sort(items, query.sort, ("table_row", "country_iso3", "first_fiscal_year", "last_fiscal_year"))
    return paginate(items, query).model_copy(update={"partial": partnership_caveats(query.fiscal_year, query.sector)})


def list_places(snapshot: RegistrySnapshot, query: PlaceQuery) -> Page[v.PlaceView]:
    items = list(snapshot.partner_places.values())
    if query.country:
        items = _where(items, lambda p: p.country_iso3 == query.country.upper())  # type: ignore[union-attr]
    if query.kind:
        items = _where(items, lambda p: p.kind == query.kind)
    items = _search(items, query.q, ("name_ja", "name_en", "aliases_ja", "parent_ja", "parent_en", "note"))
    return paginate(_sort(items, query.sort, ("name_en", "name_ja", "country_iso3", "kind")), query)


def list_governments(snapshot: RegistrySnapshot, query: GovernmentQuery) -> Page[v.GovernmentView]:
    items = list(snapshot.japanese_governments.values())
    if query.kind:
        items = _where(items, lambda g: g.kind == query.kind)
    items = _search(items, query.q, ("name_ja", "name_en", "prefecture_ja", "prefecture_en"))
    return paginate(_sort(items, query.sort, ("name_en", "name_ja", "kind", "prefecture_en")), query)


def list_organizations(snapshot: RegistrySnapshot, query: OrganizationQuery) -> Page[v.OrganizationView]:
    items = list(snapshot.organizations.values())
    if query.kind:
        items = _where(items, lambda o: o.kind == query.kind)
    items = _search(items, query.q, ("name_ja", "name_en", "aliases_ja", "abbreviation"))
    return paginate(_sort(items, query.sort, ("name_en", "name_ja", "kind")), query)


def list_countries(snapshot: RegistrySnapshot, query: CountryQuery) -> Page[v.CountryView]:
    items = list(snapshot.countries.values())
    if query.jcm_partner is not None:
        items = _where(items, lambda c: c.is_jcm_partner == query.jcm_partner)
    if query.participating is not None:
        items = _where(items, lambda c: (c.partner_places > 0) == query.participating)
    items = _search(items, query.q, ("name_ja", "name_en", "iso3"))
    return paginate(
        _sort(items, query.sort, ("name_en", "name_ja", "iso3", "jcm_partner_order", "projects")),
        query,
    )


Kind = Literal[
    "project",
    "partnership",
    "partner_place",
    "japanese_government",
    "organization",
    "country",
    "term",
]


#: the refusal of a key no record of the kind has
NO_RECORD = {
    "project": N_("no project '%(key)s'"),
    "partnership": N_("no partnership '%(key)s'"),
    "partner_place": N_("no partner place '%(key)s'"),
    "japanese_government": N_("no japanese government '%(key)s'"),
    "organization": N_("no organization '%(key)s'"),
    "country": N_("no country '%(key)s'"),
    "term": N_("no term '%(key)s'"),
}


def get_record(snapshot: RegistrySnapshot, kind: Kind, key: str) -> Any:
    collections: dict[str, dict[str, Any]] = {
        "project": snapshot.projects,
        "partnership": snapshot.partnerships,
        "partner_place": snapshot.partner_places,
        "japanese_government": snapshot.japanese_governments,
        "organization": snapshot.organizations,
        "country": snapshot.countries,
        "term": snapshot.terms,
    }
    record = collections[kind].get(key.upper() if kind == "country" else key)
    if record is None:
        raise NotFound(Message(NO_RECORD[kind], {"key": key}))
    return record


def _key_figures(snapshot: RegistrySnapshot) -> dict[str, int]:
    """The key figures the brochure also states, computed from the partnerships that carry them."""
    partnerships = list(snapshot.partnerships.values())
    places = {p.slug for partnership in partnerships for p in partnership.partner_places}
    countries = {snapshot.partner_places[slug].country_iso3 for slug in places}
    governments = {g.slug for partnership in partnerships for g in partnership.japanese_governments}
    return {
        "countries": len(countries),
        "partner_places": len(places),
        "japanese_governments": len(governments),
        "jcm_partner_countries": sum(c.is_jcm_partner for c in snapshot.countries.values()),
        "projects": len(snapshot.projects),
    }


def figure_notes(snapshot: RegistrySnapshot) -> list[v.DataNoteView]:
    """Each figure the brochure states, beside the one computed here and the note on any difference."""
    computed = _key_figures(snapshot)
    return [v.DataNoteView(**note.model_dump(), computed=computed[note.figure]) for note in snapshot.stated_figures]


def stats(snapshot: RegistrySnapshot) -> v.StatsView:
    """The program's figures, computed from the partnerships that carry them."""
    projects = list(snapshot.projects.values())
    return v.StatsView(
        **_key_figures(snapshot),
        partnerships=len(snapshot.partnerships),
        organizations=len({o.slug for p in projects for o in p.proposers}),
        projects_by_fiscal_year=dict(sorted(Counter(p.fiscal_year for p in projects).items())),
        projects_by_country=_count_by((c.iso3, c.name_ja, c.name_en) for p in projects for c in p.countries),
        projects_by_sector=_count_by((s.slug, s.name_ja, s.name_en) for p in projects for s in p.sectors),
        projects_by_proposer=_count_by((o.slug, o.name_ja, o.name_en) for p in projects for o in p.proposers),
        notes=figure_notes(snapshot),
        jcm_projects_published=latest_published_jcm_projects(snapshot.reach),
        reach=snapshot.reach,
        call_rounds=snapshot.call_rounds,
        revision=snapshot.revision,
    )


def _count_by(keys: Iterable[tuple[str, str, str]]) -> list[v.CountBy]:
    counts = Counter(keys)
    return [
        v.CountBy(key=key, name_ja=name_ja, name_en=name_en, count=count)
        for (key, name_ja, name_en), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][2]))
    ]
