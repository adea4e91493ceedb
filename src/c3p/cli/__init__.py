"""The ``c3p`` command: a thin shell over the services, one sub-command group per capability."""

from __future__ import annotations

from c3p.cli import db, mrv, registry
from c3p.cli._app import app, main

app.command()(registry.serve)
app.command()(registry.stats)
app.command()(registry.export)
app.command("import")(registry.import_dataset)
app.add_typer(db.app, name="db", help="Create, upgrade and reset the database.")
app.add_typer(registry.projects_app, name="projects", help="Adopted projects.")
app.add_typer(mrv.app, name="mrv", help="JCM methodologies: list, show, estimate, calculate.")

__all__ = ["app", "main"]
