"""Portal pages (server-rendered, bilingual): one router per capability, combined here."""

from fastapi import APIRouter

from c3p.web.pages import (
    article6,
    credit_adjustments,
    credit_forms,
    credits,
    mrv,
    pipeline,
    program,
    reports,
    secretariat,
    workflow,
)

router = APIRouter(include_in_schema=False)
router.include_router(program.router)
router.include_router(mrv.router)
router.include_router(workflow.router)
router.include_router(secretariat.router)
router.include_router(pipeline.router)
router.include_router(credits.router)
router.include_router(credit_forms.router)
router.include_router(credit_adjustments.router)
router.include_router(article6.router)
router.include_router(reports.router)

__all__ = ["router"]
