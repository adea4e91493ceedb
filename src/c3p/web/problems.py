"""The OpenAPI document tells the truth about errors: problem+json, with the statuses that occur.

Errors are raised as :class:`~c3p.errors.C3PError` subclasses, each carrying its status, and
rendered in one place (:mod:`c3p.web.errors`) as RFC 9457 problem documents. This module
describes those documents once (:class:`Problem`, :class:`ValidationProblem`) and writes them
into every operation: the errors a route declares with ``responses=problems(...)``, plus those
any route of its kind can meet — 401 and 403 when guarded by a permission, 404 when a path
parameter is looked up, 422 when it takes parameters or a body, 413 when it takes a body,
429 (with Retry-After) anywhere, 503 when it writes. FastAPI's own validation
schema (``HTTPValidationError``) is replaced, since the app never answers with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import ConfigDict, Field
from pydantic.json_schema import models_json_schema

from c3p.errors import C3PError, Forbidden, InvalidInput, NotFound, Unauthenticated
from c3p.schema import Schema
from c3p.web.auth import COMPUTATIONS, all_routes, route_action
from c3p.web.errors import PROBLEM_JSON, Unavailable

SCHEMAS = "#/components/schemas/"
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
TOO_LARGE = "Payload too large: over 1 MiB of JSON, or a file over the attachment limit"
RATE_LIMITED = "Too many requests from this address (settings rate_limit_*): wait the seconds in Retry-After"


class Problem(Schema):
    """An RFC 9457 problem document; some errors add members of their own (``action``, ``file``…)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="https://c3p.invalid/problems/<code>: names the kind of error")
    title: str
    status: int = Field(description="the HTTP status, repeated")
    detail: str = Field(description="what went wrong, in English")
    instance: str | None = Field(None, description="the path that was requested")


class ParameterProblem(Schema):
    model_config = ConfigDict(populate_by_name=True)

    parameter: str = Field(description="the parameter or body field refused")
    in_: str = Field(alias="in", description="query, path, body, header or cookie")
    message: str


class ValidationProblem(Problem):
    """A request whose parameters or body break their schema: each refused value is named."""

    parameters: list[str]
    errors: list[ParameterProblem]


def problems(*errors: type[C3PError]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that may raise ``errors`` (beyond those of its kind)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        response = responses.setdefault(error.status, _problem_response(error.title))
        if error.title not in response["description"]:
            response["description"] += f"; {error.title}"
    return responses


def _problem_response(description: str, schema: str = "Problem") -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": SCHEMAS + schema}}}}


def _rate_limited_response() -> dict[str, Any]:
    retry_after = {"description": "seconds to wait before trying again", "schema": {"type": "integer", "minimum": 1}}
    return {**_problem_response(RATE_LIMITED), "headers": {"Retry-After": retry_after}}


def _invalid_input_response() -> dict[str, Any]:
    either = {"anyOf": [{"$ref": SCHEMAS + "ValidationProblem"}, {"$ref": SCHEMAS + "Problem"}]}
    description = f"{InvalidInput.title}: a parameter or the body breaks its schema, or a rule refuses a value"
    return {"description": description, "content": {PROBLEM_JSON: {"schema": either}}}


def install_problem_docs(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe the problem+json responses of every operation."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe_problems(app, generate())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def describe_problems(app: FastAPI, document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    schemas.update(_problem_schemas())
    for path, methods, route in all_routes(app):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in methods:
            operation = document["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                _describe_operation(operation, route, path)


def _describe_operation(operation: dict[str, Any], route: APIRoute, path: str) -> None:
    responses = operation.setdefault("responses", {})
    expected: dict[str, dict[str, Any]] = {}
    if route_action(route, path) and path not in COMPUTATIONS:
        expected.update({str(e.status): _problem_response(e.title) for e in (Unauthenticated, Forbidden)})
    if route.dependant.path_params:
        expected[str(NotFound.status)] = _problem_response(f"{NotFound.title}: nothing has this {_names(route)}")
    if "422" in responses or route.dependant.query_params or route.body_field is not None:
        expected["422"] = _invalid_input_response()
    expected.update(_limits(route))
    for status, response in expected.items():
        if status == "422" or status not in responses:
            responses[status] = response
    operation["responses"] = dict(sorted(responses.items()))


def _limits(route: APIRoute) -> dict[str, dict[str, Any]]:
    """What the server's protections may answer instead of the route: body limit, rate limit, full disk."""
    limits = {"429": _rate_limited_response()}
    if route.body_field is not None:
        limits["413"] = _problem_response(TOO_LARGE)
    if (route.methods or set()) - {"GET", "HEAD"}:
        limits[str(Unavailable.status)] = _problem_response(f"{Unavailable.title}: the disk is full or read-only")
    return limits


def _names(route: APIRoute) -> str:
    return " or ".join(param.alias for param in route.dependant.path_params)


def _problem_schemas() -> dict[str, Any]:
    models = [(Problem, "serialization"), (ValidationProblem, "serialization")]
    _, top = models_json_schema(models, ref_template=SCHEMAS + "{model}")  # type: ignore[arg-type]
    return dict(top["$defs"])
