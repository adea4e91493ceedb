"""``c3p db``: create, upgrade and reset the database."""

from __future__ import annotations

from typing import Annotated

import typer

from c3p.cli._app import group
from c3p.cli._common import DatabaseOption, console, open_database
from c3p.cli._guard import guarded
from c3p.cli.users import ensure_administrator_from_settings
from c3p.program.seed_loader import init_database, reset_database

app = group()


@app.command()
@guarded("database.manage")
def init(db: DatabaseOption = None) -> None:
    """Create the schema (or bring it up to date) and load the program's data; safe to repeat."""
    database = open_database(db, initialize=False)
    loaded = init_database(database)
    console.print("Loaded the program's data." if loaded else "Database is up to date; nothing to load.")
    ensure_administrator_from_settings(database)


@app.command()
@guarded("database.manage")
def upgrade(db: DatabaseOption = None) -> None:
    """Apply pending schema migrations without touching the data."""
    open_database(db, initialize=False).upgrade()
    console.print("Schema is at the newest revision.")


@app.command()
@guarded("database.manage")
def reset(
    db: DatabaseOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop every table and recreate the database with the program's data."""
    if not yes:
        typer.confirm("This deletes everything in the database. Continue?", abort=True)
    reset_database(open_database(db, initialize=False))
    console.print("Database recreated and loaded.")
