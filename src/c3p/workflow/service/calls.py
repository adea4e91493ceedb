"""Calls for proposals and applications: open and close calls; draft, submit and withdraw applications.

A draft is saved as given, complete or not, so nothing typed is ever lost; completeness and
eligibility are checked (and shown) on every save, and enforced at submission, which is
refused after the deadline. Eligibility findings are stored with the application.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field, field_validator
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.db import tables as t
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message, listing
from c3p.schema import Schema
from c3p.settings import Settings
from c3p.workflow.rules import calls as rules
from c3p.workflow.rules.review import ReviewRefused, Rubric, default_rubric
from c3p.workflow.schemas import ApplicationView, AttachmentView, CallView, CommentView, FindingView, RefView
from c3p.workflow.service import attachments, consortium, notify

NO_APPLICATION = N_("no application %(id)s")
#: the refusal of slugs a consortium names that the registry does not know, by table
UNKNOWN_LINKS = {
    "japanese_governments": N_("unknown japanese governments: %(unknown)s"),
    "partner_places": N_("unknown partner places: %(unknown)s"),
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class _Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NewCall(_Input):
    fiscal_year: int = Field(ge=2013, le=2100)
    round: int = Field(1, ge=1, le=9)
    title_ja: str = ""
    title_en: str = ""
    opens_at: dt.datetime
    closes_at: dt.datetime
    target_countries: list[str] = Field(default_factory=list, description="ISO3; empty: every developing country")
    target_fields: list[str] = Field(default_factory=list, description="empty: every target field")
    max_budget_jpy_per_year: int | None = Field(None, gt=0)
    max_plan_years: int = Field(3, ge=1, le=5)
    required_attachments: list[str] = Field(default_factory=lambda: ["application_form"])
    rubric: dict[str, Any] | None = Field(None, description="criteria; default: the rubric in workflow/data")
    priority_countries: list[str] = Field(
        default_factory=list, description="ISO3 of JCM candidate countries prioritised besides the JCM partners"
    )

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        return in_utc(value)


def in_utc(value: dt.datetime) -> dt.datetime:
    """A moment in UTC (naive: taken as UTC), as every time is stored: SQLite would drop any other offset."""
    return aware(value).astimezone(dt.UTC)


class ApplicationDraft(_Input):
    """What a proposer fills in; every field optional so a half-written draft can be saved."""

    title_ja: str | None = None
    title_en: str | None = None
    summary_ja: str | None = None
    summary_en: str | None = None
    plan: str | None = None
    fields: list[str] | None = None
    plan_years: int | None = Field(None, ge=1, le=10)
    budget_jpy_by_year: list[int] | None = Field(None, description="one amount (JPY) per plan year")
    japanese_governments: list[str] | None = Field(None, description="slugs of Japanese local governments")
    partner_places: list[str] | None = Field(None, description="slugs of partner places")
    partner_companies: list[str] | None = Field(None, description="slugs of member organizations (co-applicants)")
    continues_project: str | None = Field(
        None, description="slug of the project of a multi-year plan this continues into its next year ('': none)"
    )
    methodology_id: str | None = Field(None, description="JCM methodology for the ex-ante estimate")
    estimate_params: dict[str, Any] | None = Field(None, description="params.json shape for the MRV engine")


# ---------- calls ----------


def call_by_slug(session: Session, slug: str) -> t.Call:
    call = session.scalars(select(t.Call).where(t.Call.slug == slug)).one_or_none()
    if call is None:
        raise NotFound(Message(N_("no call %(call)s"), {"call": slug}))
    return call


def call_rules(call: t.Call) -> rules.CallRules:
    return rules.CallRules(
        fiscal_year=call.fiscal_year,
        opens_at=aware(call.opens_at),
        closes_at=aware(call.closes_at),
        target_countries=tuple(call.target_countries),
        target_fields=tuple(call.target_fields),
        max_budget_jpy_per_year=call.max_budget_jpy_per_year,
        max_plan_years=call.max_plan_years,
        required_attachments=tuple(call.required_attachments),
        priority_countries=tuple(call.priority_countries or ()),
    )


def call_rubric(call: t.Call) -> Rubric:
    return Rubric.from_data(call.rubric)


def open_call(session: Session, actor: Actor, data: NewCall, settings: Settings | None = None) -> t.Call:
    require(actor, "program.call.open")
    slug = f"{data.fiscal_year}-{data.round}"
    if session.scalars(select(t.Call).where(t.Call.slug == slug)).one_or_none():
        raise Conflict(Message(N_("call %(call)s exists already"), {"call": slug}))
    countries, rubric = checked_terms(session, data)
    call = t.Call(
        slug=slug,
        fiscal_year=data.fiscal_year,
        round=data.round,
        title_ja=data.title_ja or f"{data.fiscal_year}年度 都市間連携事業 公募（第{data.round}回）",
        title_en=data.title_en or f"C3P call for proposals FY{data.fiscal_year}, round {data.round}",
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        state="open",
        target_countries=sorted(countries),
        target_fields=list(data.target_fields),
        max_budget_jpy_per_year=data.max_budget_jpy_per_year,
        max_plan_years=data.max_plan_years,
        required_attachments=list(data.required_attachments),
        rubric=rubric.as_data(),
        priority_countries=known_countries(session, data.priority_countries, "priority_countries"),
    )
    session.add(call)
    session.flush()
    notify.notify(
        session,
        settings,
        notify.users_with_role(session, "proposer"),
        "call.opened",
        Message(N_("Call %(call)s is open"), {"call": slug}),
        Message(
            N_("The call for proposals %(title)s accepts applications until %(closes)s Japan time."),
            {"title": call.title_en, "title_ja": call.title_ja, "closes": rules.japan_time(aware(call.closes_at))},
        ),
        f"/calls/{slug}",
    )
    return call


def checked_terms(session: Session, data: NewCall) -> tuple[list[str], Rubric]:
    """A call's terms checked as a whole: the target countries (ISO3, upper case) and the rubric."""
    if data.closes_at <= data.opens_at:
        raise InvalidInput(N_("closes_at must be after opens_at"), field="closes_at")
    known_fields = rules.target_fields()
    unknown = [f for f in data.target_fields if f not in known_fields]
    if unknown:
        refusal = N_("unknown target fields: %(unknown)s; fields: %(fields)s")
        raise InvalidInput(Message(refusal, {"unknown": ", ".join(unknown), "fields": ", ".join(known_fields)}))
    countries = known_countries(session, data.target_countries, "target_countries")
    kinds = attachments.attachment_kinds()["application"]
    if any(kind not in kinds for kind in data.required_attachments):
        raise InvalidInput(Message(N_("required_attachments: kinds are %(kinds)s"), {"kinds": ", ".join(kinds)}))
    try:
        rubric = Rubric.from_data(data.rubric) if data.rubric else default_rubric()
    except (ReviewRefused, TypeError, KeyError, ValueError) as error:
        reason = error.message if isinstance(error, ReviewRefused) else str(error)
        raise InvalidInput(Message(N_("rubric: %(reason)s"), {"reason": reason}), field="rubric") from None
    return countries, rubric


def known_countries(session: Session, given: list[str], field: str) -> list[str]:
    countries = {c.strip().upper() for c in given if c.strip()}
    known = set(session.scalars(select(t.Country.iso3).where(t.Country.iso3.in_(countries))))
    if countries - known:
        unknown = sorted(countries - known)
        refusal = Message(N_("unknown countries: %(countries)s"), {"countries": ", ".join(unknown)})
        raise InvalidInput(refusal, field=field)
    return sorted(countries)


def move_call(session: Session, actor: Actor, slug: str, wanted: str, settings: Settings | None = None) -> t.Call:
    """Close submissions (``reviewing``) or the review (``reviewed``); ``decided`` comes with adoption."""
    require(actor, "program.call.manage", Target.of(call=slug))
    call = call_by_slug(session, slug)
    if wanted == "decided":
        raise Conflict(N_("A call is decided by adopting its applications."))
    try:
        rules.check_transition("call", rules.CALL_TRANSITIONS, call.state, wanted)
    except rules.IllegalTransition as error:
        raise Conflict(error.message) from None
    call.state = wanted
    if wanted == "reviewing" and aware(call.closes_at) > utcnow():
        call.closes_at = utcnow()
    session.flush()
    if wanted == "reviewing":
        notify.notify(
            session,
            settings,
            notify.users_with_role(session, "reviewer", slug),
            "review.opened",
            Message(N_("Call %(call)s: review is open"), {"call": slug}),
            Message(N_("Submissions are closed. Declare any conflict of interest, then score the applications.")),
            f"/calls/{slug}/review",
        )
    return call


def list_calls(session: Session) -> list[t.Call]:
    return list(session.scalars(select(t.Call).order_by(t.Call.fiscal_year.desc(), t.Call.round.desc())))


def call_view(session: Session, call: t.Call) -> CallView:
    submitted = session.scalar(
        select(func.count())
        .select_from(t.Application)
        .where(t.Application.call_id == call.id, t.Application.state.in_(("submitted", "adopted", "not_adopted")))
    )
    view = CallView.model_validate(call)
    return view.model_copy(update={"applications_submitted": int(submitted or 0)})


# ---------- applications ----------


def application_by_id(session: Session, application_id: int) -> t.Application:
    application = session.get(t.Application, application_id)
    if application is None:
        raise NotFound(Message(NO_APPLICATION, {"id": application_id}))
    return application


def _proposer(session: Session, application: t.Application) -> t.MemberOrganization:
    return session.get(t.MemberOrganization, application.proposer_id)  # type: ignore[return-value]


def application_target(session: Session, application: t.Application) -> Target:
    """The application as the policy sees it: its lead proposer's organization and its call."""
    return consortium.lead_target(session, application)


def create_application(session: Session, actor: Actor, call_slug: str, draft: ApplicationDraft) -> t.Application:
    """A new draft for the actor's organization (drafts may be started until the deadline)."""
    call = call_by_slug(session, call_slug)
    organization = session.scalars(
        select(t.MemberOrganization).where(t.MemberOrganization.slug == (actor.organization or ""))
    ).one_or_none()
    if organization is None:
        raise InvalidInput(N_("Your account belongs to no organization, so it cannot apply."))
    require(actor, "program.application.draft", Target.of(organization=organization.slug, call=call.slug))
    refusal = rules.submission_refusal(utcnow(), call.state, call_rules(call))
    if refusal:
        raise Conflict(refusal)
    application = t.Application(call_id=call.id, proposer_id=organization.id, created_by=actor.user_id)
    session.add(application)
    session.flush()
    _apply_draft(session, application, draft)
    return application


def update_application(session: Session, actor: Actor, application_id: int, draft: ApplicationDraft) -> t.Application:
    application = application_by_id(session, application_id)
    require(actor, "program.application.draft", application_target(session, application))
    if application.state != "draft":
        refusal = N_("Only drafts can be edited; this application is %(state)s.")
        raise Conflict(Message(refusal, {"state": application.state}))
    _apply_draft(session, application, draft)
    return application


def _apply_draft(session: Session, application: t.Application, draft: ApplicationDraft) -> None:
    given = draft.model_dump(exclude_unset=True)
    for name in ("title_ja", "title_en", "summary_ja", "summary_en", "plan", "fields", "plan_years"):
        if name in given and given[name] is not None:
            setattr(application, name, given[name])
    if draft.budget_jpy_by_year is not None:
        if any(amount < 0 for amount in draft.budget_jpy_by_year):
            raise InvalidInput(N_("budget_jpy_by_year: amounts cannot be negative"), field="budget_jpy_by_year")
        application.budget_jpy_by_year = list(draft.budget_jpy_by_year)
    if draft.japanese_governments is not None:
        _link(session, application, t.ApplicationJapaneseGovernment, t.JapaneseGovernment, draft.japanese_governments)
    if draft.partner_places is not None:
        _link(session, application, t.ApplicationPartnerPlace, t.PartnerPlace, draft.partner_places)
    if draft.partner_companies is not None:
        consortium.name_partner_companies(session, application, draft.partner_companies)
    if draft.continues_project is not None:
        application.continues_project_id = _continued(session, application, draft.continues_project)
    if "methodology_id" in given or "estimate_params" in given:
        chosen = draft.methodology_id if "methodology_id" in given else application.methodology_id
        application.expected_reductions_tco2_per_year = _estimate(chosen, draft.estimate_params)
        application.methodology_id = (chosen or "").strip().upper() or None
        application.estimate_params = (draft.estimate_params or None) if application.methodology_id else None
    application.updated_at = utcnow()
    session.flush()
    _store_check(session, application)


def _continued(session: Session, application: t.Application, slug: str) -> int | None:
    """The lead's own project whose plan has a year left, that this application continues; None for ''."""
    if not slug:
        return None
    project = session.scalars(select(t.Project).where(t.Project.slug == slug)).one_or_none()
    tracking = session.get(t.ProjectTracking, project.id) if project else None
    lead = _proposer(session, application).slug
    if project is None or tracking is None or tracking.proposer_slug != lead:
        refusal = N_("%(slug)s is not a project of your organization's that can be continued.")
        raise InvalidInput(Message(refusal, {"slug": slug}), field="continues_project")
    if not project.plan_years or (project.plan_year or 1) >= project.plan_years:
        refusal = N_("Project %(slug)s is the last year of its plan; it has no next year to continue into.")
        raise InvalidInput(Message(refusal, {"slug": slug}), field="continues_project")
    return project.id


def _link(session: Session, application: t.Application, link: Any, table: Any, slugs: list[str]) -> None:
    rows = {row.slug: row for row in session.scalars(select(table).where(table.slug.in_(slugs)))}
    unknown = [slug for slug in slugs if slug not in rows]
    if unknown:
        refusal = UNKNOWN_LINKS[table.__tablename__]
        raise InvalidInput(Message(refusal, {"unknown": ", ".join(unknown)}))
    session.execute(delete(link).where(link.application_id == application.id))
    column = "japanese_government_id" if link is t.ApplicationJapaneseGovernment else "partner_place_id"
    for position, slug in enumerate(dict.fromkeys(slugs), 1):
        session.add(link(application_id=application.id, position=position, **{column: rows[slug].id}))
    session.flush()


#: more than Japan emits in a year (about 1.1 billion tCO2): no single project reduces that much
MAX_EXPECTED_REDUCTIONS_TCO2_PER_YEAR = 1_000_000_000


def _estimate(methodology_id: str | None, params: dict[str, Any] | None) -> int | None:
    """The MRV engine's ex-ante annual reductions for an approved methodology; None until inputs are given.

    A methodology chosen without its inputs is kept and estimated when the inputs come (the portal
    asks for them once it knows which methodology's they are). Bad inputs are refused whole.
    """
    if not methodology_id:
        return None
    from c3p.mrv import catalog, engine
    from c3p.mrv.params import CalculationParams

    try:
        methodology = catalog.get_methodology(methodology_id)
    except NotFound as error:
        raise InvalidInput(error.message, field="methodology_id") from None
    if methodology.spec.status != "approved":
        refusal = N_("%(methodology)s is a proposed methodology; choose an approved one.")
        raise InvalidInput(Message(refusal, {"methodology": methodology.id}), field="methodology_id")
    if not params:
        return None
    calculation = CalculationParams.from_mapping(params, where="estimate_params")
    reductions = engine.estimate(methodology, calculation).emission_reductions_tco2
    if not 0 <= reductions <= MAX_EXPECTED_REDUCTIONS_TCO2_PER_YEAR:
        refusal = N_(
            "The estimate gives %(reductions)s tCO2 a year, which no single project can reduce; check the inputs."
        )
        raise InvalidInput(Message(refusal, {"reductions": f"{reductions:,}"}), field="estimate_params")
    return reductions


def _consortium(session: Session, application: t.Application) -> tuple[list[t.JapaneseGovernment], list[Any]]:
    governments = list(
        session.scalars(
            select(t.JapaneseGovernment)
            .join(t.ApplicationJapaneseGovernment)
            .where(t.ApplicationJapaneseGovernment.application_id == application.id)
            .order_by(t.ApplicationJapaneseGovernment.position)
        )
    )
    places = list(
        session.execute(
            select(t.PartnerPlace, t.Country)
            .join(t.ApplicationPartnerPlace)
            .join(t.Country, t.Country.iso3 == t.PartnerPlace.country_iso3)
            .where(t.ApplicationPartnerPlace.application_id == application.id)
            .order_by(t.ApplicationPartnerPlace.position)
        ).all()
    )
    return governments, places


def _names(place: t.PartnerPlace, country: t.Country) -> dict[str, str]:
    """A partner place and its country by name, per language (message parameters)."""
    return {
        "place": place.name_en,
        "place_ja": place.name_ja or place.name_en,
        "place_en": place.name_en,
        "country": country.name_en,
        "country_ja": country.name_ja,
        "country_en": country.name_en,
    }


def facts_of(session: Session, application: t.Application) -> rules.ApplicationFacts:
    governments, places = _consortium(session, application)
    kinds = tuple(a.kind for a in attachments.attachments_of(session, "application", application.id))
    return rules.ApplicationFacts(
        proposer_kind=_proposer(session, application).kind,
        title=application.title_ja or application.title_en,
        summary=application.summary_ja or application.summary_en,
        plan=application.plan,
        japanese_governments=tuple(g.slug for g in governments),
        partner_places=tuple(
            rules.PlaceFacts(
                place.slug,
                country.iso3,
                country.is_developing,
                country.jcm_partner_order is not None,
                _names(place, country),
            )
            for place, country in places
        ),
        fields=tuple(application.fields),
        budget_jpy_by_year=tuple(application.budget_jpy_by_year),
        plan_years=application.plan_years,
        attachment_kinds=kinds,
    )


def _store_check(session: Session, application: t.Application) -> rules.Eligibility:
    call = session.get(t.Call, application.call_id)
    result = rules.check_eligibility(facts_of(session, application), call_rules(call))  # type: ignore[arg-type]
    application.eligibility = [f.__dict__ for f in result.findings]
    ruling = application.eligibility_override
    application.eligible = result.eligible if ruling is None else ruling
    session.flush()
    return result


def add_attachment(
    session: Session,
    actor: Actor,
    settings: Settings,
    application_id: int,
    kind: str,
    filename: str,
    content: bytes,
) -> t.Attachment:
    application = application_by_id(session, application_id)
    require(actor, "program.application.draft", application_target(session, application))
    if application.state != "draft":
        refusal = N_("Files can be added to drafts only; this application is %(state)s.")
        raise Conflict(Message(refusal, {"state": application.state}))
    row = attachments.store(session, settings, "application", application.id, kind, filename, content, actor.user_id)
    application.updated_at = utcnow()
    _store_check(session, application)
    return row


def submit(
    session: Session,
    actor: Actor,
    application_id: int,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> t.Application:
    application = application_by_id(session, application_id)
    require(actor, "program.application.submit", application_target(session, application))
    call = session.get(t.Call, application.call_id)
    assert call is not None
    try:
        rules.check_transition("application", rules.APPLICATION_TRANSITIONS, application.state, "submitted")
    except rules.IllegalTransition as error:
        raise Conflict(error.message) from None
    due = aware(application.correction_due_at) if application.correction_due_at else None
    refusal = rules.submission_refusal(now or utcnow(), call.state, call_rules(call), due)
    if refusal:
        raise Conflict(refusal, reason="deadline")
    missing = rules.missing_parts(facts_of(session, application), call_rules(call))
    if missing:
        incomplete = Message(N_("The application is not complete: add %(missing)s."), {"missing": listing(missing)})
        raise InvalidInput(incomplete, missing=[str(part) for part in missing])
    _store_check(session, application)
    application.state = "submitted"
    application.submitted_at = now or utcnow()
    application.correction_due_at = None
    session.flush()
    notify.notify(
        session,
        settings,
        consortium.people_of(session, application),
        "application.submitted",
        Message(N_("Application %(id)s submitted to call %(call)s"), {"id": application.id, "call": call.slug}),
        Message(
            N_("%(title)s was submitted. Eligibility: eligible.")
            if application.eligible
            else N_("%(title)s was submitted. Eligibility: not eligible (see the reasons on the application's page)."),
            titles_of(application),
        ),
        f"/applications/{application.id}",
    )
    return application


def withdraw(session: Session, actor: Actor, application_id: int, settings: Settings | None = None) -> t.Application:
    application = application_by_id(session, application_id)
    require(actor, "program.application.withdraw", application_target(session, application))
    call = session.get(t.Call, application.call_id)
    assert call is not None
    if call.state == "decided":
        raise Conflict(N_("The call is decided; its applications can no longer be withdrawn."))
    try:
        rules.check_transition("application", rules.APPLICATION_TRANSITIONS, application.state, "withdrawn")
    except rules.IllegalTransition as error:
        raise Conflict(error.message) from None
    application.state = "withdrawn"
    application.withdrawn_at = utcnow()
    session.flush()
    notify.notify(
        session,
        settings,
        consortium.people_of(session, application),
        "application.withdrawn",
        Message(N_("Application %(id)s withdrawn"), {"id": application.id}),
        Message(N_("%(title)s was withdrawn from call %(call)s."), {**titles_of(application), "call": call.slug}),
        f"/applications/{application.id}",
    )
    return application


def missing_parts_of(session: Session, application: t.Application) -> list[Message]:
    """What a draft still needs before it can be submitted (nothing once it is submitted)."""
    call = session.get(t.Call, application.call_id)
    if call is None or application.state != "draft":
        return []
    return rules.missing_parts(facts_of(session, application), call_rules(call))


def application_view(session: Session, application: t.Application) -> ApplicationView:
    call = session.get(t.Call, application.call_id)
    proposer = _proposer(session, application)
    governments, places = _consortium(session, application)
    project = session.get(t.Project, application.project_id) if application.project_id else None
    missing = missing_parts_of(session, application)
    return ApplicationView(
        id=application.id,
        call=call.slug if call else "",
        state=application.state,
        proposer=RefView(slug=proposer.slug, name_ja=proposer.name_ja, name_en=proposer.name_en),
        title_ja=application.title_ja,
        title_en=application.title_en,
        summary_ja=application.summary_ja,
        summary_en=application.summary_en,
        plan=application.plan,
        fields=list(application.fields),
        plan_years=application.plan_years,
        budget_jpy_by_year=list(application.budget_jpy_by_year),
        japanese_governments=[RefView.model_validate(g) for g in governments],
        partner_places=[RefView.model_validate(p) for p, _c in places],
        partner_companies=[RefView.model_validate(o) for o in consortium.partner_companies(session, application)],
        co_applicants=[RefView.model_validate(o) for o in consortium.co_applicants(session, application)],
        estimate_params=application.estimate_params,
        comments=[CommentView.model_validate(c) for c in consortium.comments_of(session, application)],
        continues_project=_slug_of(session, application.continues_project_id),
        methodology_id=application.methodology_id,
        expected_reductions_tco2_per_year=application.expected_reductions_tco2_per_year,
        eligible=application.eligible,
        eligibility=[FindingView(**f) for f in application.eligibility],
        missing_parts=[str(part) for part in missing],
        attachments=[
            AttachmentView.model_validate(a) for a in attachments.attachments_of(session, "application", application.id)
        ],
        submitted_at=application.submitted_at,
        withdrawn_at=application.withdrawn_at,
        project=project.slug if project else None,
        adopted=RefView.of_project(project) if project else None,
        continues=_ref_of(session, application.continues_project_id),
        updated_at=application.updated_at,
        eligibility_override=application.eligibility_override,
        eligibility_override_reason=application.eligibility_override_reason or "",
        correction_message=application.correction_message or "",
        correction_due_at=application.correction_due_at,
        grant_amount_jpy=application.grant_amount_jpy,
        grant_decided_on=application.grant_decided_on,
    )


def _slug_of(session: Session, project_id: int | None) -> str | None:
    project = session.get(t.Project, project_id) if project_id else None
    return project.slug if project else None


def _ref_of(session: Session, project_id: int | None) -> RefView | None:
    project = session.get(t.Project, project_id) if project_id else None
    return RefView.of_project(project) if project else None


def continuable_projects(session: Session, application: t.Application) -> list[t.Project]:
    """The lead's adopted projects whose multi-year plan has a year left (what a draft may continue)."""
    lead = _proposer(session, application).slug
    query = (
        select(t.Project)
        .join(t.ProjectTracking, t.ProjectTracking.project_id == t.Project.id)
        .where(t.ProjectTracking.proposer_slug == lead, t.Project.plan_years > func.coalesce(t.Project.plan_year, 1))
    )
    return list(session.scalars(query.order_by(t.Project.fiscal_year.desc(), t.Project.number)))


def titles_of(application: t.Application) -> dict[str, str]:
    """An application's title as a message parameter, per language."""
    return {
        "title": application.title_en or application.title_ja,
        "title_ja": application.title_ja,
        "title_en": application.title_en,
    }
