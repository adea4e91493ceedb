"""The registry's open data: what anyone may download, check and aggregate.

One document (:class:`OpenData`) holds the JCM projects with their totals, every issuance,
every retirement and every block of credits with its Article 6 labels, each with a stable id
built from its natural key (``issuance:<notification>``, ``retirement:<journal seq>``,
``block:<first serial>``), so a reader can compare two dumps. Its JSON Schema is generated
from the same models and published beside it. The journal head (``journal_seq``) says which
state of the ledger it shows; ``c3p registry verify`` proves that state.

The CAD Trust export maps the same records onto the Climate Action Data Trust's project and
unit fields, so an aggregator can list c3p's units beside other registries' and find any
unit listed twice (:mod:`c3p.credits.rules.cadtrust`). Holders are not published: a block
says its registry and whether it is held, pending, retired or cancelled, never its account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.credits import labels as labels_queries
from c3p.credits import queries
from c3p.credits.rules.cadtrust import corresponding_adjustment
from c3p.credits.rules.labels import Labels
from c3p.credits.rules.serials import DEFAULT_FORMAT
from c3p.credits.tables import CreditAccount, CreditAuthorization, CreditBlock, CreditIssuance, JournalEntry
from c3p.schema import Schema
from c3p.workflow.tables import JcmProject

#: bumped when a field changes meaning or disappears (adding one does not)
FORMAT_VERSION = "1"
#: how c3p's registries are named to aggregators
REGISTRY_NAME = "JCM registries on c3p"
#: what a block's account kind says about its credits
BLOCK_STATUS = {
    "government_holding": "held",
    "participant_holding": "held",
    "pending": "pending",
    "retirement": "retired",
    "cancellation": "cancelled",
}
#: the same in the CAD Trust's unit status pick list
CADTRUST_STATUS = {"held": "Held", "pending": "Pending Export", "retired": "Retired", "cancelled": "Cancelled"}


class OpenProject(Schema):
    id: str = Field(description="jcm:<slug>, stable")
    slug: str
    serial_code: str = Field(description="the project's part of every serial")
    title_en: str
    title_ja: str
    host_country: str = Field(description="ISO 3166 alpha-3")
    methodology: str = ""
    program_projects: list[str] = Field(description="C3P projects that led to it")
    issued_credits: int
    retired_credits: int
    cancelled_credits: int


class OpenIssuance(Schema):
    id: str = Field(description="issuance:<notification_ref>, stable")
    notification_ref: str
    project: str
    host_country: str
    period_number: int
    vintage_year: int
    credits: int
    authorization: str = Field(description="Article 6.2: authorized (in full or in part) or not_authorized")
    authorized_credits: int = Field(0, description="credits covered by an authorization record")
    authorization_scope: str = Field("none", description="full, partial or none")
    issued_at: dt.datetime
    serials: list[str]


class OpenRetirement(Schema):
    id: str = Field(description="retirement:<journal seq>, stable")
    occurred_at: str
    credits: int
    registry: str = Field(description="the registry the credits were retired in (of its retirement account)")
    purpose: str
    beneficiary: str
    serials: list[str]


class OpenBlock(Schema):
    id: str = Field(description="block:<first serial>; stable while the block is not split")
    serial: str = Field(description="the block's first and last serial")
    registry: str = Field(description="the registry whose account holds it")
    status: str = Field(description="held, pending (between registries), retired or cancelled")
    credits: int
    project: str
    vintage_year: int
    labels: list[str] = Field(
        description="article6_authorized, authorized_for_ndc, authorized_for_oimp (the purposes of the block's "
        "Article 6.2 authorization record), first_transferred, correspondingly_adjusted (first transferred, "
        "and the host's recorded first-transfer adjustments cover all its first-transferred credits)"
    )


class OpenData(Schema):
    format_version: str = FORMAT_VERSION
    generated_at: dt.datetime
    journal_seq: int = Field(description="the journal entry this dump shows the ledger after")
    projects: list[OpenProject]
    issuances: list[OpenIssuance]
    retirements: list[OpenRetirement]
    blocks: list[OpenBlock]


class SchemaDocument(Schema):
    """A JSON Schema document, as published (its own members kept)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    dialect: str = Field(alias="$schema")
    id: str = Field(alias="$id")
    title: str
    type: str
    properties: dict[str, Any]


class CadTrustProject(Schema):
    """A project in the CAD Trust data model (its field names)."""

    projectId: str
    originProjectId: str
    registryOfOrigin: str
    currentRegistry: str
    program: str
    projectName: str
    projectLink: str
    projectStatus: str
    coveredByNDC: str
    unitMetric: str
    methodology: str


class CadTrustUnit(Schema):
    """A unit block in the CAD Trust data model (its field names and pick-list values)."""

    unitBlockStart: str
    unitBlockEnd: str
    unitCount: int
    vintageYear: int
    countryJurisdictionOfOwner: str
    unitType: str
    unitStatus: str
    unitStatusReason: str | None
    unitRegistryLink: str
    correspondingAdjustmentDeclaration: str
    correspondingAdjustmentStatus: str
    projectId: str
    registry: str


class CadTrustExport(Schema):
    projects: list[CadTrustProject]
    units: list[CadTrustUnit]


def schema() -> dict[str, Any]:
    """The published JSON Schema of :class:`OpenData`."""
    document = OpenData.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["$id"] = f"https://c3p.invalid/schemas/open-data-{FORMAT_VERSION}.json"
    return document


def open_data(session: Session) -> OpenData:
    """The whole public dump, read in one transaction so its parts agree."""
    methodologies = {
        slug: methodology for slug, methodology in session.execute(select(JcmProject.slug, JcmProject.methodology_id))
    }
    projects = [
        OpenProject(
            id=f"jcm:{t.project}",
            slug=t.project,
            serial_code=t.serial_code,
            title_en=t.title_en,
            title_ja=t.title_ja,
            host_country=t.host_country,
            methodology=methodologies.get(t.project) or "",
            program_projects=t.program_projects,
            issued_credits=t.issued_credits,
            retired_credits=t.retired_credits,
            cancelled_credits=t.cancelled_credits,
        )
        for t in queries.project_totals(session)
    ]
    issuances = [
        OpenIssuance(id=f"issuance:{i.notification_ref}", **i.model_dump(include=_fields(OpenIssuance)))
        for i in queries.issuances(session, limit=10**9)
    ]
    retirements = [
        OpenRetirement(id=f"retirement:{r.seq}", **r.model_dump(include=_fields(OpenRetirement)))
        for r in queries.retirements(session, limit=10**9)
    ]
    head = session.scalar(select(func.max(JournalEntry.seq))) or 0
    return OpenData(
        generated_at=dt.datetime.now(dt.UTC),
        journal_seq=head,
        projects=projects,
        issuances=issuances,
        retirements=retirements,
        blocks=list(_blocks(session)),
    )


def _fields(model: type[BaseModel]) -> set[str]:
    """The fields a view copies into an open record (its ``id`` is the record's own)."""
    return set(model.model_fields) - {"id"}


def _blocks(session: Session) -> Iterator[OpenBlock]:
    query = (
        select(
            CreditBlock.registry_code,
            CreditBlock.start_serial,
            CreditBlock.end_serial,
            CreditBlock.first_transferred,
            CreditAccount.registry_code,
            CreditAccount.kind,
            CreditIssuance.host_country,
            CreditIssuance.serial_code,
            CreditIssuance.period_number,
            CreditIssuance.project,
            CreditIssuance.vintage_year,
            CreditAuthorization.purposes,
        )
        .join(CreditAccount, CreditAccount.id == CreditBlock.account_id)
        .join(CreditIssuance, CreditIssuance.id == CreditBlock.issuance_id)
        .outerjoin(  # blocks are split at a record's bounds: at most one record covers a block
            CreditAuthorization,
            (CreditAuthorization.issuance_id == CreditBlock.issuance_id)
            & (CreditAuthorization.registry_code == CreditBlock.registry_code)
            & (CreditAuthorization.start_serial <= CreditBlock.start_serial)
            & (CreditAuthorization.end_serial >= CreditBlock.end_serial),
        )
        .where(CreditAccount.kind.in_(BLOCK_STATUS))
        .order_by(CreditBlock.registry_code, CreditBlock.start_serial)
    )
    adjusted = labels_queries.adjusted_hosts(session)
    for (
        origin,
        start,
        end,
        first,
        registry,
        kind,
        host,
        code,
        period,
        project,
        vintage,
        purposes,
    ) in session.execute(query):
        serial = DEFAULT_FORMAT.block(origin, host, code, period, start, end)
        labels = Labels.of(purposes, bool(first), host in adjusted).codes()
        yield OpenBlock(
            id=f"block:{DEFAULT_FORMAT.unit(origin, host, code, period, start)}",
            serial=serial,
            registry=registry,
            status=BLOCK_STATUS[kind],
            credits=end - start + 1,
            project=project,
            vintage_year=vintage,
            labels=labels,
        )


def cadtrust(data: OpenData, registry_name: str, link: str) -> CadTrustExport:
    """The dump in the CAD Trust data model: ``projects`` and ``units`` (its field names and pick lists).

    Each unit's corresponding-adjustment declaration and status come from its labels, the rule the
    public pages use (:func:`c3p.credits.rules.cadtrust.corresponding_adjustment`, which cites the
    CAD Trust's pick lists).
    """
    projects = [
        CadTrustProject(
            projectId=p.slug,
            originProjectId=p.slug,
            registryOfOrigin=registry_name,
            currentRegistry=registry_name,
            program="Joint Crediting Mechanism (JCM)",
            projectName=p.title_en or p.slug,
            projectLink=f"{link}/jcm-projects/{p.slug}",
            projectStatus="Registered",
            coveredByNDC="Unknown",
            unitMetric="tCO2e",
            methodology=p.methodology,
        )
        for p in data.projects
    ]
    return CadTrustExport(projects=projects, units=[_unit(block, registry_name, link) for block in data.blocks])


def _unit(block: OpenBlock, registry_name: str, link: str) -> CadTrustUnit:
    first, last = _ends(block.serial)
    declaration, status = corresponding_adjustment(Labels.from_codes(block.labels))
    return CadTrustUnit(
        unitBlockStart=first,
        unitBlockEnd=last,
        unitCount=block.credits,
        vintageYear=block.vintage_year,
        countryJurisdictionOfOwner=block.registry,
        unitType="Reduction - technical",
        unitStatus=CADTRUST_STATUS[block.status],
        unitStatusReason=block.status if block.status in ("retired", "cancelled") else None,
        unitRegistryLink=f"{link}/api/v1/registry/holder-of/{first}",
        correspondingAdjustmentDeclaration=str(declaration),
        correspondingAdjustmentStatus=str(status),
        projectId=block.project,
        registry=registry_name,
    )


def _ends(block_serial: str) -> tuple[str, str]:
    """A block serial's first and last unit serials."""
    parsed = DEFAULT_FORMAT.parse(block_serial)
    unit = DEFAULT_FORMAT.unit
    return (
        unit(parsed.registry, parsed.host, parsed.project, parsed.period, parsed.start),
        unit(parsed.registry, parsed.host, parsed.project, parsed.period, parsed.end),
    )
