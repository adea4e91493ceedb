"""Typed read models of the program registry.

These are what the API returns (and documents in OpenAPI), what pages render and what the
CLI prints: one description of each shape. References between records are small ``*Ref``
objects carrying the slug and both names, so a client never needs a second request to label
a link.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from c3p.program import records as r
from c3p.program.rules import sources
from c3p.schema import Schema


class View(Schema):
    """Base of every read model: immutable; a field with a default is still always returned.

    Texts say the reference files they cite in words (sources, notes); the records keep the file names.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", json_schema_serialization_defaults_required=True)

    @field_validator("*", mode="after")
    @classmethod
    def _readable(cls, value: Any) -> Any:
        return sources.readable(value) if isinstance(value, str) else value


class CountryRef(View):
    iso3: str
    name_ja: str
    name_en: str


class GovernmentRef(View):
    slug: str
    name_ja: str
    name_en: str
    kind: str


class PlaceRef(View):
    slug: str
    name_ja: str
    name_en: str
    kind: str
    country_iso3: str


class OrganizationRef(View):
    slug: str
    name_ja: str
    name_en: str
    kind: str


class TermRef(View):
    slug: str
    kind: str
    name_ja: str
    name_en: str


class ProjectRef(View):
    slug: str
    fiscal_year: int
    number: int
    title_ja: str
    title_en: str


class PartnershipRef(View):
    slug: str
    country_iso3: str
    partner_entry_ja: str
    japan_entry_ja: str


class CountryView(CountryRef):
    iso2: str
    is_developing: bool
    is_jcm_partner: bool
    jcm_partner_order: int | None
    jcm_signed_on: dt.date | None
    jcm_signed_year: int | None
    jcm_signed_verification: str | None
    jcm_signed_source: str
    partner_places: int = Field(description="partner places of the program in this country")
    projects: int = Field(description="adopted projects with a partner place in this country")
    source: str
    note: str


class GovernmentView(GovernmentRef):
    prefecture_en: str
    prefecture_ja: str
    lat: float
    lon: float
    coord_source: str
    source: str
    note: str
    partnerships: list[PartnershipRef]
    partner_places: list[PlaceRef]
    projects: list[ProjectRef]


class PlaceView(PlaceRef):
    country: CountryRef
    parent: PlaceRef | None
    parent_en: str
    parent_ja: str
    aliases_ja: str
    lat: float
    lon: float
    coord_source: str
    source: str
    note: str
    japanese_governments: list[GovernmentRef]
    partnerships: list[PartnershipRef]
    projects: list[ProjectRef]


class OrganizationView(OrganizationRef):
    abbreviation: str
    aliases_ja: str
    country_iso3: str
    website: str
    source: str
    note: str
    projects: list[ProjectRef]


class PartnershipView(PartnershipRef):
    table_row: int | None
    country: CountryRef
    first_fiscal_year: int | None
    last_fiscal_year: int | None
    fiscal_years: list[int] = Field(description="fiscal years known from the sources")
    in_fy2025: bool
    japanese_governments: list[GovernmentRef]
    partner_places: list[PlaceRef]
    projects: list[ProjectRef]
    source: str
    note: str


class ProjectListItem(ProjectRef):
    """A project as lists show it: who, where and what, without the long texts."""

    plan_year: int | None
    plan_years: int | None
    countries: list[CountryRef]
    japanese_governments: list[GovernmentRef]
    partner_places: list[PlaceRef]
    proposers: list[OrganizationRef]
    sectors: list[TermRef]
    technologies: list[TermRef]
    activities: list[TermRef]


class TagView(TermRef):
    evidence_ja: str


class ProjectView(ProjectListItem):
    summary_ja: str
    summary_en: str
    partnership: PartnershipRef
    other_organizations: list[OrganizationRef]
    tags: list[TagView]
    source: str
    note: str


class TermView(TermRef):
    sector: TermRef | None
    projects: int


class EventView(r.EventRecord, View):
    """An event exactly as its seed record describes it."""


class RelatedProgramView(r.RelatedProgramRecord, View):
    """A related program exactly as its seed record describes it."""


class WebsiteView(r.WebsiteRecord, View):
    """A related website exactly as its seed record describes it."""


class ProgramReachView(r.ProgramReachRecord, View):
    """The program's stated reach exactly as its seed record describes it."""


class CallRoundView(r.CallRoundRecord, View):
    """A past call round exactly as its seed record describes it."""


class StatedFigureView(r.DataNoteRecord, View):
    """A figure as the brochure states it, with the note that explains any difference."""


class DataNoteView(StatedFigureView):
    computed: int


class CountBy(View):
    key: str
    name_ja: str
    name_en: str
    count: int


class StatsView(View):
    """Figures computed from the data, never typed in; notes explain brochure differences."""

    countries: int = Field(description="countries with a partner place, 2013–2025")
    partner_places: int = Field(description="distinct partner places, 2013–2025")
    japanese_governments: int = Field(description="distinct Japanese local governments, 2013–2025")
    jcm_partner_countries: int = Field(description="JCM partner countries")
    partnerships: int
    projects: int
    organizations: int
    projects_by_fiscal_year: dict[int, int]
    projects_by_country: list[CountBy]
    projects_by_sector: list[CountBy]
    projects_by_proposer: list[CountBy]
    notes: list[DataNoteView]
    jcm_projects_published: ProgramReachView | None = Field(
        description="the newest published count of JCM projects realized through the program, with its date and source"
    )
    reach: list[ProgramReachView]
    call_rounds: list[CallRoundView]
    revision: int


class Geometry(Schema):
    type: str = Field(description="Point, LineString, Polygon or MultiPolygon")
    coordinates: list[Any] = Field(description="longitude, latitude (WGS 84), nested by geometry type")


class Feature(Schema):
    type: Literal["Feature"]
    geometry: Geometry
    properties: dict[str, Any] = Field(description="kind, slug, names and counts of the feature")


class FeatureCollection(Schema):
    """A GeoJSON (RFC 7946) map layer."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    partial: list[str] = Field(
        default_factory=list,
        description="why the layer is incomplete for the filters asked, one reason each (a foreign member)",
    )
