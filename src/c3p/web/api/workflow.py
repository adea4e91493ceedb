"""Program workflow API: calls, applications, reviews, adoption, tracking, outcomes, the JCM pipeline.

Every mutating route is guarded by ``Depends(permission(...))``; services ask the policy again
with the real target. One request is one unit of work, attributed to the actor in the history.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from c3p.accounts.rules.policy import Actor
from c3p.accounts.schemas import HistoryView
from c3p.db.history import entries_for
from c3p.errors import Conflict, NotFound
from c3p.schema import Schema
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.downloads import file_response
from c3p.web.problems import problems
from c3p.web.routes import Router
from c3p.workflow import queries
from c3p.workflow.rules import subsidy
from c3p.workflow.schemas import (
    ActivityView,
    ApplicationView,
    AttachmentView,
    CallView,
    CommentView,
    ConflictView,
    ExpenseView,
    JcmProjectView,
    KpiView,
    MilestoneView,
    NotificationView,
    OutcomeView,
    ReviewView,
    ScoreView,
    TrackingView,
    TransitionView,
)
from c3p.workflow.service import (
    calls,
    consortium,
    jcm,
    notify,  # also installs the after-commit mail hook
    review,
    tracking,
)

router = Router(tags=["program workflow"])


class _Body(Schema):
    model_config = ConfigDict(extra="forbid")


class CallStateIn(_Body):
    state: str = Field(description="reviewing (close submissions) or reviewed (close the review)")


class ScoreIn(_Body):
    points: dict[str, int] = Field(description="criterion key: points")
    comment: str = ""


class ConflictIn(_Body):
    reason: str


class AdoptIn(_Body):
    applications: list[int] = Field(description="ids of the applications to adopt, in project-number order")
    grants_jpy: dict[int, int] = Field(
        default_factory=dict, description="application id: the grant decided (交付決定), JPY, within its first year"
    )
    decided_on: dt.date | None = Field(None, description="the day of the grant decision (default: today in Japan)")


class ProjectStateIn(_Body):
    state: str


class MoveIn(_Body):
    to_state: str
    occurred_on: dt.date | None = None
    note: str = ""
    serial_code: str | None = Field(None, description="at registration: the serial code (default: next <ISO2><nnn>)")


class VerifierIn(_Body):
    tpe: str = Field(description="slug of the TPE organization that verifies the project's monitoring reports")


class SubsidyIn(subsidy.SubsidyParams):
    rate_tiers: list[subsidy.RateTier] | None = Field(None, description="override the year's (unknown) rate tiers")
    cost_effectiveness_max_jpy_per_tco2: int | None = Field(None, ge=1, description="override the threshold")


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _expire(request: Request) -> None:
    request.app.state.revision_watch.expire()


# ---------- calls ----------


@router.get("/calls", response_model=list[CallView], summary="Calls for proposals, newest first")
def list_calls(request: Request, _actor: Actor = Depends(permission("program.call.read"))) -> list[CallView]:
    with db(request).reading() as session:
        return [calls.call_view(session, call) for call in calls.list_calls(session)]


@router.post(
    "/calls",
    response_model=CallView,
    status_code=201,
    responses=problems(Conflict),
    summary="Open a call for proposals",
)
def open_call(
    request: Request, body: calls.NewCall, actor: Actor = Depends(permission("program.call.open"))
) -> CallView:
    with writing(request, actor) as session:
        call = calls.open_call(session, actor, body, _settings(request))
        return calls.call_view(session, call)


@router.get("/calls/{slug}", response_model=CallView, summary="One call")
def get_call(request: Request, slug: str, _actor: Actor = Depends(permission("program.call.read"))) -> CallView:
    with db(request).reading() as session:
        return calls.call_view(session, calls.call_by_slug(session, slug))


@router.post(
    "/calls/{slug}/state",
    response_model=CallView,
    responses=problems(Conflict),
    summary="Close submissions or the review",
)
def move_call(
    request: Request, slug: str, body: CallStateIn, actor: Actor = Depends(permission("program.call.manage"))
) -> CallView:
    with writing(request, actor) as session:
        return calls.call_view(session, calls.move_call(session, actor, slug, body.state, _settings(request)))


@router.post(
    "/calls/{slug}/adopt",
    response_model=list[str],
    responses=problems(Conflict),
    summary="Adopt applications; returns project slugs",
)
def adopt(
    request: Request, slug: str, body: AdoptIn, actor: Actor = Depends(permission("program.application.adopt"))
) -> list[str]:
    with writing(request, actor) as session:
        projects = review.adopt(
            session, actor, slug, body.applications, _settings(request), body.grants_jpy, body.decided_on
        )
        result = [p.slug for p in projects]
    _expire(request)
    return result


@router.post(
    "/calls/{slug}/publish",
    response_model=list[str],
    responses=problems(Conflict),
    summary="Publish the call's adopted projects",
)
def publish(request: Request, slug: str, actor: Actor = Depends(permission("program.project.publish"))) -> list[str]:
    with writing(request, actor) as session:
        result = [p.slug for p in review.publish(session, actor, slug, _settings(request))]
    _expire(request)
    return result


# ---------- applications ----------


@router.get("/applications", response_model=list[ApplicationView], summary="Applications the caller may see")
def list_applications(
    request: Request, call: str | None = None, actor: Actor = Depends(permission("program.application.read"))
) -> list[ApplicationView]:
    with db(request).reading() as session:
        return [calls.application_view(session, a) for a in queries.visible_applications(session, actor, call)]


@router.post(
    "/calls/{slug}/applications",
    response_model=ApplicationView,
    status_code=201,
    responses=problems(Conflict),
    summary="Start a draft",
)
def create_application(
    request: Request,
    slug: str,
    body: calls.ApplicationDraft,
    actor: Actor = Depends(permission("program.application.draft")),
) -> ApplicationView:
    with writing(request, actor) as session:
        return calls.application_view(session, calls.create_application(session, actor, slug, body))


@router.get("/applications/{application_id}", response_model=ApplicationView, summary="One application")
def get_application(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.read"))
) -> ApplicationView:
    with db(request).reading() as session:
        return calls.application_view(session, queries.readable_application(session, actor, application_id))


@router.patch(
    "/applications/{application_id}",
    response_model=ApplicationView,
    responses=problems(Conflict),
    summary="Save a draft",
)
def update_application(
    request: Request,
    application_id: int,
    body: calls.ApplicationDraft,
    actor: Actor = Depends(permission("program.application.draft")),
) -> ApplicationView:
    with writing(request, actor) as session:
        return calls.application_view(session, calls.update_application(session, actor, application_id, body))


@router.post(
    "/applications/{application_id}/attachments",
    response_model=AttachmentView,
    status_code=201,
    responses=problems(Conflict),
    summary="Attach a file to a draft",
)
async def add_attachment(
    request: Request,
    application_id: int,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "application_form",
    actor: Actor = Depends(permission("program.application.draft")),
) -> AttachmentView:
    content = await file.read(_settings(request).attachment_max_bytes + 1)

    def save() -> AttachmentView:
        with writing(request, actor) as session:
            row = calls.add_attachment(
                session, actor, _settings(request), application_id, kind, file.filename or "", content
            )
            return AttachmentView.model_validate(row)

    return await run_in_threadpool(save)


@router.get(
    "/applications/{application_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the file as attached",
        }
    },
    summary="Download an attached file",
)
def get_attachment(
    request: Request,
    application_id: int,
    attachment_id: int,
    actor: Actor = Depends(permission("program.application.read")),
) -> Response:
    with db(request).reading() as session:
        row, content = queries.application_file(session, actor, _settings(request), application_id, attachment_id)
        return file_response(content, row.filename, row.content_type)


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(description="the comment, in plain text")


@router.post(
    "/applications/{application_id}/comments",
    response_model=CommentView,
    status_code=201,
    summary="Comment on an application (its consortium and the secretariat)",
)
def add_comment(
    request: Request,
    application_id: int,
    body: CommentIn,
    actor: Actor = Depends(permission("program.application.comment")),
) -> CommentView:
    with writing(request, actor) as session:
        application = calls.application_by_id(session, application_id)
        return CommentView.model_validate(consortium.add_comment(session, actor, application, body.body))


@router.post(
    "/applications/{application_id}/submit",
    response_model=ApplicationView,
    responses=problems(Conflict),
    summary="Submit",
)
def submit(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.submit"))
) -> ApplicationView:
    with writing(request, actor) as session:
        return calls.application_view(session, calls.submit(session, actor, application_id, _settings(request)))


@router.post(
    "/applications/{application_id}/withdraw",
    response_model=ApplicationView,
    responses=problems(Conflict),
    summary="Withdraw",
)
def withdraw(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.withdraw"))
) -> ApplicationView:
    with writing(request, actor) as session:
        return calls.application_view(session, calls.withdraw(session, actor, application_id, _settings(request)))


# ---------- reviews ----------


@router.get("/reviews/{slug}", response_model=ReviewView, summary="A call's review as the caller may see it")
def get_review(request: Request, slug: str, actor: Actor = Depends(permission("program.review.read"))) -> ReviewView:
    with db(request).reading() as session:
        return review.review_view(session, actor, slug)


@router.put(
    "/reviews/applications/{application_id}/score",
    response_model=ScoreView,
    responses=problems(Conflict),
    summary="Score an application",
)
def score(
    request: Request,
    application_id: int,
    body: ScoreIn,
    actor: Actor = Depends(permission("program.application.review")),
) -> ScoreView:
    with writing(request, actor) as session:
        row = review.score(session, actor, application_id, body.points, body.comment)
        return ScoreView(
            application_id=row.application_id,
            reviewer=actor.label,
            points=row.points,
            total=row.total,
            comment=row.comment,
            scored_at=row.scored_at,
        )


@router.post(
    "/reviews/applications/{application_id}/conflict",
    response_model=ConflictView,
    status_code=201,
    responses=problems(Conflict),
    summary="Declare a conflict of interest",
)
def declare_conflict(
    request: Request,
    application_id: int,
    body: ConflictIn,
    actor: Actor = Depends(permission("program.application.conflict")),
) -> ConflictView:
    with writing(request, actor) as session:
        row = review.declare_conflict(session, actor, application_id, body.reason)
        return ConflictView(
            application_id=row.application_id, reviewer=actor.label, reason=row.reason, declared_at=row.declared_at
        )


# ---------- project tracking ----------


@router.get("/projects/{slug}/tracking", response_model=TrackingView, summary="Status, activities and milestones")
def get_tracking(
    request: Request, slug: str, actor: Actor = Depends(permission("program.outcome.read"))
) -> TrackingView:
    with db(request).reading() as session:
        return tracking.tracking_view(session, tracking.readable_project(session, actor, slug))


@router.post(
    "/projects/{slug}/tracking/state",
    response_model=TrackingView,
    responses=problems(Conflict),
    summary="Change a project's status",
)
def set_project_state(
    request: Request, slug: str, body: ProjectStateIn, actor: Actor = Depends(permission("program.project.track"))
) -> TrackingView:
    with writing(request, actor) as session:
        tracking.set_state(session, actor, slug, body.state)
        return tracking.tracking_view(session, tracking.project_by_slug(session, slug))


@router.post("/projects/{slug}/activities", response_model=ActivityView, status_code=201, summary="Add an activity")
def add_activity(
    request: Request, slug: str, body: tracking.NewActivity, actor: Actor = Depends(permission("program.project.track"))
) -> ActivityView:
    with writing(request, actor) as session:
        return ActivityView.model_validate(tracking.add_activity(session, actor, slug, body))


@router.put("/projects/{slug}/activities/{activity_id}", response_model=ActivityView, summary="Change an activity")
def update_activity(
    request: Request,
    slug: str,
    activity_id: int,
    body: tracking.NewActivity,
    actor: Actor = Depends(permission("program.project.track")),
) -> ActivityView:
    with writing(request, actor) as session:
        return ActivityView.model_validate(tracking.update_activity(session, actor, slug, activity_id, body))


@router.post("/projects/{slug}/expenses", response_model=ExpenseView, status_code=201, summary="Record an expense")
def add_expense(
    request: Request, slug: str, body: tracking.NewExpense, actor: Actor = Depends(permission("program.project.track"))
) -> ExpenseView:
    with writing(request, actor) as session:
        return ExpenseView.model_validate(tracking.add_expense(session, actor, slug, body))


@router.post(
    "/projects/{slug}/documents",
    response_model=AttachmentView,
    status_code=201,
    summary="Attach a file of the year (activity report, minutes, photos, completion report)",
)
async def add_project_document(
    request: Request,
    slug: str,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()] = "activity_report",
    actor: Actor = Depends(permission("program.project.track")),
) -> AttachmentView:
    content = await file.read(_settings(request).attachment_max_bytes + 1)

    def save() -> AttachmentView:
        with writing(request, actor) as session:
            row = tracking.add_document(session, actor, _settings(request), slug, kind, file.filename or "", content)
            return AttachmentView.model_validate(row)

    return await run_in_threadpool(save)


@router.post("/projects/{slug}/milestones", response_model=MilestoneView, status_code=201, summary="Add a milestone")
def add_milestone(
    request: Request,
    slug: str,
    body: tracking.NewMilestone,
    actor: Actor = Depends(permission("program.project.track")),
) -> MilestoneView:
    with writing(request, actor) as session:
        return MilestoneView.model_validate(tracking.add_milestone(session, actor, slug, body))


# ---------- outcomes ----------


@router.get("/outcomes", response_model=list[OutcomeView], summary="Exit outcomes, newest first")
def list_outcomes(
    request: Request, project: str | None = None, _actor: Actor = Depends(permission("program.outcome.read"))
) -> list[OutcomeView]:
    with db(request).reading() as session:
        return jcm.outcome_views(session, project)


@router.post("/outcomes", response_model=OutcomeView, status_code=201, summary="Record an exit outcome")
def record_outcome(
    request: Request, body: jcm.NewOutcome, actor: Actor = Depends(permission("program.outcome.record"))
) -> OutcomeView:
    with writing(request, actor) as session:
        row = jcm.record_outcome(session, actor, body)
        return next(v for v in jcm.outcome_views(session) if v.id == row.id)


@router.get("/outcomes/kpi", response_model=KpiView, summary="JCM projects realized through the program")
def get_kpi(request: Request, _actor: Actor = Depends(permission("program.outcome.read"))) -> KpiView:
    with db(request).reading() as session:
        return jcm.kpi(session)


# ---------- JCM pipeline ----------


@router.get("/jcm-projects", response_model=list[JcmProjectView], summary="JCM projects in the pipeline")
def list_jcm(request: Request, actor: Actor = Depends(permission("jcm.project.read"))) -> list[JcmProjectView]:
    with db(request).reading() as session:
        return [_shown(actor, jcm.jcm_view(session, row)) for row in jcm.list_jcm_projects(session)]


def _shown(actor: Actor, view: JcmProjectView) -> JcmProjectView:
    """A JCM project as ``actor`` may see it: visitors who are not signed in see no people or files."""
    return view if actor.authenticated else view.for_visitor()


@router.post(
    "/jcm-projects",
    response_model=JcmProjectView,
    status_code=201,
    responses=problems(Conflict),
    summary="Add a JCM project",
)
def create_jcm(
    request: Request, body: jcm.NewJcmProject, actor: Actor = Depends(permission("jcm.project.create"))
) -> JcmProjectView:
    with writing(request, actor) as session:
        return jcm.jcm_view(session, jcm.create_jcm_project(session, actor, body))


@router.get("/jcm-projects/{slug}", response_model=JcmProjectView, summary="One JCM project")
def get_jcm(request: Request, slug: str, actor: Actor = Depends(permission("jcm.project.read"))) -> JcmProjectView:
    with db(request).reading() as session:
        return _shown(actor, jcm.jcm_view(session, jcm.jcm_by_slug(session, slug)))


@router.post(
    "/jcm-projects/{slug}/move",
    response_model=TransitionView,
    responses=problems(Conflict),
    summary="Move to the next state",
)
def move_jcm(
    request: Request, slug: str, body: MoveIn, actor: Actor = Depends(permission("jcm.move"))
) -> TransitionView:
    with writing(request, actor) as session:
        row = jcm.move(
            session, actor, slug, body.to_state, body.occurred_on, body.note, _settings(request), body.serial_code
        )
        return TransitionView.model_validate(row)


@router.post(
    "/jcm-projects/{slug}/verifier",
    response_model=JcmProjectView,
    responses=problems(NotFound),
    summary="Assign the TPE that verifies the project's monitoring reports",
)
def assign_verifier(
    request: Request, slug: str, body: VerifierIn, actor: Actor = Depends(permission("jcm.verifier.assign"))
) -> JcmProjectView:
    with writing(request, actor) as session:
        return jcm.jcm_view(session, jcm.assign_verifier(session, actor, slug, body.tpe))


@router.post(
    "/jcm-projects/{slug}/documents", response_model=AttachmentView, status_code=201, summary="Attach a document"
)
async def add_jcm_document(
    request: Request,
    slug: str,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form()],
    actor: Actor = Depends(permission("jcm.document.upload")),
) -> AttachmentView:
    content = await file.read(_settings(request).attachment_max_bytes + 1)

    def save() -> AttachmentView:
        with writing(request, actor) as session:
            row = jcm.add_document(session, actor, _settings(request), slug, kind, file.filename or "", content)
            return AttachmentView.model_validate(row)

    return await run_in_threadpool(save)


# ---------- subsidy calculator ----------


@router.post("/subsidy/calculate", response_model=subsidy.SubsidyResult, summary="JCM Model Project subsidy")
def calculate_subsidy(
    body: SubsidyIn, _actor: Actor = Depends(permission("jcm.subsidy.calculate"))
) -> subsidy.SubsidyResult:
    return _subsidy_of(body)


def _subsidy_of(body: SubsidyIn) -> subsidy.SubsidyResult:
    overrides = body.model_dump(include={"rate_tiers", "cost_effectiveness_max_jpy_per_tco2"}, exclude_none=True)
    rules = subsidy.rules_for(body.fiscal_year, overrides)
    params = subsidy.SubsidyParams(**body.model_dump(exclude={"rate_tiers", "cost_effectiveness_max_jpy_per_tco2"}))
    return subsidy.calculate(params, rules)


class SubsidyValues(Schema):
    """The calculator's values a JCM project holds, as the portal's form takes them (empty: unknown)."""

    fiscal_year: str = ""
    initial_investment_jpy: str = ""
    expected_reductions_tco2_per_year: str = ""
    legal_durable_years: str = ""


class JcmProjectValues(Schema):
    """What a program project says about the JCM project it leads to, as the creation form takes it."""

    slug: str = ""
    title_ja: str = ""
    title_en: str = ""
    country_iso3: str = ""
    proposer_slug: str = ""
    projects: str = ""
    methodology_id: str = ""
    expected_reductions_tco2_per_year: str = ""


@router.get(
    "/jcm-projects/{slug}/subsidy",
    response_model=SubsidyValues,
    summary="The subsidy calculator's values a JCM project already holds",
)
def subsidy_values(
    request: Request, slug: str, _actor: Actor = Depends(permission("jcm.subsidy.calculate"))
) -> SubsidyValues:
    with db(request).reading() as session:
        return SubsidyValues(**jcm.known_for_subsidy(session, slug))


@router.post(
    "/jcm-projects/{slug}/subsidy",
    response_model=JcmProjectView,
    summary="Calculate the subsidy and save it with the JCM project",
)
def save_subsidy(
    request: Request, slug: str, body: SubsidyIn, actor: Actor = Depends(permission("jcm.subsidy.save"))
) -> JcmProjectView:
    result = _subsidy_of(body)
    with writing(request, actor) as session:
        inputs = {k: str(v) for k, v in body.model_dump(mode="json", exclude_none=True).items()}
        return jcm.jcm_view(session, jcm.save_subsidy(session, actor, slug, inputs, result))


@router.get(
    "/projects/{slug}/jcm-project-values",
    response_model=JcmProjectValues,
    summary="What a program project already says about the JCM project it leads to",
)
def jcm_project_values(
    request: Request, slug: str, actor: Actor = Depends(permission("jcm.project.create"))
) -> JcmProjectValues:
    with db(request).reading() as session:
        return JcmProjectValues(**jcm.known_from_project(session, actor, slug))


@router.get("/subsidy/rules", response_model=list[subsidy.SubsidyRules], summary="Subsidy rules per fiscal year")
def subsidy_rules(_actor: Actor = Depends(permission("jcm.subsidy.calculate"))) -> list[subsidy.SubsidyRules]:
    return list(subsidy.all_rules())


# ---------- notifications and history ----------


@router.get("/notifications", response_model=list[NotificationView], summary="The caller's notifications")
def notifications(request: Request, actor: Actor = Depends(permission("notifications.read"))) -> list[NotificationView]:
    with db(request).reading() as session:
        return [NotificationView.model_validate(row) for row in queries.notifications_of(session, actor)]


@router.post("/notifications/read", response_model=int, summary="Mark all the caller's notifications read")
def mark_read(request: Request, actor: Actor = Depends(permission("notifications.read"))) -> int:
    with writing(request, actor) as session:
        return notify.mark_all_read(session, actor.user_id)


def record_history(session: Any, table: str, key: str) -> list[HistoryView]:
    return [HistoryView.model_validate(e) for e in entries_for(session, table, key)]
