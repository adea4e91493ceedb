"""The registry administrators' page of corresponding adjustments: due under the country's method, beside recorded.

One GET form (country, year) and the gap view of :mod:`c3p.credits.adjustments`, the same data
as ``GET /api/v1/registry/adjustments/{country}``; a refused question (a country without a
method on record, a year outside its NDC periods, another country's registry) comes back as a
form error, and ``?format=json`` raises it as problem+json.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from c3p.accounts.rules.policy import Actor, Target, decide, require
from c3p.credits import adjustments
from c3p.errors import C3PError, InvalidInput
from c3p.messages import N_, Message
from c3p.web.auth import database, permission
from c3p.web.pages.credit_forms import home_registry
from c3p.web.pages.forms import FormState
from c3p.web.pages.render import PageContext, page_only, render
from c3p.web.refusals import named
from c3p.web.routes import Router

router = Router(include_in_schema=False)
READ = "credits.adjustments.read"


class AdjustmentsPage(PageContext):
    """A country's adjustments per year; without ``data`` when the question was refused."""

    data: adjustments.AdjustmentGap | None
    countries: list[str] = page_only()
    form: FormState = page_only()


@router.get("/credits/adjustments", response_model=AdjustmentsPage)
def adjustments_page(
    request: Request,
    actor: Annotated[Actor, Depends(permission(READ))],
    country: str | None = None,
    year: str | None = None,
) -> Response:
    countries = [c for c in adjustments.load_choices() if decide(actor, READ, Target.of(country=c))]
    wanted = (country or home_registry(actor)).strip().upper()
    form = FormState("adjustments", {"country": wanted, "year": year or ""})
    try:
        require(actor, READ, Target.of(country=wanted))
        with database(request).reading() as session:
            data = adjustments.adjustment_gap(session, wanted, _year(year))
    except C3PError as error:
        if request.query_params.get("format") == "json" or error.status >= 500:
            raise
        error = named(request, error)
        page = AdjustmentsPage(data=None, countries=countries, form=form.add(error, ("country", "year")))
        return render(request, "credits/adjustments.html", page, status=error.status)
    return render(request, "credits/adjustments.html", AdjustmentsPage(data=data, countries=countries, form=form))


def _year(text: str | None) -> int | None:
    if not text or not text.strip():
        return None
    if not text.strip().isdigit() or len(text.strip()) != 4:
        refusal = N_("the year must be written with four digits, such as 2026; got %(value)s")
        raise InvalidInput(Message(refusal, {"value": text}), field="year")
    return int(text)
