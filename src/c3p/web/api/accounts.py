"""Accounts API: who am I, users and roles, member organizations, API tokens, record history.

Each mutating route is guarded by ``Depends(permission(...))``; services ask the policy again
with the real target. One request is one unit of work, attributed to the actor in the history.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Query, Request, Response
from pydantic import ConfigDict, Field
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, Target, require
from c3p.accounts.schemas import (
    HistoryView,
    MeView,
    NewTokenView,
    OrganizationView,
    TokenView,
    UserView,
    WaitingGrantView,
)
from c3p.accounts.service import api_tokens
from c3p.accounts.service import members as svc
from c3p.db.history import entries_for
from c3p.errors import Conflict, NotFound, Unauthenticated
from c3p.schema import Schema
from c3p.web.auth import database as db
from c3p.web.auth import permission, resolve_actor, writing
from c3p.web.problems import problems
from c3p.web.routes import Router

if TYPE_CHECKING:
    from c3p.accounts.tables import User  # rows the service returns, named in annotations only

router = Router(tags=["accounts"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class MePatch(Strict):
    language: str | None = Field(None, description="ja or en")
    display_name: str | None = None


class NewUser(Strict):
    email: str
    display_name: str = ""
    organization: str = Field(description="slug of the member organization")
    password: str | None = Field(None, description="omit to let the user set one through a password reset")
    language: str = Field("ja", description="language of the account's pages, mail and notifications: ja or en")


class RoleIn(Strict):
    role: str
    scope: str | None = Field(None, description="call (2025-1), organization slug, project slug or country ISO3")


class NewOrganization(Strict):
    slug: str
    name_en: str
    name_ja: str = ""
    kind: str = "other"
    country_iso3: str = "JPN"
    website: str = ""


class OrganizationPatch(Strict):
    name_en: str | None = None
    name_ja: str | None = None
    kind: str | None = None
    country_iso3: str | None = None
    website: str | None = None


class NewToken(Strict):
    name: str
    scopes: list[str] = Field(description="action names or prefixes such as users.*")
    expires_in_days: int | None = Field(None, description="default: the api_token_lifetime setting")
    user_id: int | None = Field(None, description="administrators only: create for another user")


def _user(session: Session, user_id: int) -> User:
    user = svc.user_by_id(session, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


@router.get(
    "/me",
    response_model=MeView,
    responses=problems(Unauthenticated),  # an Authorization header that is not a valid bearer token
    summary="The signed-in user, or nobody",
)
def me(request: Request) -> MeView:
    actor = resolve_actor(request)
    if actor.user_id is None:
        return MeView(authenticated=False)
    with db(request).reading() as session:
        view = svc.user_view(session, _user(session, actor.user_id))
    scopes = sorted(actor.token_scopes) if actor.token_scopes is not None else None
    return MeView(authenticated=True, user=view, via=request.state.via, token_scopes=scopes)


@router.patch("/me", response_model=UserView, summary="Change your name or language preference")
def update_me(request: Request, body: MePatch, actor: Actor = Depends(permission("users.update"))) -> UserView:
    with writing(request, actor) as session:
        user = _user(session, actor.user_id or 0)
        if body.language is not None:
            svc.set_language(session, actor, user, body.language)
        if body.display_name is not None:
            require(actor, "users.update", svc.user_target(user))
            user.display_name = body.display_name.strip() or user.email
        return svc.user_view(session, user)


@router.get("/users", response_model=list[UserView], summary="All users (administrators, secretariat)")
def list_users(request: Request, actor: Actor = Depends(permission("users.list"))) -> list[UserView]:
    with db(request).reading() as session:
        return [svc.user_view(session, user) for user in svc.list_users(session, actor)]


@router.get("/users/{user_id}", response_model=UserView, summary="One user")
def get_user(request: Request, user_id: int, actor: Actor = Depends(permission("users.read"))) -> UserView:
    require(actor, "users.read", Target.of(owner_id=user_id))
    with db(request).reading() as session:
        return svc.user_view(session, _user(session, user_id))


@router.post(
    "/users", response_model=UserView, status_code=201, responses=problems(NotFound, Conflict), summary="Create a user"
)
def create_user(request: Request, body: NewUser, actor: Actor = Depends(permission("users.create"))) -> UserView:
    with writing(request, actor) as session:
        organization = svc.organization_by_slug(session, body.organization)
        if organization is None:
            raise NotFound(f"no member organization {body.organization}")
        user = svc.create_user(
            session, actor, body.email, body.display_name, organization, body.password, body.language
        )
        return svc.user_view(session, user)


@router.post(
    "/users/{user_id}/roles",
    response_model=UserView,
    status_code=201,
    responses={**problems(Conflict), 202: {"model": UserView, "description": "Waiting for a second administrator"}},
    summary="Grant a role (administrator, Joint Committee member and registry administrator: "
    "202 until a second administrator grants it too)",
)
def grant_role(
    request: Request,
    response: Response,
    user_id: int,
    body: RoleIn,
    actor: Actor = Depends(permission("users.grant")),
) -> UserView:
    with writing(request, actor) as session:
        user = _user(session, user_id)
        row = svc.grant(session, actor, user, body.role, body.scope)
        if row.approved_at is None:
            response.status_code = 202
        return svc.user_view(session, user)


@router.delete("/users/{user_id}/roles", response_model=UserView, responses=problems(Conflict), summary="Revoke a role")
def revoke_role(
    request: Request,
    user_id: int,
    role: str,
    scope: str | None = None,
    actor: Actor = Depends(permission("users.revoke")),
) -> UserView:
    with writing(request, actor) as session:
        user = _user(session, user_id)
        svc.revoke(session, actor, user, role, scope)
        return svc.user_view(session, user)


class RefusalIn(Strict):
    reason: str = Field(description="why the grant is refused; it stays in the grant's history")


@router.get(
    "/role-grants/waiting",
    response_model=list[WaitingGrantView],
    summary="Grants of powerful roles that wait for a second administrator",
)
def waiting_grants(request: Request, actor: Actor = Depends(permission("users.grant"))) -> list[WaitingGrantView]:
    with db(request).reading() as session:
        return svc.waiting_grant_views(session, actor)


@router.post(
    "/role-grants/{grant_id}/approval",
    response_model=UserView,
    responses=problems(NotFound, Conflict),
    summary="Approve a waiting grant (a second administrator; never the one who asked for it)",
)
def approve_grant(request: Request, grant_id: int, actor: Actor = Depends(permission("users.grant"))) -> UserView:
    with writing(request, actor) as session:
        row = svc.approve(session, actor, grant_id)
        return svc.user_view(session, _user(session, row.user_id))


@router.post(
    "/role-grants/{grant_id}/refusal",
    response_model=UserView,
    responses=problems(NotFound, Conflict),
    summary="Refuse a waiting grant, with a reason (kept in the grant's history)",
)
def refuse_grant(
    request: Request, grant_id: int, body: RefusalIn, actor: Actor = Depends(permission("users.grant"))
) -> UserView:
    with writing(request, actor) as session:
        row = svc.refuse(session, actor, grant_id, body.reason)
        return svc.user_view(session, _user(session, row.user_id))


@router.post(
    "/users/{user_id}/disable", response_model=UserView, responses=problems(Conflict), summary="Disable an account"
)
def disable_user(request: Request, user_id: int, actor: Actor = Depends(permission("users.disable"))) -> UserView:
    with writing(request, actor) as session:
        user = _user(session, user_id)
        svc.set_disabled(session, actor, user, True)
        return svc.user_view(session, user)


@router.post(
    "/users/{user_id}/enable", response_model=UserView, responses=problems(Conflict), summary="Re-enable an account"
)
def enable_user(request: Request, user_id: int, actor: Actor = Depends(permission("users.disable"))) -> UserView:
    with writing(request, actor) as session:
        user = _user(session, user_id)
        svc.set_disabled(session, actor, user, False)
        return svc.user_view(session, user)


@router.get("/member-organizations", response_model=list[OrganizationView], summary="Member organizations")
def list_organizations(request: Request) -> list[OrganizationView]:
    with db(request).reading() as session:
        return [OrganizationView.model_validate(row) for row in svc.list_organizations(session)]


@router.post(
    "/member-organizations",
    response_model=OrganizationView,
    status_code=201,
    responses=problems(Conflict),
    summary="Add one",
)
def create_organization(
    request: Request, body: NewOrganization, actor: Actor = Depends(permission("organizations.create"))
) -> OrganizationView:
    with writing(request, actor) as session:
        fields = body.model_dump(exclude={"slug", "name_en", "kind"})
        row = svc.create_organization(session, actor, body.slug, body.name_en, body.kind, **fields)
        return OrganizationView.model_validate(row)


@router.patch("/member-organizations/{slug}", response_model=OrganizationView, summary="Change one")
def update_organization(
    request: Request, slug: str, body: OrganizationPatch, actor: Actor = Depends(permission("organizations.update"))
) -> OrganizationView:
    with writing(request, actor) as session:
        row = svc.update_organization(session, actor, slug, body.model_dump(exclude_none=True))
        return OrganizationView.model_validate(row)


@router.get("/tokens", response_model=list[TokenView], summary="API tokens of a user (default: yours)")
def list_tokens(
    request: Request, actor: Actor = Depends(permission("tokens.read")), user_id: int | None = None
) -> list[TokenView]:
    owner = user_id or actor.user_id or 0
    require(actor, "tokens.read", Target.of(owner_id=owner))
    with db(request).reading() as session:
        return [api_tokens.token_view(token) for token in api_tokens.tokens_of(session, owner)]


@router.post(
    "/tokens",
    response_model=NewTokenView,
    status_code=201,
    responses=problems(NotFound),
    summary="Create an API token (shown once)",
)
def create_token(request: Request, body: NewToken, actor: Actor = Depends(permission("tokens.create"))) -> NewTokenView:
    days = body.expires_in_days
    lifetime = dt.timedelta(days=days) if days is not None else request.app.state.settings.api_token_lifetime
    owner = body.user_id or actor.user_id or 0
    require(actor, "tokens.create", Target.of(owner_id=owner))
    with writing(request, actor) as session:
        return api_tokens.create_token(session, actor, _user(session, owner), body.name, body.scopes, lifetime)


@router.delete("/tokens/{token_id}", response_model=TokenView, summary="Revoke an API token")
def revoke_token(request: Request, token_id: int, actor: Actor = Depends(permission("tokens.revoke"))) -> TokenView:
    with writing(request, actor) as session:
        return api_tokens.token_view(api_tokens.revoke_token(session, actor, token_id))


@router.get("/history", response_model=list[HistoryView], summary="The change history of one record")
def history(
    request: Request,
    table: Annotated[str, Query(description="table name, e.g. users, member_organizations, projects")],
    key: Annotated[str, Query(description="the record's primary key, e.g. 12 or JPN")],
    actor: Actor = Depends(permission("history.read")),
) -> list[HistoryView]:
    with db(request).reading() as session:
        entries = entries_for(session, table, key)
        require(actor, "history.read", history_target(session, table, key, entries))
        return entries


def history_target(session: Session, table: str, key: str, entries: list[HistoryView]) -> Target:
    """Whose record this is, for the policy: a user's own account, tokens and roles; an organization's own record."""
    if table == "users" and key.isdigit():
        return Target.of(owner_id=int(key))
    if table == "member_organizations" and key.isdigit():
        row = svc.organization_by_id(session, int(key))
        return Target.of(organization=row.slug if row else None)
    owners = {
        entry.changes.get("user_id", [None, None])[0] or entry.changes.get("user_id", [None, None])[1]
        for entry in entries
    }
    owners.discard(None)
    return Target.of(owner_id=owners.pop()) if len(owners) == 1 else Target()
