"""Request-scoped dependencies: the database and the registry snapshot."""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from c3p.db.database import Database
from c3p.program.snapshot import RegistrySnapshot


def database(request: Request) -> Database:
    return request.app.state.database


class RevisionWatch:
    """The registry revision, re-read from the database at most every ``ttl_s`` seconds.

    Writes made through this process call :meth:`expire`, so they show at once; writes from
    another process (the CLI, another worker) show within ``ttl_s``.
    """

    def __init__(self, database: Database, ttl_s: float = 1.0) -> None:
        self.database = database
        self.ttl_s = ttl_s
        self._checked_at = float("-inf")

    def expire(self) -> None:
        self._checked_at = float("-inf")

    def due(self) -> bool:
        return time.monotonic() - self._checked_at >= self.ttl_s

    def checked(self) -> None:
        self._checked_at = time.monotonic()


async def snapshot(request: Request) -> RegistrySnapshot:
    """The registry as of now, from memory; refreshed off the event loop when due."""
    watch: RevisionWatch = request.app.state.revision_watch
    current: RegistrySnapshot | None = request.app.state.snapshots.latest
    if current is not None and not watch.due():
        return current
    if current is not None:
        watch.checked()  # claim the refresh: meanwhile other requests keep the current snapshot
    fresh = await run_in_threadpool(_read_snapshot, request)
    watch.checked()
    return fresh


def current_snapshot(request: Request) -> RegistrySnapshot:
    """The registry for code already off the event loop (a page built in a worker thread)."""
    return request.app.state.snapshots.latest or _read_snapshot(request)


def _read_snapshot(request: Request) -> RegistrySnapshot:
    with database(request).reading() as session:
        return request.app.state.snapshots.get(session)
