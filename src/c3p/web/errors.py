"""The one place where errors become responses: problem+json for the API, a page otherwise."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from c3p.errors import C3PError, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.web.security import WatchedSend

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


def wants_problem_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def problem_response(request: Request, error: C3PError) -> Response:
    if wants_problem_json(request):
        response: Response = JSONResponse(
            error.problem(instance=request.url.path),
            status_code=error.status,
            media_type=PROBLEM_JSON,
        )
    else:
        from c3p.web.pages.render import render_error_page

        response = render_error_page(request, error)
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    return response


def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = [_describe(detail) for detail in exc.errors()]
    names = [p["parameter"] for p in problems]
    detail = "; ".join(f"{p['parameter']}: {p['message']}" for p in problems)
    error = InvalidInput(detail, parameters=names, errors=problems)
    return problem_response(request, error)


def _describe(detail: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in detail.get("loc", ())]
    parameter = location[-1] if location else "request"
    message = "unknown parameter" if detail.get("type") == "extra_forbidden" else detail.get("msg", "invalid value")
    return {"parameter": parameter, "in": location[0] if location else "", "message": message}


def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404:
        return problem_response(request, NotFound(Message(N_("no resource at %(path)s"), {"path": request.url.path})))
    if exc.status_code == 400:  # the framework's only 400: a body that is not text in its declared type
        return problem_response(request, InvalidInput(N_("the request body cannot be read as its content type")))
    error = C3PError(str(exc.detail))
    error.status = exc.status_code
    error.code = "http-error"
    error.title = str(exc.detail)
    return problem_response(request, error)


class Unavailable(C3PError):
    status = 503
    code = "storage-unavailable"
    title = N_("Storage unavailable")


#: what the database says when it cannot write: the disk is full or the file is read-only
STORAGE_FAILURES = ("disk is full", "database or disk is full", "readonly", "read-only", "no space left")


def _database_error(request: Request, exc: DBAPIError) -> Response:
    """Values the database cannot hold are bad input; a disk that cannot take writes is a 503."""
    if isinstance(exc, DataError):
        return problem_response(request, InvalidInput(N_("a value is out of range")))
    text = str(exc.orig).lower()
    if any(failure in text for failure in STORAGE_FAILURES):
        log.warning("storage refused a write on %s %s: %s", request.method, request.url.path, exc.orig, exc_info=exc)
        refusal = N_("The server cannot store changes right now (its disk is full or read-only); reading still works.")
        return problem_response(request, Unavailable(refusal))
    return _unexpected(request, exc)


def _out_of_range(request: Request, exc: OverflowError) -> Response:
    """An id larger than any the database stores (above 2**63) names no record."""
    return problem_response(request, NotFound(Message(N_("no resource at %(path)s"), {"path": request.url.path})))


def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    error = C3PError(N_("An unexpected error occurred; it has been logged."))
    error.status, error.code, error.title = 500, "internal-error", N_("Internal error")
    return problem_response(request, error)


class UnexpectedErrors:
    """Answer an unexpected error here, inside the security headers, instead of letting it escape.

    The framework's last-resort handler answers and then raises again, so the server closed the
    keep-alive connection under the client's next request, and the answer missed the security
    headers. Once an answer has started nothing can be said, and the error goes on to the server.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watched = WatchedSend(send)
        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if watched.started or scope["type"] != "http":
                raise
            await _unexpected(Request(scope, receive), exc)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(C3PError, problem_response)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_error)  # type: ignore[arg-type]
    app.add_exception_handler(OverflowError, _out_of_range)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
