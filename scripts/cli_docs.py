"""Write docs/cli.md from the commands' own --help (run after changing a command)."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import click
import typer

from c3p.cli import app

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def render() -> str:
    command = typer.main.get_command(app)
    parts = ["# Command-line reference", "", "Generated from `c3p --help` by `python scripts/cli_docs.py`.", ""]

    def walk(cmd: click.Command, path: list[str]) -> None:
        with click.Context(cmd, info_name=" ".join(path), terminal_width=100) as ctx:
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                text = cmd.get_help(ctx) or ""
            help_text = "\n".join(line.rstrip() for line in (buffer.getvalue() + text).strip("\n").splitlines())
            parts.extend([f"## `{' '.join(path)}`", "", "```", help_text, "```", ""])
            if hasattr(cmd, "list_commands"):
                for name in cmd.list_commands(ctx):
                    walk(cmd.get_command(ctx, name), [*path, name])  # type: ignore[arg-type]

    walk(command, ["c3p"])
    return "\n".join(parts)


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
