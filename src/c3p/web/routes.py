"""Routes declared by each capability's module and built once, on the application.

FastAPI builds a route (the pydantic schemas of its parameters and its answer) when an
``APIRouter`` declares it, and builds it again for the application that includes the router,
the first time a request is routed: the second build of all 277 routes fell on the first page
of every start. Here a module's router only records what it declares (:class:`Router`), and
:func:`install` builds each route once, directly on the application, with FastAPI's own
``add_api_route``: the same path, options, dependencies and OpenAPI description as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute


class DeclaredRoute(BaseRoute):
    """A route as its router declares it (path and options merged with the router's), not yet built."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self.path = path
        self.endpoint = endpoint
        # the application supplies its own (it resolves dependency overrides)
        options.pop("dependency_overrides_provider", None)
        self.options = options


class Router(APIRouter):
    """An ``APIRouter`` whose routes are built when installed on an application, not when declared."""

    def __init__(self, **options: Any) -> None:
        super().__init__(route_class=DeclaredRoute, **options)  # type: ignore[arg-type]


def install(app: FastAPI, routers: Iterable[APIRouter], prefix: str = "") -> None:
    """Build the routes of ``routers`` on ``app``, in order, under ``prefix``."""
    for router in routers:
        for route in router.routes:
            if not isinstance(route, DeclaredRoute):
                raise TypeError(f"{route!r}: install takes routers made with c3p.web.routes.Router")
            app.router.add_api_route(prefix + route.path, route.endpoint, **route.options)
