"""Sub-commands imported when they run, so ``c3p --help`` does not load the whole platform.

Each entry names where its command lives (``module:attribute``, a Typer app or a command
function) and the one-line help the root listing shows. Listing the commands builds light
stand-ins from that help; running or inspecting one imports it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click as click  # Typer vendors Click: its groups take and give these types
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo

from c3p.cli._startup import collector_paused


@dataclass(frozen=True)
class Lazy:
    """Where a sub-command lives and what the root listing says of it."""

    target: str
    help: str


class LazyGroup(TyperGroup):
    """A command group whose sub-commands are imported on first use."""

    entries: ClassVar[dict[str, Lazy]] = {}
    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in self.entries if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.entries.get(cmd_name)
        if cmd_name in self.commands or entry is None:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return TyperCommand(cmd_name, help=entry.help)
        with collector_paused():  # importing a capability is start-up: long-lived objects
            command = _load(cmd_name, entry, self.rich_markup_mode)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def _load(name: str, entry: Lazy, markup: Any) -> click.Command:
    module, _, attribute = entry.target.partition(":")
    target: Any = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)
    else:
        command = typer.main.get_command_from_info(
            CommandInfo(name=name, callback=target), pretty_exceptions_short=True, rich_markup_mode=markup
        )
    command.name = name
    command.help = command.help or entry.help
    return command
