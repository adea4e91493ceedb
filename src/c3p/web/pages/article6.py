"""The Article 6.2 annual report in the portal, for the registry administrator of the country.

The page shows the report produced from the journal now (its tables in the agreed electronic
format, with JCM serials beside the unique identifiers, and its consistency checks), the
versions submitted so far, and a button that submits it as the next version. Its JSON twin is
the report itself; the workbook downloads as .xlsx.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from c3p.accounts.rules.policy import Actor, Target, decide
from c3p.credits import aef_reports, aef_workbook
from c3p.credits.rules import aef
from c3p.errors import Conflict, InvalidInput, NotFound
from c3p.web.auth import database, permission, writing
from c3p.web.pages.forms import FormState
from c3p.web.pages.render import PageContext, page_only, redirect, render
from c3p.web.routes import Router

router = Router(include_in_schema=False)


class AnnualReportPage(PageContext):
    data: aef.AefReport
    versions: list[aef_reports.SubmissionView]
    may_submit: bool = page_only()
    form: FormState = page_only(default_factory=FormState)


class ReportChoice(PageContext):
    """The registries whose annual report the reader may produce, with their years."""

    registries: list[tuple[str, list[int]]]


@router.get("/credits/article6", response_model=ReportChoice)
def choose(request: Request, actor: Annotated[Actor, Depends(permission("credits.article6.report"))]) -> Response:
    with database(request).reading() as session:
        registries = aef_reports.reportable(session, actor)
    return render(request, "credits/article6_index.html", ReportChoice(registries=registries))


def report_page_for(
    request: Request, actor: Actor, country: str, year: int, form: FormState | None = None, status: int = 200
) -> Response:
    with database(request).reading() as session:
        report = aef_reports.produce(session, actor, country, year)
        versions = aef_reports.submissions(session, actor, country, year)
    may_submit = bool(decide(actor, "credits.article6.submit", Target.of(country=report.country)))
    page = AnnualReportPage(data=report, versions=versions, may_submit=may_submit, form=form or FormState())
    return render(request, "credits/article6_report.html", page, status=status)


@router.get("/credits/article6/{country}/{year}.xlsx")
def report_workbook(
    request: Request,
    country: str,
    year: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> Response:
    with database(request).reading() as session:
        report = aef_reports.produce(session, actor, country, year)
    name = f"article6-{report.country}-{report.year}-draft.xlsx"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(aef_workbook.workbook(report), media_type=aef_workbook.MEDIA_TYPE, headers=headers)


@router.get("/credits/article6/{country}/{year}/versions/{version}.xlsx")
def version_workbook(
    request: Request,
    country: str,
    year: int,
    version: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> Response:
    with database(request).reading() as session:
        content, name = aef_reports.stored_workbook(session, actor, country, year, version)
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return Response(content, media_type=aef_workbook.MEDIA_TYPE, headers=headers)


@router.get("/credits/article6/{country}/{year}", response_model=AnnualReportPage)
def report_page(
    request: Request,
    country: str,
    year: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.report"))],
) -> Response:
    return report_page_for(request, actor, country, year)


@router.post("/credits/article6/{country}/{year}/submit")
def submit(
    request: Request,
    country: str,
    year: int,
    actor: Annotated[Actor, Depends(permission("credits.article6.submit"))],
) -> Response:
    try:
        with writing(request, actor) as session:
            view = aef_reports.submit(session, actor, country, year)
    except (InvalidInput, Conflict, NotFound) as error:
        return report_page_for(request, actor, country, year, FormState("submit", {}).add(error), error.status)
    return redirect(f"/credits/article6/{view.country}/{view.year}?submitted={view.version}")
