"""A Core unit's first read sent with its ``BEGIN``, one command's last write with its ``COMMIT``, or its only
write with both (PostgreSQL)."""

from __future__ import annotations

import pytest
from psycopg import errors
from sqlalchemy import text

from c3p.db.database import Database
from c3p.db.one_trip import idle, numbered


class Refused(Exception):
    pass


@pytest.fixture
def database(new_database_url) -> Database:  # type: ignore[no-untyped-def]
    database = Database(new_database_url("postgresql"))
    with database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body text)"))
    return database


def test_placeholders_are_numbered_in_order() -> None:
    assert numbered("SELECT %s, %s WHERE a IN (%s)") == b"SELECT $1, $2 WHERE a IN ($3)"


def test_the_first_read_opens_the_units_transaction(database: Database) -> None:
    with database.core_unit() as unit:
        first = unit.begin_with("SELECT txid_current(), %s::text, count(*) FROM notes", ["a"])
        unit.cursor.execute("INSERT INTO notes VALUES ('written')")
        then = unit.cursor.execute("SELECT txid_current()").fetchall()
    assert first[0][1:] == ("a", 0)
    assert first[0][0] == then[0][0]  # one transaction: the read's and the write's


def test_a_refusal_after_the_first_read_leaves_nothing_written(database: Database) -> None:
    with pytest.raises(Refused), database.core_unit() as unit:
        unit.begin_with("SELECT count(*) FROM notes WHERE body = %s", ["x"])
        unit.cursor.execute("INSERT INTO notes VALUES ('x')")
        raise Refused
    with database.core_unit() as unit:
        assert unit.begin_with("SELECT count(*) FROM notes WHERE body = %s", ["x"]) == [(0,)]


def test_a_read_the_driver_deallocated_on_rollback_is_prepared_again(database: Database) -> None:
    read = "SELECT %s::text || body FROM notes"
    with database.core_unit() as unit:
        unit.cursor.execute("INSERT INTO notes VALUES ('!')")
        assert unit.begin_with(read, ["a"]) == [("a!",)]  # inside the open transaction: a plain read
        connection = unit.dbapi
    with database.core_unit() as unit:
        assert unit.begin_with(read, ["b"]) == [("b!",)]  # prepared on this connection
    with pytest.raises(Refused), database.core_unit() as unit:
        for _ in range(6):  # prepared by the driver after five, so its rollback deallocates them all
            unit.cursor.execute("SELECT 1")
        raise Refused
    with database.core_unit() as unit:
        assert unit.dbapi is connection
        assert unit.begin_with(read, ["c"]) == [("c!",)]
        assert unit.cursor.execute("SELECT count(*) FROM notes").fetchall() == [(1,)]


def _notes(database: Database) -> list[str]:
    """The notes as another connection sees them (what is committed)."""
    with database.engine.connect() as connection:
        return list(connection.execute(text("SELECT body FROM notes ORDER BY body")).scalars())


def test_the_last_write_of_one_command_commits_with_it(database: Database) -> None:
    with database.core_unit(one_command=True) as unit:
        assert unit.begin_with("SELECT count(*) FROM notes WHERE body = %s", ["a"]) == [(0,)]
        assert unit.last_write("INSERT INTO notes VALUES (%s) RETURNING length(body)", ["a"]) == [(1,)]
        assert idle(unit.dbapi) and _notes(database) == ["a"]  # committed, before the unit ends
        unit.cursor.execute("INSERT INTO notes VALUES ('b')")  # a new transaction, committed at the end
        assert _notes(database) == ["a"]
    assert _notes(database) == ["a", "b"]


def test_a_unit_that_may_run_more_commands_commits_at_its_end(database: Database) -> None:
    with pytest.raises(Refused), database.core_unit(one_command=False) as unit:
        unit.begin_with("SELECT count(*) FROM notes WHERE body = %s", ["a"])
        unit.last_write("INSERT INTO notes VALUES (%s) RETURNING 1", ["a"])
        assert not idle(unit.dbapi) and _notes(database) == []
        raise Refused
    assert _notes(database) == []


def test_a_failing_last_write_commits_nothing(database: Database) -> None:
    with pytest.raises(errors.DivisionByZero), database.core_unit(one_command=True) as unit:
        unit.begin_with("SELECT count(*) FROM notes WHERE body = %s", ["a"])
        unit.last_write("INSERT INTO notes VALUES (%s) RETURNING 1 / (length(body) - 1)", ["a"])
    assert _notes(database) == []


def test_a_last_write_the_driver_deallocated_is_prepared_again_and_committed_once(database: Database) -> None:
    write = "INSERT INTO notes VALUES (%s) RETURNING body"
    with database.core_unit(one_command=True) as unit:
        unit.begin_with("SELECT 1 WHERE %s = 'x'", ["x"])
        assert unit.last_write(write, ["a"]) == [("a",)]
    with pytest.raises(Refused), database.core_unit() as unit:
        for _ in range(6):  # prepared by the driver after five, so its rollback deallocates them all
            unit.cursor.execute("SELECT 1")
        raise Refused
    with database.core_unit(one_command=True) as unit:
        unit.begin_with("SELECT 2 WHERE %s = 'x'", ["x"])  # a read not prepared before: nothing noticed
        assert unit.last_write(write, ["b"]) == [("b",)]
    assert _notes(database) == ["a", "b"]


def test_a_write_alone_is_a_transaction_of_its_own_and_what_follows_is_another(database: Database) -> None:
    with database.core_unit(one_command=True) as unit:
        assert unit.writes_alone
        assert unit.write_alone("INSERT INTO notes VALUES (%s) RETURNING length(body)", ["a"]) == [(1,)]
        assert idle(unit.dbapi) and _notes(database) == ["a"]  # committed, before the unit ends
        unit.cursor.execute("INSERT INTO notes VALUES ('b')")  # a new transaction, committed at the end
        assert not unit.writes_alone and _notes(database) == ["a"]
    assert _notes(database) == ["a", "b"]


def test_a_write_alone_in_a_unit_of_more_commands_waits_for_its_end(database: Database) -> None:
    with pytest.raises(Refused), database.core_unit(one_command=False) as unit:
        assert not unit.writes_alone
        unit.write_alone("INSERT INTO notes VALUES (%s) RETURNING 1", ["a"])
        assert _notes(database) == []
        raise Refused
    assert _notes(database) == []


def test_a_failing_write_alone_commits_nothing_and_the_connection_serves_the_next_unit(database: Database) -> None:
    with pytest.raises(errors.DivisionByZero), database.core_unit(one_command=True) as unit:
        unit.write_alone("INSERT INTO notes VALUES (%s) RETURNING 1 / (length(body) - 1)", ["a"])
    with database.core_unit(one_command=True) as unit:
        unit.write_alone("INSERT INTO notes VALUES (%s) RETURNING 1", ["b"])
    assert _notes(database) == ["b"]


def test_a_write_alone_the_driver_deallocated_is_prepared_again_and_committed_once(database: Database) -> None:
    write = "INSERT INTO notes VALUES (%s) RETURNING body"
    with database.core_unit(one_command=True) as unit:
        assert unit.write_alone(write, ["a"]) == [("a",)]
        connection = unit.dbapi
    with pytest.raises(Refused), database.core_unit() as unit:
        for _ in range(6):  # prepared by the driver after five, so its rollback deallocates them all
            unit.cursor.execute("SELECT 1")
        raise Refused
    with database.core_unit(one_command=True) as unit:
        assert unit.dbapi is connection
        assert unit.write_alone(write, ["b"]) == [("b",)]
    assert _notes(database) == ["a", "b"]


def test_a_statement_that_failed_where_it_was_first_prepared_runs_again_on_that_connection(database: Database) -> None:
    write = "INSERT INTO notes VALUES (%s) RETURNING 1 / (length(body) - 1)"
    with pytest.raises(errors.DivisionByZero), database.core_unit(one_command=True) as unit:
        connection = unit.dbapi
        unit.write_alone(write, ["a"])
    with database.core_unit(one_command=True) as unit:
        assert unit.dbapi is connection
        assert unit.write_alone(write, ["bb"]) == [(1,)]
    assert _notes(database) == ["bb"]
