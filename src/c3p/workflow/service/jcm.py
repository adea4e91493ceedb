"""The JCM pipeline and exit outcomes: JCM projects moving through their states, outcomes, the KPI.

Each step asks the policy for the action of the state it moves into (``jcm.move.<state>``)
on the JCM project's scopes: its own slug (project participants), its country (Joint
Committee members) and the organization concerned (the proposer, or the TPE for validation
and verification). Required documents are checked by the pure state machine.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pydantic import ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from c3p.accounts.rules.actions import action
from c3p.accounts.rules.policy import Actor, Target, decide, require
from c3p.credits.rules import serials
from c3p.db import tables as t
from c3p.errors import Conflict, Forbidden, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.program.rules.fiscal_years import fiscal_year_of
from c3p.schema import Schema
from c3p.settings import Settings
from c3p.workflow.rules import outcomes as outcome_rules
from c3p.workflow.rules import pipeline, subsidy
from c3p.workflow.rules.access import may_read_application
from c3p.workflow.schemas import AttachmentView, JcmProjectView, KpiView, OutcomeView, TransitionView
from c3p.workflow.service import attachments, consortium, notify
from c3p.workflow.service.tracking import NO_PROJECT, readable_project

SLUG = r"^[a-z0-9][a-z0-9-]{0,79}$"


class NewJcmProject(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    slug: str = Field(pattern=SLUG)
    title_ja: str = ""
    title_en: str = ""
    country_iso3: str = Field(pattern=r"^[A-Z]{3}$")
    proposer_slug: str = ""
    tpe_slug: str = ""
    methodology_id: str | None = None
    initial_investment_jpy: int | None = Field(None, gt=0)
    expected_reductions_tco2_per_year: int | None = Field(None, ge=0)
    legal_durable_years: int | None = Field(None, ge=1, le=60)
    projects: list[str] = Field(default_factory=list, description="slugs of the program projects that led to it")


class NewOutcome(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: str = Field(description=", ".join(outcome_rules.OUTCOME_KINDS))
    title_ja: str = ""
    title_en: str = ""
    partner_place: str | None = None
    occurred_on: dt.date | None = None
    amount_jpy: int | None = None
    financier: str = ""
    jcm_project: str | None = None
    url: str = ""
    source: str = ""
    projects: list[str] = Field(default_factory=list, description="slugs of the program projects that led to it")


def jcm_by_slug(session: Session, slug: str) -> t.JcmProject:
    row = session.scalars(select(t.JcmProject).where(t.JcmProject.slug == slug)).one_or_none()
    if row is None:
        raise NotFound(Message(N_("no JCM project %(slug)s"), {"slug": slug}))
    return row


def _projects(session: Session, slugs: list[str]) -> list[t.Project]:
    found = {p.slug: p for p in session.scalars(select(t.Project).where(t.Project.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise InvalidInput(
            Message(N_("unknown projects: %(projects)s"), {"projects": ", ".join(unknown)}), field="projects"
        )
    return [found[s] for s in dict.fromkeys(slugs)]


def targets(jcm: t.JcmProject, name: str) -> list[Target]:
    """The scopes an action on ``jcm`` is checked against (one per organization concerned)."""
    organizations = [jcm.proposer_slug]
    if "tpe" in action(name).roles:
        organizations.insert(0, jcm.tpe_slug)
    return [
        Target.of(project=jcm.slug, country=jcm.country_iso3, organization=organization or None)
        for organization in organizations
    ]


def require_any(actor: Actor, name: str, candidates: list[Target]) -> None:
    """Allowed if any of the targets is allowed; else the refusal of the first."""
    if any(decide(actor, name, target) for target in candidates):
        return
    require(actor, name, candidates[0])


def create_jcm_project(session: Session, actor: Actor, data: NewJcmProject) -> t.JcmProject:
    require(actor, "jcm.project.create", Target.of(organization=data.proposer_slug or None, country=data.country_iso3))
    if session.scalars(select(t.JcmProject).where(t.JcmProject.slug == data.slug)).one_or_none():
        raise Conflict(Message(N_("JCM project %(slug)s exists already"), {"slug": data.slug}))
    if session.get(t.Country, data.country_iso3) is None:
        refusal = Message(N_("unknown country %(country)s"), {"country": data.country_iso3})
        raise InvalidInput(refusal, field="country_iso3")
    projects = _projects(session, data.projects)
    row = t.JcmProject(**data.model_dump(exclude={"projects"}), state="idea")
    session.add(row)
    session.flush()
    for project in projects:
        session.add(t.JcmProjectLink(jcm_project_id=row.id, project_id=project.id))
    session.flush()
    return row


def known_from_project(session: Session, actor: Actor, project_slug: str) -> dict[str, str]:
    """What a program project already says about the JCM project it leads to, as the creation form's values.

    Title, partner country and proposer come from the project; the methodology and the expected
    reductions (the MRV engine's ex-ante estimate) from the application it was adopted from.
    The project is linked, so the JCM project points back to where it came from. Only what
    ``actor`` may read is given: an unpublished project to those who track it, the application's
    figures to those who may read the application.
    """
    project = readable_project(session, actor, project_slug)
    country = session.scalars(
        select(t.PartnerPlace.country_iso3)
        .join(t.PartnershipPartnerPlace)
        .where(t.PartnershipPartnerPlace.partnership_id == project.partnership_id)
        .order_by(t.PartnershipPartnerPlace.position)
    ).first()
    tracking = session.get(t.ProjectTracking, project.id)
    application = session.get(t.Application, tracking.application_id) if tracking and tracking.application_id else None
    if application is not None and not may_read_application(
        actor,
        application.state,
        consortium.lead_target(session, application),
        [o.slug for o in consortium.co_applicants(session, application)],
    ):
        application = None
    known = {
        "slug": f"jcm-{project.slug}"[:80],
        "title_ja": project.title_ja,
        "title_en": project.title_en,
        "country_iso3": country or "",
        "proposer_slug": tracking.proposer_slug if tracking else "",
        "projects": project.slug,
    }
    if application is not None and application.methodology_id:
        known["methodology_id"] = application.methodology_id
    if application is not None and application.expected_reductions_tco2_per_year is not None:
        known["expected_reductions_tco2_per_year"] = str(application.expected_reductions_tco2_per_year)
    return known


def known_for_subsidy(session: Session, slug: str, today: dt.date | None = None) -> dict[str, str]:
    """The calculator's values a JCM project already holds (the fiscal year: the current one)."""
    jcm = jcm_by_slug(session, slug)
    known = {"fiscal_year": str(fiscal_year_of(today or dt.date.today()))}
    for name in ("initial_investment_jpy", "expected_reductions_tco2_per_year", "legal_durable_years"):
        value = getattr(jcm, name)
        if value is not None:
            known[name] = str(value)
    return known


def save_subsidy(
    session: Session, actor: Actor, slug: str, inputs: dict[str, str], result: subsidy.SubsidyResult
) -> t.JcmProject:
    """Keep the calculation (the values given and its result) with the JCM project; the last one saved wins."""
    jcm = jcm_by_slug(session, slug)
    require_any(actor, "jcm.subsidy.save", [*targets(jcm, "jcm.subsidy.save"), Target.of(project=jcm.slug)])
    jcm.subsidy_calculation = {"inputs": dict(inputs), "result": result.model_dump(mode="json")}
    jcm.subsidy_calculated_at = dt.datetime.now(dt.UTC)
    session.flush()
    return jcm


def add_document(
    session: Session, actor: Actor, settings: Settings, slug: str, kind: str, filename: str, content: bytes
) -> t.Attachment:
    jcm = jcm_by_slug(session, slug)
    require_any(actor, "jcm.document.upload", [*targets(jcm, "jcm.document.upload"), Target.of(project=jcm.slug)])
    return attachments.store(session, settings, "jcm_project", jcm.id, kind, filename, content, actor.user_id)


def moves_for(actor: Actor, jcm: t.JcmProject) -> list[str]:
    """The next states of ``jcm`` that ``actor`` may move it into (the page offers only these)."""
    return [
        state
        for state in pipeline.next_states(jcm.state)
        if any(decide(actor, name, target) for name in [pipeline.mover_action(state)] for target in targets(jcm, name))
    ]


def move(
    session: Session,
    actor: Actor,
    slug: str,
    to_state: str,
    occurred_on: dt.date | None = None,
    note: str = "",
    settings: Settings | None = None,
    serial_code: str | None = None,
) -> t.JcmTransition:
    """Move a JCM project one step, if the machine allows it, its documents are there and the actor may.

    Registration gives the project its serial code: ``serial_code`` if given, else the host
    country's next free ``<ISO2><nnn>``.
    """
    jcm = jcm_by_slug(session, slug)
    if to_state not in pipeline.STATES:
        raise InvalidInput(pipeline.unknown_state(to_state))
    name = pipeline.mover_action(to_state)
    require_any(actor, name, targets(jcm, name))
    documents = {a.kind for a in attachments.attachments_of(session, "jcm_project", jcm.id)}
    try:
        pipeline.check_step(jcm.state, to_state, documents)
    except pipeline.IllegalStep as error:
        raise Conflict(error.message) from None
    if to_state == "registration":
        register_serial_code(session, jcm, serial_code)
    transition = t.JcmTransition(
        jcm_project_id=jcm.id,
        from_state=jcm.state,
        to_state=to_state,
        occurred_on=occurred_on or dt.date.today(),
        actor=actor.label,
        note=note.strip(),
    )
    jcm.state = to_state
    session.add(transition)
    session.flush()
    recipients: list[int] = []
    for organization_slug in {jcm.proposer_slug, jcm.tpe_slug} - {""}:
        organization = session.scalars(
            select(t.MemberOrganization).where(t.MemberOrganization.slug == organization_slug)
        ).one_or_none()
        if organization:
            recipients += notify.users_of_organization(session, organization.id)
    recipients += notify.users_with_role(session, "project_participant", jcm.slug)
    notify.notify(
        session,
        settings,
        recipients,
        "jcm.moved",
        Message(
            N_("JCM project %(slug)s: %(from)s → %(to)s"),
            {"slug": jcm.slug, "from": state_label(transition.from_state), "to": state_label(to_state)},
        ),
        Message(
            N_("%(title)s moved to %(to)s on %(date)s."),
            {
                "title": jcm.title_en or jcm.title_ja or jcm.slug,
                "title_ja": jcm.title_ja,
                "title_en": jcm.title_en,
                "to": state_label(to_state),
                "date": str(transition.occurred_on),
            },
        ),
        f"/jcm-projects/{jcm.slug}",
    )
    return transition


def register_serial_code(session: Session, jcm: t.JcmProject, wanted: str | None) -> str:
    """Give ``jcm`` its serial code at registration, checked for form and uniqueness."""
    if jcm.serial_code:
        return jcm.serial_code
    taken = {code for code in session.scalars(select(t.JcmProject.serial_code)) if code}
    if wanted:
        code = serials.check_project_code(wanted.strip())
        if code in taken:
            refusal = N_("serial code %(code)s belongs to another JCM project")
            raise Conflict(Message(refusal, {"code": code}), field="serial_code")
    else:
        country = session.get(t.Country, jcm.country_iso3)
        code = serials.next_project_code(country.iso2 if country else jcm.country_iso3[:2], taken)
    jcm.serial_code = code
    session.flush()
    return code


def assign_verifier(session: Session, actor: Actor, slug: str, tpe: str) -> t.JcmProject:
    """The Joint Committee or secretariat assigns the TPE that verifies the project's monitoring reports."""
    jcm = jcm_by_slug(session, slug)
    require_any(actor, "jcm.verifier.assign", [Target.of(country=jcm.country_iso3), Target.of(project=jcm.slug)])
    organization = session.scalars(select(t.MemberOrganization).where(t.MemberOrganization.slug == tpe)).one_or_none()
    if organization is None:
        raise NotFound(Message(N_("no member organization %(organization)s"), {"organization": tpe}), field="tpe")
    if tpe == jcm.proposer_slug:
        refusal = N_("%(tpe)s proposes JCM project %(project)s; it cannot verify it")
        raise InvalidInput(Message(refusal, {"tpe": tpe, "project": slug}), field="tpe")
    jcm.verifier_slug, jcm.verifier_assigned_by = tpe, actor.label
    jcm.verifier_assigned_at = dt.datetime.now(dt.UTC)
    session.flush()
    return jcm


def state_label(state: str) -> Message:
    """A pipeline state's name as a message (the catalogs translate the labels of the templates)."""
    return Message(pipeline.LABELS_EN.get(state, state))


def list_jcm_projects(session: Session) -> list[t.JcmProject]:
    return list(session.scalars(select(t.JcmProject).order_by(t.JcmProject.slug)))


def jcm_view(session: Session, jcm: t.JcmProject) -> JcmProjectView:
    projects = session.scalars(
        select(t.Project.slug).join(t.JcmProjectLink).where(t.JcmProjectLink.jcm_project_id == jcm.id)
    )
    transitions = session.scalars(
        select(t.JcmTransition).where(t.JcmTransition.jcm_project_id == jcm.id).order_by(t.JcmTransition.id)
    )
    return JcmProjectView(
        slug=jcm.slug,
        title_ja=jcm.title_ja,
        title_en=jcm.title_en,
        country_iso3=jcm.country_iso3,
        state=jcm.state,
        next_states=list(pipeline.next_states(jcm.state)),
        proposer_slug=jcm.proposer_slug,
        tpe_slug=jcm.tpe_slug,
        methodology_id=jcm.methodology_id,
        initial_investment_jpy=jcm.initial_investment_jpy,
        expected_reductions_tco2_per_year=jcm.expected_reductions_tco2_per_year,
        legal_durable_years=jcm.legal_durable_years,
        serial_code=jcm.serial_code,
        verifier_slug=jcm.verifier_slug,
        subsidy_calculation=jcm.subsidy_calculation,
        subsidy_calculated_at=jcm.subsidy_calculated_at,
        projects=list(projects),
        transitions=[TransitionView.model_validate(x) for x in transitions],
        documents=[
            AttachmentView.model_validate(a) for a in attachments.attachments_of(session, "jcm_project", jcm.id)
        ],
    )


# ---------- outcomes ----------


def record_outcome(session: Session, actor: Actor, data: NewOutcome) -> t.Outcome:
    projects = _projects(session, data.projects)
    proposers = [
        row
        for row in session.scalars(
            select(t.ProjectTracking.proposer_slug).where(t.ProjectTracking.project_id.in_([p.id for p in projects]))
        )
        if row
    ]
    partnership_ids = [p.partnership_id for p in projects]
    members = [
        *session.scalars(
            select(t.JapaneseGovernment.slug)
            .join(t.PartnershipJapaneseGovernment)
            .where(t.PartnershipJapaneseGovernment.partnership_id.in_(partnership_ids))
        ),
        *session.scalars(
            select(t.PartnerPlace.slug)
            .join(t.PartnershipPartnerPlace)
            .where(t.PartnershipPartnerPlace.partnership_id.in_(partnership_ids))
        ),
    ]
    # proposers of the projects, and staff of the partnership's governments and places (same slug)
    candidates = [Target.of(organization=slug) for slug in [*proposers, *members]] + [Target()]
    require_any(actor, "program.outcome.record", candidates)
    try:
        outcome_rules.check_outcome(data.kind, len(projects), data.amount_jpy, data.jcm_project)
    except outcome_rules.OutcomeRefused as error:
        raise InvalidInput(error.message) from None
    place_id = None
    if data.partner_place:
        place = session.scalars(select(t.PartnerPlace).where(t.PartnerPlace.slug == data.partner_place)).one_or_none()
        if place is None:
            refusal = Message(N_("unknown partner place %(place)s"), {"place": data.partner_place})
            raise InvalidInput(refusal, field="partner_place")
        place_id = place.id
    jcm_id = jcm_by_slug(session, data.jcm_project).id if data.jcm_project else None
    row = t.Outcome(
        **data.model_dump(exclude={"projects", "partner_place", "jcm_project"}),
        partner_place_id=place_id,
        jcm_project_id=jcm_id,
    )
    session.add(row)
    session.flush()
    for project in projects:
        session.add(t.OutcomeProject(outcome_id=row.id, project_id=project.id))
    if jcm_id is not None:
        session.execute(
            delete(t.JcmProjectLink).where(
                t.JcmProjectLink.jcm_project_id == jcm_id, t.JcmProjectLink.project_id.in_([p.id for p in projects])
            )
        )
        for project in projects:
            session.add(t.JcmProjectLink(jcm_project_id=jcm_id, project_id=project.id))
    session.flush()
    return row


def outcome_views(session: Session, project_slug: str | None = None) -> list[OutcomeView]:
    query = select(t.Outcome).order_by(t.Outcome.occurred_on.desc(), t.Outcome.id.desc())
    if project_slug:
        query = query.where(
            t.Outcome.id.in_(select(t.OutcomeProject.outcome_id).join(t.Project).where(t.Project.slug == project_slug))
        )
    views = []
    for row in session.scalars(query):
        projects = session.scalars(
            select(t.Project.slug).join(t.OutcomeProject).where(t.OutcomeProject.outcome_id == row.id)
        )
        place = session.get(t.PartnerPlace, row.partner_place_id) if row.partner_place_id else None
        jcm = session.get(t.JcmProject, row.jcm_project_id) if row.jcm_project_id else None
        views.append(
            OutcomeView(
                id=row.id,
                kind=row.kind,
                title_ja=row.title_ja,
                title_en=row.title_en,
                partner_place=place.slug if place else None,
                occurred_on=row.occurred_on,
                amount_jpy=row.amount_jpy,
                financier=row.financier,
                jcm_project=jcm.slug if jcm else None,
                url=row.url,
                source=row.source,
                projects=list(projects),
            )
        )
    return views


def kpi(session: Session) -> KpiView:
    links = Counter(session.scalars(select(t.JcmProjectLink.jcm_project_id)))
    jcm_rows = list(session.scalars(select(t.JcmProject)))
    realized = outcome_rules.jcm_projects_realized(
        outcome_rules.JcmLink(row.slug, row.state, links.get(row.id, 0)) for row in jcm_rows
    )
    by_kind = Counter(session.scalars(select(t.Outcome.kind)))
    return KpiView(
        jcm_projects_realized=realized,
        jcm_projects_in_pipeline=len(jcm_rows),
        outcomes_by_kind=dict(sorted(by_kind.items())),
        definition="Distinct JCM projects at Model Project adoption or a later state (not withdrawn) "
        "that are linked to at least one program project.",
    )


def ensure_visible_project(session: Session, slug: str) -> None:
    """Outcome and JCM pages only name public projects (unpublished ones are not yet announced)."""
    project = session.scalars(select(t.Project).where(t.Project.slug == slug)).one_or_none()
    if project is None:
        raise NotFound(Message(NO_PROJECT, {"slug": slug}))
    tracking = session.get(t.ProjectTracking, project.id)
    if tracking is not None and tracking.published_at is None:
        raise Forbidden(Message(N_("project %(slug)s is not published yet"), {"slug": slug}))
