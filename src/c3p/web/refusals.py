"""Refusals are answered in one place and recorded: who was refused what, when, from where.

401, 403 and 429 answers reach the API as problem+json (like every error) and the portal as
a page that says what to do next (sign in, ask for a role, wait). Each one is written to
``security_events`` in a transaction of its own, since the request's own work rolls back.
A 403 names the grants and scopes by their names in the reader's language (a call's title, an
organization's or a country's name), never by their codes, where the name is public.
"""

from __future__ import annotations

import logging
from typing import TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import named_scopes
from c3p.accounts.service.members import organization_by_slug
from c3p.accounts.service.signin import TooManyAttempts, record_event
from c3p.errors import C3PError, Forbidden, NotFound, Unauthenticated
from c3p.program.snapshot import RegistrySnapshot
from c3p.web.auth import client_ip, database
from c3p.web.deps import current_snapshot
from c3p.web.errors import problem_response, wants_problem_json
from c3p.workflow.service.calls import call_by_slug

log = logging.getLogger(__name__)
Refused = TypeVar("Refused", bound=Exception)


def _record(request: Request, error: C3PError) -> None:
    if getattr(request.state, "refusal_recorded", False):
        return
    actor = getattr(request.state, "actor", None)
    try:
        with database(request).unit_of_work() as session:
            record_event(
                session,
                f"refused.{error.status}",
                email=actor.label if actor and actor.user_id else "",
                user_id=actor.user_id if actor else None,
                ip=client_ip(request),
                detail=f"{request.method} {request.url.path}: {error.detail}"[:2000],
            )
    except Exception:  # a refusal must still be answered when the database cannot record it
        log.exception("could not record a refusal")


def scope_names(session: Session, snapshot: RegistrySnapshot, kind: str, value: str) -> dict[str, str] | None:
    """The public name of a scope in each language: a call's title, an organization's, country's or project's name.

    A Japanese reader gets the English name where none is written in Japanese; an account is
    said by its number, which is a code.
    """
    if kind == "call":
        try:
            call = call_by_slug(session, value)
        except NotFound:
            return None
        return _in_both(call.title_ja, call.title_en)
    if kind == "organization":
        organization = organization_by_slug(session, value)
        return _in_both(organization.name_ja, organization.name_en) if organization else None
    if kind == "country" and value in snapshot.countries:
        return _in_both(snapshot.countries[value].name_ja, snapshot.countries[value].name_en)
    if kind == "project" and value in snapshot.projects:
        return _in_both(snapshot.projects[value].title_ja, snapshot.projects[value].title_en)
    return None


def _in_both(japanese: str, english: str) -> dict[str, str]:
    return {"ja": japanese or english, "en": english}


def named(request: Request, error: Refused) -> Refused:
    """A 403 with each scope it names said by its name (the codes stay when the names cannot be read).

    Forms that show a refusal in place (not as the 403 page) call it too.
    """
    if not isinstance(error, Forbidden) or type(error) is not Forbidden:
        return error
    try:
        snapshot = current_snapshot(request)
        with database(request).reading() as session:
            message = named_scopes(error.message, lambda kind, value: scope_names(session, snapshot, kind, value))
    except Exception:  # a refusal must still be answered when the names cannot be read
        log.exception("could not name the scopes of a refusal")
        return error
    return cast(Refused, Forbidden(message, **error.extra))


async def refused(request: Request, error: C3PError) -> Response:
    error = await run_in_threadpool(named, request, error)
    await run_in_threadpool(_record, request, error)
    if wants_problem_json(request):
        return problem_response(request, error)
    from c3p.web.pages.render import error_page, render

    response = render(request, "accounts/refused.html", error_page(request, error), status=error.status)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.extra.get("retry_after", 60))
    return response


def install(app: FastAPI) -> None:
    for error_class in (Unauthenticated, Forbidden, TooManyAttempts):
        app.add_exception_handler(error_class, refused)  # type: ignore[arg-type]
