"""On both backends: ``verify`` compares each journal entry's time column with its sealed time exactly.

Times are compared as instants (to the microsecond), whichever zone the database answers in;
a sealed or stored time that is not a time names its entry instead of stopping the check.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update

from c3p.credits.rules.transactions import TransactionKind
from c3p.credits.tables import JournalEntry
from c3p.credits.verify import verify
from tests.support.credits import Registry, create_issuance
from tests.support.tampering import reseal_from, unlock_journal


def _last_transfer(registry: Registry) -> int:
    create_issuance(registry, {registry.jp_gov: 60, registry.vn_pp: 40})
    with registry.database.reading() as session:
        return session.scalars(select(JournalEntry.seq).order_by(JournalEntry.seq.desc()).limit(1)).one()


def test_a_time_moved_by_one_microsecond_is_caught(registry: Registry) -> None:
    seq = _last_transfer(registry)
    with registry.database.engine.begin() as connection:
        unlock_journal(connection)
        stored = connection.scalars(select(JournalEntry.occurred_at).where(JournalEntry.seq == seq)).one()
        later = stored + dt.timedelta(microseconds=1)
        connection.execute(update(JournalEntry).where(JournalEntry.seq == seq).values(occurred_at=later))
    with registry.database.reading() as session:
        report = verify(session)
    assert report.first_bad_entry == seq
    assert "column time" in report.problems[0].what, report.problems


def test_the_same_instant_in_another_zone_verifies(registry: Registry) -> None:
    _last_transfer(registry)
    with registry.database.reading() as session:
        if session.bind is not None and session.bind.dialect.name == "postgresql":
            session.execute(text("SET TIME ZONE 'Asia/Tokyo'"))
            answered = session.scalars(select(JournalEntry.occurred_at).limit(1)).one()
            assert answered.utcoffset() == dt.timedelta(hours=9)
        report = verify(session)
    assert report.ok, report.problems


def test_a_sealed_time_that_is_not_a_time_names_its_entry(registry: Registry) -> None:
    with registry.database.reading() as session:
        opened = session.scalars(
            select(JournalEntry.seq).where(JournalEntry.kind == str(TransactionKind.account_opened)).limit(1)
        ).one()
    reseal_from(registry.database, opened, lambda entry: entry.update({"at": "yesterday"}))
    with registry.database.reading() as session:
        report = verify(session)
    assert not report.ok
    assert report.first_bad_entry == opened
    assert "does not replay" in report.problems[0].what, report.problems


def test_a_stored_time_that_is_not_a_time_names_its_entry(registry: Registry) -> None:
    if registry.database.engine.dialect.name == "postgresql":
        pytest.skip("a timestamptz column holds only times")
    seq = _last_transfer(registry)
    with registry.database.engine.begin() as connection:
        unlock_journal(connection)  # SQLite keeps any text in a time column: a file edited by hand
        connection.execute(text("UPDATE credit_journal SET occurred_at = 'yesterday' WHERE seq = :seq"), {"seq": seq})
    with registry.database.reading() as session:
        report = verify(session)
    assert report.first_bad_entry == seq
    assert "column time ('yesterday') is not a time" in report.problems[0].what, report.problems
