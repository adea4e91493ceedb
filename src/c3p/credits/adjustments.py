"""The gap view: corresponding adjustments due under a country's method, beside those recorded.

*Due* is computed from the journal: it is replayed, and the first transfers and uses it proves
(the rule of :mod:`c3p.credits.rules.article6`) are put through the country's method
(:mod:`c3p.credits.rules.adjustments`). *Recorded* is what the credit service wrote, entry by
entry, in ``corresponding_adjustments``. Under an annual method the two agree unless a record is
missing or altered; under averaging, each year's gap is the difference between the average the
country applies and that year's ITMOs, and the gaps of a finished period sum to zero within the
rounding. The countries' methods are a reviewed data file, ``credits/data/ndc_methods.yaml``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from c3p.credits.rules import adjustments as rules
from c3p.credits.rules.article6 import AdjustmentKind
from c3p.credits.rules.ledger import Ledger, LedgerError
from c3p.credits.rules.transactions import Entry
from c3p.credits.tables import CorrespondingAdjustment, JournalEntry
from c3p.errors import Conflict, DataFileError, InvalidInput
from c3p.messages import N_, Message
from c3p.schema import Schema

BUILT_IN = "credits/data/ndc_methods.yaml"


class PeriodView(Schema):
    first_year: int
    last_year: int
    target_year: int
    method: rules.Method
    source: str
    assumed: bool


class GapRow(Schema):
    """One year: the ITMOs the journal proves, the adjustment due under the method, and the one recorded."""

    year: int
    basis: rules.Basis = Field(description="annual: this year's ITMOs; average: the period's average so far")
    target_year: bool = Field(description="the year a single-year NDC targets")
    first_transferred_credits: int = Field(description="ITMOs first transferred this year (journal)")
    used_credits: int = Field(description="ITMOs used toward the NDC this year (journal)")
    due_addition_credits: int
    due_subtraction_credits: int
    due_credits: int = Field(description="net adjustment due: addition minus subtraction")
    recorded_addition_credits: int
    recorded_subtraction_credits: int
    recorded_credits: int
    gap_credits: int = Field(description="due minus recorded")
    omge_cancellation_credits: int | None = Field(None, description="only for a country that opted in")
    share_of_proceeds_credits: int | None = Field(None, description="only for a country that opted in")


class AdjustmentGap(Schema):
    country: str
    as_of_year: int = Field(description="the years of a period elapsed by this year are shown")
    periods: list[PeriodView]
    rows: list[GapRow]
    outside_period_years: list[int] = Field(description="years with ITMOs that fall in no NDC period of the country")
    contributions_source: str | None = None
    contributions_assumed: bool | None = None


def load_choices(path: Path | None = None) -> dict[str, rules.NdcChoice]:
    """The countries' NDC methods: the built-in file, or a reviewed file given instead."""
    if path is None:
        return _built_in()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DataFileError(str(path), None, f"cannot be read ({error.strerror})") from None
    return _parsed(text, str(path))


@lru_cache
def _built_in() -> dict[str, rules.NdcChoice]:
    return _parsed(files("c3p").joinpath(BUILT_IN).read_text(encoding="utf-8"), BUILT_IN)


def _parsed(text: str, path: str) -> dict[str, rules.NdcChoice]:
    return rules.parse_choices(yaml_records(text, path), path)


def yaml_records(text: str, path: str) -> Any:
    """A reviewed YAML data file's records; broken YAML names the file and line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        line = getattr(getattr(error, "problem_mark", None), "line", None)
        raise DataFileError(path, None if line is None else line + 1, "not valid YAML") from None


def adjustment_gap(
    session: Session,
    country: str,
    year: int | None = None,
    as_of_year: int | None = None,
    choices: dict[str, rules.NdcChoice] | None = None,
) -> AdjustmentGap:
    """Due and recorded adjustments of ``country`` per year (all elapsed years, or ``year``)."""
    choice = rules.choice_for(load_choices() if choices is None else choices, country.upper())
    as_of = dt.datetime.now(dt.UTC).year if as_of_year is None else as_of_year
    if year is not None:
        choice.period_of(year)
        if year > as_of:
            refusal = N_("%(year)s has not begun (the view is as of %(as_of)s)")
            raise InvalidInput(Message(refusal, {"year": year, "as_of": as_of}), field="year")
    proven = itmos_from_journal(session).get(choice.country, {})
    recorded = recorded_itmos(session, choice.country)
    rows = [
        _row(choice, period, due, proven, recorded)
        for period in choice.periods
        for due in rules.due_adjustments(period, proven, as_of)
        if year is None or due.year == year
    ]
    outside = sorted(y for y in set(proven) | set(recorded) if not _in_periods(choice, y))
    contributions = choice.contributions
    return AdjustmentGap(
        country=choice.country,
        as_of_year=as_of,
        periods=[PeriodView(**p.model_dump()) for p in choice.periods],
        rows=rows,
        outside_period_years=outside,
        contributions_source=contributions.source if contributions else None,
        contributions_assumed=contributions.assumed if contributions else None,
    )


def _in_periods(choice: rules.NdcChoice, year: int) -> bool:
    return any(year in p.years for p in choice.periods)


def _row(
    choice: rules.NdcChoice,
    period: rules.NdcPeriod,
    due: rules.DueAdjustment,
    proven: dict[int, rules.Itmos],
    recorded: dict[int, rules.Itmos],
) -> GapRow:
    actual, written = proven.get(due.year, rules.Itmos()), recorded.get(due.year, rules.Itmos())
    owed = rules.contributions_due(choice.contributions, actual.first_transferred)
    return GapRow(
        year=due.year,
        basis=due.basis,
        target_year=due.year == period.target_year,
        first_transferred_credits=actual.first_transferred,
        used_credits=actual.used,
        due_addition_credits=due.addition_credits,
        due_subtraction_credits=due.subtraction_credits,
        due_credits=due.credits,
        recorded_addition_credits=written.first_transferred,
        recorded_subtraction_credits=written.used,
        recorded_credits=written.first_transferred - written.used,
        gap_credits=due.credits - (written.first_transferred - written.used),
        omge_cancellation_credits=owed.omge_cancellation_credits if owed else None,
        share_of_proceeds_credits=owed.share_of_proceeds_credits if owed else None,
    )


def itmos_from_journal(session: Session, batch: int = 5000) -> dict[str, dict[int, rules.Itmos]]:
    """First transfers and uses per country and year, as the replayed journal proves them."""
    ledger = Ledger()
    query = select(JournalEntry.entry).order_by(JournalEntry.seq).execution_options(yield_per=batch)
    for text in session.scalars(query):
        try:
            ledger.apply(Entry.from_json(json.loads(text)))
        except (LedgerError, KeyError, TypeError, ValueError) as error:
            refusal = N_("the journal does not replay (%(reason)s); run `c3p registry verify`")
            raise Conflict(Message(refusal, {"reason": str(error)})) from None
    return _by_country((a.country, a.year, a.kind, a.credits) for a in ledger.adjustments)


def recorded_itmos(session: Session, country: str) -> dict[int, rules.Itmos]:
    """The adjustments the credit service recorded for ``country``, per year."""
    query = (
        select(
            CorrespondingAdjustment.country,
            CorrespondingAdjustment.year,
            CorrespondingAdjustment.kind,
            func.sum(CorrespondingAdjustment.credits),
        )
        .where(CorrespondingAdjustment.country == country)
        .group_by(CorrespondingAdjustment.country, CorrespondingAdjustment.year, CorrespondingAdjustment.kind)
    )
    return _by_country(session.execute(query)).get(country, {})


def _by_country(rows: Iterable[tuple[str, int, str, int]]) -> dict[str, dict[int, rules.Itmos]]:
    sums: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for country, year, kind, credits in rows:
        sums[(country, int(year))][str(kind)] += int(credits)
    found: dict[str, dict[int, rules.Itmos]] = defaultdict(dict)
    for (country, year), kinds in sums.items():
        found[country][year] = rules.Itmos(kinds[AdjustmentKind.first_transfer], kinds[AdjustmentKind.use])
    return dict(found)
