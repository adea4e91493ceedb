"""Start-up work with Python's cyclic garbage collector paused.

Importing a command's capability and building the web application create a few hundred
thousand objects (modules, classes, pydantic schemas, mapped tables, routes) that live as
long as the process, and almost no garbage. With the collector on, each burst of allocations
makes it scan that growing heap again: hundreds of collections, about a fifth of a fresh
``c3p serve``'s CPU before its first page. Paused, then frozen (moved out of the collector's
reach, as ``gc.freeze`` is meant for), they are scanned never instead of again and again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block without cyclic collections, then freeze what it built and resume."""
    if not gc.isenabled():  # an outer block pauses already: it freezes and resumes
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
