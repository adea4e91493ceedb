"""Tracking adopted projects: status per fiscal year, activities, milestones and deliverables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, decide, require
from c3p.db import tables as t
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.program.rules.fiscal_years import PlanPosition
from c3p.schema import Schema
from c3p.settings import Settings
from c3p.workflow.rules import tracking as rules
from c3p.workflow.rules.access import allowed_on_any
from c3p.workflow.rules.calls import IllegalTransition, check_transition
from c3p.workflow.schemas import ActivityView, AttachmentView, ExpenseView, MilestoneView, RefView, TrackingView
from c3p.workflow.service import attachments, consortium

NO_PROJECT = N_("no project %(slug)s")


class NewActivity(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: str = Field(description=", ".join(rules.ACTIVITY_KINDS))
    title: str = Field(min_length=1)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    state: str = "planned"
    note: str = ""


class NewExpense(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    spent_on: dt.date
    category: str = Field(description=", ".join(rules.EXPENSE_CATEGORIES))
    description: str = Field(min_length=1)
    amount_jpy: int = Field(gt=0, le=10**12, description="whole JPY")


class NewMilestone(Schema):
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
    """An activity recorded by anyone who tracks the project (a partner city's official included)."""
    project, _tracking = _guard(session, actor, slug)
    _check_activity(data)
    row = t.Activity(project_id=project.id, organization_slug=actor.organization or "", **data.model_dump())
    session.add(row)
    session.flush()
    return row


def update_activity(session: Session, actor: Actor, slug: str, activity_id: int, data: NewActivity) -> t.Activity:
    """Change an activity: its kind, title, dates, status (planned / done / cancelled) or its report note."""
    project, _tracking = _guard(session, actor, slug)
    row = session.get(t.Activity, activity_id)
    if row is None or row.project_id != project.id:
        raise NotFound(Message(N_("project %(slug)s has no activity %(id)s"), {"slug": slug, "id": activity_id}))
    _check_activity(data)
    for name, value in data.model_dump().items():
        setattr(row, name, value)
    row.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    return row


def _check_activity(data: NewActivity) -> None:
    if data.kind not in rules.ACTIVITY_KINDS:
        refusal = N_("Unknown activity kind '%(kind)s'; kinds: %(kinds)s.")
        raise InvalidInput(
            Message(refusal, {"kind": data.kind, "kinds": ", ".join(rules.ACTIVITY_KINDS)}), field="kind"
        )
    if data.state not in rules.ACTIVITY_STATES:
        states = {"states": ", ".join(rules.ACTIVITY_STATES)}
        raise InvalidInput(Message(N_("state: one of %(states)s"), states), field="state")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise InvalidInput(N_("ends_on is before starts_on"), field="ends_on")


def add_expense(session: Session, actor: Actor, slug: str, data: NewExpense) -> t.Expense:
    """An expense against the project's grant (whole JPY, more than zero)."""
    project, _tracking = _guard(session, actor, slug)
    if data.category not in rules.EXPENSE_CATEGORIES:
        categories = {"categories": ", ".join(rules.EXPENSE_CATEGORIES)}
        raise InvalidInput(Message(N_("category: one of %(categories)s"), categories), field="category")
    row = t.Expense(project_id=project.id, organization_slug=actor.organization or "", **data.model_dump())
    session.add(row)
    session.flush()
    return row


def add_document(
    session: Session, actor: Actor, settings: Settings, slug: str, kind: str, filename: str, content: bytes
) -> t.Attachment:
    """A file of the project's year: an activity's report, minutes or photos, or the completion report."""
    project, _tracking = _guard(session, actor, slug)
    return attachments.store(session, settings, "project", project.id, kind, filename, content, actor.user_id)


def project_file(
    session: Session, actor: Actor, settings: Settings, slug: str, attachment_id: int
) -> tuple[t.Attachment, bytes]:
    """A file of the project, for whoever may see its tracking page."""
    project = readable_project(session, actor, slug)
    row = session.get(t.Attachment, attachment_id)
    if row is None or row.owner_kind != "project" or row.owner_id != project.id:
        raise NotFound(Message(N_("project %(slug)s has no file %(id)s"), {"slug": slug, "id": attachment_id}))
    return row, attachments.content_of(settings, row)


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
        **_year_money(session, project, tracking),
        documents=[
            AttachmentView.model_validate(a) for a in attachments.attachments_of(session, "project", project.id)
        ],
    )


def _year_money(session: Session, project: t.Project, tracking: t.ProjectTracking | None) -> dict[str, Any]:
    """The year's expenses and total, the grant and the budget planned for it, and the plan's other years.

    A continuation's application plans from its own first year; a first adoption's, from plan year 1.
    """
    expenses = list(
        session.scalars(
            select(t.Expense).where(t.Expense.project_id == project.id).order_by(t.Expense.spent_on, t.Expense.id)
        )
    )
    application = session.get(t.Application, tracking.application_id) if tracking and tracking.application_id else None
    previous_id = application.continues_project_id if application else None
    previous = session.get(t.Project, previous_id) if previous_id else None
    budgets = application.budget_jpy_by_year if application else []
    year = 0 if previous else (project.plan_year or 1) - 1
    continued_by = session.scalars(
        select(t.Project)
        .join(t.Application, t.Application.project_id == t.Project.id)
        .where(t.Application.continues_project_id == project.id)
    )
    return {
        "expenses": [ExpenseView.model_validate(e) for e in expenses],
        "expenses_total_jpy": sum(e.amount_jpy for e in expenses),
        "budget_jpy": budgets[year] if 0 <= year < len(budgets) else None,
        "grant_jpy": application.grant_amount_jpy if application else None,
        "continues": RefView.of_project(previous) if previous else None,
        "continued_by": [RefView.of_project(p) for p in continued_by],
    }
