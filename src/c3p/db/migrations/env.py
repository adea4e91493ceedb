"""Alembic environment: runs on the connection handed in by :mod:`c3p.db.migrate`."""

from __future__ import annotations

from alembic import context

from c3p.db import tables  # noqa: F401  (registers every table on Base.metadata)
from c3p.db.base import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
