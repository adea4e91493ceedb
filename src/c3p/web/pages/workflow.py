"""Portal pages of the program workflow: calls, applications, review, notifications.

Tracking, outcomes, the JCM pipeline and the subsidy calculator are in :mod:`c3p.web.pages.pipeline`.

Pages call the same services as the API; each form posts with the CSRF token and each POST
route is guarded like its API twin. A refused form shows the error page with the reason; the
stored draft is untouched, so nothing already saved is lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from c3p.accounts.rules.policy import Actor, could
from c3p.accounts.schemas import HistoryView
from c3p.db.history import entries_for
from c3p.errors import InvalidInput
from c3p.messages import N_, Message, listing
from c3p.program.schemas import GovernmentView, PlaceView
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.deps import snapshot
from c3p.web.pages.render import PageContext, page_only, redirect, render
from c3p.workflow import queries
from c3p.workflow.rules.calls import TargetField, target_fields
from c3p.workflow.rules.review import Rubric
from c3p.workflow.schemas import ApplicationView, CallView, NotificationView, RankedView, ReviewView
from c3p.workflow.service import attachments, calls, notify, review

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]
OptionalText = Annotated[str, Form()]


def _validated(model: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise InvalidInput.from_validation(error) from None


class CallList(PageContext):
    calls: list[CallView]
    may_open: bool = page_only()
    fields: dict[str, TargetField] = page_only()


class CallPage(PageContext):
    """A call (the API's view), the reader's applications to it and, for the secretariat, the ranking."""

    data: CallView
    applications: list[ApplicationView] = page_only()
    ranking: list[RankedView] = page_only()
    history: list[HistoryView] = page_only()
    may_apply: bool = page_only()
    may_manage: bool = page_only()
    may_review: bool = page_only()


class ApplicationPage(PageContext):
    data: ApplicationView
    history: list[HistoryView] = page_only()
    missing: Message | str = page_only()
    fields: dict[str, TargetField] = page_only()
    governments: list[GovernmentView] = page_only()
    places: list[PlaceView] = page_only()
    kinds: dict[str, dict[str, str]] = page_only()
    may_edit: bool = page_only()


class ReviewPage(PageContext):
    data: ReviewView
    rubric: Rubric = page_only()
    applications: list[ApplicationView] = page_only()
    may_score: bool = page_only()
    me: str = page_only()


class NotificationsPage(PageContext):
    notifications: list[NotificationView]
    daily_digest: bool = page_only()


def _may(actor: Actor, name: str) -> bool:
    return bool(could(actor, name))


def _actor(request: Request) -> Actor:
    from c3p.web.auth import resolve_actor

    return resolve_actor(request)


# ---------- calls ----------


@router.get("/calls", response_model=CallList)
def calls_page(request: Request, actor: Actor = Depends(permission("program.call.read"))) -> Response:
    with db(request).reading() as session:
        views = [calls.call_view(session, c) for c in calls.list_calls(session)]
    page = CallList(calls=views, may_open=_may(actor, "program.call.open"), fields=target_fields())
    return render(request, "workflow/calls.html", page)


@router.post("/calls")
def open_call(
    request: Request,
    fiscal_year: Annotated[int, Form()],
    closes_on: Annotated[dt.date, Form()],
    round: Annotated[int, Form()] = 1,
    title_ja: OptionalText = "",
    title_en: OptionalText = "",
    max_budget_jpy_per_year: OptionalText = "",
    actor: Actor = Depends(permission("program.call.open")),
) -> Response:
    data = _validated(
        calls.NewCall,
        {
            "fiscal_year": fiscal_year,
            "round": round,
            "title_ja": title_ja,
            "title_en": title_en,
            "opens_at": dt.datetime.now(dt.UTC),
            "closes_at": dt.datetime.combine(closes_on, dt.time(23, 59, 59), dt.UTC),
            "max_budget_jpy_per_year": int(max_budget_jpy_per_year) if max_budget_jpy_per_year.strip() else None,
        },
    )
    with writing(request, actor) as session:
        call = calls.open_call(session, actor, data, request.app.state.settings)
        slug = call.slug
    return redirect(f"/calls/{slug}")


@router.get("/calls/{slug}", response_model=CallPage)
def call_page(request: Request, slug: str, actor: Actor = Depends(permission("program.call.read"))) -> Response:
    with db(request).reading() as session:
        call = calls.call_by_slug(session, slug)
        data = calls.call_view(session, call)
        mine = [calls.application_view(session, a) for a in queries.visible_applications(session, actor, slug)]
        ranking = review.ranking(session, call) if actor.holds("secretariat") or actor.system else []
        history = entries_for(session, "calls", str(call.id))
    page = CallPage(
        data=data,
        applications=mine,
        ranking=ranking,
        history=history,
        may_apply=_may(actor, "program.application.draft"),
        may_manage=_may(actor, "program.call.manage"),
        may_review=_may(actor, "program.review.read"),
    )
    return render(request, "workflow/call.html", page)


@router.post("/calls/{slug}/state")
def move_call(
    request: Request, slug: str, state: FormText, actor: Actor = Depends(permission("program.call.manage"))
) -> Response:
    with writing(request, actor) as session:
        calls.move_call(session, actor, slug, state, request.app.state.settings)
    return redirect(f"/calls/{slug}")


@router.post("/calls/{slug}/adopt")
async def adopt(
    request: Request, slug: str, actor: Actor = Depends(permission("program.application.adopt"))
) -> Response:
    form = await request.form()
    chosen = [int(str(value)) for value in form.getlist("application")]

    def run() -> None:
        with writing(request, actor) as session:
            review.adopt(session, actor, slug, chosen, request.app.state.settings)

    await run_in_threadpool(run)
    request.app.state.revision_watch.expire()
    return redirect(f"/calls/{slug}")


@router.post("/calls/{slug}/publish")
def publish(request: Request, slug: str, actor: Actor = Depends(permission("program.project.publish"))) -> Response:
    with writing(request, actor) as session:
        review.publish(session, actor, slug, request.app.state.settings)
    request.app.state.revision_watch.expire()
    return redirect(f"/calls/{slug}")


# ---------- applications ----------


async def _draft_from_form(request: Request) -> calls.ApplicationDraft:
    form = await request.form()

    def text(name: str) -> str | None:
        value = form.get(name)
        return None if value is None else str(value)

    def numbers(name: str) -> list[int] | None:
        raw = text(name)
        if raw is None:
            return None
        try:
            return [int(part.replace(",", "").strip()) for part in raw.replace("\n", ";").split(";") if part.strip()]
        except ValueError:
            refusal = N_("%(field)s: give whole yen amounts separated by semicolons")
            raise InvalidInput(Message(refusal, {"field": name})) from None

    values: dict[str, Any] = {
        name: text(name)
        for name in ("title_ja", "title_en", "summary_ja", "summary_en", "plan")
        if text(name) is not None
    }
    if "fields_present" in form:
        values["fields"] = [str(v) for v in form.getlist("fields")]
    if "japanese_governments_present" in form:
        values["japanese_governments"] = [str(v) for v in form.getlist("japanese_governments")]
    if "partner_places_present" in form:
        values["partner_places"] = [str(v) for v in form.getlist("partner_places")]
    if text("plan_years"):
        values["plan_years"] = text("plan_years")
    budget = numbers("budget_jpy_by_year")
    if budget is not None:
        values["budget_jpy_by_year"] = budget
    draft: calls.ApplicationDraft = _validated(calls.ApplicationDraft, values)
    return draft


@router.post("/calls/{slug}/applications")
async def create_application(
    request: Request, slug: str, actor: Actor = Depends(permission("program.application.draft"))
) -> Response:
    draft = await _draft_from_form(request)

    def run() -> int:
        with writing(request, actor) as session:
            return calls.create_application(session, actor, slug, draft).id

    application_id = await run_in_threadpool(run)
    return redirect(f"/applications/{application_id}")


@router.get("/applications/{application_id}", response_model=ApplicationPage)
async def application_page(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.read"))
) -> Response:
    snap = await snapshot(request)

    def read() -> tuple[ApplicationView, list[HistoryView], list[Message]]:
        with db(request).reading() as session:
            application = queries.readable_application(session, actor, application_id)
            history = entries_for(session, "applications", str(application_id))
            return calls.application_view(session, application), history, calls.missing_parts_of(session, application)

    data, history, missing = await run_in_threadpool(read)
    page = ApplicationPage(
        data=data,
        history=history,
        missing=listing(missing),
        fields=target_fields(),
        governments=sorted(snap.japanese_governments.values(), key=lambda g: g.name_en),
        places=sorted(snap.partner_places.values(), key=lambda p: p.name_en),
        kinds=attachments.attachment_kinds()["application"],
        may_edit=data.state == "draft" and _may(actor, "program.application.draft"),
    )
    return render(request, "workflow/application.html", page)


@router.post("/applications/{application_id}")
async def save_application(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.draft"))
) -> Response:
    draft = await _draft_from_form(request)

    def run() -> None:
        with writing(request, actor) as session:
            calls.update_application(session, actor, application_id, draft)

    await run_in_threadpool(run)
    return redirect(f"/applications/{application_id}?saved=1")


@router.post("/applications/{application_id}/attachments")
async def upload(
    request: Request,
    application_id: int,
    file: Annotated[UploadFile, File()],
    kind: FormText = "application_form",
    actor: Actor = Depends(permission("program.application.draft")),
) -> Response:
    settings = request.app.state.settings
    content = await file.read(settings.attachment_max_bytes + 1)

    def run() -> None:
        with writing(request, actor) as session:
            calls.add_attachment(session, actor, settings, application_id, kind, file.filename or "", content)

    await run_in_threadpool(run)
    return redirect(f"/applications/{application_id}")


@router.post("/applications/{application_id}/submit")
def submit(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.submit"))
) -> Response:
    with writing(request, actor) as session:
        calls.submit(session, actor, application_id, request.app.state.settings)
    return redirect(f"/applications/{application_id}")


@router.post("/applications/{application_id}/withdraw")
def withdraw(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.withdraw"))
) -> Response:
    with writing(request, actor) as session:
        calls.withdraw(session, actor, application_id, request.app.state.settings)
    return redirect(f"/applications/{application_id}")


# ---------- review ----------


@router.get("/calls/{slug}/review", response_model=ReviewPage)
def review_page(request: Request, slug: str, actor: Actor = Depends(permission("program.review.read"))) -> Response:
    with db(request).reading() as session:
        data = review.review_view(session, actor, slug)
        call = calls.call_by_slug(session, slug)
        rubric = calls.call_rubric(call)
        applications = [calls.application_view(session, a) for a in queries.visible_applications(session, actor, slug)]
    page = ReviewPage(
        data=data,
        rubric=rubric,
        applications=[a for a in applications if a.state != "draft"],
        may_score=_may(actor, "program.application.review"),
        me=actor.label,
    )
    return render(request, "workflow/review.html", page)


@router.post("/reviews/applications/{application_id}/score")
async def score(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.review"))
) -> Response:
    form = await request.form()
    try:
        points = {key[len("points_") :]: int(str(v)) for key, v in form.items() if key.startswith("points_")}
    except ValueError:
        raise InvalidInput(N_("Give whole numbers as points.")) from None

    def run() -> str:
        with writing(request, actor) as session:
            review.score(session, actor, application_id, points, str(form.get("comment", "")))
            application = calls.application_by_id(session, application_id)
            return calls.application_view(session, application).call

    slug = await run_in_threadpool(run)
    return redirect(f"/calls/{slug}/review")


@router.post("/reviews/applications/{application_id}/conflict")
def conflict(
    request: Request,
    application_id: int,
    reason: FormText,
    actor: Actor = Depends(permission("program.application.conflict")),
) -> Response:
    with writing(request, actor) as session:
        review.declare_conflict(session, actor, application_id, reason)
        slug = calls.application_view(session, calls.application_by_id(session, application_id)).call
    return redirect(f"/calls/{slug}/review")


# ---------- notifications ----------


@router.get("/notifications", response_model=NotificationsPage)
def notifications_page(request: Request, actor: Actor = Depends(permission("notifications.read"))) -> Response:
    with db(request).reading() as session:
        rows = [NotificationView.model_validate(row) for row in queries.notifications_of(session, actor)]
        daily = queries.takes_daily_digest(session, actor)
    return render(request, "workflow/notifications.html", NotificationsPage(notifications=rows, daily_digest=daily))


@router.post("/notifications/mail")
def choose_mail(
    request: Request, delivery: FormText, actor: Actor = Depends(permission("notifications.read"))
) -> Response:
    """Each notification by e-mail at once, or one digest a day."""
    if delivery not in ("each", "daily"):
        raise InvalidInput(N_("Choose how notifications come by e-mail."), field="delivery")
    with writing(request, actor) as session:
        notify.choose_daily_digest(session, actor, delivery == "daily")
    return redirect("/notifications?saved=1")
