"""The engine's pool: on PostgreSQL a connection the server ended is replaced at checkout; SQLite needs no psycopg."""

from __future__ import annotations

import subprocess
import sys

import pytest
from psycopg import errors
from sqlalchemy import text

from c3p.db.database import Database


def test_a_pooled_connection_the_server_ended_is_replaced_without_an_error(new_database_url) -> None:  # type: ignore[no-untyped-def]
    url = new_database_url("postgresql")
    database, administrator = Database(url), Database(url)
    with database.core_unit() as work:
        ended = work.dbapi.execute("SELECT pg_backend_pid()").fetchone()[0]
    with administrator.unit_of_work() as session:  # as a server restart or an idle timeout would
        assert session.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": ended})
    with database.core_unit() as work:
        assert work.dbapi.execute("SELECT pg_backend_pid()").fetchone()[0] != ended
    administrator.dispose()
    database.dispose()


def test_each_replacement_of_an_ended_connection_is_watched_anew(new_database_url) -> None:  # type: ignore[no-untyped-def]
    """The socket watch is kept per connection: the one that replaced an ended connection is checked on its own
    socket, so when the server ends it in turn it is replaced too."""
    url = new_database_url("postgresql")
    database, administrator = Database(url), Database(url)
    ended = []
    for _ in range(3):
        with database.core_unit() as work:
            pid = work.dbapi.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert pid not in ended
        ended.append(pid)
        with administrator.unit_of_work() as session:
            assert session.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
    with database.core_unit() as work:
        assert work.dbapi.execute("SELECT pg_backend_pid()").fetchone()[0] not in ended
    administrator.dispose()
    database.dispose()


def test_a_unit_whose_commit_fails_is_rolled_back_and_its_connection_returned(new_database_url) -> None:  # type: ignore[no-untyped-def]
    """A check the server makes only at ``COMMIT`` fails the unit as its block ends: nothing stays, nothing is open."""
    database = Database(new_database_url("postgresql"))
    with database.core_unit() as work:
        work.dbapi.execute("CREATE TABLE deferred (id integer PRIMARY KEY, parent integer REFERENCES deferred)")
        work.dbapi.execute("ALTER TABLE deferred ALTER CONSTRAINT deferred_parent_fkey DEFERRABLE INITIALLY DEFERRED")
    with pytest.raises(errors.ForeignKeyViolation), database.core_unit() as work:
        work.dbapi.execute("INSERT INTO deferred VALUES (1, 2)")  # no row 2: refused at COMMIT only
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    with database.core_unit() as work:
        assert work.dbapi.info.transaction_status.name == "IDLE"
        assert work.dbapi.execute("SELECT count(*) FROM deferred").fetchone() == (0,)
    database.dispose()


def test_a_unit_of_work_sends_nothing_before_its_own_statements(new_database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """No ping at checkout: the transaction's BEGIN, its statement and its COMMIT are all that is sent."""
    database = Database(new_database_url("postgresql"))
    trace = tmp_path / "protocol.txt"
    with trace.open("w") as out:
        with database.core_unit() as work:
            work.dbapi.execute("SELECT 1").fetchall()
            work.dbapi.pgconn.trace(out.fileno())  # libpq writes every message of this connection
        with database.core_unit() as work:  # the same pooled connection, checked out again
            work.dbapi.execute("SELECT 2").fetchall()
            work.dbapi.pgconn.untrace()
    sent = [line.split("\t")[4].strip() for line in trace.read_text().splitlines() if line.split("\t")[1] == "F"]
    assert sent == ['"COMMIT"', '"BEGIN"', '"SELECT 2"']
    database.dispose()


def test_the_kept_cursor_is_its_connections_own_and_goes_with_it(new_database_url) -> None:  # type: ignore[no-untyped-def]
    """Units on one pooled connection share its cursor; a connection the pool replaces brings a new one."""
    url = new_database_url("postgresql")
    database, administrator = Database(url), Database(url)
    with database.core_unit() as work:
        kept = work.cursor
        ended = kept.execute("SELECT pg_backend_pid()").fetchone()[0]
    with database.core_unit() as work:  # the same pooled connection, checked out again
        assert work.cursor is kept
    with administrator.unit_of_work() as session:
        assert session.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": ended})
    with database.core_unit() as work:
        assert work.cursor is not kept and work.cursor.connection is work.dbapi
        assert work.cursor.execute("SELECT pg_backend_pid()").fetchone()[0] != ended
    administrator.dispose()
    database.dispose()


@pytest.mark.parametrize("left", ["open", "failed"])
def test_a_connection_returned_inside_a_transaction_is_lent_again_rolled_back(new_database_url, left) -> None:  # type: ignore[no-untyped-def]
    """The pool rolls back only what is open (or failed), and never lends a connection inside a transaction."""
    database = Database(new_database_url("postgresql"))
    returned = database.engine.raw_connection()
    driver = returned.dbapi_connection
    driver.execute("CREATE TABLE returned_open (n integer)")  # type: ignore[union-attr]
    if left == "failed":
        with pytest.raises(errors.DivisionByZero):
            driver.execute("SELECT 1 / 0")  # type: ignore[union-attr]
    assert driver.info.transaction_status.name == {"open": "INTRANS", "failed": "INERROR"}[left]  # type: ignore[union-attr]
    returned.close()  # neither committed nor rolled back
    lent = database.engine.raw_connection()
    assert lent.dbapi_connection is driver
    assert driver.info.transaction_status.name == "IDLE"  # type: ignore[union-attr]
    assert driver.execute("SELECT to_regclass('returned_open')").fetchone() == (None,)  # type: ignore[union-attr]
    lent.close()
    database.dispose()


def test_sqlite_units_never_import_the_postgresql_driver(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """psycopg costs a tenth of a second to import: a SQLite server, and every command, starts without it."""
    script = (
        "import sys\n"
        "from c3p.db.database import Database\n"
        f"database = Database('sqlite:///{tmp_path / 'c3p.sqlite'}')\n"
        "with database.core_unit(one_command=True) as work:\n"
        "    work.write_alone('SELECT 1', [])\n"
        "print('psycopg' in sys.modules)\n"
    )
    imported = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    assert imported.strip() == "False"
