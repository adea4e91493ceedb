"""A consistent in-memory snapshot of the program registry, rebuilt when its revision changes.

The registry is reference data of a few hundred rows that changes rarely; reading it whole in
a handful of queries and serving every list, filter and detail from memory is both simpler
and much faster than per-request joins. Each process keeps one snapshot per database and
checks the one-row revision counter (bumped by every registry write) before using it.
"""

from __future__ import annotations

import gc
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, selectinload

from c3p.db import tables as t
from c3p.db.base import Base
from c3p.program import schemas as v

ViewT = TypeVar("ViewT", bound=v.View)


@dataclass(frozen=True)
class RegistrySnapshot:
    revision: int
    countries: dict[str, v.CountryView]
    japanese_governments: dict[str, v.GovernmentView]
    partner_places: dict[str, v.PlaceView]
    organizations: dict[str, v.OrganizationView]
    partnerships: dict[str, v.PartnershipView]
    projects: dict[str, v.ProjectView]
    terms: dict[str, v.TermView]
    events: list[v.EventView]
    related_programs: list[v.RelatedProgramView]
    websites: list[v.WebsiteView]
    reach: list[v.ProgramReachView]
    call_rounds: list[v.CallRoundView]
    stated_figures: list[v.StatedFigureView]


def current_revision(session: Session) -> int:
    revision = session.scalar(select(t.DatasetState.revision).where(t.DatasetState.id == 1))
    return revision or 0


class SnapshotCache:
    """Holds the newest snapshot; thread-safe, rebuilt at most once per revision."""

    def __init__(self) -> None:
        self._snapshot: RegistrySnapshot | None = None
        self._lock = threading.Lock()

    @property
    def latest(self) -> RegistrySnapshot | None:
        return self._snapshot

    def get(self, session: Session) -> RegistrySnapshot:
        revision = current_revision(session)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.revision == revision:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.revision != revision:
                self._snapshot = build_snapshot(session, revision)
                # The snapshot lives until the next revision: keep the collector from
                # re-scanning its thousands of objects on every request (tail latency).
                # Garbage first: frozen, it would never be freed (a process that rebuilds
                # often, or exports again and again, kept each dropped database pool).
                gc.collect()
                gc.freeze()
            return self._snapshot


def _country_ref(row: t.Country) -> v.CountryRef:
    return _view(v.CountryRef, row)


def _government_ref(row: t.JapaneseGovernment) -> v.GovernmentRef:
    return _view(v.GovernmentRef, row)


def _place_ref(row: t.PartnerPlace) -> v.PlaceRef:
    return _view(v.PlaceRef, row)


def _organization_ref(row: t.Organization) -> v.OrganizationRef:
    return _view(v.OrganizationRef, row)


def _term_ref(row: t.VocabularyTerm) -> v.TermRef:
    return _view(v.TermRef, row)


def _project_ref(row: t.Project) -> v.ProjectRef:
    return _view(v.ProjectRef, row)


def _partnership_ref(row: t.Partnership) -> v.PartnershipRef:
    return _view(v.PartnershipRef, row)


@cache
def _column_names(table: type[Base]) -> frozenset[str]:
    return frozenset(inspect(table).column_attrs.keys())


def _view(view: type[ViewT], row: Base, **computed: Any) -> ViewT:
    """``view`` of ``row``: each field it shares with the row's table is copied by name, the
    rest (links, counts) is ``computed``; no field is listed twice."""
    columns = _column_names(type(row))
    shared = {name: getattr(row, name) for name in view.model_fields if name in columns and name not in computed}
    return view(**shared, **computed)


@dataclass
class _Rows:
    """Every registry row, read in a fixed handful of queries."""

    countries: list[t.Country]
    governments: list[t.JapaneseGovernment]
    places: list[t.PartnerPlace]
    organizations: list[t.Organization]
    partnerships: list[t.Partnership]
    terms: list[t.VocabularyTerm]
    projects: list[t.Project]

    @classmethod
    def read(cls, session: Session) -> _Rows:
        rows = cls._read_all(session)
        rows._drop_unpublished(session)
        return rows

    def _drop_unpublished(self, session: Session) -> None:
        """Adopted projects stay off the public registry until published (program workflow)."""
        hidden = set(
            session.scalars(select(t.ProjectTracking.project_id).where(t.ProjectTracking.published_at.is_(None)))
        )
        if not hidden:
            return
        shown_partnerships = {p.partnership_id for p in self.projects if p.id not in hidden}
        hidden_partnerships = {p.partnership_id for p in self.projects if p.id in hidden} - shown_partnerships
        self.projects = [p for p in self.projects if p.id not in hidden]
        self.partnerships = [p for p in self.partnerships if p.id not in hidden_partnerships]

    @classmethod
    def _read_all(cls, session: Session) -> _Rows:
        return cls(
            countries=list(session.scalars(select(t.Country).order_by(t.Country.name_en))),
            governments=list(session.scalars(select(t.JapaneseGovernment).order_by(t.JapaneseGovernment.id))),
            places=list(session.scalars(select(t.PartnerPlace).order_by(t.PartnerPlace.id))),
            organizations=list(session.scalars(select(t.Organization).order_by(t.Organization.id))),
            partnerships=list(
                session.scalars(
                    select(t.Partnership)
                    .order_by(t.Partnership.table_row, t.Partnership.id)
                    .options(
                        selectinload(t.Partnership.japanese_government_links),
                        selectinload(t.Partnership.partner_place_links),
                    )
                )
            ),
            terms=list(session.scalars(select(t.VocabularyTerm).order_by(t.VocabularyTerm.id))),
            projects=list(
                session.scalars(
                    select(t.Project)
                    .order_by(t.Project.fiscal_year.desc(), t.Project.number)
                    .options(selectinload(t.Project.organization_links), selectinload(t.Project.tags))
                )
            ),
        )


def build_snapshot(session: Session, revision: int) -> RegistrySnapshot:
    rows = _Rows.read(session)
    builder = _Builder(rows)
    return RegistrySnapshot(
        revision=revision,
        countries=builder.countries(),
        japanese_governments=builder.governments(),
        partner_places=builder.places(),
        organizations=builder.organizations(),
        partnerships=builder.partnerships(),
        projects=builder.projects(),
        terms=builder.terms(),
        events=[
            v.EventView.model_validate(row, from_attributes=True)
            for row in session.scalars(select(t.Event).order_by(t.Event.starts_on.desc()))
        ],
        related_programs=[
            v.RelatedProgramView.model_validate(row, from_attributes=True)
            for row in session.scalars(select(t.RelatedProgram).order_by(t.RelatedProgram.id))
        ],
        websites=[
            v.WebsiteView.model_validate(row, from_attributes=True)
            for row in session.scalars(select(t.Website).order_by(t.Website.id))
        ],
        reach=[
            v.ProgramReachView.model_validate(row, from_attributes=True)
            for row in session.scalars(select(t.ProgramReach).order_by(t.ProgramReach.as_of))
        ],
        call_rounds=[
            v.CallRoundView.model_validate(row, from_attributes=True)
            for row in session.scalars(select(t.CallRound).order_by(t.CallRound.fiscal_year, t.CallRound.round))
        ],
        stated_figures=[
            v.StatedFigureView.model_validate(row, from_attributes=True)
            for row in session.scalars(select(t.DataNote).order_by(t.DataNote.figure))
        ],
    )


class _Builder:
    """Turns rows into views, resolving every cross-link once."""

    def __init__(self, rows: _Rows) -> None:
        self.rows = rows
        self.country_by_iso3 = {row.iso3: row for row in rows.countries}
        self.government_by_id = {row.id: row for row in rows.governments}
        self.place_by_id = {row.id: row for row in rows.places}
        self.organization_by_id = {row.id: row for row in rows.organizations}
        self.term_by_id = {row.id: row for row in rows.terms}
        self.partnership_by_id = {row.id: row for row in rows.partnerships}
        self.projects_of_partnership: dict[int, list[t.Project]] = defaultdict(list)
        for project in rows.projects:
            self.projects_of_partnership[project.partnership_id].append(project)
        self.partnerships_of_government: dict[int, list[t.Partnership]] = defaultdict(list)
        self.partnerships_of_place: dict[int, list[t.Partnership]] = defaultdict(list)
        for partnership in rows.partnerships:
            for g_link in partnership.japanese_government_links:
                self.partnerships_of_government[g_link.japanese_government_id].append(partnership)
            for p_link in partnership.partner_place_links:
                self.partnerships_of_place[p_link.partner_place_id].append(partnership)

    def _governments_of(self, partnership: t.Partnership) -> list[t.JapaneseGovernment]:
        return [self.government_by_id[link.japanese_government_id] for link in partnership.japanese_government_links]

    def _places_of(self, partnership: t.Partnership) -> list[t.PartnerPlace]:
        return [self.place_by_id[link.partner_place_id] for link in partnership.partner_place_links]

    def _projects_of(self, partnerships: list[t.Partnership]) -> list[v.ProjectRef]:
        projects = [p for partnership in partnerships for p in self.projects_of_partnership[partnership.id]]
        return [_project_ref(p) for p in sorted(projects, key=lambda p: (-p.fiscal_year, p.number))]

    def countries(self) -> dict[str, v.CountryView]:
        places_per_country: dict[str, int] = defaultdict(int)
        for place in self.rows.places:
            places_per_country[place.country_iso3] += 1
        projects_per_country: dict[str, int] = defaultdict(int)
        for project in self.rows.projects:
            partnership = self.partnership_by_id[project.partnership_id]
            for iso3 in {place.country_iso3 for place in self._places_of(partnership)}:
                projects_per_country[iso3] += 1
        return {
            row.iso3: _view(
                v.CountryView,
                row,
                is_jcm_partner=row.jcm_partner_order is not None,
                partner_places=places_per_country[row.iso3],
                projects=projects_per_country[row.iso3],
            )
            for row in self.rows.countries
        }

    def governments(self) -> dict[str, v.GovernmentView]:
        views = {}
        for row in self.rows.governments:
            partnerships = self.partnerships_of_government[row.id]
            places = {place.id: place for p in partnerships for place in self._places_of(p)}
            views[row.slug] = _view(
                v.GovernmentView,
                row,
                partnerships=[_partnership_ref(p) for p in partnerships],
                partner_places=[_place_ref(place) for place in places.values()],
                projects=self._projects_of(partnerships),
            )
        return views

    def places(self) -> dict[str, v.PlaceView]:
        views = {}
        for row in self.rows.places:
            partnerships = self.partnerships_of_place[row.id]
            governments = {g.id: g for p in partnerships for g in self._governments_of(p)}
            parent = self.place_by_id.get(row.parent_id) if row.parent_id else None
            views[row.slug] = _view(
                v.PlaceView,
                row,
                country=_country_ref(self.country_by_iso3[row.country_iso3]),
                parent=_place_ref(parent) if parent else None,
                japanese_governments=[_government_ref(g) for g in governments.values()],
                partnerships=[_partnership_ref(p) for p in partnerships],
                projects=self._projects_of(partnerships),
            )
        return views

    def organizations(self) -> dict[str, v.OrganizationView]:
        projects_of: dict[int, list[t.Project]] = defaultdict(list)
        for project in self.rows.projects:
            for link in project.organization_links:
                projects_of[link.organization_id].append(project)
        return {
            row.slug: _view(
                v.OrganizationView,
                row,
                projects=[_project_ref(p) for p in projects_of[row.id]],
            )
            for row in self.rows.organizations
        }

    def partnerships(self) -> dict[str, v.PartnershipView]:
        views = {}
        for row in self.rows.partnerships:
            projects = self.projects_of_partnership[row.id]
            years = {p.fiscal_year for p in projects}
            years.update(y for y in (row.first_fiscal_year, row.last_fiscal_year) if y is not None)
            if row.first_fiscal_year and row.last_fiscal_year:
                years.update(range(row.first_fiscal_year, row.last_fiscal_year + 1))
            views[row.slug] = _view(
                v.PartnershipView,
                row,
                country=_country_ref(self.country_by_iso3[row.country_iso3]),
                fiscal_years=sorted(years),
                japanese_governments=[_government_ref(g) for g in self._governments_of(row)],
                partner_places=[_place_ref(p) for p in self._places_of(row)],
                projects=self._projects_of([row]),
            )
        return views

    def projects(self) -> dict[str, v.ProjectView]:
        views = {}
        for row in self.rows.projects:
            partnership = self.partnership_by_id[row.partnership_id]
            places = self._places_of(partnership)
            countries = {place.country_iso3: self.country_by_iso3[place.country_iso3] for place in places}
            links = [(link.role, self.organization_by_id[link.organization_id]) for link in row.organization_links]
            tags = [(tag, self.term_by_id[tag.term_id]) for tag in row.tags]
            views[row.slug] = _view(
                v.ProjectView,
                row,
                partnership=_partnership_ref(partnership),
                countries=[_country_ref(c) for c in countries.values()],
                japanese_governments=[_government_ref(g) for g in self._governments_of(partnership)],
                partner_places=[_place_ref(p) for p in places],
                proposers=[_organization_ref(o) for role, o in links if role == "proposer"],
                other_organizations=[_organization_ref(o) for role, o in links if role != "proposer"],
                sectors=[_term_ref(term) for term in self._sectors_of([term for _, term in tags])],
                technologies=[_term_ref(term) for _, term in tags if term.kind == "technology"],
                activities=[_term_ref(term) for _, term in tags if term.kind == "activity"],
                tags=[_view(v.TagView, term, evidence_ja=tag.evidence_ja) for tag, term in tags],
            )
        return views

    def _sectors_of(self, terms: list[t.VocabularyTerm]) -> list[t.VocabularyTerm]:
        """Sectors tagged directly, then those implied by tagged technologies, without repeats."""
        sectors = [term for term in terms if term.kind == "sector"]
        sectors += [self.term_by_id[term.sector_id] for term in terms if term.sector_id is not None]
        return list({term.id: term for term in sectors}.values())

    def terms(self) -> dict[str, v.TermView]:
        counts: dict[int, int] = defaultdict(int)
        for project in self.rows.projects:
            for tag in project.tags:
                counts[tag.term_id] += 1
        return {
            row.slug: _view(
                v.TermView,
                row,
                sector=_term_ref(self.term_by_id[row.sector_id]) if row.sector_id else None,
                projects=counts[row.id],
            )
            for row in self.rows.terms
        }
