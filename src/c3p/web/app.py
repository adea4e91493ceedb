"""The web application: REST API under /api/v1, the bilingual portal, static assets.

Everything is served from this process and installed packages (Leaflet from
xstatic-leaflet, its marker clusters from xstatic-leaflet-markercluster), so the portal works offline.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
import xstatic.pkg.leaflet as xstatic_leaflet
import xstatic.pkg.leaflet_markercluster as xstatic_markercluster
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

import c3p
from c3p.db.database import Database
from c3p.program.snapshot import SnapshotCache
from c3p.settings import Settings, get_settings
from c3p.web import api, pages
from c3p.web.cache import CachedReads, JsonCache
from c3p.web.deps import RevisionWatch
from c3p.web.errors import UnexpectedErrors, install_error_handlers
from c3p.web.pages import admin, approvals
from c3p.web.pages.accounts import ensure_administrator_from_settings, install_accounts
from c3p.web.problems import install_problem_docs
from c3p.web.routes import install
from c3p.web.security import BodyLimits, RateLimits, SecurityHeaders, rate_limits, trusted_hosts

STATIC_DIR = Path(__file__).parent / "static"


def api_docs() -> HTMLResponse:
    """The interactive API documentation, with Swagger UI's files from an installed package."""
    return get_swagger_ui_html(
        openapi_url="/api/v1/openapi.json",
        title="c3p API",
        swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
    )


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Build the app for ``settings``; the database must exist (``c3p db init`` or ``serve``)."""
    app = build_app(settings, database)
    ensure_administrator_from_settings(app)
    return app


def build_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The app's routes, middleware and state, built without reading the database.

    ``c3p serve`` builds it while another process prepares the database, then finishes it.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="c3p — City-to-City Collaboration Program",
        version=c3p.__version__,
        description="Program registry, workflow, MRV and JCM credit registry of the C3P.",
        docs_url=None,  # served below from the installed swagger-ui-bundle, not a CDN
        redoc_url=None,  # ReDoc would load its script from a CDN
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database or Database(settings.resolved_database_url)
    app.state.snapshots = SnapshotCache()
    app.state.revision_watch = RevisionWatch(app.state.database)
    app.state.json_cache = JsonCache()
    install_error_handlers(app)
    install_problem_docs(app)
    install_accounts(app)
    install(app, [admin.router, approvals.router])
    install(app, api.routers, prefix="/api/v1")
    install(app, pages.routers)
    app.mount("/static/leaflet", StaticFiles(directory=xstatic_leaflet.BASE_DIR), name="leaflet")
    app.mount(
        "/static/leaflet-markercluster",
        StaticFiles(directory=xstatic_markercluster.BASE_DIR),
        name="leaflet-markercluster",
    )
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-ui")
    app.add_api_route("/docs", api_docs, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(CachedReads)
    app.add_middleware(BodyLimits)
    hosts = trusted_hosts(settings)
    if hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts)
    app.add_middleware(RateLimits, limits=rate_limits(settings))
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(SecurityHeaders, settings=settings)
    return app
