"""The ``c3p`` command: a thin shell over the services, one sub-command group per capability."""

from __future__ import annotations

from c3p.cli import mrv
from c3p.cli._app import app, main

app.add_typer(mrv.app, name="mrv", help="JCM methodologies: list, show, estimate, calculate.")

__all__ = ["app", "main"]
