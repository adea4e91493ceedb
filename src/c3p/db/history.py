"""Recording every change of a domain record, in the same transaction as the change.

A session hook runs after each flush: for each inserted, updated and deleted row it writes
one ``history`` row with who acted, the table, the record's key and ``{field: [before,
after]}``. ORM bulk updates and deletes (``session.execute(update(...))``) are recorded too, row by row.
Who acted comes from ``session.info["actor"]`` (set at the request or CLI boundary with
:func:`act_as`), else from the :data:`current_actor` context variable, else "system" (seed
loads, migrations). Columns marked ``info={"redacted": True}`` never reach the history, and
tables and columns marked ``info={"history": False}`` are not recorded (bookkeeping such
as a token's last use).
"""

from __future__ import annotations

import datetime as dt
import decimal
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field
from sqlalchemy import Table, event, insert, inspect, select, tuple_
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from c3p.db.history_table import HistoryEntry
from c3p.schema import Schema

if TYPE_CHECKING:
    from c3p.db.database import CoreUnit

REDACTED = "[redacted]"


class HistoryView(Schema):
    """One recorded change, as the API and pages show it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: dt.datetime
    actor: str
    actor_id: int | None
    operation: str
    table_name: str
    record_key: str
    changes: dict[str, Any] = Field(description="field: [before, after]; secrets read [redacted]")


@dataclass(frozen=True)
class ActorRef:
    user_id: int | None
    label: str


SYSTEM = ActorRef(None, "system")
current_actor: ContextVar[ActorRef] = ContextVar("c3p_current_actor", default=SYSTEM)


def act_as(session: Session | CoreUnit, user_id: int | None, label: str) -> None:
    """Attribute every change made through ``session`` (or a Core unit's session, once made) to this user."""
    session.info["actor"] = ActorRef(user_id, label)


def _actor(session: Session) -> ActorRef:
    return session.info.get("actor") or current_actor.get()


#: bookkeeping tables that hold no domain record (the registry's cache revision)
UNRECORDED_TABLES = frozenset({"dataset_state"})


def recorded(table: Table) -> bool:
    return table.info.get("history", True) is not False and table.name not in UNRECORDED_TABLES


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _shown(column: Any, value: Any) -> Any:
    if column.info.get("redacted") and value is not None:
        return REDACTED
    return _plain(value)


def _row_changes(obj: Any, operation: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        column = attr.columns[0]
        if column.info.get("history") is False:
            continue
        history = state.attrs[attr.key].history
        if operation == "update":
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            changes[column.name] = [_shown(column, before), _shown(column, after)]
        else:
            value = state.dict.get(attr.key)
            pair = [None, value] if operation == "insert" else [value, None]
            changes[column.name] = [_shown(column, v) for v in pair]
    return changes


def _key(values: list[Any]) -> str:
    return ",".join(str(_plain(value)) for value in values)


def _entry(actor: ActorRef, operation: str, table: str, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "occurred_at": dt.datetime.now(dt.UTC),
        "actor_id": actor.user_id,
        "actor": actor.label,
        "operation": operation,
        "table_name": table,
        "record_key": key,
        "changes": changes,
    }


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    actor = _actor(session)
    entries = []
    for operation, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            mapper = inspect(obj).mapper
            if not recorded(mapper.local_table):
                continue
            changes = _row_changes(obj, operation)
            if operation == "update" and not changes:
                continue
            key = _key(mapper.primary_key_from_instance(obj))
            entries.append(_entry(actor, operation, mapper.local_table.name, key, changes))
    if entries:
        session.connection().execute(insert(HistoryEntry), entries)


def _bulk_rows(state: ORMExecuteState, table: Table) -> dict[str, Any]:
    """The rows a bulk statement's WHERE clause selects, by record key."""
    query = select(table)
    if state.statement.whereclause is not None:  # type: ignore[attr-defined]
        query = query.where(state.statement.whereclause)  # type: ignore[attr-defined]
    rows = state.session.connection().execute(query).mappings().all()
    return {_key([row[c.name] for c in table.primary_key.columns]): row for row in rows}


def _reread(state: ORMExecuteState, table: Table, rows: list[Any]) -> dict[str, Any]:
    """``rows`` of ``table`` read again by primary key (a bulk UPDATE may change what its WHERE selects)."""
    columns = list(table.primary_key.columns)
    if not rows:
        return {}
    keys = [tuple(row[c.name] for c in columns) for row in rows]
    query = select(table).where(tuple_(*columns).in_(keys))
    found = state.session.connection().execute(query).mappings().all()
    return {_key([row[c.name] for c in columns]): row for row in found}


def _kept(table: Table) -> list[Any]:
    """The columns the history records (bookkeeping columns are marked ``history: False``)."""
    return [c for c in table.columns if c.info.get("history") is not False]


def _bulk_changes(table: Table, before: Any, after: Any) -> dict[str, list[Any]]:
    return {
        c.name: [_shown(c, before[c.name]), _shown(c, after[c.name])]
        for c in _kept(table)
        if before[c.name] != after[c.name]
    }


def _record_bulk(state: ORMExecuteState) -> Any:
    """Record each row an ORM bulk UPDATE or DELETE changes, as the flush hook does for single rows."""
    if not (state.is_update or state.is_delete):
        return None
    table = state.statement.table  # type: ignore[attr-defined]
    if not isinstance(table, Table) or not recorded(table):
        return None
    actor, before = _actor(state.session), _bulk_rows(state, table)
    if state.is_delete:
        entries = [
            _entry(actor, "delete", table.name, key, {c.name: [_shown(c, row[c.name]), None] for c in _kept(table)})
            for key, row in before.items()
        ]
        result = None
    else:
        result = state.invoke_statement()
        after = _reread(state, table, list(before.values()))
        changed = {key: _bulk_changes(table, row, after[key]) for key, row in before.items() if key in after}
        entries = [_entry(actor, "update", table.name, key, changes) for key, changes in changed.items() if changes]
    if entries:
        state.session.connection().execute(insert(HistoryEntry), entries)
    return result


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _record_bulk)


def entries_for(session: Session, table: str, key: str, limit: int = 200) -> list[HistoryView]:
    """The history of one record, newest first."""
    query = (
        select(HistoryEntry)
        .where(HistoryEntry.table_name == table, HistoryEntry.record_key == key)
        .order_by(HistoryEntry.id.desc())
        .limit(limit)
    )
    return [HistoryView.model_validate(entry) for entry in session.scalars(query)]
