"""Portal pages of the JCM credit registry: what the public registry shows, and account pages.

Public: the overview with statistics, issuances, retirements (purpose and beneficiary) and
per-project totals. Account pages show a holder its own accounts (or an administrator any
account of its country) with their blocks. Each page's JSON twin (``?format=json``) comes
from the same query functions as the REST API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from c3p.accounts.policy import Actor, require
from c3p.db.credits import queries, service
from c3p.registry import views as v
from c3p.web.auth import database, permission
from c3p.web.pages.render import render

router = APIRouter(include_in_schema=False)


class CreditsOverview(BaseModel):
    stats: v.RegistryStats
    issuances: list[v.IssuanceView]
    projects: list[v.ProjectTotal]
    article6: list[v.Article6Row]


class IssuanceList(BaseModel):
    items: list[v.IssuanceView]


class RetirementList(BaseModel):
    items: list[v.RetirementView]


class ProjectTotals(BaseModel):
    items: list[v.ProjectTotal]


class AccountPage(BaseModel):
    account: v.AccountView
    blocks: list[str]


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


@router.get("/credits")
async def overview(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, overview_data)
    return render(request, "credits/index.html", data)


@router.get("/credits/issuances")
async def issuances(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, lambda s: IssuanceList(items=queries.issuances(s)))
    return render(request, "credits/issuances.html", data)


@router.get("/credits/retirements")
async def retirements(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, lambda s: RetirementList(items=queries.retirements(s)))
    return render(request, "credits/retirements.html", data)


@router.get("/credits/projects")
async def projects(request: Request) -> Response:
    data = await run_in_threadpool(_read, request, lambda s: ProjectTotals(items=queries.project_totals(s)))
    return render(request, "credits/projects.html", data)


@router.get("/credits/accounts/{number}")
def account(request: Request, number: str, actor: Annotated[Actor, Depends(permission("credits.read"))]) -> Response:
    with database(request).reading() as session:
        found = queries.account(session, number)
        require(actor, "credits.read", service.account_target(actor, found.registry, found.holder))
        data = AccountPage(account=found, blocks=queries.blocks_of(session, number))
    return render(request, "credits/account.html", data)
