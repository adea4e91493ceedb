"""Notifications: an in-app row per person, and the same text by e-mail once the work commits.

Subjects and bodies are :class:`~c3p.messages.Message` s, written in each person's language
(their account's) when the notification is made, so the page and the e-mail agree.

E-mails wait in ``session.info`` and go out (SMTP, or the outbox folder) only after the unit of
work commits, so a refused or rolled-back request never tells anyone about a change that did
not happen. A failing mail server does not undo the committed work; it is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from c3p import mail
from c3p.accounts.tables import RoleGrant, User
from c3p.catalogs import LANGUAGES, translate
from c3p.messages import Message
from c3p.settings import Settings
from c3p.workflow.tables import Notification

log = logging.getLogger(__name__)
PENDING = "c3p.workflow.pending_mail"


def notify(
    session: Session,
    settings: Settings | None,
    user_ids: Iterable[int],
    kind: str,
    subject: Message | str,
    body: Message | str,
    link: str = "",
) -> int:
    """Notify each user once, in their language; return how many were notified."""
    users = list(session.scalars(select(User).where(User.id.in_(set(user_ids)), User.is_disabled.is_(False))))
    for user in users:
        language = user.language if user.language in LANGUAGES else "ja"
        subject_text, body_text = translate(subject, language), translate(body, language)
        session.add(Notification(user_id=user.id, kind=kind, subject=subject_text, body=body_text, link=link))
        if settings is not None:
            text = body_text + (f"\n\n{link}" if link else "")
            session.info.setdefault(PENDING, []).append((settings, user.email, f"C3P: {subject_text}", text))
    session.flush()
    return len(users)


def mark_all_read(session: Session, user_id: int | None) -> int:
    """Mark every unread notification of one account read; return how many were."""
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == (user_id or -1), Notification.read_at.is_(None))
        .values(read_at=dt.datetime.now(dt.UTC))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def users_of_organization(session: Session, organization_id: int) -> list[int]:
    return list(session.scalars(select(User.id).where(User.organization_id == organization_id)))


def users_with_role(session: Session, role: str, scope_value: str | None = None) -> list[int]:
    query = select(RoleGrant.user_id).where(RoleGrant.role == role)
    if scope_value is not None:
        query = query.where(RoleGrant.scope_value == scope_value)
    return list(session.scalars(query))


def _send_pending(session: Session) -> None:
    for settings, to, subject, body in session.info.pop(PENDING, []):
        try:
            mail.send(settings, to, subject, body)
        except Exception:  # the change is committed; a mail failure must not hide that
            log.exception("could not send a notification to %s", to)


def _drop_pending(session: Session, *_args: object) -> None:
    session.info.pop(PENDING, None)


event.listen(Session, "after_commit", _send_pending)
event.listen(Session, "after_soft_rollback", _drop_pending)
