"""Rules of the program that hold whatever the storage: fiscal years and multi-year plans.

Japan's fiscal year runs from 1 April to 31 March and is named after the calendar year in
which it starts (FY2025 = 2025-04-01 … 2026-03-31).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from c3p.messages import N_

FISCAL_YEAR_START_MONTH = 4
#: The first fiscal year for which the brochure's participation table says which rows were
#: active (its FY2025 mark); for earlier years a row's years are known only where a source
#: states them, so a list of one earlier year's partnerships is partial.
PARTNERSHIP_YEARS_KNOWN_FROM = 2025
PARTIAL_YEAR = N_(
    "The brochure's table of participating cities does not give a year for each row before FY2025: "
    "only the partnerships whose years another source states are shown, so the answer is not complete."
)


#: Sectors are tagged on adopted projects only, and only the FY2025 projects are recorded: a
#: partnership with no recorded project has no known sector, so a sector filter is partial.
PARTIAL_SECTOR = N_(
    "Sectors are known only from the adopted projects recorded here (FY2025): partnerships without a "
    "recorded project cannot be found by sector, so the answer is not complete."
)

#: The brochure lists the adopted projects of FY2025 only; earlier years' projects are not in the
#: data (the workflow records later years as they are adopted).
PROJECTS_KNOWN_FROM = 2025
PARTIAL_PROJECT_YEAR = N_(
    "Adopted projects are recorded here from FY2025, the year the brochure lists: "
    "projects of an earlier year are not in the data, so the answer is not complete."
)


def project_caveats(fiscal_year: int | None) -> list[str]:
    """Why a list of one fiscal year's adopted projects is partial; empty when it is complete.

    >>> project_caveats(2024) == [PARTIAL_PROJECT_YEAR], project_caveats(2025), project_caveats(None)
    (True, [], [])
    """
    return [PARTIAL_PROJECT_YEAR] if fiscal_year is not None and fiscal_year < PROJECTS_KNOWN_FROM else []


#: every reason a filtered list of partnerships may be partial (a page shows those that apply)
PARTNERSHIP_CAVEATS = (PARTIAL_YEAR, PARTIAL_SECTOR)


def partnership_caveats(fiscal_year: int | None, sector: str | None) -> list[str]:
    """Why a filtered list of partnerships is partial, one reason per filter; empty when complete.

    >>> partnership_caveats(2025, None), partnership_caveats(None, None)
    ([], [])
    >>> partnership_caveats(2024, "waste") == [PARTIAL_YEAR, PARTIAL_SECTOR]
    True
    """
    caveats = []
    if fiscal_year is not None and fiscal_year < PARTNERSHIP_YEARS_KNOWN_FROM:
        caveats.append(PARTIAL_YEAR)
    if sector:
        caveats.append(PARTIAL_SECTOR)
    return caveats


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year a day falls in.

    >>> fiscal_year_of(dt.date(2026, 3, 31)), fiscal_year_of(dt.date(2026, 4, 1))
    (2025, 2026)
    """
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_span(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """First and last day of a fiscal year.

    >>> fiscal_year_span(2025)
    (datetime.date(2025, 4, 1), datetime.date(2026, 3, 31))
    """
    first_day = dt.date(fiscal_year, FISCAL_YEAR_START_MONTH, 1)
    next_first_day = dt.date(fiscal_year + 1, FISCAL_YEAR_START_MONTH, 1)
    return first_day, next_first_day - dt.timedelta(days=1)


@dataclass(frozen=True)
class PlanPosition:
    """Where a fiscal year's project stands in a multi-year plan ("year 2 of 3")."""

    year: int
    years: int

    def __post_init__(self) -> None:
        if not 1 <= self.year <= self.years:
            raise ValueError(f"plan year {self.year} is outside a plan of {self.years} years")

    @property
    def is_final_year(self) -> bool:
        return self.year == self.years

    def first_fiscal_year(self, current_fiscal_year: int) -> int:
        """The fiscal year the plan started in.

        >>> PlanPosition(2, 3).first_fiscal_year(2025)
        2024
        """
        return current_fiscal_year - self.year + 1

    def label(self, language: str) -> str:
        """The position in words.

        >>> PlanPosition(2, 3).label("ja"), PlanPosition(2, 3).label("en")
        ('3年計画の2年目', 'year 2 of 3')
        """
        return f"{self.years}年計画の{self.year}年目" if language == "ja" else f"year {self.year} of {self.years}"
