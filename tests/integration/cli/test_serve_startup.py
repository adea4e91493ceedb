"""``c3p serve`` prepares the database in a child process while it imports the web app."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from c3p.cli._serve import DatabaseUnavailable, prepare_while_importing
from c3p.db import tables as t
from c3p.db.database import Database
from c3p.program.seed import read_seed
from tests.support.pgcluster import free_port


def test_a_fresh_database_is_created_and_loaded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    prepare_while_importing(url)
    database = Database(url)
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(t.Project)) == len(read_seed().projects)
    database.dispose()
    prepare_while_importing(url)  # a second start finds it ready


def test_an_unreachable_database_is_a_clean_error() -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/c3p"
    with pytest.raises(DatabaseUnavailable, match="could not prepare the database"):
        prepare_while_importing(url)
