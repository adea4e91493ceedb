"""Start-up of ``c3p serve``: the database is prepared while the web application is built.

Creating and loading the database and importing and building the web application are each
about a second of CPU work. On a machine with two or more cores a forked child prepares the
database while this process builds the app (its routes and middleware, which read nothing from
the database), so the first page is served sooner. What needs the database ready (the first
administrator named in the settings) is done after. Where ``fork`` is not available the two
simply run one after the other.
"""

from __future__ import annotations

import multiprocessing
import traceback
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from sqlalchemy.orm import configure_mappers

from c3p.db.database import Database
from c3p.errors import C3PError, InvalidInput
from c3p.program.seed_loader import init_database

if TYPE_CHECKING:
    from fastapi import FastAPI

    from c3p.settings import Settings


class DatabaseUnavailable(C3PError):
    status = 503
    code = "database-unavailable"
    title = "Database unavailable"


def prepare_while_building(settings: Settings) -> FastAPI:
    """Create or upgrade the database and load the program's data; build the web app meanwhile."""
    database_url = settings.resolved_database_url
    if "fork" not in multiprocessing.get_all_start_methods():
        _prepare(database_url)
        return _app(settings)
    configure_mappers()  # once, inherited by the child: both need the mapped classes ready
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_prepare_in_child, args=(database_url, sender), name="c3p-db-init")
    child.start()
    sender.close()
    from c3p.web.app import build_app  # (overlaps with the child's work)

    app = build_app(settings)
    outcome = receiver.recv() if receiver.poll(None) else ("crash", "the database set-up stopped unexpectedly")
    child.join()
    if outcome is not None:
        kind, message = outcome
        if kind == "invalid":
            raise InvalidInput(message)
        raise DatabaseUnavailable(f"could not prepare the database: {message.strip().splitlines()[-1]}")
    return _finished(app)


def _app(settings: Settings) -> FastAPI:
    from c3p.web.app import create_app

    return create_app(settings)


def _finished(app: FastAPI) -> FastAPI:
    from c3p.web.pages.accounts import ensure_administrator_from_settings

    ensure_administrator_from_settings(app)
    return app


def _prepare(database_url: str) -> None:
    database = Database(database_url)
    try:
        init_database(database)
    finally:
        database.dispose()


def _prepare_in_child(database_url: str, sender: Connection) -> None:
    try:
        _prepare(database_url)
        sender.send(None)
    except C3PError as error:
        sender.send(("invalid", error.detail))
    except Exception:  # reported by the parent with the child's traceback
        sender.send(("crash", traceback.format_exc()))
    finally:
        sender.close()
