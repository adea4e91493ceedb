"""Docs do not drift: every setting is documented, the CLI reference matches --help."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from c3p.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        assert f"`C3P_{name.upper()}`" in text, name
        assert field.description, f"setting {name} has no description"


def test_cli_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("cli_docs", ROOT / "scripts" / "cli_docs.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == module.render(), "run python scripts/cli_docs.py"
