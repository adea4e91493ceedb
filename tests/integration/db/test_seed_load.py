"""Loading the program's data: complete, idempotent, all or nothing — on both backends."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from c3p.db import tables as t
from c3p.db.database import Database
from c3p.program.seed import read_seed
from c3p.program.seed_loader import init_database, load_dataset


def _counts(database: Database) -> dict[str, int]:
    with database.reading() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table)) or 0
            for table in (t.Country, t.JapaneseGovernment, t.PartnerPlace, t.Partnership, t.Project, t.ProjectTag)
        }


def test_init_loads_every_record_once(fresh_database: Database) -> None:
    dataset = read_seed()
    assert init_database(fresh_database) is True
    counts = _counts(fresh_database)
    assert counts["projects"] == len(dataset.projects)
    assert counts["partner_places"] == len(dataset.partner_places)
    assert counts["project_tags"] == sum(len(item.record.tags) for item in dataset.projects)
    assert init_database(fresh_database) is False
    assert _counts(fresh_database) == counts


def test_a_changed_dataset_updates_in_place(fresh_database: Database) -> None:
    dataset = read_seed()
    init_database(fresh_database)
    first = dataset.projects[0]
    renamed = dataclasses.replace(first, record=first.record.model_copy(update={"title_en": "Renamed"}))
    changed = dataclasses.replace(dataset, projects=[renamed, *dataset.projects[1:]], sha256="changed")
    assert load_dataset(fresh_database, changed) is True
    with fresh_database.reading() as session:
        project = session.scalars(select(t.Project).where(t.Project.slug == first.record.slug)).one()
        assert project.title_en == "Renamed"
    assert _counts(fresh_database)["projects"] == len(dataset.projects)


def test_a_failing_load_leaves_nothing_half_written(fresh_database: Database) -> None:
    dataset = read_seed()
    init_database(fresh_database)
    before = _counts(fresh_database)
    first = dataset.projects[0]
    renamed = dataclasses.replace(first, record=first.record.model_copy(update={"title_en": "Never stored"}))
    notes = dataset.data_notes  # loaded last: the failure comes after every other table was written
    broken = dataclasses.replace(
        dataset, projects=[renamed, *dataset.projects[1:]], data_notes=[*notes, notes[0]], sha256="broken"
    )
    with pytest.raises(IntegrityError):
        load_dataset(fresh_database, broken)
    assert _counts(fresh_database) == before
    with fresh_database.reading() as session:
        titles = set(session.scalars(select(t.Project.title_en)))
    assert "Never stored" not in titles
