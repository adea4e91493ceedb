"""Start-up work with Python's cyclic garbage collector paused.

Importing a command's capability and building the web application create a few hundred
thousand objects (modules, classes, pydantic schemas, mapped tables, routes) that live as
long as the process, and almost no garbage. With the collector on, each burst of allocations
makes it scan that growing heap again: hundreds of collections, about a fifth of a fresh
``c3p serve``'s CPU before its first page. Paused, the collector scans them once afterwards.

Only the server freezes what its start-up built (moves it out of the collector's reach, as
``gc.freeze`` is meant for), once, in a process that then only serves. Freezing anywhere else
would also freeze the garbage of whatever ran before in the process, for good: a process that
runs commands one after another (a test run, a script) kept every database pool it had
dropped, with its open connections, until PostgreSQL refused more clients.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(*, freeze: bool = False) -> Iterator[None]:
    """Run the block without cyclic collections, then resume (``freeze``: first freeze what exists)."""
    if not gc.isenabled():  # an outer block pauses already: it resumes
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.enable()
