"""Files worth keeping between runs (compiled templates and catalogs), in the user's cache folder.

Everything kept here is derived from files shipped with c3p and checked against them, so the
folder may be emptied at any time; where it cannot be written, c3p works in memory instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs


def user_cache_folder(name: str) -> Path | None:
    """The folder ``name`` in the user's cache folder, created; ``None`` when it cannot be."""
    folder = Path(platformdirs.user_cache_dir("c3p")) / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder


def keep(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` whole or not at all (another process may be reading it)."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)  # a full disk leaves no half-written file behind
