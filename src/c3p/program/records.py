"""The shape of every seed data file, described once.

Each seed file under ``c3p/program/data`` holds one kind of record. The classes here are the
single description of those records (type, allowed values, meaning): the loader validates
every row against them and stores their fields by name, the export reads the same fields
back (so a dataset exported by ``c3p export`` re-imports cleanly), and the read models share
or inherit them. Tests hold the tables and the migrated database to these fields. Records
carry a ``source``: where in the brochure or the reference material the fact comes from.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from c3p.schema import Schema

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Iso2 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
FiscalYear = Annotated[int, Field(ge=2013, le=2100, description="Japanese fiscal year (April–March)")]
Verification = Literal["confirmed", "partial", "unverified"]
#: how much of a date its source gives: an undated source is placed by what it reports
DatePrecision = Literal["day", "month", "year", "undated"]

GovernmentKind = Literal["prefecture", "city", "town", "ward-association"]
PlaceKind = Literal[
    "city",
    "provincial-level-city",
    "district-level-city",
    "district",
    "commune",
    "regency",
    "province",
    "state",
    "region",
    "prefecture-level",
    "special-region",
    "federal-territory",
    "metro-area",
    "economic-region",
]
OrganizationKind = Literal[
    "company",
    "general-incorporated-association",
    "public-interest-foundation",
    "research-institute",
    "ministry",
    "government-agency",
    "international-organization",
    "cooperative",
    "university",
]
VocabularyKind = Literal["sector", "technology", "activity"]
MemberRole = Literal["japanese_government", "partner_place"]
OrganizationRole = Literal["proposer", "domestic_partner", "local_partner"]


class Record(Schema):
    """Base of every seed record: unknown columns are an error, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CountryRecord(Record):
    iso3: Iso3
    iso2: Iso2
    name_ja: str
    name_en: str
    is_developing: bool = Field(description="developing country under the UNFCCC (non-Annex I)")
    jcm_partner_order: int | None = Field(None, ge=1, description="order of signing the JCM")
    jcm_signed_on: dt.date | None = Field(None, description="date the JCM was signed")
    jcm_signed_year: int | None = Field(None, description="year of signing where the day is unknown")
    jcm_signed_verification: Verification | None = None
    jcm_signed_source: str = Field("", description="the official page the signing date rests on (URL)")
    source: str
    note: str = ""


class JapaneseGovernmentRecord(Record):
    slug: Slug
    name_ja: str
    name_en: str
    kind: GovernmentKind
    prefecture_en: str
    prefecture_ja: str = Field("", description="the prefecture's Japanese name (神奈川県)")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    coord_source: str
    source: str
    note: str = ""


class PartnerPlaceRecord(Record):
    slug: Slug
    name_ja: str
    name_en: str
    kind: PlaceKind
    country_iso3: Iso3
    parent_slug: Slug | None = Field(None, description="the enclosing place, where it is in the data")
    parent_en: str = Field("", description="the enclosing unit's English name, as text")
    parent_ja: str = Field("", description="the enclosing unit's Japanese name, as text")
    aliases_ja: str = Field("", description="other Japanese spellings the sources use, separated by |")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    coord_source: str
    source: str
    note: str = ""


class OrganizationRecord(Record):
    slug: Slug
    name_ja: str
    name_en: str
    abbreviation: str = Field("", max_length=30)
    kind: OrganizationKind
    aliases_ja: str = Field("", description="other Japanese spellings the sources use, separated by |")
    country_iso3: Iso3 = "JPN"
    website: str = ""
    source: str
    note: str = ""


class PartnershipRecord(Record):
    """One row of the brochure's table 「2013–2025年度 都市間連携事業の参画都市」."""

    slug: Slug
    table_row: int | None = Field(None, ge=1, description="row in the brochure table, from 1")
    country_iso3: Iso3
    partner_entry_ja: str = Field(description="the table's partner cell, verbatim")
    japan_entry_ja: str = Field(description="the table's Japanese-government cell, verbatim")
    first_fiscal_year: FiscalYear | None = None
    last_fiscal_year: FiscalYear | None = None
    in_fy2025: bool = Field(description="the row carries the brochure's FY2025 mark (*)")
    source: str
    note: str = ""


class PartnershipMemberRecord(Record):
    partnership_slug: Slug
    role: MemberRole
    member_slug: Slug
    source: str


class VocabularyTermRecord(Record):
    kind: VocabularyKind
    slug: Slug
    name_ja: str
    name_en: str
    sector_slug: Slug | None = Field(None, description="for a technology: its sector")
    source: str = ""


class ProjectTagRecord(Record):
    term_slug: Slug
    evidence_ja: str = Field(description="the phrase of the project text that supports the tag")


class ProjectOrganizationRecord(Record):
    organization_slug: Slug
    role: OrganizationRole


class ProjectRecord(Record):
    fiscal_year: FiscalYear
    number: int = Field(ge=1, le=99)
    slug: Slug
    partnership_slug: Slug
    title_ja: str
    title_en: str
    summary_ja: str
    summary_en: str
    plan_year: int | None = Field(None, ge=1, description="year of a multi-year plan, e.g. 2")
    plan_years: int | None = Field(None, ge=1, description="length of the multi-year plan, e.g. 3")
    organizations: list[ProjectOrganizationRecord]
    tags: list[ProjectTagRecord]
    source: str
    note: str = ""


class EventRecord(Record):
    slug: Slug
    starts_on: dt.date
    ends_on: dt.date
    title_ja: str
    title_en: str
    organizer_ja: str
    organizer_en: str
    co_organizers_ja: str = ""
    co_organizers_en: str = ""
    location_ja: str = ""
    location_en: str = ""
    description_ja: str
    description_en: str
    source: str


class RelatedProgramRecord(Record):
    slug: Slug
    name_ja: str
    name_en: str
    abbreviation: str = Field("", max_length=30)
    description_ja: str
    description_en: str
    established: str = ""
    url: str = ""
    source: str


class WebsiteRecord(Record):
    slug: Slug
    name_ja: str
    name_en: str
    url: str
    operator_ja: str
    operator_en: str
    description_ja: str
    description_en: str
    source: str


class ProgramReachRecord(Record):
    """The program's cumulative reach as stated in a dated public source."""

    as_of: dt.date
    as_of_precision: DatePrecision = Field("day", description="how much of as_of the source gives")
    countries: int | None = None
    partner_places: int | None = None
    japanese_governments: int | None = None
    jcm_projects_realized: int | None = None
    jcm_projects_at_least: bool = Field(False, description="the source says 'or more' (以上): a lower bound")
    source: str
    note: str = ""


class CallRoundRecord(Record):
    """A past call for proposals and its published result."""

    fiscal_year: FiscalYear
    round: int = Field(ge=1)
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    applications: int | None = None
    adopted: int | None = None
    source: str
    note: str = ""


class DataNoteRecord(Record):
    """Explains where a computed figure differs from the brochure's stated figure."""

    figure: Literal["countries", "partner_places", "japanese_governments", "jcm_partner_countries", "projects"]
    stated: int
    note_ja: str
    note_en: str
    source: str
