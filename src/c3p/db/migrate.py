"""Schema management through Alembic, the same migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

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
    """Bring the schema to ``revision``.

    The default is every branch head: capabilities developed in parallel may each keep their
    own line of migrations until a merge revision joins them.
    """
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        from alembic import command

        command.upgrade(config, revision)


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
