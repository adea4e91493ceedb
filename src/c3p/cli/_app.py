"""The root Typer application and the one place that turns expected errors into clean messages."""

from __future__ import annotations

import sys
from contextvars import ContextVar

import typer

from c3p.errors import C3PError

#: help as plain text (Click's own formatter), here and in every :func:`group`: Rich's help imports its
#: Markdown renderer and Pygments, which doubled ``c3p --help`` (0.42 against 0.23 s on a slow machine)
HELP_MARKUP = None

app = typer.Typer(
    name="c3p",
    help="c3p: City-to-City Collaboration Program registry, MRV engine and JCM credit registry.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)


def group() -> typer.Typer:
    """A sub-command group: plain help, as the root's, shown when it is called without a command."""
    return typer.Typer(no_args_is_help=True, rich_markup_mode=HELP_MARKUP)


#: the user a command acts as (``c3p --as EMAIL``); ``None`` is the local operator
acting_as: ContextVar[str | None] = ContextVar("c3p_cli_as", default=None)


def main() -> None:
    """Entry point: run the app, print expected errors without a traceback, exit 2."""
    try:
        app()
    except C3PError as error:
        from rich.console import Console  # only when there is an error to print
        from rich.text import Text

        # one line, never wrapped at the terminal's width, and the text taken as it is (no markup)
        said = Text.assemble(("Error: ", "bold red"), error.detail)
        Console(stderr=True).print(said, soft_wrap=True, highlight=False)
        sys.exit(2)
