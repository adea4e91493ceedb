"""The secretariat's API of a call: change its terms, publish its documents, rule on eligibility,
return an application for correction, and the committee's workbook (twins of the portal's forms)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import ConfigDict, Field

from c3p.accounts.rules.policy import Actor
from c3p.errors import Conflict
from c3p.schema import Schema
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.problems import problems
from c3p.web.routes import Router
from c3p.workflow.schemas import ApplicationView, AttachmentView, CallTermsView, CallView
from c3p.workflow.service import call_setup, calls, selection

router = Router(tags=["program workflow"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Body(Schema):
    model_config = ConfigDict(extra="forbid")


class RulingIn(_Body):
    eligible: bool | None = Field(description="true or false whatever the check says; null: the check decides")
    reason: str = Field(description="why; kept in the history")


class ReturnIn(_Body):
    message: str = Field(description="what the proposer must correct")
    due_at: dt.datetime = Field(description="the new deadline (with its offset; naive: UTC)")


@router.patch(
    "/calls/{slug}",
    response_model=CallView,
    responses=problems(Conflict),
    summary="Change a call's terms (those left out stay)",
)
def update_call(
    request: Request, slug: str, body: call_setup.CallChanges, actor: Actor = Depends(permission("program.call.manage"))
) -> CallView:
    with writing(request, actor) as session:
        return calls.call_view(session, call_setup.update_call(session, actor, slug, body))


@router.get("/calls/{slug}/terms", response_model=CallTermsView, summary="A call's terms by name, with its documents")
def call_terms(request: Request, slug: str, _actor: Actor = Depends(permission("program.call.read"))) -> CallTermsView:
    with db(request).reading() as session:
        return call_setup.terms(session, calls.call_by_slug(session, slug))


@router.post(
    "/calls/{slug}/documents",
    response_model=AttachmentView,
    status_code=201,
    summary="Publish a call document (guidelines, forms, scoring sheet)",
)
async def add_document(
    request: Request,
    slug: str,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "guidelines",
    actor: Actor = Depends(permission("program.call.manage")),
) -> AttachmentView:
    settings = request.app.state.settings
    content = await file.read(settings.attachment_max_bytes + 1)

    def save() -> AttachmentView:
        with writing(request, actor) as session:
            row = call_setup.add_document(session, actor, settings, slug, kind, file.filename or "", content)
            return AttachmentView.model_validate(row)

    return await run_in_threadpool(save)


@router.post(
    "/applications/{application_id}/eligibility",
    response_model=ApplicationView,
    responses=problems(Conflict),
    summary="Rule on an application's eligibility, with the reason",
)
def rule_eligibility(
    request: Request,
    application_id: int,
    body: RulingIn,
    actor: Actor = Depends(permission("program.application.adopt")),
) -> ApplicationView:
    with writing(request, actor) as session:
        application = selection.override_eligibility(session, actor, application_id, body.eligible, body.reason)
        return calls.application_view(session, application)


@router.post(
    "/applications/{application_id}/return",
    response_model=ApplicationView,
    responses=problems(Conflict),
    summary="Return a submitted application for correction (差戻し) with a new deadline",
)
def return_for_correction(
    request: Request, application_id: int, body: ReturnIn, actor: Actor = Depends(permission("program.call.manage"))
) -> ApplicationView:
    with writing(request, actor) as session:
        application = selection.return_for_correction(
            session, actor, application_id, body.message, body.due_at, request.app.state.settings
        )
        return calls.application_view(session, application)


@router.get(
    "/calls/{slug}/scores.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}},
    summary="The ranking, scores and comments as an Excel workbook for the selection committee",
)
def scores_workbook(request: Request, slug: str, actor: Actor = Depends(permission("program.call.manage"))) -> Response:
    with db(request).reading() as session:
        content = selection.scores_workbook(session, actor, slug)
    headers = {"content-disposition": f'attachment; filename="scores-{slug}.xlsx"'}
    return Response(content, media_type=XLSX, headers=headers)
