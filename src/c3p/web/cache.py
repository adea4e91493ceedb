"""Rendered JSON bodies of the read API, served again for as long as the registry is unchanged.

Bodies are keyed by (registry revision, path and query), so a write anywhere shows at once
in the next revision. :class:`CachedReads` answers a repeated ``GET /api/v1/...`` before any
routing or parameter parsing, which keeps hot reads close to the framework's own floor. Each
body carries an ETag (a digest of its bytes, taken once), so a client that holds it is
answered 304 without the body.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from c3p.program.snapshot import RegistrySnapshot

CacheKey = tuple[int, str]


@dataclass(frozen=True, slots=True)
class CachedBody:
    """A rendered body with its response headers, built once when it is cached."""

    body: bytes
    etag: bytes
    headers: list[tuple[bytes, bytes]]

    @classmethod
    def of(cls, body: bytes) -> CachedBody:
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)), (b"etag", etag)]
        return cls(body, etag, headers)


def cache_key(revision: int, scope: Scope) -> CacheKey:
    return revision, scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")


def holds(if_none_match: bytes, etag: bytes) -> bool:
    """Whether an If-None-Match header names ``etag`` (weakly compared, as RFC 9110 asks for GET)."""
    tags = (tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b","))
    return any(tag in (etag, b"*") for tag in tags)


class JsonCache:
    """Bounded, thread-safe store of rendered bodies (oldest dropped first)."""

    def __init__(self, size: int = 512) -> None:
        self._bodies: OrderedDict[CacheKey, CachedBody] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, key: CacheKey) -> CachedBody | None:
        return self._bodies.get(key)

    def respond(self, request: Request, snap: RegistrySnapshot, compute: Callable[[], BaseModel]) -> Response:
        """The body for this request at this revision, computed once."""
        key = cache_key(snap.revision, request.scope)
        cached = self._bodies.get(key)
        if cached is None:
            cached = CachedBody.of(compute().model_dump_json().encode())
            with self._lock:
                self._bodies[key] = cached
                while len(self._bodies) > self._size:
                    self._bodies.popitem(last=False)
        etag = {"etag": cached.etag.decode()}
        if holds(request.headers.get("if-none-match", "").encode("latin-1"), cached.etag):
            return Response(status_code=304, headers=etag)
        return Response(cached.body, media_type="application/json", headers=etag)


def json_cache(request: Request) -> JsonCache:
    return request.app.state.json_cache


class CachedReads:
    """Pure ASGI: answer a cached API read straight away (304 if the client holds it); anything else goes on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cached = self._cached(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
        if cached is None:
            await self.app(scope, receive, send)
            return
        if_none_match = next((value for name, value in scope["headers"] if name == b"if-none-match"), b"")
        if holds(if_none_match, cached.etag):
            await send({"type": "http.response.start", "status": 304, "headers": [(b"etag", cached.etag)]})
            await send({"type": "http.response.body", "body": b""})
            return
        # a copy: the middleware outside may add headers to the list it is given
        await send({"type": "http.response.start", "status": 200, "headers": list(cached.headers)})
        await send({"type": "http.response.body", "body": cached.body})

    @staticmethod
    def _cached(scope: Scope) -> CachedBody | None:
        if not scope["path"].startswith("/api/v1/"):
            return None
        state = scope["app"].state
        snapshot = state.snapshots.latest
        if snapshot is None or state.revision_watch.due():
            return None
        return state.json_cache.get(cache_key(snapshot.revision, scope))
