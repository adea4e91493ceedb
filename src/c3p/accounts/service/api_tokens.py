"""API tokens for machines: scoped, expiring, revocable; shown once, stored as a digest."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from c3p.accounts.rules.actions import ACTIONS
from c3p.accounts.rules.policy import Actor, Target, require, token_allows
from c3p.accounts.rules.secrets import ApiTokenSecret, digest, same
from c3p.accounts.schemas import NewTokenView, TokenView
from c3p.accounts.service.members import actor_for
from c3p.accounts.service.signin import aware, now
from c3p.accounts.tables import ApiToken, User
from c3p.errors import Forbidden, InvalidInput, NotFound, Unauthenticated


def check_scopes(scopes: list[str]) -> list[str]:
    """Scopes are action names or ``prefix.*`` patterns that match at least one action."""
    cleaned = sorted({scope.strip() for scope in scopes if scope.strip()})
    if not cleaned:
        raise InvalidInput("give the token at least one scope, e.g. users.read or users.*", field="scopes")
    for scope in cleaned:
        prefix = scope[:-1] if scope.endswith(".*") else None
        if scope not in ACTIONS and not (prefix and any(name.startswith(prefix) for name in ACTIONS)):
            raise InvalidInput(f"unknown scope {scope!r}: use an action name or a prefix such as users.*")
    return cleaned


def within(scope: str, held: frozenset[str]) -> bool:
    """Whether every action ``scope`` allows is allowed by one of ``held``."""
    if not scope.endswith(".*"):
        return token_allows(held, scope)
    prefix = scope[:-1]
    return any(h == scope or (h.endswith(".*") and prefix.startswith(h[:-1])) for h in held)


def token_view(token: ApiToken) -> TokenView:
    return TokenView.model_validate(
        {**{c: getattr(token, c) for c in TokenView.model_fields if c != "scopes"}, "scopes": token.scopes.split()}
    )


def create_token(
    session: Session, actor: Actor, user: User, name: str, scopes: list[str], lifetime: dt.timedelta
) -> NewTokenView:
    """A token for ``user``; made by a token, only with scopes that token has itself."""
    require(actor, "tokens.create", Target.of(owner_id=user.id))
    if lifetime <= dt.timedelta(0) or lifetime > dt.timedelta(days=366):
        raise InvalidInput("a token lives between 1 day and 366 days", field="expires_in_days")
    cleaned = check_scopes(scopes)
    if actor.token_scopes is not None:
        wider = [scope for scope in cleaned if not within(scope, actor.token_scopes)]
        if wider:
            raise Forbidden(f"a token can only make tokens within its own scopes; not {', '.join(wider)}")
    secret = ApiTokenSecret.new()
    token = ApiToken(
        key=secret.key,
        secret_sha256=digest(secret.secret),
        user_id=user.id,
        name=name.strip() or "token",
        scopes=" ".join(cleaned),
        expires_at=now() + lifetime,
        created_by_id=actor.user_id if actor.user_id not in (None, user.id) else None,
    )
    session.add(token)
    session.flush()
    return NewTokenView(**token_view(token).model_dump(), token=secret.text)


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    # the policy is asked before existence shows: a stranger's token and no token read the same
    require(actor, "tokens.revoke", Target.of(owner_id=token.user_id if token else -1))
    if token is None:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now()
        session.flush()
    return token


def token_actor(session: Session, text: str, note_use: bool = True) -> Actor:
    """The actor a bearer token stands for, or a clear refusal (unknown, revoked, expired, disabled).

    ``note_use=False`` leaves ``last_used_at`` alone (a database that takes no writes).
    """
    parsed = ApiTokenSecret.parse(text)
    token = session.scalars(select(ApiToken).where(ApiToken.key == parsed.key)).one_or_none() if parsed else None
    if parsed is None or token is None or not same(token.secret_sha256, digest(parsed.secret)):
        raise Unauthenticated("The API token is not recognized.")
    if token.revoked_at is not None:
        raise Unauthenticated("The API token has been revoked.")
    if aware(token.expires_at) <= now():
        raise Unauthenticated("The API token has expired; create a new one.")
    user = session.get(User, token.user_id)
    if user is None or user.is_disabled:
        raise Unauthenticated("The account of this API token is disabled.")
    if note_use and (token.last_used_at is None or now() - aware(token.last_used_at) > dt.timedelta(minutes=1)):
        token.last_used_at = now()
    actor = actor_for(session, user, frozenset(token.scopes.split()))
    maker = session.get(User, token.created_by_id) if token.created_by_id else None
    if maker is not None:  # the history and the journal name both people
        actor = replace(actor, label=f"{maker.email} on behalf of {user.email}"[:254])
    return actor
