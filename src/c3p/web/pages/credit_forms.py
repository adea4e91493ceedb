"""Portal forms of the JCM credit registry: transfer, cancel, retire, account status, pending
transfers between registries, and opening a holding account.

Each POST route is guarded like its API twin and calls the same service, which asks the
policy again with the real account. A refused form does not end on an error page: the page
it came from is rendered again with what was typed and the problem next to its field
(:mod:`c3p.web.pages.forms`), in one transaction that was rolled back, so nothing changed.
Only a refusal of the actor (403) or a page whose own record is missing (404) shows the
error page. Success redirects (303) to the account that shows the new transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor, could
from c3p.credits import queries, service
from c3p.credits import schemas as v
from c3p.credits.rules.holding_accounts import JAPAN, AccountKind
from c3p.credits.rules.serials import REGISTRY_CODE
from c3p.db.database import CoreUnit
from c3p.errors import C3PError, Conflict, Forbidden, InvalidInput, NotFound
from c3p.schema import Schema
from c3p.web.auth import database, moving_credits, permission, writing
from c3p.web.pages.credits import account_page_for
from c3p.web.pages.forms import FormState, parse, typed
from c3p.web.pages.render import PageContext, page_only, redirect, render
from c3p.web.routes import Router

router = Router(include_in_schema=False)
Refusal = (ValidationError, InvalidInput, Conflict, NotFound)
Again = Callable[[FormState, int], Response]
#: the services name the receiving account ``to``; the form's field is ``to_account``
SERVICE_FIELDS = {"to": "to_account"}
HOLDING_KINDS = [str(kind) for kind in AccountKind if kind.holding]


class FormInput(Schema):
    model_config = ConfigDict(extra="ignore", frozen=True)


class MoveForm(FormInput):
    """Which credits: a number of them (lowest serials first) or a serial range."""

    credits: int | None = Field(None, ge=1)
    serial: str | None = None


class TransferForm(MoveForm):
    to_account: str


class CancelForm(MoveForm):
    reason: str = ""


class RetireForm(MoveForm):
    purpose: str
    beneficiary: str


class StatusForm(FormInput):
    status: str


class OpenAccountForm(FormInput):
    #: checked here as well as by the service, which asks the policy about the registry first
    registry: str = Field(pattern=f"^{REGISTRY_CODE.pattern}$")
    kind: str = "participant_holding"
    holder: str
    name: str = ""

    @field_validator("registry", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def _placed(form: FormState, error: ValidationError | C3PError, model: type[BaseModel]) -> FormState:
    """``error`` next to the form's field it is about (the service's field names mapped to the form's)."""
    if isinstance(error, C3PError) and error.extra.get("field") in SERVICE_FIELDS:
        error.extra["field"] = SERVICE_FIELDS[error.extra["field"]]
    return form.add(error, model.model_fields)


def _status(error: ValidationError | C3PError) -> int:
    return error.status if isinstance(error, Conflict) else 422


#: the unit of work a form's ``act`` runs in: an ORM one, or :func:`moving_credits` for moving credits
UnitOfWork = Callable[[Request, Actor], AbstractContextManager[Any]]


async def _handle(
    request: Request,
    actor: Actor,
    name: str,
    model: type[BaseModel],
    act: Callable[[Any, Any], str],
    again: Again,
    unit_of_work: UnitOfWork = writing,
) -> Response:
    """Parse the posted form into ``model``, run ``act`` in one unit of work, redirect to where it says.

    A refusal renders the form's page again (``again``) with the input and the problem.
    """
    values = await typed(request)
    form = FormState(name, values)

    def run() -> Response:
        try:
            data = parse(model, values, numbers=("credits",))
            with unit_of_work(request, actor) as session:
                target = act(session, data)
        except Refusal as error:
            return again(_placed(form, error, model), _status(error))
        return redirect(target)

    return await run_in_threadpool(run)


async def _account_form(
    request: Request,
    actor: Actor,
    number: str,
    name: str,
    model: type[BaseModel],
    act: Callable[[Any, Any], str],
    unit_of_work: UnitOfWork = writing,
) -> Response:
    def again(form: FormState, status: int) -> Response:
        return account_page_for(request, actor, number, form, status)

    return await _handle(request, actor, name, model, act, again, unit_of_work)


def _shown(number: str, view: v.TransactionView) -> str:
    """The account page with the new transaction in its list."""
    return f"/credits/accounts/{number}?done={view.seq}#transaction-{view.seq}"


# ---------- an account's forms ----------


Move = Callable[[CoreUnit, Actor, str, Any], v.TransactionView]


def _moving_form(name: str, model: type[MoveForm], move: Move) -> None:
    """The route of the account page's form ``name``, which moves credits out with action ``credits.<name>``."""

    guard = Depends(permission(f"credits.{name}"))  # a default, not an annotation: annotations are strings here

    async def route(request: Request, number: str, actor: Actor = guard) -> Response:
        def act(unit: CoreUnit, data: Any) -> str:
            return _shown(number, move(unit, actor, number, data))

        return await _account_form(request, actor, number, name, model, act, partial(moving_credits, one_command=True))

    router.add_api_route(f"/credits/accounts/{{number}}/{name}", route, methods=["POST"], name=f"credits_{name}")


_moving_form(
    "transfer",
    TransferForm,
    lambda session, actor, number, d: service.transfer(session, actor, number, d.to_account, d.credits, d.serial),
)
_moving_form(
    "cancel",
    CancelForm,
    lambda session, actor, number, d: service.cancel(session, actor, number, d.credits, d.serial, d.reason),
)
_moving_form(
    "retire",
    RetireForm,
    lambda session, actor, number, d: service.retire(
        session, actor, number, d.purpose, d.beneficiary, d.credits, d.serial
    ),
)


@router.post("/credits/accounts/{number}/status")
async def set_status(
    request: Request, number: str, actor: Annotated[Actor, Depends(permission("credits.account.update"))]
) -> Response:
    def act(session: Session, data: StatusForm) -> str:
        service.set_account_status(session, actor, number, data.status)
        return f"/credits/accounts/{number}?saved=status"

    return await _account_form(request, actor, number, "status", StatusForm, act)


# ---------- accounts: the list and opening one ----------


class AccountList(PageContext):
    items: list[v.AccountView]
    may_open: bool = page_only()
    may_accept: bool = page_only()
    holding_kinds: list[str] = page_only()
    registry: str = page_only()
    form: FormState = page_only(default_factory=FormState)


def home_registry(actor: Actor) -> str:
    """The registry an administrator's grant covers, to fill in the open-account form."""
    scoped = [g.scope_value for g in actor.grants if g.scope_kind == "country" and g.role == "registry_administrator"]
    return scoped[0] if scoped else JAPAN


def accounts_page_for(request: Request, actor: Actor, form: FormState | None = None, status: int = 200) -> Response:
    with database(request).reading() as session:
        items = queries.visible_accounts(session, actor)
    page = AccountList(
        items=items,
        may_open=bool(could(actor, "credits.account.open")),
        may_accept=bool(could(actor, "credits.accept")),
        holding_kinds=HOLDING_KINDS,
        registry=home_registry(actor),
        form=form or FormState(),
    )
    return render(request, "credits/accounts.html", page, status=status)


@router.get("/credits/accounts", response_model=AccountList)
def accounts(request: Request, actor: Annotated[Actor, Depends(permission("credits.read"))]) -> Response:
    return accounts_page_for(request, actor)


@router.post("/credits/accounts")
async def open_account(
    request: Request, actor: Annotated[Actor, Depends(permission("credits.account.open"))]
) -> Response:
    def act(session: Session, data: OpenAccountForm) -> str:
        view = service.open_account(session, actor, data.registry, data.kind, data.holder, data.name)
        return f"/credits/accounts/{view.number}?opened=1"

    def again(form: FormState, status: int) -> Response:
        return accounts_page_for(request, actor, form, status)

    return await _handle(request, actor, "open", OpenAccountForm, act, again)


# ---------- transfers between registries ----------


class PendingList(PageContext):
    items: list[dict[str, Any]]
    form: FormState = page_only(default_factory=FormState)


def pending_page_for(request: Request, actor: Actor, form: FormState | None = None, status: int = 200) -> Response:
    with database(request).reading() as session:
        items = queries.visible_pending(session, actor)
    return render(request, "credits/pending.html", PendingList(items=items, form=form or FormState()), status=status)


@router.get("/credits/pending", response_model=PendingList)
def pending(request: Request, actor: Annotated[Actor, Depends(permission("credits.accept"))]) -> Response:
    return pending_page_for(request, actor)


def _resolve(request: Request, actor: Actor, key: str, accept: bool) -> Response:
    try:
        with writing(request, actor) as session:
            view = service.resolve_pending(session, actor, key, accept)
    except (InvalidInput, Conflict, NotFound) as error:
        return pending_page_for(request, actor, FormState("pending", {"key": key}).add(error), error.status)
    if accept:
        return redirect(_shown(str(view.to_account), view))
    if view.details.get("returned_to"):  # the sender left: say where the credits went
        return redirect(f"/credits/pending?rejected=1&returned_to={view.details['returned_to']}")
    return redirect("/credits/pending?rejected=1")


@router.post("/credits/pending/{key}/accept")
def accept(request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.accept"))]) -> Response:
    return _resolve(request, actor, key, True)


@router.post("/credits/pending/{key}/reject")
def reject(request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.accept"))]) -> Response:
    return _resolve(request, actor, key, False)


# ---------- transfers waiting for a second representative ----------


class ProposalList(PageContext):
    """Transfers above their registry's threshold, waiting for another representative of the sender."""

    items: list[v.ProposalView]
    #: the keys of those the reader may approve or refuse (never one they proposed)
    decidable: list[str] = page_only(default_factory=list)
    form: FormState = page_only(default_factory=FormState)


def proposals_page_for(request: Request, actor: Actor, form: FormState | None = None, status: int = 200) -> Response:
    with database(request).reading() as session:
        items = queries.proposals(session, actor)
        decidable = sorted(queries.decidable_proposals(session, actor))
    page = ProposalList(items=items, decidable=decidable, form=form or FormState())
    return render(request, "credits/proposals.html", page, status=status)


@router.get("/credits/proposals", response_model=ProposalList)
def proposals(request: Request, actor: Annotated[Actor, Depends(permission("credits.read"))]) -> Response:
    return proposals_page_for(request, actor)


def _decide(request: Request, actor: Actor, key: str, approve: bool) -> Response:
    """Approve or refuse; a refusal (the proposer, another registry, a decided transfer) stays on the page."""
    try:
        with writing(request, actor) as session:
            view = service.decide_transfer(session, actor, key, approve)
    except (InvalidInput, Conflict, NotFound, Forbidden) as error:
        return proposals_page_for(request, actor, FormState("proposal", {"key": key}).add(error), error.status)
    if approve:
        return redirect(_shown(str(view.from_account), view))
    return redirect("/credits/proposals?refused=1")


@router.post("/credits/proposals/{key}/approve")
def approve(
    request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.transfer.approve"))]
) -> Response:
    return _decide(request, actor, key, True)


@router.post("/credits/proposals/{key}/refuse")
def refuse(
    request: Request, key: str, actor: Annotated[Actor, Depends(permission("credits.transfer.approve"))]
) -> Response:
    return _decide(request, actor, key, False)
