"""REST API v1: one router per capability, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from c3p.web.api import accounts, credits, mrv, program, reports, secretariat, workflow

router = APIRouter()
router.include_router(program.router)
router.include_router(mrv.router)
router.include_router(accounts.router)
router.include_router(workflow.router)
router.include_router(secretariat.router)
router.include_router(reports.router)
router.include_router(credits.router)
