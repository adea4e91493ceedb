"""Building the registry's snapshot keeps it out of the collector's reach, and nothing else."""

from __future__ import annotations

import gc

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.program.snapshot import SnapshotCache
from tests.support.garbage import dropped_pool


def test_a_snapshot_built_leaves_the_garbage_before_it_collectable(new_database_url) -> None:  # type: ignore[no-untyped-def]
    database = Database(new_database_url("sqlite"))
    init_database(database)
    try:
        with dropped_pool() as gone:
            with database.reading() as session:
                snapshot = SnapshotCache().get(session)  # built while the pool is still garbage
            assert snapshot.projects
            assert gc.get_freeze_count() > 0  # the snapshot is frozen
            gc.collect()
            assert gone() is None
    finally:
        database.dispose()
