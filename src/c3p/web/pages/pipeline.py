"""Portal pages after adoption: project tracking, exit outcomes, the JCM pipeline, the subsidy calculator.

Each page is built by one context function, used by its GET route and again by the POST
routes of its forms when the input is refused: the page comes back with what was typed and
the problem next to its field (:mod:`c3p.web.pages.forms`), with the status of the refusal.
Forms post with the CSRF token; each POST is guarded like its API twin and the services ask
the policy again with the real record. Only the choices the actor may make are offered.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, could
from c3p.accounts.schemas import HistoryView
from c3p.db.history import entries_for
from c3p.errors import C3PError, Conflict, InvalidInput
from c3p.messages import N_, Message
from c3p.program import queries as program_queries
from c3p.program.schemas import CountryView, ProgramReachView
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.deps import current_snapshot
from c3p.web.downloads import file_response
from c3p.web.pages.forms import FieldError, FormState, number_text, parse, typed
from c3p.web.pages.render import PageContext, page_language, page_only, redirect, render
from c3p.web.routes import Router
from c3p.workflow import queries
from c3p.workflow.rules import pipeline, subsidy
from c3p.workflow.rules.outcomes import OUTCOME_KINDS
from c3p.workflow.rules.tracking import ACTIVITY_KINDS, ACTIVITY_STATES, EXPENSE_CATEGORIES, MILESTONE_KINDS
from c3p.workflow.schemas import JcmProjectView, KpiView, OutcomeView, TrackingView
from c3p.workflow.service import attachments, jcm, tracking

router = Router(include_in_schema=False)
Refusal = (ValidationError, InvalidInput, Conflict)
Upload = Annotated[UploadFile, File()]
FormText = Annotated[str, Form()]


class TrackingPage(PageContext):
    data: TrackingView
    history: list[HistoryView] = page_only()
    outcomes: list[OutcomeView] = page_only()
    activity_kinds: dict[str, str] = page_only()
    activity_states: tuple[str, ...] = page_only(default=())
    expense_categories: tuple[str, ...] = page_only(default=())
    document_kinds: dict[str, dict[str, str]] = page_only(default_factory=dict)
    milestone_kinds: tuple[str, ...] = page_only()
    next_states: tuple[str, ...] = page_only()
    may_track: bool = page_only()
    may_record: bool = page_only()
    may_create_jcm: bool = page_only(default=False)
    may_read_application: bool = page_only(default=False)
    form: FormState = page_only(default_factory=FormState)


class OutcomesPage(PageContext):
    data: KpiView
    published: ProgramReachView | None = page_only(None)
    outcomes: list[OutcomeView] = page_only()
    kinds: dict[str, str] = page_only()
    jcm_projects: list[str] = page_only()
    may_record: bool = page_only()
    form: FormState = page_only()


class JcmList(PageContext):
    projects: list[JcmProjectView]
    kpi: KpiView = page_only()
    published: ProgramReachView | None = page_only(None)
    may_create: bool = page_only()
    form: FormState = page_only()
    countries: dict[str, CountryView] = page_only(default_factory=dict)  # ISO3 → the country, to say its name


class JcmPage(PageContext):
    data: JcmProjectView
    history: list[HistoryView] = page_only()
    main_line: tuple[str, ...] = page_only()
    required: dict[str, tuple[str, ...]] = page_only()
    kinds: dict[str, dict[str, str]] = page_only()
    moves: list[str] = page_only()
    may_upload: bool = page_only()
    may_read_history: bool = page_only(False)
    form: FormState = page_only(default_factory=FormState)
    countries: dict[str, CountryView] = page_only(default_factory=dict)  # ISO3 → the country, to say its name


class SubsidyPage(PageContext):
    """The calculator: the result of the typed values (None until submitted or when refused)."""

    data: subsidy.SubsidyResult | None
    form: FormState = page_only()
    rules: subsidy.SubsidyRules | None = page_only()
    overridden: set[str] = page_only()
    all_rules: tuple[subsidy.SubsidyRules, ...] = page_only()
    jcm: str = page_only(default="")
    may_save: bool = page_only(default=False)


def _status(error: Exception) -> int:
    return error.status if isinstance(error, Conflict) else 422


def _may(actor: Actor, name: str) -> bool:
    return bool(could(actor, name))


def _reads_application(session: Session, actor: Actor, application_id: int | None) -> bool:
    """Whether the project's application is shown to ``actor``: a public page links it only for those who read it."""
    if application_id is None:
        return False
    try:
        queries.readable_application(session, actor, application_id)
    except C3PError:
        return False
    return True


# ---------- project tracking ----------


def tracking_page_for(
    request: Request, actor: Actor, slug: str, form: FormState | None = None, status: int = 200
) -> Response:
    with db(request).reading() as session:
        project = tracking.readable_project(session, actor, slug)
        may_track = tracking.may_track(session, actor, project)
        data = tracking.tracking_view(session, project, page_language(request))
        history = entries_for(session, "projects", str(project.id))
        outcomes = jcm.outcome_views(session, slug)
        next_states = tracking.next_states(session, project)
        may_read_application = _reads_application(session, actor, data.application_id)
    page = TrackingPage(
        data=data,
        history=history,
        outcomes=outcomes,
        activity_kinds=ACTIVITY_KINDS,
        activity_states=ACTIVITY_STATES,
        expense_categories=EXPENSE_CATEGORIES,
        document_kinds=attachments.attachment_kinds()["project"],
        milestone_kinds=MILESTONE_KINDS,
        next_states=next_states,
        may_track=may_track,
        may_record=_may(actor, "program.outcome.record"),
        may_create_jcm=_may(actor, "jcm.project.create"),
        may_read_application=may_read_application,
        form=form or FormState(),
    )
    return render(request, "workflow/tracking.html", page, status=status)


@router.get("/projects/{slug}/tracking", response_model=TrackingPage)
def tracking_page(request: Request, slug: str, actor: Actor = Depends(permission("program.outcome.read"))) -> Response:
    return tracking_page_for(request, actor, slug)


async def _tracking_form(request: Request, actor: Actor, slug: str, name: str, save: Any) -> Response:
    values = await typed(request)
    form = FormState(name, values)

    def run() -> Response:
        try:
            with writing(request, actor) as session:
                save(session, values)
        except Refusal as error:
            return tracking_page_for(request, actor, slug, form.add(error), _status(error))
        return redirect(f"/projects/{slug}/tracking#{name}-heading")

    return await run_in_threadpool(run)


@router.post("/projects/{slug}/activities")
async def add_activity(
    request: Request, slug: str, actor: Actor = Depends(permission("program.project.track"))
) -> Response:
    def save(session: Any, values: dict[str, Any]) -> None:
        data = parse(tracking.NewActivity, values)
        tracking.add_activity(session, actor, slug, data)

    return await _tracking_form(request, actor, slug, "activities", save)


@router.post("/projects/{slug}/activities/{activity_id}")
async def update_activity(
    request: Request, slug: str, activity_id: int, actor: Actor = Depends(permission("program.project.track"))
) -> Response:
    """Edit an activity: mark it done or cancelled, change its dates, write its report."""

    def save(session: Any, values: dict[str, Any]) -> None:
        tracking.update_activity(session, actor, slug, activity_id, parse(tracking.NewActivity, values))

    return await _tracking_form(request, actor, slug, f"activity-{activity_id}", save)


@router.post("/projects/{slug}/expenses")
async def add_expense(
    request: Request, slug: str, actor: Actor = Depends(permission("program.project.track"))
) -> Response:
    def save(session: Any, values: dict[str, Any]) -> None:
        tracking.add_expense(session, actor, slug, parse(tracking.NewExpense, values, numbers=("amount_jpy",)))

    return await _tracking_form(request, actor, slug, "expenses", save)


@router.post("/projects/{slug}/documents")
async def add_project_document(
    request: Request,
    slug: str,
    file: Annotated[UploadFile | None, File()] = None,
    kind: FormText = "activity_report",
    actor: Actor = Depends(permission("program.project.track")),
) -> Response:
    settings = request.app.state.settings
    content = await file.read(settings.attachment_max_bytes + 1) if file is not None else b""
    filename = (file.filename or "") if file is not None else ""

    def run() -> Response:
        try:
            with writing(request, actor) as session:
                tracking.add_document(session, actor, settings, slug, kind, filename, content)
        except Refusal as error:
            form = FormState("documents", {"kind": kind})
            return tracking_page_for(request, actor, slug, form.add(error), _status(error))
        return redirect(f"/projects/{slug}/tracking#documents-heading")

    return await run_in_threadpool(run)


@router.get("/projects/{slug}/documents/{attachment_id}")
def project_document(
    request: Request, slug: str, attachment_id: int, actor: Actor = Depends(permission("program.outcome.read"))
) -> Response:
    with db(request).reading() as session:
        row, content = tracking.project_file(session, actor, request.app.state.settings, slug, attachment_id)
        return file_response(content, row.filename, row.content_type)


@router.post("/projects/{slug}/milestones")
async def add_milestone(
    request: Request, slug: str, actor: Actor = Depends(permission("program.project.track"))
) -> Response:
    def save(session: Any, values: dict[str, Any]) -> None:
        data = parse(tracking.NewMilestone, values)
        tracking.add_milestone(session, actor, slug, data)

    return await _tracking_form(request, actor, slug, "milestones", save)


@router.post("/projects/{slug}/tracking/state")
async def set_project_state(
    request: Request, slug: str, actor: Actor = Depends(permission("program.project.track"))
) -> Response:
    def save(session: Any, values: dict[str, Any]) -> None:
        if not values.get("state"):
            raise InvalidInput(N_("Choose the new status."), field="state")
        tracking.set_state(session, actor, slug, values["state"])

    return await _tracking_form(request, actor, slug, "status", save)


def program_links(request: Request, slug: str) -> dict[str, Any] | None:
    """For the registry's project page: whether it has a tracking page, and its outcomes; None if neither."""
    with db(request).reading() as session:
        project = tracking.find_project(session, slug)
        if project is None or not tracking.is_public(session, project):
            return None
        tracked = tracking.has_tracking(session, project)
        outcomes = jcm.outcome_views(session, slug)
    return {"tracking": tracked, "outcomes": outcomes} if tracked or outcomes else None


# ---------- exit outcomes ----------


def outcomes_page_for(request: Request, actor: Actor, form: FormState | None = None, status: int = 200) -> Response:
    with db(request).reading() as session:
        kpi = jcm.kpi(session)
        outcomes = jcm.outcome_views(session)
        jcm_projects = [row.slug for row in jcm.list_jcm_projects(session)]
    form = form or FormState("outcome", {"projects": request.query_params.get("project", "")})
    page = OutcomesPage(
        data=kpi,
        published=program_queries.stats(current_snapshot(request)).jcm_projects_published,
        outcomes=outcomes,
        kinds=OUTCOME_KINDS,
        jcm_projects=jcm_projects,
        may_record=_may(actor, "program.outcome.record"),
        form=form,
    )
    return render(request, "workflow/outcomes.html", page, status=status)


@router.get("/outcomes", response_model=OutcomesPage)
def outcomes_page(request: Request, actor: Actor = Depends(permission("program.outcome.read"))) -> Response:
    return outcomes_page_for(request, actor)


@router.post("/outcomes")
async def record_outcome(request: Request, actor: Actor = Depends(permission("program.outcome.record"))) -> Response:
    values = await typed(request)
    form = FormState("outcome", values)

    def run() -> Response:
        try:
            data = parse(jcm.NewOutcome, values, numbers=("amount_jpy",), lists=("projects",))
            with writing(request, actor) as session:
                jcm.record_outcome(session, actor, data)
        except Refusal as error:
            return outcomes_page_for(request, actor, form.add(error), _status(error))
        request.app.state.revision_watch.expire()
        return redirect("/outcomes?recorded=1")

    return await run_in_threadpool(run)


# ---------- JCM pipeline ----------


def _shown(actor: Actor, view: JcmProjectView) -> JcmProjectView:
    """A JCM project as ``actor`` may see it: visitors who are not signed in see no people or files."""
    return view if actor.authenticated else view.for_visitor()


def jcm_list_for(request: Request, actor: Actor, form: FormState | None = None, status: int = 200) -> Response:
    with db(request).reading() as session:
        projects = [_shown(actor, jcm.jcm_view(session, row)) for row in jcm.list_jcm_projects(session)]
        kpi = jcm.kpi(session)
        project = request.query_params.get("project", "")
        may_create = _may(actor, "jcm.project.create")
        prefill = project and form is None and may_create
        known = jcm.known_from_project(session, actor, project) if prefill else {"projects": project}
    form = form or FormState("jcm", known)
    published = program_queries.stats(current_snapshot(request)).jcm_projects_published
    page = JcmList(
        projects=projects,
        kpi=kpi,
        published=published,
        may_create=may_create,
        form=form,
        countries=current_snapshot(request).countries,
    )
    return render(request, "workflow/jcm_list.html", page, status=status)


@router.get("/jcm-projects", response_model=JcmList)
def jcm_list(request: Request, actor: Actor = Depends(permission("jcm.project.read"))) -> Response:
    return jcm_list_for(request, actor)


@router.post("/jcm-projects")
async def create_jcm(request: Request, actor: Actor = Depends(permission("jcm.project.create"))) -> Response:
    values = await typed(request)
    if isinstance(values.get("country_iso3"), str):
        values["country_iso3"] = values["country_iso3"].upper()
    form = FormState("jcm", values)

    def run() -> Response:
        try:
            data = parse(
                jcm.NewJcmProject,
                values,
                numbers=("initial_investment_jpy", "expected_reductions_tco2_per_year", "legal_durable_years"),
                lists=("projects",),
            )
            with writing(request, actor) as session:
                slug = jcm.create_jcm_project(session, actor, data).slug
        except Refusal as error:
            if isinstance(error, Conflict):
                error.extra.setdefault("field", "slug")
            return jcm_list_for(request, actor, form.add(error), _status(error))
        return redirect(f"/jcm-projects/{slug}")

    return await run_in_threadpool(run)


def jcm_page_for(
    request: Request, actor: Actor, slug: str, form: FormState | None = None, status: int = 200
) -> Response:
    with db(request).reading() as session:
        row = jcm.jcm_by_slug(session, slug)
        data = _shown(actor, jcm.jcm_view(session, row))
        history = entries_for(session, "jcm_projects", str(row.id))
        moves = jcm.moves_for(actor, row)
    page = JcmPage(
        data=data,
        history=history,
        main_line=pipeline.MAIN_LINE,
        required=pipeline.REQUIRED_DOCUMENTS,
        kinds=attachments.attachment_kinds()["jcm_project"],
        moves=moves,
        may_upload=_may(actor, "jcm.document.upload"),
        may_read_history=_may(actor, "history.read"),
        form=form or FormState(),
        countries=current_snapshot(request).countries,
    )
    return render(request, "workflow/jcm_project.html", page, status=status)


@router.get("/jcm-projects/{slug}", response_model=JcmPage)
def jcm_page(request: Request, slug: str, actor: Actor = Depends(permission("jcm.project.read"))) -> Response:
    return jcm_page_for(request, actor, slug)


@router.post("/jcm-projects/{slug}/move")
async def jcm_move(request: Request, slug: str, actor: Actor = Depends(permission("jcm.move"))) -> Response:
    values = await typed(request)
    form = FormState("move", values)

    def run() -> Response:
        try:
            occurred_on = None
            if values.get("occurred_on"):
                try:
                    occurred_on = dt.date.fromisoformat(values["occurred_on"])
                except ValueError:
                    form.errors["occurred_on"] = FieldError("date")
                    return jcm_page_for(request, actor, slug, form, 422)
            with writing(request, actor) as session:
                jcm.move(
                    session,
                    actor,
                    slug,
                    str(values.get("to_state", "")),
                    occurred_on,
                    str(values.get("note", "")),
                    request.app.state.settings,
                )
        except Refusal as error:
            return jcm_page_for(request, actor, slug, form.add(error), _status(error))
        request.app.state.revision_watch.expire()
        return redirect(f"/jcm-projects/{slug}")

    return await run_in_threadpool(run)


@router.post("/jcm-projects/{slug}/documents")
async def jcm_document(
    request: Request,
    slug: str,
    file: Upload,
    kind: FormText,
    actor: Actor = Depends(permission("jcm.document.upload")),
) -> Response:
    settings = request.app.state.settings
    content = await file.read(settings.attachment_max_bytes + 1)

    def run() -> None:
        with writing(request, actor) as session:
            jcm.add_document(session, actor, settings, slug, kind, file.filename or "", content)

    await run_in_threadpool(run)
    return redirect(f"/jcm-projects/{slug}")


# ---------- the subsidy calculator ----------

SUBSIDY_FIELDS = (
    "fiscal_year",
    "initial_investment_jpy",
    "expected_reductions_tco2_per_year",
    "legal_durable_years",
    "similar_technology_cases",
    "rate_tiers",
    "cost_effectiveness_max_jpy_per_tco2",
)


def rate_tiers_text(text: str) -> list[subsidy.RateTier]:
    """Rate tiers as typed: ``0-2:50; 3-5:40; 6-:30`` (similar cases from–to: rate %).

    >>> [(t.min_cases, t.max_cases, str(t.rate_pct)) for t in rate_tiers_text("0-2:50; 3-:40")]
    [(0, 2, '50'), (3, None, '40')]
    """
    tiers = []
    for part in filter(None, (p.strip() for p in number_text(text).replace("\n", ";").split(";"))):
        cases, _, rate = part.partition(":")
        low, _, high = cases.partition("-")
        try:
            tiers.append(
                subsidy.RateTier(min_cases=int(low), max_cases=int(high) if high else None, rate_pct=Decimal(rate))
            )
        except (ValueError, InvalidOperation, ValidationError):
            raise InvalidInput(
                Message(N_("cannot read the tier '%(tier)s'"), {"tier": part}), field="rate_tiers"
            ) from None
    return tiers


def calculate(values: dict[str, Any], form: FormState) -> tuple[subsidy.SubsidyResult, subsidy.SubsidyRules] | None:
    """The subsidy for the typed values, or None with the problems recorded in ``form``."""
    overrides: dict[str, Any] = {}
    try:
        if values.get("rate_tiers"):
            overrides["rate_tiers"] = rate_tiers_text(values["rate_tiers"])
    except InvalidInput as error:
        form.add(error)
    threshold = number_text(values.get("cost_effectiveness_max_jpy_per_tco2", ""))
    if threshold:
        if not threshold.isdigit() or int(threshold) < 1:
            form.add(InvalidInput(N_("a whole number of JPY per tCO2, at least 1"), field="threshold"))
            form.errors["cost_effectiveness_max_jpy_per_tco2"] = form.errors.pop("threshold")
        else:
            overrides["cost_effectiveness_max_jpy_per_tco2"] = int(threshold)
    try:
        params = parse(subsidy.SubsidyParams, values, numbers=SUBSIDY_FIELDS)
    except ValidationError as error:
        form.add(error)
        return None
    if form.failed:
        return None
    rules = subsidy.rules_for(params.fiscal_year, overrides)
    return subsidy.calculate(params, rules), rules


@router.get("/subsidy", response_model=SubsidyPage)
def subsidy_page(request: Request, actor: Actor = Depends(permission("jcm.subsidy.calculate"))) -> Response:
    """The calculator; ``?jcm=<slug>`` starts from what the JCM project already holds and offers to save."""
    values = {name: request.query_params.get(name, "").strip() for name in SUBSIDY_FIELDS}
    slug = request.query_params.get("jcm", "").strip()
    if slug and "fiscal_year" not in request.query_params:
        with db(request).reading() as session:
            values.update(jcm.known_for_subsidy(session, slug))
    return subsidy_page_for(request, actor, values, slug, "fiscal_year" in request.query_params or bool(slug))


def subsidy_page_for(request: Request, actor: Actor, values: dict[str, str], slug: str, submitted: bool) -> Response:
    form = FormState("subsidy", values)
    computed = calculate(values, form) if submitted else None
    result, rules = computed if computed else (None, None)
    page = SubsidyPage(
        data=result,
        form=form,
        rules=rules,
        overridden={k for k in ("rate_tiers", "cost_effectiveness_max_jpy_per_tco2") if values.get(k)},
        all_rules=subsidy.all_rules(),
        jcm=slug,
        may_save=bool(slug) and _may(actor, "jcm.subsidy.save"),
    )
    return render(request, "workflow/subsidy.html", page, status=422 if form.failed else 200)


@router.post("/jcm-projects/{slug}/subsidy")
async def save_subsidy(request: Request, slug: str, actor: Actor = Depends(permission("jcm.subsidy.save"))) -> Response:
    """Calculate again from the values sent and keep the result with the JCM project."""
    typed_values = await typed(request)
    values = {name: str(typed_values.get(name, "")).strip() for name in SUBSIDY_FIELDS}

    def run() -> Response:
        form = FormState("subsidy", values)
        computed = calculate(values, form)
        if computed is None:
            return subsidy_page_for(request, actor, values, slug, True)
        with writing(request, actor) as session:
            jcm.save_subsidy(session, actor, slug, {k: v for k, v in values.items() if v}, computed[0])
        return redirect(f"/jcm-projects/{slug}#subsidy-heading")

    return await run_in_threadpool(run)
