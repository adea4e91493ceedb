"""A fresh database made from the tables in one go equals one built by every migration.

``upgrade`` on an empty database creates the tables from the models and stamps the heads, which
is several times faster than running the migrations one by one. That is only right while the
two agree, so this compares them on both backends: tables, columns (types, nullability, server
defaults), keys, indexes, constraints, triggers and functions, the rows the migrations write,
and the revision stamped. The order of columns is not compared: a migration appends a column
that the model may declare in the middle, and no statement of ours reads columns by position.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Connection, MetaData, inspect, select, text

from c3p.db import migrate
from c3p.db.database import Database


def _columns(inspector: Any, table: str) -> list[tuple[Any, ...]]:
    return sorted(
        (c["name"], str(c["type"]), c["nullable"], str(c.get("default")), c.get("autoincrement"), c.get("comment"))
        for c in inspector.get_columns(table)
    )


def _constraints(inspector: Any, table: str) -> dict[str, Any]:
    checks = inspector.get_check_constraints(table)
    return {
        "primary key": inspector.get_pk_constraint(table),
        "foreign keys": sorted(repr(sorted(fk.items())) for fk in inspector.get_foreign_keys(table)),
        "indexes": sorted(repr(sorted(ix.items())) for ix in inspector.get_indexes(table)),
        "unique": sorted(repr(sorted(uq.items())) for uq in inspector.get_unique_constraints(table)),
        "checks": sorted(f"{ck['name']}: {' '.join(ck['sqltext'].split())}" for ck in checks),
    }


def _triggers_and_functions(connection: Connection) -> list[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.execute(text("SELECT type, name, sql FROM sqlite_master WHERE type = 'trigger'"))
        return sorted(" ".join(map(str, row)) for row in rows)
    triggers = connection.execute(
        text("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal")
    ).scalars()
    functions = connection.execute(
        text(
            "SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema()"
        )
    ).scalars()
    sequences = connection.execute(
        text("SELECT sequence_name, data_type, start_value FROM information_schema.sequences")
    )
    return sorted([*triggers, *functions, *(repr(tuple(s)) for s in sequences)])


def _rows(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: the migrations write some (the journal's head, the revision)."""
    metadata = MetaData()
    metadata.reflect(connection)
    return {name: sorted(map(tuple, connection.execute(select(table)))) for name, table in metadata.tables.items()}


def describe(database: Database) -> dict[str, Any]:
    """What a schema is made of, in a form two databases can be compared by."""
    with database.engine.connect() as connection:
        inspector = inspect(connection)
        tables = {
            name: {"columns": _columns(inspector, name), **_constraints(inspector, name)}
            for name in inspector.get_table_names()
        }
        return {
            "tables": tables,
            "views": sorted(inspector.get_view_names()),
            "triggers and functions": _triggers_and_functions(connection),
            "rows": _rows(connection),
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_fresh_database_equals_one_built_by_the_migrations(backend: str, new_database_url) -> None:  # type: ignore[no-untyped-def]
    migrated, created = Database(new_database_url(backend)), Database(new_database_url(backend))
    try:
        migrate.run_migrations(migrated.engine)
        created.upgrade()
        expected, actual = describe(migrated), describe(created)
    finally:
        migrated.dispose()
        created.dispose()
    assert actual["tables"].keys() == expected["tables"].keys()
    for table in expected["tables"]:
        assert actual["tables"][table] == expected["tables"][table], table
    assert actual == expected


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_starts_on_one_empty_database_make_one_schema(backend: str, new_database_url) -> None:  # type: ignore[no-untyped-def]
    url = new_database_url(backend)
    databases = [Database(url) for _ in range(3)]
    try:
        with ThreadPoolExecutor(len(databases)) as pool:
            list(pool.map(lambda database: database.upgrade(), databases))
        with databases[0].engine.connect() as connection:
            heads = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            head_rows = connection.execute(text("SELECT count(*) FROM credit_journal_head")).scalar()
    finally:
        for database in databases:
            database.dispose()
    assert len(heads) == 1
    assert head_rows == 1
