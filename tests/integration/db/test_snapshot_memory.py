"""Building the registry's snapshot keeps it out of the collector's reach, and nothing else."""

from __future__ import annotations

import gc
import weakref

from c3p.db.database import Database
from c3p.program.seed_loader import init_database
from c3p.program.snapshot import SnapshotCache


class _Pool:
    """Stands for a dropped database pool: garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.itself = self


def test_a_snapshot_built_leaves_the_garbage_before_it_collectable(new_database_url) -> None:  # type: ignore[no-untyped-def]
    database = Database(new_database_url("sqlite"))
    init_database(database)
    dropped = _Pool()
    gone = weakref.ref(dropped)
    del dropped
    thresholds = gc.get_threshold()
    gc.set_threshold(1 << 30)  # no collection before the snapshot is built: the pool is still garbage then
    try:
        with database.reading() as session:
            snapshot = SnapshotCache().get(session)
        gc.set_threshold(*thresholds)
        assert snapshot.projects
        assert gc.get_freeze_count() > 0  # the snapshot is frozen
        gc.collect()
        assert gone() is None
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
        database.dispose()
