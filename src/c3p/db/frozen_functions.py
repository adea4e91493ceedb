"""Server-side functions frozen in migrations, each made as the changes to an earlier revision's.

A migration that replaces a PostgreSQL function keeps its own copy of the definition (as every
migration keeps what it made), written as ``(old text, new text)`` changes to the copy of the
revision before it, so the change reads as a diff and the earlier copy is never edited.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

VERSIONS = Path(__file__).with_name("migrations") / "versions"


def revision_module(file_name: str) -> ModuleType:
    """The migration module in ``versions/`` named ``file_name``, loaded on its own (Alembic names it by revision)."""
    spec = importlib.util.spec_from_file_location(f"frozen_{Path(file_name).stem}", VERSIONS / file_name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def changed(definition: str, changes: Iterable[tuple[str, str]]) -> str:
    """``definition`` with each ``(old, new)`` replaced; each old text must stand in it exactly once."""
    for old, new in changes:
        assert definition.count(old) == 1, old
        definition = definition.replace(old, new)
    return definition
