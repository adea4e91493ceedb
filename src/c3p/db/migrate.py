"""Schema management through Alembic, the same migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """Alembic, imported here: commands that only read never pay for it."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(slug)s")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to ``revision``, in one transaction.

    The default is every branch head: capabilities developed in parallel may each keep their
    own line of migrations until a merge revision joins them. An empty database is made from
    the tables in one go and stamped at the heads, which is what running every migration
    would build (a test compares the two on both backends) at a fraction of the time.
    """
    with _transaction(engine) as connection:
        if revision == "heads" and not inspect(connection).get_table_names():
            _create_at_heads(engine, connection)
        else:
            _migrate(engine, connection, revision)


def run_migrations(engine: Engine, revision: str = "heads") -> None:
    """Run the migrations one by one, even on an empty database (what :func:`upgrade` must equal)."""
    with _transaction(engine) as connection:
        _migrate(engine, connection, revision)


#: the key of PostgreSQL's advisory lock that serializes schema changes
SCHEMA_LOCK = 0x63_33_70_5F_64_62  # "c3p_db"


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for the whole schema change, one schema change at a time.

    SQLite's driver runs DDL outside any transaction unless one is opened explicitly: each of
    the hundred ``CREATE`` statements would then be a commit of its own, synced to disk. The
    lock (SQLite's write lock, taken up front; an advisory lock on PostgreSQL) makes a second
    process that starts on the same empty database wait, then find the schema made.
    """
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        yield connection


def _migrate(engine: Engine, connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config(engine)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _create_at_heads(engine: Engine, connection: Connection) -> None:
    """Every table, stamped at the heads as Alembic's ``stamp`` does, without importing Alembic.

    Importing Alembic and each migration script to learn the heads took a third of a fresh
    start's database work; the heads are read from the scripts' text instead (a test checks
    them against Alembic's).
    """
    from c3p.db import tables  # noqa: F401  (registers every table on Base.metadata)
    from c3p.db.base import Base

    Base.metadata.create_all(connection, checkfirst=False)
    VERSION_TABLE.create(connection)
    connection.execute(VERSION_TABLE.insert(), [{"version_num": head} for head in script_heads()])


#: Alembic's own version table (``alembic.ddl.impl.DefaultImpl.version_table_impl``)
VERSION_TABLE = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


def script_heads(folder: Path = MIGRATIONS_DIR / "versions") -> list[str]:
    """The revisions of the migration scripts that no other script names as its ``down_revision``."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        names = _module_constants(path)
        revisions.add(names["revision"])
        down = names.get("down_revision")
        parents.update(down if isinstance(down, tuple | list) else [down] if down else [])
    return sorted(revisions - parents)


def _module_constants(path: Path) -> dict[str, Any]:
    """The literal values a script assigns at its top level (``revision = "…"``, annotated or not)."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return found


def downgrade_to_base(engine: Engine) -> None:
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        from alembic import command

        command.downgrade(config, "base")


def revision(engine: Engine, message: str) -> None:
    """Autogenerate a new migration from the tables (a developer tool)."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        from alembic import command

        command.revision(config, message=message, autogenerate=True)


def is_initialized(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")
