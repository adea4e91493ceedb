"""Reads of the workflow shared by API, pages and CLI: notifications and reminder targets."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.workflow.tables import Application, Call, Notification


def notifications_for(session: Session, user_id: int | None, limit: int = 200) -> list[Notification]:
    """The newest notifications of one account; none for an actor without an account."""
    query = select(Notification).where(Notification.user_id == (user_id or -1)).order_by(Notification.id.desc())
    return list(session.scalars(query.limit(limit)))


def open_calls(session: Session) -> list[Call]:
    return list(session.scalars(select(Call).where(Call.state == "open")))


def draft_applications(session: Session, call_id: int) -> list[Application]:
    """Applications of a call that their authors have not submitted yet."""
    query = select(Application).where(Application.call_id == call_id, Application.state == "draft")
    return list(session.scalars(query))
