"""The one place where errors become responses: problem+json for the API, a page otherwise."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from c3p.errors import C3PError, InvalidInput, NotFound
from c3p.messages import N_, Message

PROBLEM_JSON = "application/problem+json"


def wants_problem_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def problem_response(request: Request, error: C3PError) -> Response:
    if wants_problem_json(request):
        return JSONResponse(
            error.problem(instance=request.url.path),
            status_code=error.status,
            media_type=PROBLEM_JSON,
        )
    from c3p.web.pages.render import render_error_page

    return render_error_page(request, error)


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
    error = C3PError(str(exc.detail))
    error.status = exc.status_code
    error.code = "http-error"
    error.title = str(exc.detail)
    return problem_response(request, error)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(C3PError, problem_response)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
