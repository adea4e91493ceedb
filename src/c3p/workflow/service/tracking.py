"""Tracking adopted projects: status per fiscal year, activities, milestones and deliverables."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, decide, require
from c3p.db import tables as t
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.program.rules.fiscal_years import PlanPosition
from c3p.workflow.rules import tracking as rules
from c3p.workflow.rules.access import allowed_on_any
from c3p.workflow.rules.calls import IllegalTransition, check_transition
from c3p.workflow.schemas import ActivityView, MilestoneView, TrackingView
from c3p.workflow.service import consortium

NO_PROJECT = N_("no project %(slug)s")


class NewActivity(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: str = Field(description=", ".join(rules.ACTIVITY_KINDS))
    title: str = Field(min_length=1)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    state: str = "planned"
    note: str = ""


class NewMilestone(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: str = "milestone"
    title: str = Field(min_length=1)
    due_on: dt.date | None = None
    done_on: dt.date | None = None


def find_project(session: Session, slug: str) -> t.Project | None:
    return session.scalars(select(t.Project).where(t.Project.slug == slug)).one_or_none()


def project_by_slug(session: Session, slug: str) -> t.Project:
    project = find_project(session, slug)
    if project is None:
        raise NotFound(Message(NO_PROJECT, {"slug": slug}))
    return project


def tracking_of(session: Session, project: t.Project) -> t.ProjectTracking:
    """The project's tracking row; seed projects get one on first use (already public)."""
    tracking = session.get(t.ProjectTracking, project.id)
    if tracking is None:
        tracking = t.ProjectTracking(
            project_id=project.id, proposer_slug=_seed_proposer(session, project), published_at=dt.datetime.now(dt.UTC)
        )
        session.add(tracking)
        session.flush()
    return tracking


def _seed_proposer(session: Session, project: t.Project) -> str:
    proposer = session.scalars(
        select(t.Organization.slug)
        .join(t.ProjectOrganization)
        .where(t.ProjectOrganization.project_id == project.id, t.ProjectOrganization.role == "proposer")
    ).first()
    return proposer or ""


def _target(project: t.Project, tracking: t.ProjectTracking) -> Target:
    return Target.of(project=project.slug, organization=tracking.proposer_slug or None)


def _targets(session: Session, project: t.Project, tracking: t.ProjectTracking) -> list[Target]:
    """The lead proposer's target, then one per co-applicant of the application it was adopted from."""
    lead = _target(project, tracking)
    application = session.get(t.Application, tracking.application_id) if tracking.application_id else None
    named = [o.slug for o in consortium.co_applicants(session, application)] if application else []
    return [lead, *(Target.of(project=project.slug, organization=slug) for slug in named)]


def _guard(session: Session, actor: Actor, slug: str) -> tuple[t.Project, t.ProjectTracking]:
    project = project_by_slug(session, slug)
    tracking = tracking_of(session, project)
    targets = _targets(session, project, tracking)
    if not allowed_on_any(actor, "program.project.track", targets):
        require(actor, "program.project.track", targets[0])
    return project, tracking


def set_state(session: Session, actor: Actor, slug: str, state: str) -> t.ProjectTracking:
    _project, tracking = _guard(session, actor, slug)
    try:
        check_transition("project", rules.PROJECT_TRANSITIONS, tracking.state, state)
    except IllegalTransition as error:
        raise Conflict(error.message) from None
    tracking.state = state
    session.flush()
    return tracking


def add_activity(session: Session, actor: Actor, slug: str, data: NewActivity) -> t.Activity:
    project, _tracking = _guard(session, actor, slug)
    if data.kind not in rules.ACTIVITY_KINDS:
        refusal = N_("Unknown activity kind '%(kind)s'; kinds: %(kinds)s.")
        raise InvalidInput(Message(refusal, {"kind": data.kind, "kinds": ", ".join(rules.ACTIVITY_KINDS)}))
    if data.state not in rules.ACTIVITY_STATES:
        raise InvalidInput(Message(N_("state: one of %(states)s"), {"states": ", ".join(rules.ACTIVITY_STATES)}))
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidInput(N_("ends_on is before starts_on"), field="ends_on")
    row = t.Activity(project_id=project.id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def add_milestone(session: Session, actor: Actor, slug: str, data: NewMilestone) -> t.Milestone:
    project, _tracking = _guard(session, actor, slug)
    if data.kind not in rules.MILESTONE_KINDS:
        raise InvalidInput(Message(N_("kind: one of %(kinds)s"), {"kinds": ", ".join(rules.MILESTONE_KINDS)}))
    row = t.Milestone(project_id=project.id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def may_track(session: Session, actor: Actor, project: t.Project) -> bool:
    """Whether ``actor`` may record this project's status and activities (without creating its row)."""
    tracking = session.get(t.ProjectTracking, project.id)
    if tracking is not None:
        return allowed_on_any(actor, "program.project.track", _targets(session, project, tracking))
    proposer = _seed_proposer(session, project)
    return bool(decide(actor, "program.project.track", Target.of(project=project.slug, organization=proposer or None)))


def readable_project(session: Session, actor: Actor, slug: str) -> t.Project:
    """The project, if ``actor`` may see its tracking: public ones to all, the others to those who track it."""
    project = project_by_slug(session, slug)
    if not is_public(session, project) and not may_track(session, actor, project):
        tracking = tracking_of(session, project)
        require(actor, "program.project.track", _target(project, tracking))
    return project


def next_states(session: Session, project: t.Project) -> tuple[str, ...]:
    tracking = session.get(t.ProjectTracking, project.id)
    return rules.PROJECT_TRANSITIONS.get(tracking.state if tracking else "planned", ())


def has_tracking(session: Session, project: t.Project) -> bool:
    """Whether anything was recorded on the project's tracking page (status, activity or milestone)."""
    return (
        session.get(t.ProjectTracking, project.id) is not None
        or session.scalars(select(t.Activity.id).where(t.Activity.project_id == project.id).limit(1)).first()
        is not None
        or session.scalars(select(t.Milestone.id).where(t.Milestone.project_id == project.id).limit(1)).first()
        is not None
    )


def is_public(session: Session, project: t.Project) -> bool:
    tracking = session.get(t.ProjectTracking, project.id)
    return tracking is None or tracking.published_at is not None


def tracking_view(session: Session, project: t.Project, language: str = "en") -> TrackingView:
    tracking = session.get(t.ProjectTracking, project.id)
    position = ""
    if project.plan_year and project.plan_years and project.plan_year <= project.plan_years:
        position = PlanPosition(project.plan_year, project.plan_years).label(language)
    activities = session.scalars(
        select(t.Activity).where(t.Activity.project_id == project.id).order_by(t.Activity.starts_on, t.Activity.id)
    )
    milestones = session.scalars(
        select(t.Milestone).where(t.Milestone.project_id == project.id).order_by(t.Milestone.due_on, t.Milestone.id)
    )
    return TrackingView(
        project=project.slug,
        fiscal_year=project.fiscal_year,
        number=project.number,
        title_ja=project.title_ja,
        title_en=project.title_en,
        state=tracking.state if tracking else "planned",
        published=tracking is None or tracking.published_at is not None,
        plan_position=position,
        application_id=tracking.application_id if tracking else None,
        activities=[ActivityView.model_validate(a) for a in activities],
        milestones=[MilestoneView.model_validate(m) for m in milestones],
    )
