"""Portal pages of the JCM credit registry: what the public registry shows, and account pages.

Public: the overview with statistics, issuances, retirements (purpose and beneficiary) and
per-project totals. Account pages show a holder its own accounts (or an administrator any
account of its country) with their blocks, latest transactions and the forms of what the
reader may do there (:mod:`c3p.web.pages.credit_forms` handles them), and the account's
statement for a period. Each page's JSON twin (``?format=json``) comes from the same query
functions as the REST API; the statement also downloads as CSV (``?format=csv``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from c3p.accounts.rules.policy import Actor, Target, decide
from c3p.credits import checkpoints, history, queries
from c3p.credits import schemas as v
from c3p.credits.rules.access import account_target
from c3p.credits.rules.holding_accounts import STATUS_CHANGES, AccountKind, AccountStatus
from c3p.credits.rules.statements import Period, statement_csv
from c3p.errors import C3PError, InvalidInput
from c3p.web.auth import database, permission
from c3p.web.pages.forms import FormState
from c3p.web.pages.render import PageContext, page_only, render
from c3p.web.routes import Router

router = Router(include_in_schema=False)
#: the account page's forms that move credits out, each named after its action ``credits.<name>``
MOVING_ACTIONS = ("transfer", "cancel", "retire")


class CreditsOverview(PageContext):
    stats: v.RegistryStats
    issuances: list[v.IssuanceView]
    projects: list[v.ProjectTotal]
    article6: list[v.Article6Row]


class IssuanceList(PageContext):
    items: list[v.IssuanceView]


class RetirementList(PageContext):
    items: list[v.RetirementView]


class ProjectTotals(PageContext):
    items: list[v.ProjectTotal]


class CheckpointList(PageContext):
    """The signed checkpoints of the journal head, newest first."""

    items: list[v.CheckpointView]


class HistoryPage(PageContext):
    """The full history of a credit or block; without ``data`` until a serial is asked for (or if unknown)."""

    data: v.HistoryView | None
    form: FormState = page_only(default_factory=FormState)


class AccountPage(PageContext):
    account: v.AccountView
    blocks: list[str]
    transactions: list[v.StatementLine]
    may: dict[str, bool] = page_only()
    next_statuses: list[str] = page_only()
    form: FormState = page_only(default_factory=FormState)


class StatementPage(PageContext):
    """An account's statement for a period; without ``data`` when the period could not be read."""

    data: v.StatementView | None
    number: str = page_only()
    form: FormState = page_only()


def _read(request: Request, compute):
    with database(request).reading() as session:
        return compute(session)


def overview_data(session) -> CreditsOverview:
    return CreditsOverview(
        stats=queries.stats(session),
        issuances=queries.issuances(session, limit=10),
        projects=queries.project_totals(session),
        article6=queries.article6_report(session),
    )


@router.get("/credits", response_model=CreditsOverview)
async def overview(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, overview_data)
    return render(request, "credits/index.html", data)


@router.get("/credits/issuances", response_model=IssuanceList)
async def issuances(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, lambda s: IssuanceList(items=queries.issuances(s)))
    return render(request, "credits/issuances.html", data)


@router.get("/credits/retirements", response_model=RetirementList)
async def retirements(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, lambda s: RetirementList(items=queries.retirements(s)))
    return render(request, "credits/retirements.html", data)


@router.get("/credits/projects", response_model=ProjectTotals)
async def projects(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, lambda s: ProjectTotals(items=queries.project_totals(s)))
    return render(request, "credits/projects.html", data)


@router.get("/credits/checkpoints", response_model=CheckpointList)
async def checkpoint_list(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, lambda s: CheckpointList(items=checkpoints.recent(s)))
    return render(request, "credits/checkpoints.html", data)


@router.get("/credits/history", response_model=HistoryPage)
async def credit_history(request: Request, serial: str = "") -> Response:
    """The tree of a serial's splits, transfers and authorization changes (public, like the holder of a serial)."""
    form = FormState("history", {"serial": serial})
    if not serial.strip():
        return render(request, "credits/history.html", HistoryPage(data=None, form=form))
    try:
        data = await run_in_threadpool(_read, request, lambda s: history.credit_history(s, serial))
    except C3PError as error:
        if request.query_params.get("format") == "json":
            raise
        page = HistoryPage(data=None, form=form.add(error))
        return render(request, "credits/history.html", page, status=error.status)
    return render(request, "credits/history.html", HistoryPage(data=data, form=form))


def allowed_actions(actor: Actor, account: v.AccountView) -> dict[str, bool]:
    """Which of the account page's forms ``actor`` may use: only those are shown."""
    target = account_target(actor, account.registry, account.holder, account.number)
    kind, status = AccountKind(account.kind), AccountStatus(account.status)
    moving = kind.holding and status is AccountStatus.open
    found = {name: moving and bool(decide(actor, f"credits.{name}", target)) for name in MOVING_ACTIONS}
    changeable = kind.holding and bool(STATUS_CHANGES[status])
    found["status"] = changeable and bool(decide(actor, "credits.account.update", Target.of(country=account.registry)))
    return found


def account_page_for(
    request: Request, actor: Actor, number: str, form: FormState | None = None, status: int = 200
) -> Response:
    """The account page; a refused form comes back here with what was typed and the problem."""
    with database(request).reading() as session:
        found = queries.readable_account(session, actor, number)
        page = AccountPage(
            account=found,
            blocks=queries.blocks_of(session, number),
            transactions=queries.recent_transactions(session, number),
            may=allowed_actions(actor, found),
            next_statuses=[str(s) for s in STATUS_CHANGES[AccountStatus(found.status)]],
            form=form or FormState(),
        )
    return render(request, "credits/account.html", page, status=status)


@router.get("/credits/accounts/{number}", response_model=AccountPage)
def account(request: Request, number: str, actor: Annotated[Actor, Depends(permission("credits.read"))]) -> Response:
    return account_page_for(request, actor, number)


@router.get("/credits/accounts/{number}/statement", response_model=StatementPage)
def statement(
    request: Request,
    number: str,
    actor: Annotated[Actor, Depends(permission("credits.read"))],
    from_date: Annotated[str | None, Query(alias="from")] = None,
    to_date: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """The account's statement for a period; ``?format=json`` or ``?format=csv`` for the data itself."""
    wanted = request.query_params.get("format")
    form = FormState("period", {"from": from_date or "", "to": to_date or ""})
    with database(request).reading() as session:
        queries.readable_account(session, actor, number)
        try:
            period = Period.parse(from_date, to_date)
        except InvalidInput as error:
            if wanted in ("json", "csv"):
                raise
            page = StatementPage(data=None, number=number, form=form.add(error))
            return render(request, "credits/statement.html", page, status=422)
        data = queries.statement(session, number, period)
    if wanted == "csv":
        name = f"{number}_{data.from_date or 'start'}_{data.to_date or 'now'}.csv"
        headers = {"content-disposition": f'attachment; filename="{name}"'}
        return Response(statement_csv(data), media_type="text/csv; charset=utf-8", headers=headers)
    return render(request, "credits/statement.html", StatementPage(data=data, number=number, form=form))
