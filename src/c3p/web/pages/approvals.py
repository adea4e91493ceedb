"""The approvals page: grants of powerful roles that wait for a second administrator.

Administrator, Joint Committee member and registry administrator are granted by two
administrators. This page lists what waits; another administrator approves it, or refuses it
with a reason; whoever asked for a grant can only withdraw it. Each step is in the grant's history.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor
from c3p.accounts.schemas import WaitingGrantView
from c3p.accounts.service import members as svc
from c3p.errors import Conflict, Forbidden, InvalidInput, NotFound
from c3p.web.auth import database as db
from c3p.web.auth import permission, writing
from c3p.web.pages.accounts import redirect, signed_in
from c3p.web.pages.forms import FormState
from c3p.web.pages.render import PageContext, page_only, render
from c3p.web.routes import Router

router = Router(include_in_schema=False)
#: refusals a form shows next to the grant rather than on an error page
FORM_REFUSALS = (InvalidInput, Conflict, NotFound, Forbidden)


class ApprovalsPage(PageContext):
    waiting: list[WaitingGrantView]
    form: FormState = page_only(default_factory=FormState)


def _page(request: Request, actor: Actor, form: FormState | None = None, status: int = 200) -> Response:
    with db(request).reading() as session:
        waiting = svc.waiting_grant_views(session, actor)
    return render(request, "accounts/approvals.html", ApprovalsPage(waiting=waiting, form=form or FormState()), status)


@router.get("/admin/approvals", response_model=ApprovalsPage)
def approvals_page(request: Request, actor: Actor = Depends(permission("users.grant"))) -> Response:
    signed_in(request, actor)
    return _page(request, actor)


def _decide(
    request: Request, actor: Actor, grant_id: int, act: Callable[[Session], object], done: str, **typed: str
) -> Response:
    """Run ``act`` in one unit of work; a refusal shows the page again with the problem at the grant."""
    form = FormState(f"grant-{grant_id}", dict(typed))
    try:
        with writing(request, actor) as session:
            act(session)
    except FORM_REFUSALS as error:
        return _page(request, actor, form.add(error), error.status)
    return redirect(f"/admin/approvals?saved={done}")


@router.post("/admin/approvals/{grant_id}/approve")
def approve(request: Request, grant_id: int, actor: Actor = Depends(permission("users.grant"))) -> Response:
    return _decide(request, actor, grant_id, lambda session: svc.approve(session, actor, grant_id), "approved")


@router.post("/admin/approvals/{grant_id}/refuse")
def refuse(
    request: Request,
    grant_id: int,
    reason: Annotated[str, Form()] = "",
    actor: Actor = Depends(permission("users.grant")),
) -> Response:
    act = lambda session: svc.refuse(session, actor, grant_id, reason)  # noqa: E731
    return _decide(request, actor, grant_id, act, "refused", reason=reason)


@router.post("/admin/approvals/{grant_id}/withdraw")
def withdraw(request: Request, grant_id: int, actor: Actor = Depends(permission("users.revoke"))) -> Response:
    return _decide(request, actor, grant_id, lambda session: svc.withdraw(session, actor, grant_id), "withdrawn")
