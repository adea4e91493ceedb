"""The web application: REST API under /api/v1, the bilingual portal, static assets.

Everything is served from this process and installed packages (Leaflet from
xstatic-leaflet), so the portal works offline.
"""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as xstatic_leaflet
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import c3p
from c3p.db.database import Database
from c3p.queries.snapshot import SnapshotCache
from c3p.settings import Settings, get_settings
from c3p.web import api, pages
from c3p.web.cache import CachedReads, JsonCache
from c3p.web.deps import RevisionWatch
from c3p.web.errors import install_error_handlers
from c3p.web.pages.accounts import install_accounts

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app for ``settings``; the database must exist (``c3p db init`` or ``serve``)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="c3p — City-to-City Collaboration Program",
        version=c3p.__version__,
        description="Program registry, workflow, MRV and JCM credit registry of the C3P.",
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database or Database(settings.resolved_database_url)
    app.state.snapshots = SnapshotCache()
    app.state.revision_watch = RevisionWatch(app.state.database)
    app.state.json_cache = JsonCache()
    install_error_handlers(app)
    install_accounts(app)
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(pages.router)
    app.mount("/static/leaflet", StaticFiles(directory=xstatic_leaflet.BASE_DIR), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(CachedReads)
    return app
