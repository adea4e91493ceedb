"""The database as the application sees it: schema and units of work.

Loading the program's data belongs to the program (:mod:`c3p.program.seed_loader`), so this
shared infrastructure imports no capability.

A unit of work is one transaction: commands and requests open one, services flush, and the
boundary commits once (or rolls back on any error). Nothing else commits.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from c3p.db import migrate
from c3p.db.engine import make_engine, make_session_factory


@dataclass
class Database:
    url: str
    engine: Engine = field(init=False)
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url)
        self.sessions = make_session_factory(self.engine)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose work is committed once at the end, or rolled back on error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries only; it never commits."""
        session = self.sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def upgrade(self) -> None:
        migrate.upgrade(self.engine)

    def is_initialized(self) -> bool:
        return migrate.is_initialized(self.engine)

    def drop_all(self) -> None:
        """Remove every table, the migration history included (``c3p db reset``)."""
        metadata = MetaData()
        metadata.reflect(self.engine)
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "sqlite":
                connection.execute(text("PRAGMA foreign_keys=OFF"))
            metadata.drop_all(connection)

    def table_names(self) -> list[str]:
        return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()
