"""Permissions for CLI commands: who runs the command, and the action each command performs.

By default the CLI acts as the local operator (whoever can open the database can already
change anything), recorded in the history as ``operator:<login>``. ``c3p --as EMAIL`` (or
``C3P_AS``) makes a command act with that user's roles instead, and be refused like the API
would refuse them. ``@guarded("x.y")`` marks a command with its action and asks the policy
before it runs; the permission-matrix test enumerates the marks.
"""

from __future__ import annotations

import functools
import getpass
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from c3p.accounts.rules.actions import action
from c3p.accounts.rules.policy import Actor, could
from c3p.accounts.service.members import actor_for, user_by_email
from c3p.accounts.service.signin import record_event
from c3p.cli._app import acting_as
from c3p.cli._common import open_database
from c3p.db.database import CoreUnit, Database
from c3p.db.history import act_as
from c3p.errors import Forbidden, Unauthenticated

F = TypeVar("F", bound=Callable[..., Any])
#: commands that change no record (they read, compute, or start the server, which guards each
#: request itself); every other command must carry ``@guarded``
READ_ONLY_COMMANDS = frozenset(
    {"serve", "stats", "export", "projects list", "mrv list", "mrv show", "mrv estimate", "mrv calculate"}
    | {"registry holder-of", "registry article6", "registry open-data", "registry duplicates"}
    | {"registry history", "registry certificate", "registry verify-certificate"}
    | {"registry adjustments"}
)
current: ContextVar[Actor | None] = ContextVar("c3p_cli_actor", default=None)


def operator() -> Actor:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return Actor.operator(f"operator:{login}")


def resolve(database: Database) -> Actor:
    """The actor of this command: the user named by ``--as``, else the local operator."""
    email = acting_as.get()
    if not email:
        return operator()
    with database.reading() as session:
        user = user_by_email(session, email)
        if user is None or user.is_disabled:
            raise Unauthenticated(f"--as {email}: no enabled account with this e-mail address.")
        return actor_for(session, user)


def guarded(name: str) -> Callable[[F], F]:
    """Mark a command with action ``name`` and refuse it, recorded, when the actor may not perform it."""
    action(name)

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            database = open_database(kwargs.get("db"), initialize=False)
            actor = resolve(database) if database.is_initialized() else operator()
            decision = could(actor, name)
            if not decision:
                with database.unit_of_work() as session:
                    record_event(
                        session, f"refused.{decision.status}", actor.label, actor.user_id, "cli", decision.reason
                    )
                raise (Unauthenticated if decision.status == 401 else Forbidden)(decision.reason)
            token = current.set(actor)
            try:
                return command(*args, **kwargs)
            finally:
                current.reset(token)

        run.c3p_action = name  # type: ignore[attr-defined]
        return run  # type: ignore[return-value]

    return decorate


def actor() -> Actor:
    return current.get() or operator()


Work = TypeVar("Work", Session, CoreUnit)


@contextmanager
def _attributed(unit_of_work: AbstractContextManager[Work]) -> Iterator[tuple[Work, Actor]]:
    """``unit_of_work``, its changes attributed to the command's actor in the history."""
    who = actor()
    with unit_of_work as work:
        act_as(work, who.user_id, who.label)
        yield work, who


def writing(database: Database) -> AbstractContextManager[tuple[Session, Actor]]:
    """One unit of work attributed to the command's actor in the history."""
    return _attributed(database.unit_of_work())


def moving_credits(database: Database, *, one_command: bool) -> AbstractContextManager[tuple[CoreUnit, Actor]]:
    """The lean unit of work of a transfer, cancellation or retirement (``one_command``: its move may commit with
    its statement) or of a batch of transfers (all or none); no ORM session unless needed."""
    return _attributed(database.core_unit(one_command=one_command))
