"""The program's key figures: what each one counts, said once, for every page that shows it.

A figure means one thing wherever it appears: the home page's cards, the statistics page,
the JCM pipeline and the outcomes page all take its label and definition from here, and its
value from one function (``program.queries.stats`` for the registry's counts, the workflow's
``kpi`` for the pipeline). Two figures that sound alike are kept apart by name: the JCM
projects the program *published* as realized (the brochure's 「30件以上」) and the JCM projects
*recorded* in this portal's pipeline, which starts empty and grows as projects are entered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from c3p.messages import N_


@dataclass(frozen=True)
class FigureDefinition:
    """A key figure's name and what it counts (English message ids, translated where shown)."""

    label: str
    definition: str


FIGURES = {
    "countries": FigureDefinition(
        N_("Countries"), N_("Countries with at least one partner place in the brochure's table, FY2013–FY2025.")
    ),
    "partner_places": FigureDefinition(
        N_("Partner places"),
        N_("Distinct cities, provinces and regions abroad named in the table; a row naming two counts two."),
    ),
    "japanese_governments": FigureDefinition(
        N_("Japanese local governments"),
        N_("Distinct Japanese prefectures, cities, towns and associations named in the table."),
    ),
    "jcm_partner_countries": FigureDefinition(
        N_("JCM partner countries"),
        N_("Countries that have signed the JCM with Japan (brochure BOX 1, as of August 2025)."),
    ),
    "projects": FigureDefinition(
        N_("Adopted projects"), N_("Projects adopted by the program and recorded here, all fiscal years.")
    ),
    "jcm_projects_published": FigureDefinition(
        N_("JCM projects realized through the program (published)"),
        N_(
            "Environmental infrastructure projects under the JCM that the program's publications say it helped realize."
        ),
    ),
    "jcm_projects_recorded": FigureDefinition(
        N_("JCM projects recorded in this portal"),
        N_(
            "Distinct JCM projects at Model Project adoption or a later state (not withdrawn) that are linked to "
            "at least one program project in this portal's pipeline."
        ),
    ),
}

#: Why the two JCM figures differ: said beside either one wherever it is shown.
JCM_FIGURES_DIFFER = N_(
    "The published figure covers the program since FY2013; this portal's pipeline holds only the JCM projects "
    "entered into it, so it counts fewer until earlier projects are recorded."
)


class PublishedReach(Protocol):
    as_of: dt.date
    jcm_projects_realized: int | None


ReachT = TypeVar("ReachT", bound=PublishedReach)


def latest_published_jcm_projects(reach: Iterable[ReachT]) -> ReachT | None:
    """The newest published statement of JCM projects realized, or None if no source gives one.

    >>> from types import SimpleNamespace as R
    >>> reach = [R(as_of=dt.date(2024, 2, 1), jcm_projects_realized=25),
    ...          R(as_of=dt.date(2025, 11, 12), jcm_projects_realized=30),
    ...          R(as_of=dt.date(2026, 1, 1), jcm_projects_realized=None)]
    >>> latest_published_jcm_projects(reach).jcm_projects_realized
    30
    """
    stated = [r for r in reach if r.jcm_projects_realized is not None]
    return max(stated, key=lambda r: r.as_of, default=None)
