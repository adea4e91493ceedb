"""Notifications: an in-app row per person, and the same text by e-mail once the work commits.

Subjects and bodies are :class:`~c3p.messages.Message` s, written in each person's language
(their account's) when the notification is made, so the page and the e-mail agree.

A person may choose one daily digest instead: their notifications wait (``mailed_at`` empty)
until :func:`send_digests` (``c3p workflow notifications digest``, run daily) mails them together.
Every link in a mail is absolute, built from ``C3P_PUBLIC_URL``.

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
from c3p.accounts.rules.policy import Actor, Target, require
from c3p.accounts.tables import RoleGrant, User
from c3p.catalogs import LANGUAGES, translate
from c3p.messages import N_, Message
from c3p.settings import Settings
from c3p.workflow.tables import Notification, NotificationPreference

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
    digest_readers = _digest_readers(session, [user.id for user in users])
    now = dt.datetime.now(dt.UTC)
    for user in users:
        language = _language(user)
        subject_text, body_text = translate(subject, language), translate(body, language)
        row = Notification(user_id=user.id, kind=kind, subject=subject_text, body=body_text, link=link)
        session.add(row)
        if settings is not None and user.id not in digest_readers:
            row.mailed_at = now
            text = body_text + (f"\n\n{absolute(settings, link)}" if link else "")
            _queue(session, settings, user.email, f"C3P: {subject_text}", text)
    session.flush()
    return len(users)


def _language(user: User) -> str:
    return user.language if user.language in LANGUAGES else "ja"


def _queue(session: Session, settings: Settings, to: str, subject: str, body: str) -> None:
    session.info.setdefault(PENDING, []).append((settings, to, subject, body))


def _digest_readers(session: Session, user_ids: list[int]) -> set[int]:
    query = select(NotificationPreference.user_id).where(
        NotificationPreference.user_id.in_(user_ids), NotificationPreference.daily_digest.is_(True)
    )
    return set(session.scalars(query))


def choose_daily_digest(session: Session, actor: Actor, daily_digest: bool) -> None:
    """Mail ``actor`` one digest a day instead of each notification (or back)."""
    require(actor, "notifications.read", Target(owner_id=actor.user_id))
    row = session.get(NotificationPreference, actor.user_id)
    if row is None:
        row = NotificationPreference(user_id=actor.user_id)
        session.add(row)
    row.daily_digest = daily_digest
    session.flush()


def send_digests(session: Session, settings: Settings) -> int:
    """Mail each digest reader their notifications not mailed yet, as one message; return how many went."""
    waiting = session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .join(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(
            Notification.mailed_at.is_(None),
            NotificationPreference.daily_digest.is_(True),
            User.is_disabled.is_(False),
        )
        .order_by(Notification.user_id, Notification.id)
    )
    by_user: dict[int, tuple[User, list[Notification]]] = {}
    for notification, user in waiting:
        by_user.setdefault(user.id, (user, []))[1].append(notification)
    now = dt.datetime.now(dt.UTC)
    for user, notifications in by_user.values():
        language = _language(user)
        subject = translate(Message(N_("%(count)s notifications of the day"), {"count": len(notifications)}), language)
        _queue(session, settings, user.email, f"C3P: {subject}", digest_text(settings, notifications))
        for notification in notifications:
            notification.mailed_at = now
    session.flush()
    return len(by_user)


def digest_text(settings: Settings, notifications: list[Notification]) -> str:
    """One paragraph per notification: its subject, its text and its link (absolute)."""
    paragraphs = [
        "\n".join(part for part in (f"■ {n.subject}", n.body, absolute(settings, n.link) if n.link else "") if part)
        for n in notifications
    ]
    return "\n\n".join(paragraphs) + "\n"


def absolute(settings: Settings, link: str) -> str:
    """A link a mail reader can click: a path is put after ``C3P_PUBLIC_URL`` (never the request's host).

    >>> absolute(Settings(public_url="https://c3p.example.org/"), "/applications/7")
    'https://c3p.example.org/applications/7'
    """
    return f"{settings.base_url}{link}" if link.startswith("/") else link


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
