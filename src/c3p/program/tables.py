"""Tables of the program registry: places, organizations, partnerships, projects.

Stable public identifiers are slugs (and ISO 3166 alpha-3 codes for countries); integer keys
stay internal. Relationships are ``lazy="raise"`` so every query is explicit in a repository.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from c3p.db.base import Base
from c3p.program import records as r


class Country(Base):
    __tablename__ = "countries"

    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    iso2: Mapped[str] = mapped_column(String(2), unique=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    is_developing: Mapped[bool] = mapped_column(Boolean)
    jcm_partner_order: Mapped[int | None] = mapped_column(Integer)
    jcm_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    jcm_signed_year: Mapped[int | None] = mapped_column(Integer)
    jcm_signed_verification: Mapped[str | None] = mapped_column(String(20))
    jcm_signed_source: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class JapaneseGovernment(Base):
    __tablename__ = "japanese_governments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    prefecture_en: Mapped[str] = mapped_column(Text)
    prefecture_ja: Mapped[str] = mapped_column(Text, default="", server_default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    coord_source: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class PartnerPlace(Base):
    __tablename__ = "partner_places"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(30))
    country_iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("partner_places.id"))
    parent_en: Mapped[str] = mapped_column(Text, default="")
    parent_ja: Mapped[str] = mapped_column(Text, default="", server_default="")
    aliases_ja: Mapped[str] = mapped_column(Text, default="", server_default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    coord_source: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")

    country: Mapped[Country] = relationship(lazy="raise")
    parent: Mapped[PartnerPlace | None] = relationship(remote_side=[id], lazy="raise")


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    abbreviation: Mapped[str] = mapped_column(String(30), default="")
    kind: Mapped[str] = mapped_column(String(40))
    aliases_ja: Mapped[str] = mapped_column(Text, default="", server_default="")
    country_iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), default="JPN")
    website: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class Partnership(Base):
    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    table_row: Mapped[int | None] = mapped_column(Integer)
    country_iso3: Mapped[str] = mapped_column(ForeignKey("countries.iso3"), index=True)
    partner_entry_ja: Mapped[str] = mapped_column(Text)
    japan_entry_ja: Mapped[str] = mapped_column(Text)
    first_fiscal_year: Mapped[int | None] = mapped_column(Integer)
    last_fiscal_year: Mapped[int | None] = mapped_column(Integer)
    in_fy2025: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")

    country: Mapped[Country] = relationship(lazy="raise")
    japanese_government_links: Mapped[list[PartnershipJapaneseGovernment]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="PartnershipJapaneseGovernment.position",
    )
    partner_place_links: Mapped[list[PartnershipPartnerPlace]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="PartnershipPartnerPlace.position"
    )
    projects: Mapped[list[Project]] = relationship(lazy="raise", back_populates="partnership")


class PartnershipJapaneseGovernment(Base):
    __tablename__ = "partnership_japanese_governments"

    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), primary_key=True)
    japanese_government_id: Mapped[int] = mapped_column(
        ForeignKey("japanese_governments.id"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)

    japanese_government: Mapped[JapaneseGovernment] = relationship(lazy="raise")


class PartnershipPartnerPlace(Base):
    __tablename__ = "partnership_partner_places"

    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), primary_key=True)
    partner_place_id: Mapped[int] = mapped_column(ForeignKey("partner_places.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)

    partner_place: Mapped[PartnerPlace] = relationship(lazy="raise")


class VocabularyTerm(Base):
    __tablename__ = "vocabulary_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    sector_id: Mapped[int | None] = mapped_column(ForeignKey("vocabulary_terms.id"))
    source: Mapped[str] = mapped_column(Text, default="")


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("fiscal_year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnerships.id"), index=True)
    title_ja: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    summary_ja: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    plan_year: Mapped[int | None] = mapped_column(Integer)
    plan_years: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")

    partnership: Mapped[Partnership] = relationship(lazy="raise", back_populates="projects")
    organization_links: Mapped[list[ProjectOrganization]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ProjectOrganization.position"
    )
    tags: Mapped[list[ProjectTag]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ProjectTag.position"
    )


class ProjectOrganization(Base):
    __tablename__ = "project_organizations"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    organization: Mapped[Organization] = relationship(lazy="raise")


class ProjectTag(Base):
    __tablename__ = "project_tags"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("vocabulary_terms.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    evidence_ja: Mapped[str] = mapped_column(Text)

    term: Mapped[VocabularyTerm] = relationship(lazy="raise")


class Event(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    title_ja: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    organizer_ja: Mapped[str] = mapped_column(Text)
    organizer_en: Mapped[str] = mapped_column(Text)
    co_organizers_ja: Mapped[str] = mapped_column(Text, default="")
    co_organizers_en: Mapped[str] = mapped_column(Text, default="")
    location_ja: Mapped[str] = mapped_column(Text, default="")
    location_en: Mapped[str] = mapped_column(Text, default="")
    description_ja: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class RelatedProgram(Base):
    __tablename__ = "related_programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    abbreviation: Mapped[str] = mapped_column(String(30), default="")
    description_ja: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    established: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text)


class Website(Base):
    __tablename__ = "websites"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    operator_ja: Mapped[str] = mapped_column(Text)
    operator_en: Mapped[str] = mapped_column(Text)
    description_ja: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class ProgramReach(Base):
    __tablename__ = "program_reach"

    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    as_of_precision: Mapped[str] = mapped_column(String(10), default="day", server_default="day")
    countries: Mapped[int | None] = mapped_column(Integer)
    partner_places: Mapped[int | None] = mapped_column(Integer)
    japanese_governments: Mapped[int | None] = mapped_column(Integer)
    jcm_projects_realized: Mapped[int | None] = mapped_column(Integer)
    jcm_projects_at_least: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class CallRound(Base):
    __tablename__ = "call_rounds"

    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    opens_on: Mapped[dt.date | None] = mapped_column(Date)
    closes_on: Mapped[dt.date | None] = mapped_column(Date)
    applications: Mapped[int | None] = mapped_column(Integer)
    adopted: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")


class DataNote(Base):
    __tablename__ = "data_notes"

    figure: Mapped[str] = mapped_column(String(40), primary_key=True)
    stated: Mapped[int] = mapped_column(Integer)
    note_ja: Mapped[str] = mapped_column(Text)
    note_en: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class DatasetState(Base):
    """One row: which seed dataset is loaded, and a revision bumped on every registry write.

    Read caches key on ``revision`` so a change made by any process is seen at once.
    """

    __tablename__ = "dataset_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    seed_sha256: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def reference_column(field_name: str) -> str:
    """The column that stores a record's reference to another row: ``<x>_slug`` -> ``<x>_id``."""
    return field_name.removesuffix("_slug") + "_id"


#: The table that stores each kind of seed record. Their fields agree by name, except that a
#: record's ``<x>_slug`` is stored as the table's ``<x>_id`` (checked field by field by
#: tests/unit/program/test_field_definitions.py). Partnership members go to two link tables,
#: one per member role.
RECORD_TABLES: dict[type[r.Record], type[Base]] = {
    r.CountryRecord: Country,
    r.JapaneseGovernmentRecord: JapaneseGovernment,
    r.PartnerPlaceRecord: PartnerPlace,
    r.OrganizationRecord: Organization,
    r.PartnershipRecord: Partnership,
    r.VocabularyTermRecord: VocabularyTerm,
    r.ProjectRecord: Project,
    r.ProjectOrganizationRecord: ProjectOrganization,
    r.ProjectTagRecord: ProjectTag,
    r.EventRecord: Event,
    r.RelatedProgramRecord: RelatedProgram,
    r.WebsiteRecord: Website,
    r.ProgramReachRecord: ProgramReach,
    r.CallRoundRecord: CallRound,
    r.DataNoteRecord: DataNote,
}
