"""Compiled templates are kept in the user's cache folder, so a new process renders its first page sooner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from c3p.web.pages import render


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache folder of the test's own, and environments built afresh (as in a new process)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    render.compiled_templates.cache_clear()
    render.environment.cache_clear()
    yield tmp_path
    render.compiled_templates.cache_clear()
    render.environment.cache_clear()


def _compiled(folder: Path) -> dict[str, float]:
    return {path.name: path.stat().st_mtime_ns for path in (folder / "c3p" / "templates").glob("*.cache")}


def test_a_template_is_compiled_once_and_read_back_in_a_new_process(cache_home: Path) -> None:
    first = render.environment("ja").get_template("base.html")
    kept = _compiled(cache_home)
    assert kept, "compiling a template keeps its code in the cache folder"
    render.environment.cache_clear()  # a new process: nothing compiled in memory
    again = render.environment("ja").get_template("base.html")
    assert _compiled(cache_home) == kept  # read back, not compiled and written again
    assert again.blocks.keys() == first.blocks.keys()


def test_pages_render_without_a_writable_cache_folder(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = cache_home / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    render.compiled_templates.cache_clear()
    assert render.compiled_templates() is None
    assert render.environment("en").get_template("base.html")
