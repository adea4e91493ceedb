"""What the API and pages show of accounts: typed, and free of every secret."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

# One recorded change: defined with the history hook (shared infrastructure), shown with accounts.
from c3p.db.history import HistoryView as HistoryView
from c3p.schema import Schema


class GrantView(Schema):
    role: str
    scope_kind: str = Field("", description="organization, call, project or country; empty: platform-wide")
    scope_value: str = ""


class WaitingGrantView(GrantView):
    """A grant of a powerful role that waits for a second administrator's approval."""

    id: int
    user_id: int
    email: str = Field(description="the account the role is asked for")
    granted_by: str = Field(description="the administrator who asked for it")
    granted_at: dt.datetime
    asked_by_you: bool = Field(description="you asked for it: another administrator decides, you may withdraw it")


class OrganizationView(Schema):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name_ja: str
    name_en: str
    kind: str
    country_iso3: str
    website: str


class MemberView(Schema):
    """A member as its organization's page lists it."""

    display_name: str
    email: str
    disabled: bool


class UserView(Schema):
    id: int
    email: str
    display_name: str
    organization: OrganizationView
    language: str
    disabled: bool
    totp_enabled: bool
    roles: list[GrantView]
    created_at: dt.datetime


class TokenView(Schema):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str = Field(description="public part of the token, shown in lists; the secret is never shown again")
    user_id: int
    name: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class NewTokenView(TokenView):
    token: str = Field(description="the token itself, shown only in this response")


class MeView(Schema):
    authenticated: bool
    user: UserView | None = None
    via: str = Field("", description="session, token or nothing")
    token_scopes: list[str] | None = None
