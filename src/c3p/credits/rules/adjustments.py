"""Corresponding adjustments per country and year, under the method each country chose.

Decision 2/CMA.3 (annex, para. 7) lets a country apply its corresponding adjustments in one of
three ways, kept for the whole NDC implementation period:

* ``trajectory`` — a single-year NDC with an indicative multi-year emissions trajectory: each
  year's adjustment is that year's ITMOs (paragraph 7(a)(i));
* ``averaging`` — a single-year NDC with averaging: the cumulative ITMOs divided by the years of
  the period elapsed, applied to the target year, and shown for each year when averages are
  reported (paragraph 7(a)(ii));
* ``multi_year`` — a multi-year NDC (trajectory, budget or annual targets): each year's
  adjustment is that year's ITMOs (paragraph 7(b)).

An adjustment adds the ITMOs a country first transferred (as host) and subtracts those it used
(annex, para. 8(a) and (b); :mod:`c3p.credits.rules.article6` decides which moves are first
transfers and uses). Credits are
whole tonnes. Where averaging divides, the rounding goes against the country's emissions
balance, so rounding never flatters it: the average addition is rounded **up**, the average
subtraction **down** (an assumption: the guidance gives no rounding rule).

Optional contributions (chapter VII of the same annex, paras. 37 and 39: a share of proceeds for
adaptation and cancellation for overall mitigation in global emissions) are computed only for a
country whose record opts in, as shares of its first transfers, rounded **up** so a contribution
never falls below its stated share (by analogy with the Article 6.4 mechanism's "at least").
Nothing here moves credits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, model_validator

from c3p.errors import DataFileError, InvalidInput, NotFound
from c3p.messages import N_, Message
from c3p.schema import Schema


class Method(StrEnum):
    trajectory = "trajectory"
    averaging = "averaging"
    multi_year = "multi_year"


class Basis(StrEnum):
    annual = "annual"  # this year's ITMOs
    average = "average"  # the period's average so far


class _Frozen(Schema):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NdcPeriod(_Frozen):
    """One NDC implementation period of a country and how it applies its adjustments."""

    first_year: int = Field(ge=2021, le=2100, description="first calendar year of the NDC implementation period")
    last_year: int = Field(ge=2021, le=2100, description="last calendar year of the period")
    target_year: int = Field(ge=2021, le=2100, description="the year a single-year NDC targets (else the last year)")
    method: Method
    source: str = Field(min_length=1, description="where the choice is published, or why it is assumed")
    assumed: bool = Field(description="true where no published source was found")

    @model_validator(mode="after")
    def _ordered(self) -> NdcPeriod:
        if not self.first_year <= self.target_year <= self.last_year:
            raise ValueError("first_year <= target_year <= last_year must hold")
        return self

    @property
    def years(self) -> range:
        return range(self.first_year, self.last_year + 1)


class Contributions(_Frozen):
    """Shares of first transfers a country committed to give (opt-in), in percent."""

    omge_cancellation_pct: Decimal = Field(
        Decimal(0), ge=0, le=100, description="credits cancelled for overall mitigation in global emissions"
    )
    share_of_proceeds_pct: Decimal = Field(Decimal(0), ge=0, le=100, description="credits given for adaptation")
    source: str = Field(min_length=1)
    assumed: bool


class NdcChoice(_Frozen):
    """A country's NDC periods (in order, not overlapping) and its optional contributions."""

    country: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    periods: tuple[NdcPeriod, ...] = Field(min_length=1)
    contributions: Contributions | None = None

    @model_validator(mode="after")
    def _disjoint(self) -> NdcChoice:
        for before, after in zip(self.periods, self.periods[1:], strict=False):
            if after.first_year <= before.last_year:
                raise ValueError(f"period {after.first_year}-{after.last_year} overlaps the one before it")
        return self

    def period_of(self, year: int) -> NdcPeriod:
        """The period ``year`` falls in; a year outside every period is refused by name."""
        for period in self.periods:
            if year in period.years:
                return period
        spans = ", ".join(f"{p.first_year}–{p.last_year}" for p in self.periods)
        refusal = N_("%(year)s is outside the NDC periods of %(country)s (%(periods)s)")
        raise InvalidInput(Message(refusal, {"year": year, "country": self.country, "periods": spans}), field="year")


def parse_choices(records: Any, path: str) -> dict[str, NdcChoice]:
    """The choices of a data file's records, by country; a bad record names its position and field."""
    if not isinstance(records, list):
        raise DataFileError(path, None, "expected a list of country records")
    found: dict[str, NdcChoice] = {}
    for number, record in enumerate(records, start=1):
        try:
            choice = NdcChoice.model_validate(record)
        except ValidationError as error:
            raise DataFileError(path, None, f"record {number}: {_first_problem(error)}") from None
        if choice.country in found:
            raise DataFileError(path, None, f"record {number}: {choice.country} is listed twice")
        found[choice.country] = choice
    return found


def _first_problem(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail["loc"]) or "record"
    return f"{where}: {detail['msg']}"


def choice_for(choices: Mapping[str, NdcChoice], country: str) -> NdcChoice:
    try:
        return choices[country]
    except KeyError:
        refusal = N_("%(country)s has no NDC period and adjustment method on record; add it to the NDC methods file")
        raise NotFound(Message(refusal, {"country": country}), field="country") from None


@dataclass(frozen=True)
class Itmos:
    """A country's ITMOs of one year: first transferred (as host) and used (toward its NDC)."""

    first_transferred: int = 0
    used: int = 0


@dataclass(frozen=True)
class DueAdjustment:
    """The adjustment a country applies for one year of its NDC period.

    ``addition_credits`` raises the reported emissions (first transfers), ``subtraction_credits``
    lowers them (uses); ``credits`` is the net, signed as the emissions balance moves.
    """

    year: int
    basis: Basis
    addition_credits: int
    subtraction_credits: int

    @property
    def credits(self) -> int:
        return self.addition_credits - self.subtraction_credits


def due_adjustments(period: NdcPeriod, itmos: Mapping[int, Itmos], as_of_year: int) -> list[DueAdjustment]:
    """The adjustments of each year of ``period`` elapsed by ``as_of_year``, under its method.

    >>> p = NdcPeriod(first_year=2021, last_year=2030, target_year=2030, method="averaging", source="s", assumed=True)
    >>> [a.addition_credits for a in due_adjustments(p, {2021: Itmos(10), 2022: Itmos(1)}, 2022)]
    [6, 6]
    """
    elapsed = range(period.first_year, min(period.last_year, as_of_year) + 1)
    if period.method is not Method.averaging:
        return [_annual(year, itmos.get(year, Itmos())) for year in elapsed]
    if not elapsed:
        return []
    first = sum(itmos.get(year, Itmos()).first_transferred for year in elapsed)
    used = sum(itmos.get(year, Itmos()).used for year in elapsed)
    addition, subtraction = math.ceil(Fraction(first, len(elapsed))), math.floor(Fraction(used, len(elapsed)))
    return [DueAdjustment(year, Basis.average, addition, subtraction) for year in elapsed]


def _annual(year: int, itmos: Itmos) -> DueAdjustment:
    return DueAdjustment(year, Basis.annual, itmos.first_transferred, itmos.used)


@dataclass(frozen=True)
class ContributionsDue:
    omge_cancellation_credits: int
    share_of_proceeds_credits: int


def contributions_due(contributions: Contributions | None, first_transferred: int) -> ContributionsDue | None:
    """What an opted-in country owes on ``first_transferred`` credits; ``None`` when it did not opt in.

    >>> c = Contributions(omge_cancellation_pct=Decimal(2), share_of_proceeds_pct=Decimal(5), source="s", assumed=True)
    >>> contributions_due(c, 101)
    ContributionsDue(omge_cancellation_credits=3, share_of_proceeds_credits=6)
    """
    if contributions is None:
        return None
    return ContributionsDue(
        _share(contributions.omge_cancellation_pct, first_transferred),
        _share(contributions.share_of_proceeds_pct, first_transferred),
    )


def _share(pct: Decimal, credits: int) -> int:
    return math.ceil(Fraction(pct) * credits / 100)
