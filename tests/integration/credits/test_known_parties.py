"""A transfer between parties met before, in one round trip, and every stale fact caught (PostgreSQL).

Each command runs as the edges run it, in a Core unit of one command; its round trips are
counted on the wire (libpq's trace of the messages sent: each round trip ends in a ``Sync`` or
a simple ``Query``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from psycopg import pq
from sqlalchemy import select, text

from c3p.credits import known_parties, service
from c3p.credits.store import REFERENCE_PATH
from c3p.credits.tables import CreditAccount, JournalEntry
from c3p.credits.verify import verify
from c3p.db.database import Database
from c3p.errors import C3PError
from tests.integration.credits.test_services import BAD_COMMANDS
from tests.integration.credits.test_transfer_core import database_state, rules_state
from tests.support.credits import OPERATOR, Registry, create_issuance, create_registry

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

Command = Callable[[Any], Any]


def run(database: Database, command: Command) -> tuple[Any, int]:
    """``command``'s result in a Core unit of one command, and the round trips it took."""
    with tempfile.TemporaryDirectory() as folder:
        trace = Path(folder) / "trace"
        with trace.open("w") as sink, database.core_unit(one_command=True) as unit:
            pgconn = unit.dbapi.pgconn
            pgconn.trace(sink.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                result = command(unit)
            finally:
                pgconn.untrace()
        sent = [line.split("\t") for line in trace.read_text().splitlines()]
    return result, sum(1 for line in sent if line[0] == "F" and line[2] in ("Sync", "Query"))


def refusal(database: Database, command: Command) -> str:
    """The message ``command`` is refused with; nothing changes."""
    with database.reading() as session:
        before = database_state(session)
    with pytest.raises(C3PError) as refused:
        run(database, command)
    with database.reading() as session:
        assert database_state(session) == before
    return str(refused.value.message)


def moves(database: Database) -> list[dict[str, Any]]:
    """The journal's moves of credits without what differs between two runs (key, time)."""
    with database.reading() as session:
        entries = [json.loads(e) for e in session.scalars(select(JournalEntry.entry).order_by(JournalEntry.seq))]
    kinds = ("transfer", "retirement", "cancellation")
    return [{k: v for k, v in entry.items() if k not in ("key", "at")} for entry in entries if entry["kind"] in kinds]


def check_clean(database: Database) -> None:
    with database.reading() as session:
        assert database_state(session) == rules_state(session)
        assert verify(session).ok


def _commands(registry: Registry) -> list[Command]:
    jp_gov, jp_pp = registry.jp_gov, registry.jp_pp
    return [
        lambda s: service.transfer(s, OPERATOR, jp_gov, jp_pp, 10),
        lambda s: service.transfer(s, OPERATOR, jp_gov, jp_pp, 7),
        lambda s: service.retire(s, OPERATOR, jp_pp, "NDC", 'Mr "B" \\ 東京', 3),
        lambda s: service.retire(s, OPERATOR, jp_pp, "NDC", "Japan", 2),
        lambda s: service.cancel(s, OPERATOR, jp_gov, 1, reason="voluntary"),
        lambda s: service.cancel(s, OPERATOR, jp_gov, 4, reason="ü\t"),
    ]


def test_a_move_between_known_parties_is_one_round_trip_and_writes_what_two_trips_write(
    registry: Registry, new_database_url
) -> None:  # type: ignore[no-untyped-def]
    twin_database = Database(new_database_url("postgresql"))
    twin_database.upgrade()
    twin = create_registry(twin_database)
    create_issuance(registry, {registry.jp_gov: 100}, authorized=False)
    create_issuance(twin, {twin.jp_gov: 100}, authorized=False)
    trips = [run(registry.database, command)[1] for command in _commands(registry)]
    # each account read once; a transfer's read brings the registry's cancellation account along
    assert trips == [2, 1, 2, 1, 1, 1]
    engine = twin.database.engine
    for command in _commands(twin):
        known_parties.forget(engine, [twin.jp_gov, twin.jp_pp], "JPN", "cancellation")
        known_parties.forget(engine, [], "JPN", "retirement")
        assert run(twin.database, command)[1] == 2
    assert len(moves(registry.database)) == 6 and moves(registry.database) == moves(twin.database)
    with registry.database.reading() as one, twin.database.reading() as two:
        assert database_state(one) == database_state(two)
    check_clean(registry.database)
    twin.database.dispose()


def _warm(registry: Registry) -> None:
    """Credits for JPN's government account, and its parties met (two round trips, then one)."""
    create_issuance(registry, {registry.jp_gov: 100}, authorized=False)
    for credits in (1, 1):
        run(registry.database, lambda s, n=credits: service.transfer(s, OPERATOR, registry.jp_gov, registry.jp_pp, n))
    assert run(registry.database, _transfer(registry, 1))[1] == 1


def _transfer(registry: Registry, credits: int) -> Command:
    return lambda s: service.transfer(s, OPERATOR, registry.jp_gov, registry.jp_pp, credits)


def _sql(database: Database, statement: str, **params: Any) -> None:
    """A change made behind the service's back (a restored backup, another process)."""
    with database.engine.begin() as connection:
        connection.execute(text(statement), params)


@pytest.mark.parametrize("who", ["jp_gov", "jp_pp"])
def test_an_account_suspended_after_it_was_met_is_refused_precisely_and_nothing_moves(
    registry: Registry, who: str
) -> None:
    _warm(registry)
    with registry.database.unit_of_work() as session:
        service.set_account_status(session, OPERATOR, getattr(registry, who), "suspended")
    remembered = refusal(registry.database, _transfer(registry, 5))
    with registry.database.unit_of_work() as session:
        session.info[REFERENCE_PATH] = True
        with pytest.raises(C3PError) as fresh:
            service.transfer(session, OPERATOR, registry.jp_gov, registry.jp_pp, 5)
    assert remembered == str(fresh.value.message)
    check_clean(registry.database)


def test_a_threshold_set_after_the_parties_were_met_has_the_transfer_proposed(registry: Registry) -> None:
    _warm(registry)
    with registry.database.unit_of_work() as session:
        service.configure_registry(session, OPERATOR, "JPN", 40)
    below, trips = run(registry.database, _transfer(registry, 40))
    assert (below.status, trips) == ("completed", 1)
    with registry.database.reading() as session:
        before = database_state(session)
    above, trips = run(registry.database, _transfer(registry, 41))
    # the function's call changed nothing, then the parties were read and the transfer proposed
    assert (above.status, trips > 2) == ("awaiting_approval", True)
    with registry.database.reading() as session:
        assert database_state(session) == before
    check_clean(registry.database)


def _account_id(registry: Registry, number: str) -> int:
    with registry.database.reading() as session:
        found = session.scalar(select(CreditAccount.id).where(CreditAccount.number == number))
    assert found is not None
    return found


def _restored(registry: Registry, account_id: int, column: str, value: Any) -> Any:
    """Set ``column`` of the account ``account_id`` as a database restored from a backup might have it; the value
    it had."""
    with registry.database.engine.begin() as connection:
        was = connection.execute(text(f"SELECT {column} FROM credit_accounts WHERE id = :id"), {"id": account_id})
        before = was.scalar()
        update = text(f"UPDATE credit_accounts SET {column} = :value WHERE id = :id")
        connection.execute(update, {"value": value, "id": account_id})
    return before


def test_a_holder_or_kind_changed_under_a_met_sender_is_left_to_the_path_that_reads_it(registry: Registry) -> None:
    _warm(registry)
    sender, other_holder = _account_id(registry, registry.jp_gov), _account_id(registry, registry.jp_pp)
    for column, value in (("holder_id", other_holder), ("kind", "participant_holding")):
        if column == "holder_id":
            with registry.database.reading() as session:
                value = session.get(CreditAccount, other_holder).holder_id  # type: ignore[union-attr]
        was = _restored(registry, sender, column, value)
        moved, trips = run(registry.database, _transfer(registry, 2))
        assert (moved.status, trips) == ("completed", 3)  # the function refused; then read, then moved
        assert run(registry.database, _transfer(registry, 2))[1] == 1  # the fresh facts remembered
        _restored(registry, sender, column, was)  # the sealed facts again, for verify
        assert run(registry.database, _transfer(registry, 2))[1] == 3
    check_clean(registry.database)


def test_a_met_receiver_changed_behind_its_id_is_refused_by_the_path_that_reads_it(registry: Registry) -> None:
    _warm(registry)
    receiver = _account_id(registry, registry.jp_pp)
    refusals = []
    for column, value in (("kind", "cancellation"), ("number", "JPN-RESTORED")):
        was = _restored(registry, receiver, column, value)
        refusals.append(refusal(registry.database, _transfer(registry, 2)))  # nothing moved
        _restored(registry, receiver, column, was)
        assert run(registry.database, _transfer(registry, 2))[0].status == "completed"
    kind, number = refusals
    assert registry.jp_pp in kind and registry.jp_pp in number and kind != number
    check_clean(registry.database)


def test_a_met_party_moves_after_a_rollback_deallocated_the_prepared_statements(registry: Registry) -> None:
    _warm(registry)
    with pytest.raises(RuntimeError), registry.database.core_unit() as unit:
        connection = unit.dbapi
        for _ in range(6):  # prepared by the driver after five, so its rollback deallocates them all
            unit.cursor.execute("SELECT 1")
        raise RuntimeError("the request failed")
    with registry.database.core_unit(one_command=True) as unit:
        assert unit.dbapi is connection
        assert _transfer(registry, 3)(unit).status == "completed"
    assert run(registry.database, _transfer(registry, 3))[1] == 1
    check_clean(registry.database)


@pytest.mark.parametrize("name", list(BAD_COMMANDS))
def test_bad_input_between_met_parties_is_refused_as_the_path_that_reads_refuses_it(
    registry: Registry, name: str
) -> None:
    """Another organization's member, another country's administrator, zero, negative or fractional credits, more
    than held, an unknown account: remembered facts never let through what the read facts refuse."""
    _warm(registry)
    remembered = refusal(registry.database, lambda s: BAD_COMMANDS[name](registry, s))
    with pytest.raises(C3PError) as fresh, registry.database.unit_of_work() as session:
        BAD_COMMANDS[name](registry, session)
    assert remembered == str(fresh.value.message)
    assert run(registry.database, _transfer(registry, 1))[1] == 1  # the parties are met again after a refusal
    check_clean(registry.database)
