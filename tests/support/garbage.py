"""Garbage that only Python's cyclic collector can free, kept uncollected while a block runs."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class _Pool:
    """Stands for a dropped database pool: a cycle, freed only by the cyclic collector."""

    def __init__(self) -> None:
        self.itself = self


@contextmanager
def dropped_pool() -> Iterator[Callable[[], object]]:
    """Drop a cycle and run the block with no collection; yields a weak reference to it.

    The block runs while the cycle is still garbage, as a dropped pool is until the collector
    comes by. Afterwards anything the block froze is unfrozen, so no test leaks into the next.
    """
    dropped = _Pool()
    gone = weakref.ref(dropped)
    del dropped
    thresholds = gc.get_threshold()
    gc.set_threshold(1 << 30)
    try:
        yield gone
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
