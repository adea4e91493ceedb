"""Declarative base with a constraint naming convention, shared by both backends.

Named constraints keep Alembic migrations identical on SQLite and PostgreSQL and let batch
mode on SQLite recreate tables without losing them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


NOT_IN_HISTORY = {"history": False}
"""Column or table ``info`` for what is not a domain record (sessions, counters): no history row."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
