"""The root Typer application and the one place that turns expected errors into clean messages."""

from __future__ import annotations

import sys
from contextvars import ContextVar

import typer
from rich.console import Console
from rich.text import Text

from c3p.errors import C3PError

app = typer.Typer(
    name="c3p",
    help="c3p: City-to-City Collaboration Program registry, MRV engine and JCM credit registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True)
#: the user a command acts as (``c3p --as EMAIL``); ``None`` is the local operator
acting_as: ContextVar[str | None] = ContextVar("c3p_cli_as", default=None)


def main() -> None:
    """Entry point: run the app, print expected errors without a traceback, exit 2."""
    try:
        app()
    except C3PError as error:
        # one line, never wrapped at the terminal's width, and the text taken as it is (no markup)
        err_console.print(Text.assemble(("Error: ", "bold red"), error.detail), soft_wrap=True, highlight=False)
        sys.exit(2)
