"""A freshly seeded SQLite database per test module, for workflow tests that need one backend only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from c3p.db.database import Database
from c3p.program.seed_loader import init_database


@pytest.fixture(scope="module")
def sqlite_database(new_database_url) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(new_database_url("sqlite"))
    init_database(database)
    yield database
    database.dispose()
