"""Every registry's Article 6.2 accounts over a span of years, checked at once.

For each year the journal is replayed once to 31 December, and for each registry the actor may
report on: the annual report's own checks (mirror and holdings), and its corresponding
adjustments three ways, which must agree: the ITMOs the report's tables imply (its "First
transfer" rows; its "Use" rows of credits hosted elsewhere), those the replayed journal proves,
and those the credit service recorded. Nothing is stored; a registry administrator runs it
before submitting, an auditor after.
"""

from __future__ import annotations

from pydantic import Field, computed_field
from sqlalchemy.orm import Session

from c3p.accounts.rules.policy import Actor
from c3p.credits import adjustments, aef_reports
from c3p.credits.rules import aef
from c3p.credits.rules.adjustments import Itmos
from c3p.credits.rules.aef import ActionType
from c3p.errors import InvalidInput
from c3p.messages import N_, Message
from c3p.schema import Schema


class ItmosView(Schema):
    first_transferred: int
    used: int


class CountryYear(Schema):
    """One registry's year: the report's checks, and its ITMOs as the report, journal and records give them."""

    country: str
    year: int
    draft: bool = Field(description="a partnership in the report has no cooperative approach ID")
    checks: list[aef.Check]
    in_report: ItmosView = Field(description="first transfers and uses the report's tables imply")
    in_journal: ItmosView = Field(description="what the replayed journal proves")
    recorded: ItmosView = Field(description="what the credit service recorded as corresponding adjustments")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        agree = self.in_report == self.in_journal == self.recorded
        return agree and all(c.passed for c in self.checks)


def itmos_in(report: aef.AefReport) -> Itmos:
    """The ITMOs ``report``'s tables imply: its first transfers, and its uses of credits hosted elsewhere.

    A country's retirement of its own credits is in its "Use" rows but is domestic: no adjustment.
    """
    first = sum(r.quantity_tco2e for r in report.of_type(ActionType.first_transfer))
    used = report.of_type(ActionType.use)
    return Itmos(first, sum(r.quantity_tco2e for r in used if r.first_transferring_party != report.country))


def _view(itmos: Itmos) -> ItmosView:
    return ItmosView(first_transferred=itmos.first_transferred, used=itmos.used)


def check_years(session: Session, actor: Actor, first_year: int, last_year: int) -> list[CountryYear]:
    """Each year from ``first_year`` to ``last_year`` of each registry ``actor`` may report on, checked."""
    if first_year > last_year:
        refusal = N_("the first year (%(first)s) comes after the last (%(last)s)")
        raise InvalidInput(Message(refusal, {"first": first_year, "last": last_year}), field="first_year")
    countries = [code for code, _years in aef_reports.reportable(session, actor)]
    if countries:  # the years' bounds are refused by name, as for one report
        aef_reports.check_request(session, countries[0], first_year)
        aef_reports.check_request(session, countries[0], last_year)
    proven = adjustments.itmos_from_journal(session)
    recorded = {code: adjustments.recorded_itmos(session, code) for code in countries}
    found = []
    for year in range(first_year, last_year + 1):
        state = aef_reports.year_end(session, year)
        for code in countries:
            report = aef.checked_report(state, code)
            found.append(
                CountryYear(
                    country=code,
                    year=year,
                    draft=report.draft,
                    checks=report.checks,
                    in_report=_view(itmos_in(report)),
                    in_journal=_view(proven.get(code, {}).get(year, Itmos())),
                    recorded=_view(recorded[code].get(year, Itmos())),
                )
            )
    return found
