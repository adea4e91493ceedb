"""Loading the seed dataset into the database: idempotent, in the caller's transaction.

Rows are matched on their natural key (slug, ISO code, fiscal year + number) and updated in
place, so loading twice changes nothing and rows referenced by later records keep their ids.
The caller commits once; any error rolls the whole load back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from c3p.db import tables as t
from c3p.db.database import Database
from c3p.program.dataset import Located, SeedDataset
from c3p.program.seed import read_seed
from c3p.program.tables import reference_column

EXISTING_ROWS = "c3p.seed.existing_rows"


def init_database(database: Database) -> bool:
    """Create or upgrade the schema and load the program's data; safe to repeat."""
    dataset = read_seed()
    database.upgrade()
    return load_dataset(database, dataset)


def load_dataset(database: Database, dataset: SeedDataset | None = None) -> bool:
    """Load a dataset (read first, so a bad file changes nothing) in one unit of work; True if loaded."""
    dataset = dataset or read_seed()
    with database.unit_of_work() as session:
        return load_seed(session, dataset)


def reset_database(database: Database) -> None:
    """Drop every table and recreate the database with the program's data (``c3p db reset``)."""
    database.drop_all()
    init_database(database)


def load_seed(session: Session, data: SeedDataset) -> bool:
    """Load ``data`` unless this exact dataset is loaded already; return whether it loaded."""
    state = session.get(t.DatasetState, 1)
    if state is not None and state.seed_sha256 == data.sha256:
        return False
    try:
        _load_tables(session, data)
    finally:
        session.info.pop(EXISTING_ROWS, None)
    bump_revision(session, seed_sha256=data.sha256)
    return True


def _load_tables(session: Session, data: SeedDataset) -> None:
    _upsert_all(session, t.Country, data.countries, key="iso3")
    governments = _upsert_all(session, t.JapaneseGovernment, data.japanese_governments)
    places = _upsert_tree(session, t.PartnerPlace, data.partner_places, "parent_slug")
    organizations = _upsert_all(session, t.Organization, data.organizations)
    partnerships = _load_partnerships(session, data, governments, places)
    terms = _upsert_tree(session, t.VocabularyTerm, data.vocabulary, "sector_slug")
    _load_projects(session, data, partnerships, organizations, terms)
    for table, items in (
        (t.Event, data.events),
        (t.RelatedProgram, data.related_programs),
        (t.Website, data.websites),
    ):
        _upsert_all(session, table, items)
    _replace_all(session, t.ProgramReach, data.program_reach)
    _replace_all(session, t.CallRound, data.call_rounds)
    _replace_all(session, t.DataNote, data.data_notes)


def bump_revision(session: Session, seed_sha256: str | None = None) -> int:
    """Record that registry data changed, so read caches in every process refresh."""
    state = session.get(t.DatasetState, 1, with_for_update=True)
    now = dt.datetime.now(dt.UTC)
    if state is None:
        state = t.DatasetState(id=1, seed_sha256=seed_sha256 or "", revision=0, loaded_at=now)
        session.add(state)
    state.revision += 1
    if seed_sha256 is not None:
        state.seed_sha256 = seed_sha256
        state.loaded_at = now
    session.flush()
    return state.revision


def _fields(record: BaseModel, *exclude: str) -> dict[str, Any]:
    return record.model_dump(exclude=set(exclude))


def _stored(record: BaseModel, **references: dict[str, Any]) -> dict[str, Any]:
    """A record's fields as its table stores them: each reference ``<x>_slug`` given in
    ``references`` (rows by slug) becomes ``<x>_id``; lists go to tables of their own."""
    values = {}
    for name, value in record:
        if isinstance(value, list):
            continue
        if name in references:
            values[reference_column(name)] = references[name][value].id
        else:
            values[name] = value
    return values


def _existing(session: Session, table: type[Any], key: str) -> dict[Any, Any]:
    """The table's rows by natural key, read once per load (one query, no per-row autoflush)."""
    cache = session.info.setdefault(EXISTING_ROWS, {})
    if (table, key) not in cache:
        cache[(table, key)] = {getattr(row, key): row for row in session.scalars(select(table))}
    return cache[(table, key)]


def _upsert(session: Session, table: type[Any], key: str, values: dict[str, Any]) -> Any:
    rows = _existing(session, table, key)
    row = rows.get(values[key])
    if row is None:
        row = rows[values[key]] = table(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def _upsert_all(
    session: Session, table: type[Any], items: list[Located[Any]], key: str = "slug", **extra: Any
) -> dict[str, Any]:
    rows = {}
    for item in items:
        values = _fields(item.record) | extra
        rows[values[key]] = _upsert(session, table, key, values)
    session.flush()
    return rows


def _replace_all(session: Session, table: type[Any], items: list[Located[Any]]) -> None:
    """Small tables with composite natural keys: replace their content whole."""
    session.execute(delete(table))
    session.add_all(table(**_fields(item.record)) for item in items)
    session.flush()


def _upsert_tree(session: Session, table: type[Any], items: list[Located[Any]], parent_slug: str) -> dict[str, Any]:
    """Rows that point to a parent row of the same table: insert all, then link parents."""
    parent_id = reference_column(parent_slug)
    rows = {}
    for item in items:
        values = _fields(item.record, parent_slug) | {parent_id: None}
        rows[item.record.slug] = _upsert(session, table, "slug", values)
    session.flush()
    for item in items:
        parent = getattr(item.record, parent_slug)
        if parent:
            setattr(rows[item.record.slug], parent_id, rows[parent].id)
    session.flush()
    return rows


def _load_partnerships(
    session: Session,
    data: SeedDataset,
    governments: dict[str, t.JapaneseGovernment],
    places: dict[str, t.PartnerPlace],
) -> dict[str, t.Partnership]:
    partnerships = _upsert_all(session, t.Partnership, data.partnerships)
    ids = [row.id for row in partnerships.values()]
    session.execute(
        delete(t.PartnershipJapaneseGovernment).where(t.PartnershipJapaneseGovernment.partnership_id.in_(ids))
    )
    session.execute(delete(t.PartnershipPartnerPlace).where(t.PartnershipPartnerPlace.partnership_id.in_(ids)))
    positions: dict[tuple[str, str], int] = {}
    for item in data.partnership_members:
        member = item.record
        partnership_id = partnerships[member.partnership_slug].id
        position = positions[(member.partnership_slug, member.role)] = (
            positions.get((member.partnership_slug, member.role), 0) + 1
        )
        if member.role == "japanese_government":
            link: Any = t.PartnershipJapaneseGovernment(
                partnership_id=partnership_id,
                japanese_government_id=governments[member.member_slug].id,
                position=position,
                source=member.source,
            )
        else:
            link = t.PartnershipPartnerPlace(
                partnership_id=partnership_id,
                partner_place_id=places[member.member_slug].id,
                position=position,
                source=member.source,
            )
        session.add(link)
    session.flush()
    return partnerships


def _load_projects(
    session: Session,
    data: SeedDataset,
    partnerships: dict[str, t.Partnership],
    organizations: dict[str, t.Organization],
    terms: dict[str, t.VocabularyTerm],
) -> None:
    projects = {}
    for item in data.projects:
        values = _stored(item.record, partnership_slug=partnerships)
        projects[item.record.slug] = _upsert(session, t.Project, "slug", values)
    session.flush()
    ids = [project.id for project in projects.values()]
    session.execute(delete(t.ProjectOrganization).where(t.ProjectOrganization.project_id.in_(ids)))
    session.execute(delete(t.ProjectTag).where(t.ProjectTag.project_id.in_(ids)))
    for item in data.projects:
        project_id = projects[item.record.slug].id
        session.add_all(
            t.ProjectOrganization(
                project_id=project_id, position=position, **_stored(link, organization_slug=organizations)
            )
            for position, link in enumerate(item.record.organizations, start=1)
        )
        session.add_all(
            t.ProjectTag(project_id=project_id, position=position, **_stored(tag, term_slug=terms))
            for position, tag in enumerate(item.record.tags, start=1)
        )
    session.flush()
