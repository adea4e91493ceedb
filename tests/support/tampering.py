"""What someone with write access to the database could do behind the ledger, for the tampering tests."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from c3p.credits.rules.journal import GENESIS, entry_hash
from c3p.credits.tables import JournalEntry
from c3p.db.database import Database


def unlock_journal(connection: Connection) -> None:
    """What a tamperer does first: lift the journal's append-only triggers."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE credit_journal DISABLE TRIGGER USER"))
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS credit_journal_no_update"))
        connection.execute(text("DROP TRIGGER IF EXISTS credit_journal_no_delete"))


def reseal_from(database: Database, seq: int, edit: Callable[[dict[str, object]], None]) -> None:
    """Rewrite entry ``seq`` and re-hash it and every later entry and the head, as a tamperer would."""
    with database.engine.begin() as connection:
        unlock_journal(connection)
        rows = connection.execute(
            select(JournalEntry.seq, JournalEntry.entry, JournalEntry.previous_hash).order_by(JournalEntry.seq)
        ).all()
        previous = GENESIS
        for number, body, prev in rows:
            if number < seq:
                previous = entry_hash(prev, body)
                continue
            if number == seq:
                content = json.loads(body)
                edit(content)
                body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            sealed = entry_hash(previous, body)
            connection.execute(
                text("UPDATE credit_journal SET entry = :e, previous_hash = :p, hash = :h WHERE seq = :s"),
                {"e": body, "p": previous, "h": sealed, "s": number},
            )
            previous = sealed
        connection.execute(
            text("UPDATE credit_journal_head SET seq = :s, hash = :h WHERE id = 1"), {"s": rows[-1][0], "h": previous}
        )
        connection.execute(text("DELETE FROM credit_checkpoints"))  # the tamperer removes the published ones
