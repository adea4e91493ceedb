"""REST endpoints of the JCM credit registry under ``/api/v1/registry``.

Public reads are what the JCM registry publishes (issuances, retirements, per-project
totals, statistics, the Article 6.2 report, who holds a serial). Every write is guarded by
its policy action at the route and asked again by the service with the real target; each
request is one unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.credits import (
    adjustments,
    aef_reports,
    aef_workbook,
    batches,
    certificates,
    checkpoints,
    history,
    opendata,
    queries,
    representatives,
    service,
)
from c3p.credits import schemas as v
from c3p.credits.rules import aef
from c3p.credits.rules.statements import Period
from c3p.credits.rules.transactions import MAX_CREDITS
from c3p.credits.verify import verify as verify_journal
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_
from c3p.schema import Schema
from c3p.web.auth import database, moving_credits, permission, writing
from c3p.web.problems import problems
from c3p.web.routes import Router

router = Router(prefix="/registry", tags=["credit registry"])
CREDITS = f"whole credits, 1 to {MAX_CREDITS:,}"
T = TypeVar("T")


class Body(Schema):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenAccountBody(Body):
    registry: str = Field(description="JPN or the partner country's ISO3")
    kind: str = Field("participant_holding", description="government_holding or participant_holding")
    holder: str = Field(description="slug of the holding member organization")
    name: str = ""


class StatusBody(Body):
    status: str = Field(description="open, suspended or closed")


class TransferBody(Body):
    from_account: str
    to_account: str
    credits: int | None = Field(None, strict=True, ge=1, le=MAX_CREDITS, description=CREDITS)
    serial: str | None = None


class BatchBody(Body):
    transfers: list[TransferBody] = Field(
        min_length=1, max_length=batches.MAX_LINES, description="applied in order, all or none"
    )


class CancelBody(Body):
    from_account: str
    credits: int | None = Field(None, strict=True, ge=1, le=MAX_CREDITS, description=CREDITS)
    serial: str | None = None
    reason: str = ""


class RetireBody(Body):
    from_account: str
    purpose: str
    beneficiary: str
    credits: int | None = Field(None, strict=True, ge=1, le=MAX_CREDITS, description=CREDITS)
    serial: str | None = None


class RepresentativeBody(Body):
    email: str = Field(description="e-mail of the user named to move the account's credits")


class RegistrySettingsBody(Body):
    approval_threshold_credits: int | None = Field(
        strict=True,
        ge=1,
        le=MAX_CREDITS,
        description="transfers of more credits wait for a second representative; null: never",
    )


class AuthorizationBody(Body):
    status: str = Field(description="authorized or not_authorized")


class RangeAuthorizationBody(Body):
    serials: str = Field(description="unit numbers a-b of the issuance in one registry, e.g. 11-20")
    purposes: list[str] = Field(description="ndc, oimp, or both")
    entities: list[str] = Field([], description="slugs of the authorized organizations")
    decision_ref: str = Field(description="reference of the authorizing decision")
    decided_on: str = Field(description="date of the decision, YYYY-MM-DD (not in the future)")
    first_transfer: str | None = Field(
        None, description="for OIMP: first_international_transfer, use_or_cancellation, authorization or issuance"
    )
    registry: str | None = Field(None, description="the serials' registry, when the issuance has two")


def _reading(request: Request, read: Callable[[Session], T]) -> T:
    with database(request).reading() as session:
        return read(session)


# ---- public reads ----


@router.get("/issuances", response_model=list[v.IssuanceView], summary="Issuances, newest first")
async def list_issuances(
    request: Request, project: str | None = None, country: str | None = None
) -> list[v.IssuanceView]:
    return await run_in_threadpool(_reading, request, lambda s: queries.issuances(s, project, country))


@router.get("/retirements", response_model=list[v.RetirementView], summary="Retirements with purpose and beneficiary")
async def list_retirements(request: Request) -> list[v.RetirementView]:
    return await run_in_threadpool(_reading, request, queries.retirements)


@router.get(
    "/open-data", response_model=opendata.OpenData, summary="Open data: projects, issuances, retirements, blocks"
)
async def open_data(request: Request) -> opendata.OpenData:
    """The whole public dump with Article 6 labels and stable ids; its schema is at ``/open-data/schema``."""
    return await run_in_threadpool(_reading, request, opendata.open_data)


@router.get("/open-data/schema", response_model=opendata.SchemaDocument, summary="JSON Schema of the open data")
def open_data_schema() -> dict[str, Any]:
    return opendata.schema()


@router.get(
    "/open-data/cadtrust",
    response_model=opendata.CadTrustExport,
    summary="Open data in the CAD Trust data model (projects and units)",
)
async def open_data_cadtrust(request: Request) -> opendata.CadTrustExport:
    link = request.app.state.settings.base_url
    data = await run_in_threadpool(_reading, request, opendata.open_data)
    return opendata.cadtrust(data, opendata.REGISTRY_NAME, link)


@router.get("/projects", response_model=list[v.ProjectTotal], summary="Credits issued, retired, cancelled per project")
async def project_totals(request: Request) -> list[v.ProjectTotal]:
    return await run_in_threadpool(_reading, request, queries.project_totals)


@router.get("/stats", response_model=v.RegistryStats, summary="Credits by account kind, registry and year")
async def registry_stats(request: Request) -> v.RegistryStats:
    return await run_in_threadpool(_reading, request, queries.stats)


@router.get("/article6", response_model=list[v.Article6Row], summary="Article 6.2 report per country and year")
async def article6_report(request: Request, country: str | None = None) -> list[v.Article6Row]:
    return await run_in_threadpool(_reading, request, lambda s: queries.article6_report(s, country))


@router.get("/holder-of/{serial}", response_model=v.HolderView, summary="Which account holds a credit")
async def holder_of(request: Request, serial: str) -> v.HolderView:
    return await run_in_threadpool(_reading, request, lambda s: queries.holder_of(s, serial))


@router.get(
    "/history/{serial}",
    response_model=v.HistoryView,
    responses=problems(NotFound, InvalidInput, Conflict),
    summary="The full history of a credit or a block",
)
async def credit_history(request: Request, serial: str) -> v.HistoryView:
    """Every split, transfer and authorization change of the serials, from the journal; the final states sum to
    what was issued."""
    return await run_in_threadpool(_reading, request, lambda s: history.credit_history(s, serial))


@router.get(
    "/retirements/{seq}/certificate",
    response_model=v.SignedCertificate,
    responses=problems(NotFound, Conflict),
    summary="A retirement's signed certificate (its facts, key, signature and code)",
)
async def retirement_certificate(request: Request, seq: int) -> dict[str, Any]:
    return await run_in_threadpool(_reading, request, lambda s: certificates.certificate(s, seq).to_json())


@router.get(
    "/retirements/{seq}/certificate.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problems(NotFound, Conflict),
    },
    summary="A retirement's certificate as a bilingual PDF",
)
async def retirement_certificate_pdf(request: Request, seq: int) -> Response:
    def made(session: Session) -> bytes:
        return certificates.pdf(session, certificates.certificate(session, seq))

    data = await run_in_threadpool(_reading, request, made)
    headers = {"content-disposition": f'attachment; filename="retirement-certificate-{seq}.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)


@router.get(
    "/certificates/{code}",
    response_model=v.CertificateCheck,
    responses=problems(InvalidInput),
    summary="Check a certificate's verification code against the journal",
)
async def check_certificate_code(request: Request, code: str) -> v.CertificateCheck:
    return await run_in_threadpool(_reading, request, lambda s: certificates.check_code(s, code))


# ---- guarded reads ----


@router.get("/accounts", response_model=list[v.AccountView], summary="Accounts (a holder sees its own)")
def list_accounts(
    request: Request, actor: Annotated[Actor, Depends(permission("credits.read"))], registry: str | None = None
) -> list[v.AccountView]:
    with database(request).reading() as session:
        return queries.visible_accounts(session, actor, registry)


@router.get("/accounts/{number}", response_model=v.AccountDetailView, summary="An account, its balance and its blocks")
def show_account(
    request: Request, number: str, actor: Annotated[Actor, Depends(permission("credits.read"))]
) -> v.AccountDetailView:
    with database(request).reading() as session:
        account = queries.readable_account(session, actor, number)
        return v.AccountDetailView(**account.model_dump(), blocks=queries.blocks_of(session, number))


@router.get("/accounts/{number}/statement", response_model=v.StatementView, summary="An account's statement")
def account_statement(
    request: Request,
    number: str,
    actor: Annotated[Actor, Depends(permission("credits.read"))],
    from_date: Annotated[str | None, Query(alias="from", description="first day, YYYY-MM-DD (UTC)")] = None,
    to_date: Annotated[str | None, Query(alias="to", description="last day, YYYY-MM-DD (UTC)")] = None,
) -> v.StatementView:
    """Opening balance, every transaction touching the account with its running balance, closing balance."""
    period = Period.parse(from_date, to_date)
    with database(request).reading() as session:
        queries.readable_account(session, actor, number)
        return queries.statement(session, number, period)


@router.get(
    "/accounts/{number}/representatives",
    response_model=list[v.RepresentativeView],
    summary="Who may move an account's credits",
)
def list_representatives(
    request: Request, number: str, actor: Annotated[Actor, Depends(permission("credits.read"))]
) -> list[v.RepresentativeView]:
    with database(request).reading() as session:
        return representatives.representatives(session, actor, number)


@router.get("/proposals", response_model=list[v.ProposalView], summary="Transfers waiting for a second representative")
def list_proposals(
    request: Request, actor: Annotated[Actor, Depends(permission("credits.read"))], account: str | None = None
) -> list[v.ProposalView]:
    with database(request).reading() as session:
        return queries.proposals(session, actor, account)


@router.get(
    "/pending", response_model=list[v.PendingTransferView], summary="Transfers waiting for the receiving registry"
)
def list_pending(
    request: Request, actor: Annotated[Actor, Depends(permission("credits.accept"))], registry: str | None = None
) -> list[v.PendingTransferView]:
    with database(request).reading() as session:
        return [v.PendingTransferView(**pending) for pending in queries.visible_pending(session, actor, registry)]


@router.get(
    "/checkpoints",
    response_model=list[v.CheckpointView],
    summary="Signed checkpoints of the journal head, newest first (public; format in docs/registry.md)",
)
def list_checkpoints(
    request: Request, limit: Annotated[int, Query(ge=1, le=1000, description="how many, newest first")] = 100
) -> list[v.CheckpointView]:
    with database(request).reading() as session:
        return checkpoints.recent(session, limit)


@router.get(
    "/checkpoints/latest",
    response_model=v.CheckpointView,
    responses=problems(NotFound),
    summary="The newest signed checkpoint (public)",
)
def latest_checkpoint(request: Request) -> v.CheckpointView:
    with database(request).reading() as session:
        found = checkpoints.recent(session, 1)
    if not found:
        raise NotFound(N_("no checkpoint has been signed yet"))
    return found[0]


@router.get("/verify", response_model=v.VerifyReport, summary="Replay the journal and check the chain")
def verify(request: Request, actor: Annotated[Actor, Depends(permission("credits.verify"))]) -> v.VerifyReport:
    with database(request).reading() as session:
        return verify_journal(session)


@router.get(
    "/adjustments/{country}",
    response_model=adjustments.AdjustmentGap,
    summary="Corresponding adjustments due under the country's method, beside those recorded",
    responses=problems(NotFound, InvalidInput, Conflict),
)
def adjustment_gap(
    request: Request,
    actor: Annotated[Actor, Depends(permission("credits.adjustments.read"))],
    country: str,
    year: Annotated[
        int | None, Query(ge=1, le=9999, description="one year of the NDC period (else all elapsed)")
    ] = None,
) -> adjustments.AdjustmentGap:
    require(actor, "credits.adjustments.read", Target.of(country=country.upper()))
    with database(request).reading() as session:
        return adjustments.adjustment_gap(session, country, year)


# ---- writes ----


@router.post(
    "/accounts",
    response_model=v.AccountView,
    status_code=201,
    responses=problems(NotFound),
    summary="Open a holding account",
)
def open_account(
    request: Request, body: OpenAccountBody, actor: Annotated[Actor, Depends(permission("credits.account.open"))]
) -> v.AccountView:
    with writing(request, actor) as session:
        return service.open_account(session, actor, body.registry, body.kind, body.holder, body.name)


@router.post(
    "/accounts/{number}/status",
    response_model=v.AccountView,
    responses=problems(Conflict),
    summary="Suspend, reopen or close an account",
)
def set_status(
    request: Request,
    number: str,
    body: StatusBody,
    actor: Annotated[Actor, Depends(permission("credits.account.update"))],
) -> v.AccountView:
    with writing(request, actor) as session:
        return service.set_account_status(session, actor, number, body.status)


@router.post(
    "/accounts/{number}/representatives",
    response_model=v.RepresentativeView,
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Name a representative of a holding account",
)
def add_representative(
    request: Request,
    number: str,
    body: RepresentativeBody,
    actor: Annotated[Actor, Depends(permission("credits.representative.manage"))],
) -> v.RepresentativeView:
    with writing(request, actor) as session:
        return representatives.name_representative(session, actor, number, body.email)


@router.delete(
    "/accounts/{number}/representatives",
    response_model=list[v.RepresentativeView],
    responses=problems(NotFound),
    summary="Remove a representative of a holding account; the representatives left",
)
def remove_representative(
    request: Request,
    number: str,
    actor: Annotated[Actor, Depends(permission("credits.representative.manage"))],
    email: Annotated[str, Query(description="e-mail of the representative")] = "",
) -> list[v.RepresentativeView]:
    with writing(request, actor) as session:
        representatives.remove_representative(session, actor, number, email)
        return representatives.representatives(session, actor, number)


@router.post(
    "/issuances",
    response_model=v.IssuanceView,
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Issue on a JC notification",
)
def issue(
    request: Request, body: v.IssuanceNotice, actor: Annotated[Actor, Depends(permission("credits.issue"))]
) -> v.IssuanceView:
    with writing(request, actor) as session:
        return service.issue(session, actor, body)


@router.post("/issuances/{notification_ref}/authorization", response_model=v.IssuanceView, summary="Article 6.2")
def authorize(
    request: Request,
    notification_ref: str,
    body: AuthorizationBody,
    actor: Annotated[Actor, Depends(permission("credits.authorize"))],
) -> v.IssuanceView:
    with writing(request, actor) as session:
        return service.authorize(session, actor, notification_ref, body.status)


@router.post(
    "/issuances/{notification_ref}/authorizations",
    response_model=v.AuthorizationView,
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Authorize a serial range (Article 6.2)",
)
def authorize_range(
    request: Request,
    notification_ref: str,
    body: RangeAuthorizationBody,
    actor: Annotated[Actor, Depends(permission("credits.authorize"))],
) -> v.AuthorizationView:
    """Record the authorization of serials a-b, or the next version of the record of that range."""
    with writing(request, actor) as session:
        return service.authorize_range(
            session,
            actor,
            notification_ref,
            body.serials,
            body.purposes,
            body.entities,
            body.decision_ref,
            body.decided_on,
            body.first_transfer,
            body.registry,
        )


@router.post(
    "/transfers",
    response_model=v.TransactionView,
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Transfer credits",
)
def transfer(
    request: Request, body: TransferBody, actor: Annotated[Actor, Depends(permission("credits.transfer"))]
) -> v.TransactionView:
    with moving_credits(request, actor, one_command=True) as session:
        return service.transfer(session, actor, body.from_account, body.to_account, body.credits, body.serial)


@router.post(
    "/proposals/{key}/approve",
    response_model=v.TransactionView,
    responses=problems(NotFound, Conflict),
    summary="Approve a transfer another representative proposed",
)
def approve(
    request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.transfer.approve"))]
) -> v.TransactionView:
    with writing(request, actor) as session:
        return service.decide_transfer(session, actor, key, True)


@router.post(
    "/proposals/{key}/refuse",
    response_model=v.TransactionView,
    responses=problems(NotFound, Conflict),
    summary="Refuse a transfer another representative proposed",
)
def refuse(
    request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.transfer.approve"))]
) -> v.TransactionView:
    with writing(request, actor) as session:
        return service.decide_transfer(session, actor, key, False)


@router.put(
    "/registries/{code}/settings",
    response_model=v.RegistrySettings,
    responses=problems(NotFound),
    summary="Set when a registry's transfers need a second representative",
)
def configure_registry(
    request: Request,
    code: str,
    body: RegistrySettingsBody,
    actor: Annotated[Actor, Depends(permission("credits.registry.configure"))],
) -> v.RegistrySettings:
    with writing(request, actor) as session:
        return service.configure_registry(session, actor, code, body.approval_threshold_credits)


@router.post(
    "/transfers/batch",
    response_model=list[v.TransactionView],
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Transfer credits in a batch",
    description="Every transfer is checked as if it were sent alone; all are applied in one transaction, "
    "or none: a refusal lists every refused transfer (`refused`: its place in the list from 1, and why).",
)
def transfer_batch(
    request: Request, body: BatchBody, actor: Annotated[Actor, Depends(permission("credits.transfer"))]
) -> list[v.TransactionView]:
    lines = [batches.TransferLine(t.from_account, t.to_account, t.credits, t.serial) for t in body.transfers]
    with moving_credits(request, actor, one_command=False) as unit:
        return batches.transfer_batch(unit, actor, lines)


@router.post(
    "/pending/{key}/accept",
    response_model=v.TransactionView,
    responses=problems(Conflict),
    summary="Accept a pending transfer",
)
def accept(
    request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.accept"))]
) -> v.TransactionView:
    with writing(request, actor) as session:
        return service.resolve_pending(session, actor, key, True)


@router.post(
    "/pending/{key}/reject",
    response_model=v.TransactionView,
    responses=problems(Conflict),
    summary="Reject a pending transfer",
)
def reject(
    request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.accept"))]
) -> v.TransactionView:
    with writing(request, actor) as session:
        return service.resolve_pending(session, actor, key, False)


@router.post(
    "/cancellations",
    response_model=v.TransactionView,
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Cancel credits",
)
def cancel(
    request: Request, body: CancelBody, actor: Annotated[Actor, Depends(permission("credits.cancel"))]
) -> v.TransactionView:
    with moving_credits(request, actor, one_command=True) as session:
        return service.cancel(session, actor, body.from_account, body.credits, body.serial, body.reason)


@router.post(
    "/retirements",
    response_model=v.TransactionView,
    status_code=201,
    responses=problems(NotFound, Conflict),
    summary="Retire credits",
)
def retire(
    request: Request, body: RetireBody, actor: Annotated[Actor, Depends(permission("credits.retire"))]
) -> v.TransactionView:
    with moving_credits(request, actor, one_command=True) as session:
        return service.retire(
            session, actor, body.from_account, body.purpose, body.beneficiary, body.credits, body.serial
        )


# ---- the Article 6.2 annual report (registry administrators of the country) ----


#: the documented success body of a route that answers a workbook
WORKBOOK: dict[int | str, dict[str, Any]] = {
    200: {"content": {aef_workbook.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}
}


def _xlsx(content: bytes, name: str) -> Response:
    return Response(
        content, media_type=aef_workbook.MEDIA_TYPE, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/article6/{country}/{year}.xlsx",
    response_class=Response,
    responses={**WORKBOOK, **problems(NotFound)},
    summary="The annual report as an Excel workbook (a draft, not stored)",
)
def annual_report_xlsx(
    request: Request,
    country: str,
    year: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> Response:
    with database(request).reading() as session:
        report = aef_reports.produce(session, actor, country, year)
    return _xlsx(aef_workbook.workbook(report), f"article6-{report.country}-{report.year}-draft.xlsx")


@router.get(
    "/article6/{country}/{year}/submissions/{version}.xlsx",
    response_class=Response,
    responses={**WORKBOOK, **problems(NotFound)},
    summary="One submitted version as an Excel workbook",
)
def annual_report_version_xlsx(
    request: Request,
    country: str,
    year: int,
    version: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> Response:
    with database(request).reading() as session:
        content, name = aef_reports.stored_workbook(session, actor, country, year, version)
    return _xlsx(content, name)


@router.get(
    "/article6/{country}/{year}",
    response_model=aef.AefReport,
    responses=problems(NotFound),
    summary="A country's Article 6.2 annual report (agreed electronic format) with its consistency checks",
)
def annual_report(
    request: Request,
    country: str,
    year: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> aef.AefReport:
    with database(request).reading() as session:
        return aef_reports.produce(session, actor, country, year)


@router.post(
    "/article6/{country}/{year}/submissions",
    response_model=aef_reports.SubmissionView,
    status_code=201,
    responses=problems(NotFound),
    summary="Submit the report as the next version (the latest one if nothing changed since)",
)
def submit_annual_report(
    request: Request,
    country: str,
    year: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.submit"))],
) -> aef_reports.SubmissionView:
    with writing(request, actor) as session:
        return aef_reports.submit(session, actor, country, year)


@router.get(
    "/article6/{country}/{year}/submissions",
    response_model=list[aef_reports.SubmissionView],
    responses=problems(NotFound),
    summary="Every submitted version of the report, oldest first",
)
def annual_report_versions(
    request: Request,
    country: str,
    year: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> list[aef_reports.SubmissionView]:
    with database(request).reading() as session:
        return aef_reports.submissions(session, actor, country, year)


@router.get(
    "/article6/{country}/{year}/submissions/{version}",
    response_model=aef_reports.StoredReport,
    responses=problems(NotFound),
    summary="One submitted version as stored, checked again against today's journal",
)
def annual_report_version(
    request: Request,
    country: str,
    year: int,
    version: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> aef_reports.StoredReport:
    with database(request).reading() as session:
        return aef_reports.stored(session, actor, country, year, version)
