"""Credit facts sealed into the journal: the rows ``verify`` cannot rebuild from the moves.

Balances, blocks, pending transfers and corresponding adjustments follow from the journal's
moves, so ``verify`` recomputes them. Other facts about credits — monitoring reports and their
verification, issuances and their Article 6.2 authorization, who holds an account, who
represents it, who administers a registry, issues or verifies, and a JCM project's serial code
and assigned TPE — are *sealed*: whenever a unit of work inserts such a row, changes one of its
sealed columns or deletes it, one ``record`` journal entry written just before the commit
carries the row's content as it is then (``null`` for a deleted row). ``verify`` compares
every row with the last content sealed for it, and reports a row sealed as deleted that is
back, or a sealed row that is gone.

Bringing a new table under ``verify`` takes one declaration in :data:`SEALED` (columns that
the journal's moves already prove, such as a balance, are left out with ``omit``; a table
shared with other capabilities seals only its credit rows, named by ``only``, and its credit
columns, named by ``keep``, so that its other rows and columns stay free to change). A unit of
work that issued credits also signs a checkpoint of the journal head before it commits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Table, event, inspect, or_, select, tuple_
from sqlalchemy.orm import Session

from c3p.accounts.tables import RoleGrant
from c3p.credits.rules.transactions import TransactionKind
from c3p.credits.tables import (
    Article6Submission,
    CreditAccount,
    CreditIssuance,
    CreditRegistry,
    MonitoringReport,
    VerificationFinding,
)
from c3p.db.base import Base
from c3p.db.history import current_actor
from c3p.workflow.tables import JcmProject

#: the session's rows to seal at commit: (table name, primary key)
_TOUCHED = "c3p.credits.sealed_rows"
#: set on a session whose unit of work issued credits: sign a checkpoint at commit
CHECKPOINT_DUE = "c3p.credits.checkpoint_due"


@dataclass(frozen=True)
class Only:
    """The credit rows of a table shared with other capabilities: those where one of ``columns``
    holds one of ``values``, or, without ``values``, holds anything but null."""

    columns: tuple[str, ...]
    values: frozenset[str] | None = None

    def holds(self, row: Mapping[str, Any]) -> bool:
        """Whether a row, as a mapping of column values, is one of the credit rows."""
        return any(self._matches(row[name]) for name in self.columns)

    def where(self, table: Table) -> ColumnElement[bool]:
        """The same test in SQL."""
        if self.values is None:
            return or_(*(table.c[name].is_not(None) for name in self.columns))
        return or_(*(table.c[name].in_(sorted(self.values)) for name in self.columns))

    def _matches(self, value: Any) -> bool:
        return value is not None if self.values is None else value in self.values


@dataclass(frozen=True)
class Sealed:
    """A table whose rows are sealed into the journal; ``omit`` names columns proven otherwise,
    ``only`` the rows and ``keep`` the columns that are credit facts in a table shared with others."""

    model: type[Base]
    omit: frozenset[str] = field(default_factory=frozenset)
    only: Only | None = None
    keep: tuple[str, ...] | None = None

    def holds(self, obj: Any) -> bool:
        """Whether an ORM object of the model is one of the sealed rows."""
        return self.only is None or self.only.holds({name: getattr(obj, name) for name in self.only.columns})

    def select(self) -> Any:
        """Every sealed row, by primary key."""
        table = self.table
        query = select(*table.columns).order_by(*table.primary_key.columns)
        return query if self.only is None else query.where(self.only.where(table))

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[return-value]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def columns(self) -> list[str]:
        names = [c.name for c in self.table.columns if c.name not in self.omit]
        return names if self.keep is None else [name for name in names if name in self.keep or name in self.key]

    @property
    def key(self) -> list[str]:
        return [c.name for c in self.table.primary_key.columns]


#: roles that issue, verify or move credits, or administer a registry: their grants are credit facts
CREDIT_ROLES = frozenset({"account_representative", "registry_administrator", "tpe", "joint_committee_member"})

#: every credit fact table that is sealed, not recomputed (one line brings a new table under ``verify``)
SEALED: tuple[Sealed, ...] = (
    Sealed(CreditRegistry, frozenset({"next_unit", "next_account"})),  # counters: recomputed
    Sealed(CreditAccount, frozenset({"balance"})),  # balance: recomputed from the moves
    Sealed(MonitoringReport),
    Sealed(CreditIssuance),
    Sealed(VerificationFinding),
    Sealed(Article6Submission),
    # who may move, issue or verify credits: a grant of a credit role made, changed or removed is a credit fact
    Sealed(RoleGrant, only=Only(("role",), CREDIT_ROLES)),
    # a JCM project's identity in the registry (its serial code) and the TPE that verifies it,
    # once either is set: a project still in the pipeline before that is not a credit fact yet
    Sealed(
        JcmProject,
        only=Only(("serial_code", "verifier_slug")),
        keep=("slug", "country_iso3", "serial_code", "verifier_slug", "verifier_assigned_by", "verifier_assigned_at"),
    ),
)
_BY_MODEL = {sealed.model: sealed for sealed in SEALED}


def plain(value: Any) -> Any:
    """A column value as JSON the same on both backends (times in UTC, without zone)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def content(sealed: Sealed, row: Any) -> dict[str, Any]:
    """The sealed columns of one row, as JSON values."""
    mapping = row._mapping
    return {name: plain(mapping[name]) for name in sealed.columns}


def key_of(sealed: Sealed, row: Any) -> list[Any]:
    return [row._mapping[name] for name in sealed.key]


def rows(session: Session, sealed: Sealed, batch: int = 2000) -> Iterator[Any]:
    """Every sealed row of a table, by primary key."""
    yield from session.execute(sealed.select().execution_options(yield_per=batch))


def record_rows(session: Session, wanted: dict[Sealed, list[tuple[Any, ...]]]) -> int | None:
    """Append one ``record`` entry sealing the current content of ``wanted`` rows; its seq, or None.

    A wanted row that is gone (deleted, or no longer one of the sealed rows) is sealed as ``null``.
    """
    from c3p.credits.store import Store

    images = []
    for sealed, keys in sorted(wanted.items(), key=lambda item: item[0].name):
        columns = list(sealed.table.primary_key.columns)
        where = columns[0].in_([k[0] for k in keys]) if len(columns) == 1 else tuple_(*columns).in_(keys)
        found = {}
        for row in session.execute(sealed.select().where(where)):
            found[tuple(key_of(sealed, row))] = content(sealed, row)
        for key in sorted(set(found) | {tuple(k) for k in keys}):
            images.append({"table": sealed.name, "key": list(key), "row": found.get(key)})
    if not images:
        return None
    actor = session.info.get("actor") or current_actor.get()  # whoever the unit of work acts for
    entry = Store(session).append(TransactionKind.record, actor.label, details={"rows": images})
    return entry.seq


def _sealed_changes(session: Session) -> Iterator[tuple[Sealed, tuple[Any, ...]]]:
    for obj in [*session.new, *session.deleted]:
        sealed = _BY_MODEL.get(type(obj))
        if sealed is not None and sealed.holds(obj):
            yield sealed, _primary_key(obj)
    for obj in session.dirty:
        sealed = _BY_MODEL.get(type(obj))
        if sealed is None:
            continue
        state = inspect(obj)
        changed = [state.attrs[attr.key].history for attr in _sealed_attributes(sealed, obj)]
        if any(history.has_changes() for history in changed) and _was_or_is_sealed(sealed, obj):
            yield sealed, _primary_key(obj)


def _was_or_is_sealed(sealed: Sealed, obj: Any) -> bool:
    """A row that became, or stopped being, one of the sealed rows is sealed (as it is, or as gone)."""
    if sealed.only is None or sealed.holds(obj):
        return True
    state = inspect(obj)
    before = {}
    for name in sealed.only.columns:
        history = state.attrs[name].history
        before[name] = history.deleted[0] if history.deleted else getattr(obj, name)
    return sealed.only.holds(before)


def _primary_key(obj: Any) -> tuple[Any, ...]:
    return tuple(inspect(type(obj)).primary_key_from_instance(obj))


def _sealed_attributes(sealed: Sealed, obj: Any) -> list[Any]:
    mapper = inspect(type(obj))
    return [prop for prop in mapper.column_attrs if prop.columns[0].name in sealed.columns]


@event.listens_for(Session, "after_flush")
def _remember(session: Session, _context: Any) -> None:
    touched = session.info.setdefault(_TOUCHED, set())
    for sealed, key in _sealed_changes(session):
        touched.add((sealed, key))


@event.listens_for(Session, "before_commit")
def _seal(session: Session) -> None:
    """Seal the rows this unit of work wrote, then sign a checkpoint if it issued credits."""
    session.flush()
    touched = session.info.pop(_TOUCHED, set())
    if touched:
        wanted: dict[Sealed, list[tuple[Any, ...]]] = {}
        for sealed, key in touched:
            wanted.setdefault(sealed, []).append(key)
        record_rows(session, wanted)
    if session.info.pop(CHECKPOINT_DUE, False):
        from c3p.credits import checkpoints

        checkpoints.sign_head(session)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(CHECKPOINT_DUE, None)


def sealed_key(key: list[Any]) -> str:
    return json.dumps(key)
