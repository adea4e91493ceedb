"""``c3p --help`` in a fresh process: every command group listed, none of the platform imported (issue 16)."""

from __future__ import annotations

import subprocess
import sys

from c3p.cli import Commands

#: what a listing of the commands must not import: Rich's help formatter alone doubled ``c3p --help``
HEAVY = ("rich", "sqlalchemy", "fastapi", "pydantic", "alembic")

PROBE = f"""
import sys
from c3p.cli import main
sys.argv = ["c3p", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    print("exit", exit.code)
print(sorted(name for name in {HEAVY!r} if name in sys.modules))
"""


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True, text=True, check=True)


def test_the_help_lists_every_command_group_and_imports_none_of_the_platform() -> None:
    shown = run("--help").stdout.splitlines()
    assert shown[-2:] == ["exit 0", "[]"], shown[-2:]
    listed = {line.split()[0]: line for line in shown if line.startswith("  ") and line.split()}
    assert set(Commands.entries) <= set(listed), set(Commands.entries) - set(listed)
    for name in Commands.entries:  # on an 80-column terminal
        assert not listed[name].endswith("..."), f"the line of {name} is cut: {listed[name]!r}"


def test_an_unknown_command_is_named_in_a_plain_error() -> None:
    answered = run("nosuch")
    assert "No such command 'nosuch'" in answered.stderr
    assert answered.stdout.splitlines()[0] == "exit 2"


def test_a_command_groups_help_is_plain_like_the_roots() -> None:
    shown = run("registry", "--help").stdout
    assert shown.startswith("Usage: c3p registry [OPTIONS] COMMAND [ARGS]..."), shown[:80]
    assert "╭" not in shown and "Commands:" in shown
