"""Request-scoped dependencies: the database, the registry snapshot, cached JSON bodies."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from c3p.db.database import Database
from c3p.queries.snapshot import RegistrySnapshot


def database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


def snapshot(request: Request) -> RegistrySnapshot:
    """The registry as of now: one tiny revision query, then memory."""
    with database(request).reading() as session:
        return request.app.state.snapshots.get(session)  # type: ignore[no-any-return]


class JsonCache:
    """Rendered JSON bodies keyed by (registry revision, URL); bounded, thread-safe."""

    def __init__(self, size: int = 512) -> None:
        self._bodies: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def respond(self, request: Request, snap: RegistrySnapshot, compute: Callable[[], BaseModel]) -> Response:
        key = (snap.revision, str(request.url.path) + "?" + str(request.url.query))
        body = self._bodies.get(key)
        if body is None:
            body = compute().model_dump_json().encode()
            with self._lock:
                self._bodies[key] = body
                while len(self._bodies) > self._size:
                    self._bodies.popitem(last=False)
        return Response(body, media_type="application/json")
