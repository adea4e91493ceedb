"""Who is asking: session cookies, bearer tokens, CSRF, and the permission dependency.

Every guarded route declares ``Depends(permission("x.y"))``. The dependency resolves the
actor (``Authorization: Bearer`` first, then the session cookie, else the public), checks
CSRF on state-changing requests made with a cookie, and asks the policy whether the actor may
perform the action at all; the service then asks again with the real target. The action is
kept on the dependency so tests can enumerate every route and its action.

CSRF uses signed double-submit: a random ``c3p_csrf`` cookie (HTTP-only, SameSite=Strict)
and a form field or ``X-CSRF-Token`` header holding its HMAC under the secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from c3p.accounts.rules.actions import action
from c3p.accounts.rules.policy import Actor, could
from c3p.accounts.service.api_tokens import token_actor
from c3p.accounts.service.members import actor_for
from c3p.accounts.service.signin import session_user
from c3p.db.database import CoreUnit
from c3p.db.history import act_as
from c3p.errors import Forbidden, Unauthenticated
from c3p.messages import N_
from c3p.settings import Settings
from c3p.web.deps import database

SESSION_COOKIE = "c3p_session"
CSRF_COOKIE = "c3p_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_REFUSAL = N_(
    "The form could not be accepted: its security token is missing or does not match. "
    "Reload the page and send it again."
)
#: over plain HTTP a browser keeps no Secure cookie, so "reload and send again" would never help
SECURE_COOKIE_REFUSAL = N_(
    "The form could not be accepted: your browser kept none of the portal's cookies, because this "
    "address is plain HTTP and the portal sends its cookies over HTTPS only. Use the portal's https:// "
    "address, or ask its administrator (setting C3P_COOKIE_SECURE)."
)


@lru_cache
def _key_file_secret(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def secret_key(settings: Settings) -> bytes:
    """The configured key, else one generated once and kept in data_dir (mode 600)."""
    if settings.secret_key:
        return settings.secret_key.get_secret_value().encode()
    return _key_file_secret(settings.data_dir / "secret_key")


class CsrfCookieMiddleware:
    """Give every portal visitor a CSRF cookie (pure ASGI, so the API pays nothing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return
        cookies = SimpleCookie(dict(scope["headers"]).get(b"cookie", b"").decode("latin-1"))
        existing = cookies.get(CSRF_COOKIE)
        value = existing.value if existing else secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_cookie"] = value
        if existing:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure = "; Secure" if scope["app"].state.settings.cookie_secure else ""
                cookie = f"{CSRF_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode("latin-1")))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def csrf_token(request: Request) -> str:
    """The value forms must send back in ``csrf_token`` (or the ``X-CSRF-Token`` header)."""
    cookie = getattr(request.state, "csrf_cookie", None) or request.cookies.get(CSRF_COOKIE, "")
    return _sign(request, cookie)


def _sign(request: Request, value: str) -> str:
    return hmac.new(secret_key(request.app.state.settings), value.encode(), hashlib.sha256).hexdigest()


async def verify_csrf(request: Request) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and "form" in request.headers.get("content-type", ""):
        sent = str((await request.form()).get(CSRF_FIELD, ""))
    if not cookie and request.url.scheme == "http" and request.app.state.settings.cookie_secure:
        raise Forbidden(SECURE_COOKIE_REFUSAL, reason="csrf")
    if not cookie or not sent or not hmac.compare_digest(sent, _sign(request, cookie)):
        raise Forbidden(CSRF_REFUSAL, reason="csrf")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def resolve_actor(request: Request) -> Actor:
    """The actor of this request, resolved once (blocking: call off the event loop)."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization", "")
    actor, via = Actor.public(), ""
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthenticated("Send an API token as 'Authorization: Bearer <token>'.")
        actor, via = _token_actor(request, credentials.strip()), "token"
    elif request.cookies.get(SESSION_COOKIE):
        with database(request).reading() as session:
            user = session_user(session, request.cookies[SESSION_COOKIE])
            if user is not None:
                actor, via = actor_for(session, user), "session"
    request.state.actor, request.state.via = actor, via
    return actor


def _token_actor(request: Request, credentials: str) -> Actor:
    """The token's actor; when the disk takes no writes, without noting its last use, so reads go on."""
    try:
        with database(request).unit_of_work() as session:
            return token_actor(session, credentials)
    except OperationalError:
        with database(request).reading() as session:
            return token_actor(session, credentials, note_use=False)


def permission(name: str) -> Callable[..., Any]:
    """A dependency guarding a route with action ``name``; it returns the acting :class:`Actor`."""
    action(name)  # an unknown action fails at import, not at request time

    async def dependency(request: Request) -> Actor:
        actor = await run_in_threadpool(resolve_actor, request)
        if request.method not in SAFE_METHODS and (request.state.via == "session" or _is_page(request)):
            await verify_csrf(request)
        decision = could(actor, name)
        if not decision:
            error = Unauthenticated if decision.status == 401 else Forbidden
            raise error(decision.message, action=name)
        return actor

    dependency.c3p_action = name  # type: ignore[attr-defined]
    dependency.__name__ = f"permission_{name.replace('.', '_')}"
    return dependency


#: POST routes that only compute (the body is too large for a query string) and change nothing;
#: their action is public. A new mutating route must use ``permission()`` or be listed here.
COMPUTATIONS = {
    "/api/v1/mrv/methodologies/{methodology_id}/estimate": "mrv.calculate",
}


def _is_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def all_routes(app: Any) -> Iterator[tuple[str, set[str], Any]]:
    """Every endpoint of ``app`` as (full path, methods, route), through included routers."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is None:
            yield getattr(route, "path", ""), set(getattr(route, "methods", None) or ()), route
            continue
        for context in contexts():
            yield context.path, set(context.methods or ()), context.original_route


def route_action(route: Any, path: str | None = None) -> str | None:
    """The action a route is guarded by (for the permission-matrix test and the docs)."""
    path = path or getattr(route, "path", None)
    if path in COMPUTATIONS:
        return COMPUTATIONS[path]
    dependant = getattr(route, "dependant", None)
    pending = list(dependant.dependencies) if dependant is not None else []
    while pending:
        dependant = pending.pop()
        found = getattr(dependant.call, "c3p_action", None)
        if found:
            return str(found)
        pending.extend(dependant.dependencies)
    return None


def api_writes(app: Any) -> list[tuple[re.Pattern[str], frozenset[str], str | None]]:
    """The API's write routes in the router's order: (path pattern, methods, action refused to the public).

    The action is None where the public may write (the computations). Read from the routes'
    own permission dependencies, so a route added tomorrow is covered without a list to keep.
    """
    found = []
    for path, methods, route in all_routes(app):
        if not path.startswith("/api/") or not methods & WRITE_METHODS:
            continue
        name = route_action(route, path)
        refused = name is not None and could(Actor.public(), name).status == 401
        found.append((compile_path(path)[0], frozenset(methods), name if refused else None))
    return found


@contextmanager
def writing(request: Request, actor: Actor) -> Iterator[Session]:
    """One unit of work whose changes the history attributes to ``actor``."""
    with database(request).unit_of_work() as session:
        act_as(session, actor.user_id, actor.label)
        yield session


@contextmanager
def moving_credits(request: Request, actor: Actor, *, one_command: bool) -> Iterator[CoreUnit]:
    """The lean unit of work of a transfer, cancellation or retirement (``one_command``: its move may commit
    with its statement) or of a batch of transfers (all or none), attributed to ``actor``."""
    with database(request).core_unit(one_command=one_command) as unit:
        act_as(unit, actor.user_id, actor.label)
        yield unit


def set_session_cookie(response: Response, settings: Settings, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(settings.session_lifetime.total_seconds()),
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax")


def signed_in_user(request: Request) -> dict[str, Any] | None:
    """For templates: the signed-in person's name and e-mail, or None (one query, then cached)."""
    if not request.cookies.get(SESSION_COOKIE) or request.url.path.startswith("/api/"):
        return None
    try:
        actor = resolve_actor(request)
    except Unauthenticated:
        return None
    if actor.user_id is None:
        return None
    return {
        "email": actor.label,
        "admin": actor.holds("administrator") or actor.holds("secretariat"),
        "registry_admin": actor.holds("registry_administrator"),
    }
