"""Signing people in: password check, lockout, sessions, password reset, TOTP second factor.

Failed sign-ins are rows of ``security_events``, so the rate limit and the temporary lockout
hold across workers and restarts. A sign-in attempt never raises before its event is written:
:func:`sign_in` returns the outcome, the boundary commits, then refuses.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pyotp
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from c3p.accounts.rules import passwords
from c3p.accounts.rules.secrets import digest, new_secret
from c3p.accounts.service.members import LANGUAGES, user_by_email
from c3p.accounts.tables import ApiToken, PasswordReset, SecurityEvent, User, UserSession
from c3p.errors import C3PError, InvalidInput, Unauthenticated
from c3p.messages import N_, Message
from c3p.settings import Settings

WRONG_CREDENTIALS = N_("The e-mail address or password is not correct.")
INVALID_RESET_LINK = N_("This password-reset link is invalid, used or expired. Ask for a new one.")


class TooManyAttempts(C3PError):
    status = 429
    code = "too-many-attempts"
    title = N_("Too many attempts")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def record_event(
    session: Session, kind: str, email: str = "", user_id: int | None = None, ip: str = "", detail: str = ""
) -> None:
    session.add(SecurityEvent(kind=kind, email=email[:254], user_id=user_id, ip=ip[:45], detail=detail))
    session.flush()


@dataclass
class SignInOutcome:
    user: User | None
    error: C3PError | None


def _events_since(session: Session, kind: str, since: dt.datetime, **where: str) -> tuple[int, dt.datetime | None]:
    query = select(func.count(), func.max(SecurityEvent.occurred_at)).where(
        SecurityEvent.kind == kind, SecurityEvent.occurred_at >= since
    )
    for column, value in where.items():
        query = query.where(getattr(SecurityEvent, column) == value)
    count, last = session.execute(query).one()
    return int(count), aware(last) if last else None


def growing_delay(failures: int, free: int, cap: dt.timedelta) -> dt.timedelta:
    """How long to wait after the last of ``failures``: none for the first ``free``, then doubling up to ``cap``.

    A delay, not a lock: whoever knows the password gets in once it has passed, so a stranger
    who keeps failing slows an account down but cannot keep it shut.
    """
    if failures < free:
        return dt.timedelta(0)
    return min(cap, dt.timedelta(seconds=2 ** min(failures - free, 20)))


def lockout_error(session: Session, settings: Settings, email: str, ip: str) -> C3PError | None:
    """A refusal while this account or client address must still wait after its failures, else None."""
    since = now() - settings.sign_in_lockout
    user = user_by_email(session, email)
    if user is not None and user.password_changed_at is not None:
        since = max(since, aware(user.password_changed_at))  # a completed reset starts afresh
    count, last = _events_since(session, "sign_in.failed", since, email=email)
    wait = _remaining(last, growing_delay(count, settings.sign_in_max_failures, settings.sign_in_max_delay))
    if wait:
        return TooManyAttempts(
            Message(
                N_(
                    "Too many failed sign-ins for this account; it is locked for %(minutes)s more minutes. "
                    "You can also reset your password."
                ),
                {"minutes": max(1, round(wait / 60))},
            ),
            retry_after=wait,
        )
    if ip:
        count, last = _events_since(session, "sign_in.failed", now() - settings.sign_in_lockout, ip=ip)
        wait = _remaining(last, growing_delay(count, settings.sign_in_max_failures_per_ip, settings.sign_in_lockout))
        if wait:
            return TooManyAttempts(N_("Too many failed sign-ins from your network; try again later."), retry_after=wait)
    return None


def _remaining(last: dt.datetime | None, delay: dt.timedelta) -> int:
    """Whole seconds still to wait after ``last`` (0: none)."""
    if last is None or not delay:
        return 0
    return max(0, math.ceil((last + delay - now()).total_seconds()))


def sign_in(session: Session, settings: Settings, email: str, password: str, code: str, ip: str) -> SignInOutcome:
    """Check the credentials; record the attempt either way and return the outcome."""
    email = email.strip().lower()
    locked = lockout_error(session, settings, email, ip)
    if locked:
        record_event(session, "sign_in.locked", email, ip=ip, detail=locked.detail)
        return SignInOutcome(None, locked)
    user = user_by_email(session, email)
    error = _credential_error(session, user, password, code)
    if error:
        record_event(session, "sign_in.failed", email, user.id if user else None, ip, error.detail)
        return SignInOutcome(None, error)
    assert user is not None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    record_event(session, "sign_in.succeeded", email, user.id, ip)
    return SignInOutcome(user, None)


def _credential_error(session: Session, user: User | None, password: str, code: str) -> C3PError | None:
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        return Unauthenticated(WRONG_CREDENTIALS)
    if user.is_disabled:
        return Unauthenticated(N_("This account is disabled. Ask the secretariat to re-enable it."))
    if user.totp_enabled and not _totp_ok(user, code):
        message = (
            N_("Enter the 6-digit code from your authenticator app.") if not code else N_("The code is not correct.")
        )
        return Unauthenticated(message, second_factor=True)
    return None


def _totp_ok(user: User, code: str) -> bool:
    """A valid code, each at most once (replayed codes are refused)."""
    if not user.totp_secret or not code.strip().isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    for offset in (-1, 0, 1):
        moment = now() + dt.timedelta(seconds=30 * offset)
        step = int(moment.timestamp()) // 30
        if totp.at(moment) == code.strip() and step > (user.totp_last_step or -1):
            user.totp_last_step = step
            return True
    return False


def start_session(session: Session, settings: Settings, user: User, ip: str) -> str:
    """A new session for ``user``; returns the secret for the cookie (stored only as a digest)."""
    secret = new_secret()
    session.add(
        UserSession(id_sha256=digest(secret), user_id=user.id, expires_at=now() + settings.session_lifetime, ip=ip[:45])
    )
    session.flush()
    return secret


def follow_reader(session: Session, user: User, language: str) -> None:
    """The account takes the language its reader signed in with (mail and notifications follow)."""
    if language in LANGUAGES and user.language != language:
        user.language = language
        session.flush()


def session_user(session: Session, secret: str) -> User | None:
    """The user of a live session, or None (unknown, expired, or the account is disabled)."""
    row = session.get(UserSession, digest(secret))
    if row is None or aware(row.expires_at) <= now():
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and not user.is_disabled else None


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id_sha256 == digest(secret)))


def end_all_sessions(session: Session, user_id: int) -> int:
    """Sign out everywhere: every browser of this user must sign in again, every API token is revoked."""
    result = session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def create_password_reset(session: Session, settings: Settings, email: str, ip: str = "") -> tuple[User, str] | None:
    """A reset secret for an enabled account with this address; None (silently) otherwise.

    A client address asking too often is refused (429); an account that had its share of
    mails within the window silently gets no more, so nobody can flood a mailbox.
    """
    since = now() - settings.sign_in_lockout
    if ip:
        count, last = _events_since(session, "password_reset.requested", since, ip=ip)
        if count > settings.password_reset_max_per_ip:
            wait = _remaining(last, settings.sign_in_lockout) or 1
            raise TooManyAttempts(N_("Too many requests from your network; try again later."), retry_after=wait)
    user = user_by_email(session, email)
    if user is None or user.is_disabled:
        return None
    recent = select(func.count()).where(PasswordReset.user_id == user.id, PasswordReset.created_at >= since)
    if int(session.scalar(recent) or 0) >= settings.password_reset_max_per_account:
        return None
    secret = new_secret()
    session.add(
        PasswordReset(
            secret_sha256=digest(secret), user_id=user.id, expires_at=now() + settings.password_reset_lifetime
        )
    )
    session.flush()
    return user, secret


def reset_password(session: Session, secret: str, new_password: str) -> User:
    """Set a new password with a reset secret (single use), and sign out everywhere."""
    row = session.scalars(select(PasswordReset).where(PasswordReset.secret_sha256 == digest(secret))).one_or_none()
    if row is None or row.used_at is not None or aware(row.expires_at) <= now():
        raise InvalidInput(INVALID_RESET_LINK)
    user = session.get(User, row.user_id)
    if user is None or user.is_disabled:
        raise InvalidInput(INVALID_RESET_LINK)
    passwords.check(new_password, user.email)
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = now()
    row.used_at = now()
    end_all_sessions(session, user.id)
    session.flush()
    return user


def begin_totp(session: Session, user: User) -> str:
    """A fresh TOTP secret, kept unconfirmed until :func:`confirm_totp` sees a valid code."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled = False
    session.flush()
    return user.totp_secret


def totp_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name="C3P")


def confirm_totp(session: Session, user: User, code: str) -> None:
    if not user.totp_secret or not _totp_ok(user, code):
        raise InvalidInput(N_("The code is not correct; check the time on your device and try again."), field="code")
    user.totp_enabled = True
    session.flush()


def disable_totp(session: Session, user: User) -> None:
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    session.flush()
