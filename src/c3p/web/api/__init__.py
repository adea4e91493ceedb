"""REST API v1: one router per capability, installed under /api/v1 (``c3p.web.routes.install``)."""

from __future__ import annotations

from c3p.web.api import accounts, credits, mrv, program, reports, secretariat, workflow

routers = (
    program.router,
    mrv.router,
    accounts.router,
    workflow.router,
    secretariat.router,
    reports.router,
    credits.router,
)
