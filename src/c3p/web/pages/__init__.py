"""Portal pages (server-rendered, bilingual): one router per capability, installed in this order."""

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

routers = (
    program.router,
    mrv.router,
    workflow.router,
    secretariat.router,
    pipeline.router,
    credits.router,
    credit_forms.router,
    credit_adjustments.router,
    article6.router,
    reports.router,
)

__all__ = ["routers"]
