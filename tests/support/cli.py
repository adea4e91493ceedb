"""``c3p`` run as its own process, as a user runs it: the entry point's own error handling included."""

from __future__ import annotations

import os
import subprocess
import sys


def run_c3p(
    *args: str, environment: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``c3p ARGS`` with ``environment`` added to this process's; its exit code and what it printed, as text."""
    return subprocess.run(
        [sys.executable, "-c", "from c3p.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {})},
        timeout=timeout,
    )
