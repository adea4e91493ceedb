"""Options and helpers shared by the commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from c3p.db.database import Database
from c3p.errors import InvalidInput
from c3p.settings import Settings, load_settings

console = Console()

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="C3P_DATABASE_URL",
        help="Database URL (default: SQLite file in the user data folder). "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db.",
        show_envvar=True,
    ),
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="Output format: table or json.")]


def settings_for(db: str | None) -> Settings:
    settings = load_settings()
    if db:
        settings = settings.model_copy(update={"database_url": db})
    return settings


def open_database(db: str | None, *, initialize: bool = True) -> Database:
    """The database at ``db``, created and loaded on first use when ``initialize``."""
    database = Database(settings_for(db).resolved_database_url)
    if initialize and not database.is_initialized():
        from c3p.program.seed_loader import init_database  # here: reading an existing database needs no seed files

        with console.status("Creating the database and loading the program's data…"):
            init_database(database)
    return database


def check_format(value: str, allowed: tuple[str, ...] = ("table", "json")) -> None:
    """Refuse an ``--format`` other than those ``allowed`` (table or json), naming what was given."""
    if value not in allowed:
        raise InvalidInput(f"--format: expected {', '.join(allowed[:-1])} or {allowed[-1]}, got {value!r}")
