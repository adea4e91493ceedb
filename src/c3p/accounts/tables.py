"""Tables of accounts: member organizations, users, role grants, sessions, tokens, security events.

Secrets are stored only as digests (argon2 for passwords, SHA-256 for random tokens) and
their columns carry ``info={"redacted": True}`` so the change history never copies them.
Tables whose rows are not domain records (sessions, reset links, security events) carry
``info={"history": False}`` and are left out of the history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from c3p.db.base import NOT_IN_HISTORY, Base, utcnow

REDACTED = {"redacted": True}


class MemberOrganization(Base):
    """The organization a user belongs to: a company, local government, partner city, TPE, ministry."""

    __tablename__ = "member_organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_ja: Mapped[str] = mapped_column(Text, default="")
    name_en: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    country_iso3: Mapped[str] = mapped_column(String(3), default="JPN")
    website: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    organization_id: Mapped[int] = mapped_column(ForeignKey("member_organizations.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(Text, info=REDACTED)
    language: Mapped[str] = mapped_column(String(2), default="ja")
    is_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64), info=REDACTED)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, info=NOT_IN_HISTORY)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RoleGrant(Base):
    """A role held by a user; ``scope_kind``/``scope_value`` are empty for platform-wide roles."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "scope_kind", "scope_value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    scope_kind: Mapped[str] = mapped_column(String(20), default="")
    scope_value: Mapped[str] = mapped_column(String(80), default="")
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    granted_by: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: who approved it; a grant waiting for a second administrator has no ``approved_at`` yet
    approved_by: Mapped[str] = mapped_column(Text, default="", server_default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: who refused a waiting grant and why: written just before the grant is deleted, so the
    #: refusal and its reason stay in the grant's history
    refused_by: Mapped[str] = mapped_column(Text, default="", server_default="")
    refusal_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(8), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), info=REDACTED)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), info=NOT_IN_HISTORY)
    #: the administrator who made this token for its user, if not the user
    created_by_id: Mapped[int | None] = mapped_column(Integer)


class UserSession(Base):
    """A signed-in browser; the cookie holds the secret, the row only its digest."""

    __tablename__ = "user_sessions"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(45), default="")


class PasswordReset(Base):
    __tablename__ = "password_resets"
    __table_args__ = ({"info": NOT_IN_HISTORY},)

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SecurityEvent(Base):
    """A sign-in, a refusal or a lockout; failed sign-ins here drive the rate limit."""

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_kind_email_at", "kind", "email", "occurred_at"),
        {"info": NOT_IN_HISTORY},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(45), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
