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


def test_the_heads_read_from_the_scripts_are_alembics(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A fresh database is stamped with heads read from the scripts' text: they must be Alembic's."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    assert migrate.script_heads() == sorted(ScriptDirectory.from_config(config).get_heads())

    # two branches, one of them ending in a merge of the other two lines, annotated as Alembic writes
    for name, revision, down in (("a", "r1", None), ("b", "r2", "r1"), ("c", "r3", "r1"), ("d", "r4", ("r2", "r3"))):
        (tmp_path / f"{name}.py").write_text(f"revision: str = {revision!r}\ndown_revision = {down!r}\n")
    (tmp_path / "e.py").write_text('revision = "r5"\ndown_revision = "r1"\nbranch_labels = None\n')
    assert migrate.script_heads(tmp_path) == ["r4", "r5"]
