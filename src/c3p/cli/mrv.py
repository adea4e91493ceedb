"""``c3p mrv``: methodologies and emission-reduction calculations (filled in by the MRV work)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
