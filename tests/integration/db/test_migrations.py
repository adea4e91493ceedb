"""The Alembic migrations build exactly the tables the code declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from c3p.db import migrate, tables  # noqa: F401
from c3p.db.base import Base
from c3p.db.database import Database


def test_upgrade_from_empty_matches_the_models(fresh_database: Database) -> None:
    migrate.run_migrations(fresh_database.engine)
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_repeatable_and_reset_recreates(fresh_database: Database) -> None:
    fresh_database.upgrade()
    fresh_database.upgrade()
    assert "projects" in fresh_database.table_names()
    fresh_database.drop_all()
    assert fresh_database.table_names() == []
    fresh_database.upgrade()
    assert {"projects", "partnerships", "alembic_version"} <= set(fresh_database.table_names())
