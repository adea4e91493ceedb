"""The ``c3p`` command: a thin shell over the services, one sub-command group per capability."""

from __future__ import annotations

from typing import Annotated, ClassVar

import typer

from c3p.cli._app import acting_as, app, main
from c3p.cli._lazy import Lazy, LazyGroup


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


class Commands(LazyGroup):
    """The root's sub-commands: one group per capability, imported when used."""

    entries: ClassVar[dict[str, Lazy]] = {
        "serve": Lazy("c3p.cli.program:serve", "Serve the portal, the API and its documentation."),
        "stats": Lazy("c3p.cli.program:stats", "Show the program's figures, computed from the data."),
        "export": Lazy("c3p.cli.program:export", "Export the program registry as JSON, CSV or Excel."),
        "import": Lazy("c3p.cli.program:import_command", "Import a dataset exported by c3p export."),
        "db": Lazy("c3p.cli.db:app", "Create, upgrade and reset the database."),
        "projects": Lazy("c3p.cli.program:projects_app", "Adopted projects."),
        "mrv": Lazy("c3p.cli.mrv:app", "JCM methodologies: list, show, estimate, calculate."),
        "users": Lazy("c3p.cli.users:app", "Accounts: create, list, grant, revoke, disable, enable."),
        "tokens": Lazy("c3p.cli.tokens:app", "API tokens: create, list, revoke."),
        "registry": Lazy(
            "c3p.cli.credits:app",
            "JCM credits: accounts, issuance, transfers, retirement.",
        ),
        "calls": Lazy("c3p.cli.workflow:calls_app", "Calls for proposals: open, list, close, remind."),
        "applications": Lazy("c3p.cli.workflow:applications_app", "Applications to calls."),
        "pipeline": Lazy("c3p.cli.workflow:pipeline_app", "The JCM pipeline: move a JCM project."),
        "subsidy": Lazy("c3p.cli.workflow:subsidy_app", "JCM Model Project subsidy calculator."),
        "notifications": Lazy("c3p.cli.workflow:notifications_app", "Notifications: the daily e-mail digest."),
    }


app.info.cls = Commands

__all__ = ["app", "main"]
