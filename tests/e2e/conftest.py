"""What the browser tests share: where their screenshots go."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``C3P_SCREENSHOTS_DIR`` when set (``scripts/screenshots`` sets docs/screenshots), else a temporary folder.

    A normal run leaves the checkout clean; the documentation's pictures are taken on purpose.
    """
    chosen = os.environ.get("C3P_SCREENSHOTS_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
