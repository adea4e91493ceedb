"""REST API v1: one router per capability, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from c3p.web.api import accounts, mrv, registry, registry_credits, workflow

router = APIRouter()
router.include_router(registry.router)
router.include_router(mrv.router)
router.include_router(accounts.router)
router.include_router(workflow.router)
router.include_router(registry_credits.router)
