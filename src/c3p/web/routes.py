"""Routes declared by each capability's module and built once, on the application, when first used.

FastAPI builds a route (the pydantic schemas of its parameters and its answer) when an
``APIRouter`` declares it, and builds it again for the application that includes the router,
the first time a request is routed: the second build of all 277 routes fell on the first page
of every start. Here a module's router only records what it declares (:class:`Router`), and
:func:`install` puts each route once, directly on the application, with FastAPI's own
``add_api_route``: the same path, options, dependencies and OpenAPI description as before.

Even once, building every route took 0.2–0.3 s of CPU before ``c3p serve`` answered its first
page, which uses one of them: an installed route is a :class:`DeferredRoute`, built the first
time it answers or is looked into (the OpenAPI document looks into all of them).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, get_args

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic.warnings import UnsupportedFieldAttributeWarning
from starlette.routing import BaseRoute, compile_path, get_name

from c3p.schema import Schema


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


#: one build at a time: two requests reaching a route first at once must not both build it
_building = threading.Lock()


class DeferredRoute(APIRoute):
    """An ``APIRoute`` built the first time anything but its path, name or methods is read.

    Matching a request and ``url_for`` need only those, set here as ``APIRoute`` sets them.
    The first read of anything else (answering a request, the OpenAPI document, the permission
    checks reading its dependencies) builds the route as ``APIRoute`` would have, under a lock,
    and takes on all of the built route's attributes in one step, so no reader sees half a route.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        self.path = path
        self.endpoint = endpoint
        name = options.get("name")
        self.name = get_name(endpoint) if name is None else name
        self.methods = {method.upper() for method in options.get("methods") or ["GET"]}
        self.include_in_schema = options.get("include_in_schema", True)
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        self._unbuilt = options  # removed once built

    @property
    def built(self) -> bool:
        """Whether the route has been built (read beyond its path, name and methods)."""
        return "_unbuilt" not in self.__dict__

    def __getattr__(self, name: str) -> Any:
        """Called only for an attribute not set: build the route, then read it."""
        if name.startswith("__") or "_unbuilt" not in self.__dict__:
            raise AttributeError(name)
        with _building:
            options = self.__dict__.get("_unbuilt")
            if options is not None:
                self.__dict__.update(vars(_built_route(self.path, self.endpoint, options)))
                del self.__dict__["_unbuilt"]  # only now: a reader that came in meanwhile waits for the lock
        return object.__getattribute__(self, name)


def _built_route(path: str, endpoint: Callable[..., Any], options: dict[str, Any]) -> APIRoute:
    """The route FastAPI builds, with its parameters' and answers' pydantic adapters built too.

    FastAPI builds the adapters with the route, hiding pydantic's warning about the alias it puts
    on a parameter. The adapter of a model built on first use (``c3p.schema``) is built on first
    use too: left to the route's first request, it would warn (once per route taking a body) and
    be built outside pydantic's lock by requests arriving together.
    """
    route = APIRoute(path, endpoint, **options)
    answers = [route.body_field, route.response_field, route.stream_item_field, *route.response_fields.values()]
    fields = [field for field in [*_parameters(route.dependant), *answers] if field is not None]
    built: set[type[Schema]] = set()
    for field in fields:
        _build_models(field.field_info.annotation, built)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnsupportedFieldAttributeWarning)
        for field in fields:
            field._type_adapter.rebuild()
    return route


def _build_models(annotation: Any, built: set[type[Schema]]) -> None:
    """Build the models ``annotation`` names, innermost first: an adapter, or a model, reuses the
    schema of a model already built, and builds again, inside its own, one that is not."""
    if isinstance(annotation, type) and issubclass(annotation, Schema):
        if annotation not in built:
            built.add(annotation)
            for field in annotation.model_fields.values():
                _build_models(field.annotation, built)
            annotation.model_rebuild()
        return
    for argument in get_args(annotation):
        _build_models(argument, built)


def _parameters(dependant: Dependant) -> Iterator[Any]:
    """The fields of a route's parameters, its dependencies' included."""
    yield from dependant.path_params + dependant.query_params + dependant.header_params
    yield from dependant.cookie_params + dependant.body_params
    for dependency in dependant.dependencies:
        yield from _parameters(dependency)


def install(app: FastAPI, routers: Iterable[APIRouter], prefix: str = "") -> None:
    """Put the routes of ``routers`` on ``app``, in order, under ``prefix`` (each built on first use)."""
    for router in routers:
        for route in router.routes:
            if not isinstance(route, DeclaredRoute):
                raise TypeError(f"{route!r}: install takes routers made with c3p.web.routes.Router")
            app.router.add_api_route(
                prefix + route.path, route.endpoint, route_class_override=DeferredRoute, **route.options
            )
