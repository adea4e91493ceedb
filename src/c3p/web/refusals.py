"""Refusals are answered in one place and recorded: who was refused what, when, from where.

401, 403 and 429 answers reach the API as problem+json (like every error) and the portal as
a page that says what to do next (sign in, ask for a role, wait). Each one is written to
``security_events`` in a transaction of its own, since the request's own work rolls back.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from c3p.accounts.service.signin import TooManyAttempts, record_event
from c3p.errors import C3PError, Forbidden, Unauthenticated
from c3p.web.auth import client_ip, database
from c3p.web.errors import problem_response, wants_problem_json

log = logging.getLogger(__name__)


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


async def refused(request: Request, error: C3PError) -> Response:
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
