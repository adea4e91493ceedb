"""Portal pages of the program workflow: calls, applications, review, notifications.

Tracking, outcomes, the JCM pipeline and the subsidy calculator are in :mod:`c3p.web.pages.pipeline`.

Pages call the same services as the API; each form posts with the CSRF token and each POST
route is guarded like its API twin. A refused form shows the error page with the reason; the
stored draft is untouched, so nothing already saved is lost.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, could
from c3p.accounts.schemas import HistoryView
from c3p.db.history import entries_for
from c3p.errors import C3PError, Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message, listing
from c3p.program.schemas import GovernmentView, PlaceView
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.deps import snapshot
from c3p.web.downloads import file_response
from c3p.web.pages import estimate_form
from c3p.web.pages.forms import FormState, number_text, typed
from c3p.web.pages.render import PageContext, page_only, redirect, render
from c3p.web.routes import Router
from c3p.workflow import queries
from c3p.workflow.rules.calls import JST, TargetField, target_fields
from c3p.workflow.rules.review import Rubric
from c3p.workflow.schemas import (
    ApplicationView,
    CallTermsView,
    CallView,
    CountryTermView,
    NotificationView,
    RankedView,
    RefView,
    ReviewView,
)
from c3p.workflow.service import attachments, call_setup, calls, consortium, notify, review

router = Router(include_in_schema=False)
#: what a form handler shows on the form instead of an error page
Refusal = (ValidationError, InvalidInput, Conflict, NotFound)
FormText = Annotated[str, Form()]
OptionalText = Annotated[str, Form()]


class CallList(PageContext):
    calls: list[CallView]
    may_open: bool = page_only()
    fields: dict[str, TargetField] = page_only()
    form: FormState = page_only(default_factory=FormState)


class CallPage(PageContext):
    """A call (the API's view), the reader's applications to it and, for the secretariat, the ranking."""

    data: CallView
    applications: list[ApplicationView] = page_only()
    ranking: list[RankedView] = page_only()
    history: list[HistoryView] = page_only()
    may_apply: bool = page_only()
    may_manage: bool = page_only()
    may_review: bool = page_only()
    may_read_history: bool = page_only(False)
    form: FormState = page_only(default_factory=FormState)
    # --- call set-up and selection tools (issue 14) ---
    terms: CallTermsView | None = page_only(None)
    signed_in: bool = page_only(False)
    countries: list[CountryTermView] = page_only(default_factory=list)
    fields: dict[str, TargetField] = page_only(default_factory=dict)
    application_kinds: dict[str, dict[str, str]] = page_only(default_factory=dict)
    document_kinds: dict[str, dict[str, str]] = page_only(default_factory=dict)
    settings: dict[str, Any] = page_only(default_factory=dict)
    submitted: list[ApplicationView] = page_only(default_factory=list)


class ApplicationPage(PageContext):
    data: ApplicationView
    history: list[HistoryView] = page_only()
    missing: Message | str = page_only()
    fields: dict[str, TargetField] = page_only()
    governments: list[GovernmentView] = page_only()
    places: list[PlaceView] = page_only()
    kinds: dict[str, dict[str, str]] = page_only()
    may_edit: bool = page_only()
    may: dict[str, bool] = page_only(default_factory=dict)
    companies: list[RefView] = page_only(default_factory=list)
    continuable: list[RefView] = page_only(default_factory=list)
    form: FormState = page_only(default_factory=FormState)
    chosen: dict[str, list[str]] = page_only(default_factory=dict)
    methodologies: list[estimate_form.MethodologyChoice] = page_only(default_factory=list)
    estimate: estimate_form.EstimateInputs | None = page_only(None)
    methodology_title: str = page_only("")


class ApplicationPrint(PageContext):
    """The proposal as one document: the application (the API's view) and the names of its fields and files."""

    data: ApplicationView
    fields: dict[str, TargetField] = page_only()
    kinds: dict[str, dict[str, str]] = page_only()
    methodology_title: str = page_only("")


class ReviewPage(PageContext):
    data: ReviewView
    rubric: Rubric = page_only()
    applications: list[ApplicationView] = page_only()
    may_score: bool = page_only()
    me: str = page_only()


class NotificationsPage(PageContext):
    notifications: list[NotificationView]
    daily_digest: bool = page_only()


async def attempt(request: Request, actor: Actor, work: Callable[[Session], str]) -> str | ValidationError | C3PError:
    """Run ``work`` in one unit of work: the address to go to, or the refusal the form shows (nothing saved)."""

    def run() -> str | ValidationError | C3PError:
        try:
            with writing(request, actor) as session:
                return work(session)
        except Refusal as error:
            return error

    return await run_in_threadpool(run)


def _status(error: Exception) -> int:
    return error.status if isinstance(error, C3PError) else 422


def _may(actor: Actor, name: str) -> bool:
    return bool(could(actor, name))


def _actor(request: Request) -> Actor:
    from c3p.web.auth import resolve_actor

    return resolve_actor(request)


# ---------- calls ----------


@router.get("/calls", response_model=CallList)
def calls_page(request: Request, actor: Actor = Depends(permission("program.call.read"))) -> Response:
    return calls_page_for(request, actor)


def calls_page_for(request: Request, actor: Actor, form: FormState | None = None, status: int = 200) -> Response:
    with db(request).reading() as session:
        views = [calls.call_view(session, c) for c in calls.list_calls(session)]
    page = CallList(
        calls=views, may_open=_may(actor, "program.call.open"), fields=target_fields(), form=form or FormState()
    )
    return render(request, "workflow/calls.html", page, status=status)


#: the fields of the form that opens a call
OPEN_FIELDS = ("fiscal_year", "round", "title_ja", "title_en", "opens_at", "closes_at", "max_budget_jpy_per_year")


@router.post("/calls")
async def open_call(request: Request, actor: Actor = Depends(permission("program.call.open"))) -> Response:
    """Open a call; its times are typed in Japan time, as the program states them.

    A refusal comes back as the form with what was typed and the problem next to its field.
    """
    values = await typed(request)

    def work(session: Session) -> str:
        data = new_call_from(values)
        return f"/calls/{calls.open_call(session, actor, data, request.app.state.settings).slug}"

    outcome = await attempt(request, actor, work)
    if isinstance(outcome, str):
        return redirect(outcome)
    return calls_page_for(request, actor, FormState("open", values).add(outcome, OPEN_FIELDS), _status(outcome))


def new_call_from(values: dict[str, Any]) -> calls.NewCall:
    """The new call as typed; raises ValidationError or InvalidInput naming the field."""
    opens = str(values.get("opens_at", "")).strip()
    budget = str(values.get("max_budget_jpy_per_year", "")).strip()
    data: dict[str, Any] = {
        "fiscal_year": number_text(str(values.get("fiscal_year", ""))),
        "round": number_text(str(values.get("round", "") or "1")),
        "title_ja": values.get("title_ja", ""),
        "title_en": values.get("title_en", ""),
        "opens_at": japan_moment(opens, "opens_at") if opens else dt.datetime.now(dt.UTC),
        "closes_at": japan_moment(str(values.get("closes_at", "")), "closes_at"),
        "max_budget_jpy_per_year": number_text(budget) if budget else None,
    }
    return calls.NewCall.model_validate(data)


def japan_moment(text: str, field: str) -> dt.datetime:
    """A date and time typed in Japan time (``2026-05-01T17:00``; a day alone means its last minute)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    try:
        if len(cleaned) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(cleaned), dt.time(23, 59, 59), JST)
        moment = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(N_("Give a date and time such as 2026-05-01 17:00 (Japan time)."), field=field) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


@router.get("/calls/{slug}", response_model=CallPage)
def call_page(request: Request, slug: str, actor: Actor = Depends(permission("program.call.read"))) -> Response:
    return call_page_for(request, actor, slug)


def call_page_for(
    request: Request, actor: Actor, slug: str, form: FormState | None = None, status: int = 200
) -> Response:
    with db(request).reading() as session:
        call = calls.call_by_slug(session, slug)
        data = calls.call_view(session, call)
        mine = [calls.application_view(session, a) for a in queries.visible_applications(session, actor, slug)]
        ranking = review.ranking(session, call) if actor.holds("secretariat") or actor.system else []
        history = entries_for(session, "calls", str(call.id))
        terms = call_setup.terms(session, call)
        may_manage = _may(actor, "program.call.manage")
        countries = call_setup.country_choices(session) if may_manage else []
        submitted = [
            calls.application_view(session, a)
            for a in queries.visible_applications(session, actor, slug)
            if may_manage and a.state in ("submitted", "draft")
        ]
    kinds = attachments.attachment_kinds()
    page = CallPage(
        data=data,
        applications=mine,
        ranking=ranking,
        history=history,
        may_apply=_may(actor, "program.application.draft"),
        may_manage=_may(actor, "program.call.manage"),
        may_review=_may(actor, "program.review.read"),
        may_read_history=_may(actor, "history.read"),
        form=form or FormState(),
        terms=terms,
        signed_in=actor.user_id is not None,
        countries=countries,
        fields=target_fields(),
        application_kinds=kinds["application"],
        document_kinds=kinds["call"],
        settings=settings_values(data),
        submitted=submitted,
    )
    return render(request, "workflow/call.html", page, status=status)


def settings_values(call: CallView) -> dict[str, Any]:
    """A call's terms as the settings form shows them: times in Japan time, the rubric as lines."""
    criteria = call.rubric.get("criteria", [])
    return {
        "title_ja": call.title_ja,
        "title_en": call.title_en,
        "opens_at": f"{calls.aware(call.opens_at).astimezone(JST):%Y-%m-%dT%H:%M}",
        "closes_at": f"{calls.aware(call.closes_at).astimezone(JST):%Y-%m-%dT%H:%M}",
        "max_budget_jpy_per_year": str(call.max_budget_jpy_per_year or ""),
        "max_plan_years": str(call.max_plan_years),
        "target_countries": list(call.target_countries),
        "priority_countries": list(call.priority_countries),
        "target_fields": list(call.target_fields),
        "required_attachments": list(call.required_attachments),
        "rubric": "\n".join(
            " | ".join(str(c[k]) for k in ("key", "name_ja", "name_en", "max_points", "weight")) for c in criteria
        ),
    }


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
    """Adopt the ticked applications at once, each with its grant, or none (the reasons shown on the form)."""
    values = await typed(request)
    form = FormState("adopt", values)

    def run() -> str | ValidationError | C3PError:
        try:
            chosen, grants, decided_on = adoption_from(values)
            with writing(request, actor) as session:
                review.adopt(session, actor, slug, chosen, request.app.state.settings, grants, decided_on)
            return f"/calls/{slug}"
        except Refusal as error:
            return error

    outcome = await run_in_threadpool(run)
    if not isinstance(outcome, str):
        return call_page_for(request, actor, slug, form.add(outcome), _status(outcome))
    request.app.state.revision_watch.expire()
    return redirect(outcome)


def adoption_from(values: dict[str, Any]) -> tuple[list[int], dict[int, int], dt.date | None]:
    """The ticked applications, the grant typed for each (``grant_<id>``, whole yen) and the decision day."""
    try:
        chosen = [int(v) for v in as_list(values.get("application"))]
    except ValueError:
        raise InvalidInput(N_("Tick the applications to adopt.")) from None
    grants = {}
    for application_id in chosen:
        text = number_text(str(values.get(f"grant_{application_id}", "")))
        if not text:
            continue
        if not (text.isascii() and text.isdigit()):
            refusal = N_("Give the grant in whole yen, for example 15000000.")
            raise InvalidInput(refusal, field=f"grant_{application_id}")
        grants[application_id] = int(text)
    decided = str(values.get("decided_on", "")).strip()
    try:
        return chosen, grants, dt.date.fromisoformat(decided) if decided else None
    except ValueError:
        raise InvalidInput(N_("Enter a date as YYYY-MM-DD."), field="decided_on") from None


@router.post("/calls/{slug}/publish")
def publish(request: Request, slug: str, actor: Actor = Depends(permission("program.project.publish"))) -> Response:
    with writing(request, actor) as session:
        review.publish(session, actor, slug, request.app.state.settings)
    request.app.state.revision_watch.expire()
    return redirect(f"/calls/{slug}")


# ---------- applications ----------


LIST_FIELDS = ("fields", "japanese_governments", "partner_places", "partner_companies")


def as_list(value: Any) -> list[str]:
    """A repeated form field as a list, however many times it was sent (typed gives one as text)."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def draft_from(values: dict[str, Any]) -> calls.ApplicationDraft:
    """The draft as typed; raises ValidationError or InvalidInput naming the field (shown next to it)."""
    data: dict[str, Any] = {
        name: values[name]
        for name in ("title_ja", "title_en", "summary_ja", "summary_en", "plan", "continues_project")
        if name in values
    }
    for name in LIST_FIELDS:
        if f"{name}_present" in values:
            data[name] = as_list(values.get(name))
    if values.get("plan_years"):
        data["plan_years"] = number_text(str(values["plan_years"]))
    if "budget_jpy_by_year" in values:
        data["budget_jpy_by_year"] = budget_amounts(str(values["budget_jpy_by_year"]))
    if "methodology_id" in values:
        data["methodology_id"] = str(values["methodology_id"])
        data["estimate_params"] = estimate_form.estimate_params_from(values)
    return calls.ApplicationDraft.model_validate(data)


def budget_amounts(text: str) -> list[int]:
    """Whole yen per plan year, separated by semicolons or lines (``20,000,000; 18,000,000``)."""
    try:
        return [int(number_text(part)) for part in text.replace("\n", ";").split(";") if part.strip()]
    except ValueError:
        refusal = N_("Give whole yen amounts, one per plan year, separated by semicolons.")
        raise InvalidInput(refusal, field="budget_jpy_by_year") from None


def chosen_options(data: ApplicationView, form: FormState | None) -> dict[str, list[str]]:
    """The options ticked on the draft form: as typed when the form came back refused, else as stored."""
    stored = {
        "fields": list(data.fields),
        "japanese_governments": [g.slug for g in data.japanese_governments],
        "partner_places": [p.slug for p in data.partner_places],
        "partner_companies": [c.slug for c in data.partner_companies],
    }
    if form is None or form.name != "draft":
        return stored
    typed = {name: as_list(form.values.get(name)) for name in stored if f"{name}_present" in form.values}
    return {**stored, **typed}


async def application_page_for(
    request: Request, actor: Actor, application_id: int, form: FormState | None = None, status: int = 200
) -> Response:
    snap = await snapshot(request)

    Choices = tuple[list[RefView], list[RefView]]

    def read() -> tuple[ApplicationView, list[HistoryView], list[Message], dict[str, bool], Choices]:
        with db(request).reading() as session:
            application = queries.readable_application(session, actor, application_id)
            history = entries_for(session, "applications", str(application_id))
            may = queries.may_act_on(session, actor, application)
            companies = [RefView.model_validate(o) for o in consortium.partner_company_choices(session, application)]
            continuable = [RefView.of_project(p) for p in calls.continuable_projects(session, application)]
            view = calls.application_view(session, application)
            return view, history, calls.missing_parts_of(session, application), may, (companies, continuable)

    data, history, missing, may, (companies, continuable) = await run_in_threadpool(read)
    page = ApplicationPage(
        data=data,
        history=history,
        missing=listing(missing),
        fields=target_fields(),
        governments=sorted(snap.japanese_governments.values(), key=lambda g: g.name_en),
        places=sorted(snap.partner_places.values(), key=lambda p: p.name_en),
        kinds=attachments.attachment_kinds()["application"],
        may_edit=may["edit"],
        may=may,
        companies=companies if may["edit"] else [],
        continuable=continuable if may["edit"] else [],
        form=form or FormState(),
        chosen=chosen_options(data, form),
        methodologies=estimate_form.approved_methodologies() if may["edit"] else [],
        estimate=estimate_form.estimate_shown(
            data.methodology_id, data.estimate_params, form.values if form and form.name == "draft" else None
        )
        if may["edit"]
        else None,
        methodology_title=estimate_form.methodology_title(data.methodology_id),
    )
    return render(request, "workflow/application.html", page, status=status)


@router.get("/applications/{application_id}", response_model=ApplicationPage)
async def application_page(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.read"))
) -> Response:
    return await application_page_for(request, actor, application_id)


async def _application_form(
    request: Request, actor: Actor, application_id: int, form: FormState, save: Callable[[Session], str]
) -> Response:
    """Run ``save`` in one unit of work; on a refusal show the application again with the form as typed."""
    outcome = await attempt(request, actor, save)
    if isinstance(outcome, str):
        return redirect(outcome)
    return await application_page_for(request, actor, application_id, form.add(outcome), _status(outcome))


@router.get("/applications/{application_id}/print", response_model=ApplicationPrint)
async def application_print(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.read"))
) -> Response:
    """The proposal as one document to print or save as PDF from the browser: no forms, no navigation."""

    def read() -> ApplicationView:
        with db(request).reading() as session:
            return calls.application_view(session, queries.readable_application(session, actor, application_id))

    data = await run_in_threadpool(read)
    page = ApplicationPrint(
        data=data,
        fields=target_fields(),
        kinds=attachments.attachment_kinds()["application"],
        methodology_title=estimate_form.methodology_title(data.methodology_id),
    )
    return render(request, "workflow/application_print.html", page)


@router.get("/applications/{application_id}/attachments/{attachment_id}")
def application_file(
    request: Request,
    application_id: int,
    attachment_id: int,
    actor: Actor = Depends(permission("program.application.read")),
) -> Response:
    """An attached file, for those who may read the application."""
    with db(request).reading() as session:
        row, content = queries.application_file(
            session, actor, request.app.state.settings, application_id, attachment_id
        )
        return file_response(content, row.filename, row.content_type)


@router.post("/applications/{application_id}/comments")
async def comment(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.comment"))
) -> Response:
    values = await typed(request)

    def save(session: Session) -> str:
        application = calls.application_by_id(session, application_id)
        consortium.add_comment(session, actor, application, str(values.get("body", "")))
        return f"/applications/{application_id}#comments-heading"

    return await _application_form(request, actor, application_id, FormState("comment", values), save)


@router.post("/calls/{slug}/applications")
async def create_application(
    request: Request, slug: str, actor: Actor = Depends(permission("program.application.draft"))
) -> Response:
    values = await typed(request)

    def work(session: Session) -> str:
        return f"/applications/{calls.create_application(session, actor, slug, draft_from(values)).id}"

    outcome = await attempt(request, actor, work)
    if isinstance(outcome, str):
        return redirect(outcome)
    return call_page_for(request, actor, slug, FormState("apply", values).add(outcome), _status(outcome))


@router.post("/applications/{application_id}")
async def save_application(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.draft"))
) -> Response:
    values = await typed(request)

    def save(session: Session) -> str:
        calls.update_application(session, actor, application_id, draft_from(values))
        return f"/applications/{application_id}?saved=1"

    return await _application_form(request, actor, application_id, FormState("draft", values), save)


@router.post("/applications/{application_id}/attachments")
async def upload(
    request: Request,
    application_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    kind: FormText = "application_form",
    actor: Actor = Depends(permission("program.application.draft")),
) -> Response:
    settings = request.app.state.settings
    content = await file.read(settings.attachment_max_bytes + 1) if file is not None else b""
    filename = (file.filename or "") if file is not None else ""

    def save(session: Session) -> str:
        calls.add_attachment(session, actor, settings, application_id, kind, filename, content)
        return f"/applications/{application_id}#files-heading"

    return await _application_form(
        request, actor, application_id, FormState("upload", {"kind": kind, "file": ""}), save
    )


@router.post("/applications/{application_id}/submit")
async def submit(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.submit"))
) -> Response:
    def save(session: Session) -> str:
        calls.submit(session, actor, application_id, request.app.state.settings)
        return f"/applications/{application_id}"

    return await _application_form(request, actor, application_id, FormState("submit"), save)


@router.post("/applications/{application_id}/withdraw")
async def withdraw(
    request: Request, application_id: int, actor: Actor = Depends(permission("program.application.withdraw"))
) -> Response:
    def save(session: Session) -> str:
        calls.withdraw(session, actor, application_id, request.app.state.settings)
        return f"/applications/{application_id}"

    return await _application_form(request, actor, application_id, FormState("withdraw"), save)


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
