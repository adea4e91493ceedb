"""The ``c3p`` command: a thin shell over the services, one sub-command group per capability."""

from __future__ import annotations

from typing import Annotated

import typer

from c3p.cli import credits, db, mrv, program, tokens, users, workflow
from c3p.cli._app import app, main
from c3p.cli._guard import acting_as, guarded


@app.callback()
def root(
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar="C3P_AS",
            help="Act as this user (e-mail), with their roles; default: the local operator.",
            show_envvar=True,
        ),
    ] = None,
) -> None:
    """c3p: City-to-City Collaboration Program registry, MRV engine and JCM credit registry."""
    acting_as.set(as_user)


app.command()(program.serve)
app.command()(program.stats)
app.command()(program.export)
app.command("import")(guarded("registry.import")(program.import_dataset))
app.add_typer(db.app, name="db", help="Create, upgrade and reset the database.")
app.add_typer(program.projects_app, name="projects", help="Adopted projects.")
app.add_typer(mrv.app, name="mrv", help="JCM methodologies: list, show, estimate, calculate.")
app.add_typer(users.app, name="users", help="Accounts: create, list, grant, revoke, disable, enable.")
app.add_typer(tokens.app, name="tokens", help="API tokens: create, list, revoke.")
app.add_typer(
    credits.app,
    name="registry",
    help="JCM credit registry: accounts, issuance, transfers, cancellation, retirement, verify.",
)
app.add_typer(workflow.calls_app, name="calls", help="Calls for proposals: open, list, close, remind.")
app.add_typer(workflow.applications_app, name="applications", help="Applications to calls.")
app.add_typer(workflow.pipeline_app, name="pipeline", help="The JCM pipeline: move a JCM project.")
app.add_typer(workflow.subsidy_app, name="subsidy", help="JCM Model Project subsidy calculator.")
app.add_typer(workflow.notifications_app, name="notifications", help="Notifications: the daily e-mail digest.")

__all__ = ["app", "main"]
