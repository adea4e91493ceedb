"""Units survive the removal of another installation that shared the user's cache folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pint

SRC = str(Path(__file__).resolve().parents[3] / "src")
PARSE_GJ = "from c3p.mrv import units; print(units.parse_unit('GJ'))"


def _run(pythonpath: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": pythonpath, "XDG_CACHE_HOME": str(cache)}
    return subprocess.run([sys.executable, "-c", PARSE_GJ], capture_output=True, text=True, env=env, timeout=120)


def test_a_removed_installation_leaves_the_units_of_another_whole(tmp_path):
    """A virtual environment's pint fills the cache, then the environment is deleted: c3p with the
    system's pint, reading the same cache folder, still knows GJ (pint's shared cache lost it)."""
    other = tmp_path / "other-site-packages"
    shutil.copytree(Path(pint.__file__).resolve().parent, other / "pint")
    cache = tmp_path / "cache"
    first = _run(f"{other}{os.pathsep}{SRC}", cache)
    assert first.returncode == 0 and "gigajoule" in first.stdout, first.stderr[-2000:]
    shutil.rmtree(other)
    second = _run(SRC, cache)
    assert second.returncode == 0 and "gigajoule" in second.stdout, second.stderr[-2000:]
