"""A migrated database per backend with the two registries of Japan and Viet Nam opened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c3p.db.database import Database
from tests.support.credits import Registry, create_registry


@pytest.fixture
def registry(fresh_database: Database) -> Iterator[Registry]:
    fresh_database.upgrade()
    yield create_registry(fresh_database)
