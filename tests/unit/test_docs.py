"""Docs do not drift: every setting is documented, the CLI reference matches --help."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

from c3p.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert f"`C3P_{name.upper()}`" in text, name
        assert field.description, f"setting {name} has no description"


def cli_docs():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "scripts" / "cli_docs.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_docs().render(), (
        "run python scripts/cli_docs.py"
    )


def test_the_cli_reference_leaves_the_environment_as_it_found_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A width left in ``COLUMNS`` is kept by every console built after it: later tables in the same process
    wrapped at 100 columns whatever width their command was given."""
    monkeypatch.delenv("COLUMNS", raising=False)
    before = dict(os.environ)
    cli_docs().render()
    assert dict(os.environ) == before


def test_readme_layout_names_existing_folders() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    parent = ROOT
    named = []
    for line in block.splitlines():
        folder = line.split()[0] if line.strip() else ""
        if not folder.endswith("/"):
            continue
        path = (parent if line.startswith(" ") else ROOT) / folder
        if not line.startswith(" "):
            parent = path
        named.append(path)
    assert len(named) >= 10
    for path in named:
        assert path.is_dir(), path


def test_the_readme_shows_a_desktop_and_a_phone_screenshot_the_browser_tests_take() -> None:
    """Issue 15, point 10: two screenshots of the real pages, each described for those who cannot see it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r'<img src="(docs/screenshots/[\w-]+\.png)" alt="([^"]{20,})"', readme)
    names = [Path(path).name for path, _alt in shown]
    assert any("-desktop-" in name for name in names) and any("-phone-" in name for name in names), names
    assert all((ROOT / path).stat().st_size > 10_000 for path, _alt in shown)
