"""Reads of the workflow shared by API, pages and CLI: applications, notifications, reminders.

Each question has one function here, built on the policy (:mod:`c3p.workflow.rules.access`),
and the API, the pages and the CLI all call it and filter nothing themselves, so they answer
the same for every role.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.db import tables as t
from c3p.errors import NotFound
from c3p.messages import Message
from c3p.workflow.rules.access import may_read_application
from c3p.workflow.service.calls import NO_APPLICATION, application_by_id, application_target

#: the newest notifications a reader is shown
NOTIFICATIONS_SHOWN = 200


def visible_applications(session: Session, actor: Actor, call_slug: str | None = None) -> list[t.Application]:
    """The applications ``actor`` may see (of the call ``call_slug``), newest first."""
    query = (
        select(t.Application, t.Call.slug, t.MemberOrganization.slug)
        .join(t.Call, t.Call.id == t.Application.call_id)
        .join(t.MemberOrganization, t.MemberOrganization.id == t.Application.proposer_id)
        .order_by(t.Application.id.desc())
    )
    if call_slug:
        query = query.where(t.Call.slug == call_slug)
    return [
        application
        for application, call, organization in session.execute(query)
        if may_read_application(actor, application.state, Target.of(organization=organization, call=call))
    ]


def readable_application(session: Session, actor: Actor, application_id: int) -> t.Application:
    """The application, if ``actor`` may see it: refused (401/403) by the policy, or unknown (404) if a draft."""
    application = application_by_id(session, application_id)
    target = application_target(session, application)
    require(actor, "program.application.read", target)
    if not may_read_application(actor, application.state, target):
        raise NotFound(Message(NO_APPLICATION, {"id": application.id}))
    return application


def notifications_of(session: Session, actor: Actor) -> list[t.Notification]:
    """The newest notifications addressed to ``actor`` (none for the public or the operator)."""
    if actor.user_id is None:
        return []
    query = (
        select(t.Notification)
        .where(t.Notification.user_id == actor.user_id)
        .order_by(t.Notification.id.desc())
        .limit(NOTIFICATIONS_SHOWN)
    )
    return list(session.scalars(query))


def open_calls(session: Session) -> list[t.Call]:
    """Calls accepting applications now (the reminder job walks them)."""
    return list(session.scalars(select(t.Call).where(t.Call.state == "open")))


def draft_applications(session: Session, call_id: int) -> list[t.Application]:
    """Applications of a call that their authors have not submitted yet."""
    query = select(t.Application).where(t.Application.call_id == call_id, t.Application.state == "draft")
    return list(session.scalars(query))
