"""Rendered JSON bodies of the read API, served again for as long as the registry is unchanged.

Bodies are keyed by (registry revision, path and query), so a write anywhere shows at once
in the next revision. :class:`CachedReads` answers a repeated ``GET /api/v1/...`` before any
routing or parameter parsing, which keeps hot reads close to the framework's own floor.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from c3p.program.snapshot import RegistrySnapshot

CacheKey = tuple[int, str]
JSON_HEADERS = [(b"content-type", b"application/json")]


def cache_key(revision: int, scope: Scope) -> CacheKey:
    return revision, scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")


class JsonCache:
    """Bounded, thread-safe store of rendered bodies (oldest dropped first)."""

    def __init__(self, size: int = 512) -> None:
        self._bodies: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, key: CacheKey) -> bytes | None:
        return self._bodies.get(key)

    def respond(self, request: Request, snap: RegistrySnapshot, compute: Callable[[], BaseModel]) -> Response:
        """The body for this request at this revision, computed once."""
        key = cache_key(snap.revision, request.scope)
        body = self._bodies.get(key)
        if body is None:
            body = compute().model_dump_json().encode()
            with self._lock:
                self._bodies[key] = body
                while len(self._bodies) > self._size:
                    self._bodies.popitem(last=False)
        return Response(body, media_type="application/json")


def json_cache(request: Request) -> JsonCache:
    return request.app.state.json_cache


class CachedReads:
    """Pure ASGI: answer a cached API read straight away; anything else goes on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = self._cached(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if body is None:
            await self.app(scope, receive, send)
            return
        headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _cached(scope: Scope) -> bytes | None:
        if not scope["path"].startswith("/api/v1/"):
            return None
        state = scope["app"].state
        snapshot = state.snapshots.latest
        if snapshot is None or state.revision_watch.due():
            return None
        return state.json_cache.get(cache_key(snapshot.revision, scope))
